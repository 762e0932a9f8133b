"""Input and output: image loading, the samples the app ships, ground-truth files and COCO RLEs.

Nothing here knows a segmentation method: it turns bytes into validated arrays and back.
"""
