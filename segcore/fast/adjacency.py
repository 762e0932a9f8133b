"""A fast route to scikit-image's region adjacency graph of mean colours.

``skimage.graph.rag_mean_color`` builds its graph with a Python callback per
pixel (``ndi.generic_filter``) and then sums colours in a second per-pixel
Python loop: 1.8 s for 250 SLIC superpixels of an 800 x 600 image on this
machine, which alone breaks the SLIC page's one-second budget.
:func:`rag_mean_color` here returns the same graph (same nodes, node
attributes, edges and weights; tested equal) from whole-array numpy
operations: the neighbour pairs of every pixel at once, the colour sums by
``np.bincount``. :mod:`segcore.methods.regions` uses it; the merging itself
(``skimage.graph.cut_threshold``, ``merge_hierarchical``) is scikit-image's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["rag_mean_color"]


def _neighbour_pairs(labels: np.ndarray, connectivity: int) -> np.ndarray:
    """Unique (a, b) label pairs, a < b, of pixels that touch (4- or 8-neighbours)."""
    shifts = [(labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])]
    if connectivity == 2:
        shifts += [(labels[:-1, :-1], labels[1:, 1:]), (labels[:-1, 1:], labels[1:, :-1])]
    pairs = []
    for a, b in shifts:
        differ = a != b
        if differ.any():
            x, y = a[differ], b[differ]
            pairs.append(np.stack([np.minimum(x, y), np.maximum(x, y)], axis=1))
    if not pairs:
        return np.empty((0, 2), np.int64)
    return np.unique(np.concatenate(pairs).astype(np.int64), axis=0)


def rag_mean_color(image: np.ndarray, labels: np.ndarray, *, connectivity: int = 2):
    """``skimage.graph.rag_mean_color(image, labels, connectivity, mode='distance')``, without per-pixel Python.

    Parameters
    ----------
    image : ndarray, shape (H, W, C)
        The colours to average (e.g. CIELAB, so that weights are delta-E).
    labels : ndarray of int, shape (H, W)
        Non-negative region labels.
    connectivity : {1, 2}
        Pixels touch along edges (1) or also at corners (2, scikit-image's default).

    Returns
    -------
    skimage.graph.RAG
        One node per label present, with ``labels`` ([n]), ``pixel count``,
        ``total color`` and ``mean color`` as scikit-image sets them; one edge
        per pair of touching regions, its ``weight`` the Euclidean distance
        of their mean colours. Unlike scikit-image's, a label that touches no
        other (an image of one region) is still a node.
    """
    from skimage.graph import RAG

    labels = np.asarray(labels)
    image = np.asarray(image, dtype=np.float64)
    if labels.ndim != 2 or image.shape[:2] != labels.shape or image.ndim != 3:
        raise ValueError(f"image {image.shape} and labels {labels.shape} must be (H, W, C) and (H, W)")
    if connectivity not in (1, 2):
        raise ValueError(f"connectivity is 1 or 2; got {connectivity!r}")
    flat = labels.ravel().astype(np.int64)
    size = int(flat.max()) + 1 if flat.size else 0
    counts = np.bincount(flat, minlength=size)
    totals = np.stack(
        [np.bincount(flat, weights=image[..., c].ravel(), minlength=size) for c in range(image.shape[2])], axis=1
    )
    graph = RAG()
    for n in np.flatnonzero(counts).tolist():
        total = totals[n].copy()
        graph.add_node(n, labels=[n], **{"pixel count": int(counts[n]), "total color": total,
                                         "mean color": total / counts[n]})
    pairs = _neighbour_pairs(labels, connectivity)
    if len(pairs):
        means = totals / np.maximum(counts, 1)[:, None]
        weights = np.linalg.norm(means[pairs[:, 0]] - means[pairs[:, 1]], axis=1)
        graph.add_weighted_edges_from(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), weights.tolist()))
    return graph
