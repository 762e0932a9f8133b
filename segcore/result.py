"""The one result type every technique returns.

A :class:`Segmentation` is what the pages, the downloads, the metrics and the
command line all consume, whatever made it: a label map, what each label means,
the parameters that produced it, how long it took, and the technique's extras
(threshold values, kernel responses, cluster centres, instances...).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from segcore.palette import label_colors


@dataclass(frozen=True)
class Label:
    """What one value of a label map stands for."""

    value: int
    name: str
    color: tuple[int, int, int]
    share: float  # fraction of all pixels carrying this value, 0..1
    pixels: int


@dataclass
class Segmentation:
    """A label map with its meaning, provenance and the method's extras.

    Attributes
    ----------
    method : str
        Registry name of the technique (``"otsu"``, ``"kmeans"``, ...).
    labels : ndarray of int32, shape (H, W)
        One integer per pixel; equal values form one segment / class.
    legend : list of Label
        One entry per value present in ``labels``, in increasing order.
    params : dict
        The exact keyword arguments that produced the result.
    elapsed_s : float
        Wall time of the computation, in seconds.
    extras : dict
        Technique-specific outputs (e.g. ``thresholds``, ``centers``).
    """

    method: str
    labels: np.ndarray
    legend: list[Label]
    params: dict[str, Any]
    elapsed_s: float
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.labels.shape)  # type: ignore[return-value]

    @property
    def n_labels(self) -> int:
        return len(self.legend)

    def colors(self) -> dict[int, tuple[int, int, int]]:
        """Map label value -> RGB colour, as used by the shared rendering."""
        return {lab.value: lab.color for lab in self.legend}


def build_legend(
    labels: np.ndarray,
    names: dict[int, str] | None = None,
    colors: dict[int, tuple[int, int, int]] | None = None,
    name_prefix: str = "segment",
    counts: np.ndarray | None = None,
) -> list[Label]:
    """Return one :class:`Label` per value present in ``labels``.

    Shares are counted with ``np.bincount``, or taken from ``counts``
    (``counts[v]`` = pixels labelled ``v``) when the caller already has them.
    Values missing from ``names`` get ``"<name_prefix> <value>"``; values
    missing from ``colors`` get the shared palette's colour for that value.
    """
    size = np.size(labels)  # not labels.ravel(): that copies a strided map
    if size == 0:
        return []
    if counts is None:
        try:
            counts = np.bincount(labels.ravel())
        except ValueError:  # bincount's refusal of negative values
            raise ValueError("label maps hold non-negative integers") from None
    else:
        counts = np.asarray(counts)
        if counts.sum() != size:
            raise ValueError(f"counts add up to {int(counts.sum())} pixels; the label map has {size}")
    present = np.flatnonzero(counts)
    palette = label_colors(int(present.max()) + 1)
    names, colors = names or {}, colors or {}
    out = []
    for v in map(int, present):
        color = tuple(int(c) for c in colors.get(v, palette[v]))
        out.append(Label(v, names.get(v, f"{name_prefix} {v}"), color, counts[v] / float(size), int(counts[v])))
    return out


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Context manager yielding a one-element list that receives elapsed seconds."""
    box = [0.0]
    t0 = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - t0
