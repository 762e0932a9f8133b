"""Scores of a segmentation against ground truth: overlap, partition and boundary measures, COCO AP.

Imports no torch code: instance masks arrive as COCO RLEs (:mod:`segcore.io.coco`).
"""
