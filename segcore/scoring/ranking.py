"""Which result a score column calls best: never one whose win comes from its label count.

Two scores reward a label count rather than a good segmentation:

* **oracle binary scores**: where a method has no foreground of its own, the
  ground truth picks it (:func:`segcore.scoring.metrics.majority_foreground`),
  and a map of many small labels fits any shape that way. So the binary
  columns' best goes only to results scored on their own foreground.
* **partition scores** against a partition with several regions: VoI favours
  few regions (a 2-label map has almost no split term), PRI favours many (most
  pixel pairs of a fine map lie apart, as most of the truth's do). So a
  partition column's best goes only to results with a comparable number of
  labels: from half the regions of the ground-truth map with fewest to twice
  those of the map with most (:func:`region_range`); the others are flagged.

:data:`BEST_RULE` states both for the page. Nothing here imports streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from segcore.scoring.metrics import COLUMNS

__all__ = [
    "BEST_RULE", "BINARY_KEYS", "PARTITION_KEYS", "best_rows", "best_rule", "label_count_fits", "region_range",
]

#: Columns scored on a foreground (own or oracle) and columns that compare partitions.
BINARY_KEYS = ("iou", "dice", "precision", "recall", "boundary_f1")
PARTITION_KEYS = ("voi", "voi_split", "voi_merge", "pri", "ari", "are")
#: How far a result's label count may stray from the truth's region count (either way) for its partition scores to rank.
REGION_FACTOR = 2

_RULES = {
    "binary": "binary scores only among the methods' own foregrounds, never an oracle score (marked *)",
    "partition": "partition scores only among results with half to twice as many labels as the ground truth has "
                 "regions (VoI favours few regions, PRI many; the others are flagged (few) or (many))",  # REGION_FACTOR 2
}


def best_rule(binary: bool = True, partition: bool = True) -> str:
    """The highlight rule in words, for the binary scores, the partition scores or both."""
    parts = [text for kind, text in _RULES.items() if {"binary": binary, "partition": partition}[kind]]
    return "Highlighted: each column's best, where it does not come from the label count" + (
        ": " + "; ".join(parts) if parts else "") + "."


BEST_RULE = best_rule()


def region_range(gt_maps: Sequence[np.ndarray]) -> tuple[float, float]:
    """``(low, high)``: the label counts whose partition scores may rank against these ground-truth maps.

    ``low`` is half the region count (distinct values) of the map with fewest,
    ``high`` twice that of the map with most (:data:`REGION_FACTOR`): several
    people's segmentations of one photo differ in detail, and a result as fine
    as any of them is comparable.
    """
    counts = [len(np.unique(np.asarray(m))) for m in gt_maps]
    if not counts:
        raise ValueError("a region range needs at least one ground-truth map")
    return min(counts) / REGION_FACTOR, max(counts) * REGION_FACTOR


def label_count_fits(n_labels: int, regions: tuple[float, float]) -> bool:
    """Whether a result with ``n_labels`` labels lies in the ``region_range``."""
    low, high = regions
    return low <= n_labels <= high


def _ranks(key: str, row: Mapping[str, Any], regions: tuple[float, float] | None) -> bool:
    if key in BINARY_KEYS:
        return row.get("oracle") == 0.0
    if key in PARTITION_KEYS:
        return regions is None or label_count_fits(int(row["n_labels"]), regions)
    return True


def best_rows(key: str, rows: Sequence[Mapping[str, Any]], regions: tuple[float, float] | None = None) -> list[int]:
    """Indices of the rows that hold column ``key``'s best value, under the rule above (:data:`BEST_RULE`).

    Parameters
    ----------
    key : str
        A :data:`segcore.scoring.metrics.COLUMNS` key.
    rows : sequence of mappings
        Each with ``key``'s value (NaN or None where it does not apply),
        ``oracle`` (the score row's flag) and ``n_labels`` (the result's label count).
    regions : (low, high), optional
        :func:`region_range` of the ground truth; None lets every label count rank.

    Returns
    -------
    list of int
        Every row tied at the best value among the rows allowed to rank; empty
        when none is (all oracle, all label counts out of range, or no value).
    """
    higher = COLUMNS[key].higher_is_better
    values = {}
    for i, row in enumerate(rows):
        v = row.get(key)
        if v is not None and not math.isnan(float(v)) and _ranks(key, row, regions):
            values[i] = float(v)
    if not values:
        return []
    best = max(values.values()) if higher else min(values.values())
    return [i for i, v in values.items() if v == best]
