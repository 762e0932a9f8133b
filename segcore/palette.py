"""Distinct colours for label maps, readable on a projector."""

from __future__ import annotations

import colorsys

import numpy as np

# Hand-picked high-contrast colours (Kelly's / Glasbey-like); label 0 first.
_BASE = np.array([
    (20, 20, 20), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128),
    (220, 190, 255), (170, 110, 40), (255, 250, 200), (128, 0, 0), (170, 255, 195), (128, 128, 0),
    (255, 215, 180), (0, 0, 128), (128, 128, 128), (255, 255, 255),
], dtype=np.uint8)


def label_colors(n: int) -> np.ndarray:
    """Return an (n, 3) uint8 array of distinct RGB colours.

    The first 22 come from a fixed high-contrast list; beyond that hues are
    spread by the golden ratio with alternating lightness, so neighbouring
    label values never look alike.
    """
    n = max(int(n), 0)
    out = np.zeros((n, 3), dtype=np.uint8)
    out[: len(_BASE)] = _BASE[:n]
    phi = 0.618033988749895
    for i in range(len(_BASE), n):
        r, g, b = colorsys.hls_to_rgb((i * phi) % 1.0, 0.45 if i % 2 else 0.62, 0.85)
        out[i] = (int(r * 255), int(g * 255), int(b * 255))
    return out
