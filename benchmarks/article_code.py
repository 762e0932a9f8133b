"""The source article's code, transcribed as it is written, for timing and comparison.

These are the references the benchmarks time ours against; segcore never uses them.
The loops recompute ``gray_r.mean()`` on every iteration over the array they are
overwriting (as the article's code does), so their mean drifts; ``*_fixed_mean``
variants freeze the mean first, which is the rule the article describes.
"""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2gray
from sklearn.cluster import KMeans


def article_global_threshold(image: np.ndarray) -> np.ndarray:
    """The article's loop: 1 where gray_r[i] > gray_r.mean() (mean recomputed each step)."""
    gray = rgb2gray(image)
    gray_r = gray.reshape(gray.shape[0] * gray.shape[1])
    for i in range(gray_r.shape[0]):
        if gray_r[i] > gray_r.mean():
            gray_r[i] = 1
        else:
            gray_r[i] = 0
    return gray_r.reshape(gray.shape[0], gray.shape[1])


def article_multilevel_threshold(image: np.ndarray) -> np.ndarray:
    """The article's multi-level loop (mean recomputed each step)."""
    gray = rgb2gray(image)
    gray_r = gray.reshape(gray.shape[0] * gray.shape[1])
    for i in range(gray_r.shape[0]):
        if gray_r[i] > gray_r.mean():
            gray_r[i] = 3
        elif gray_r[i] > 0.5:
            gray_r[i] = 2
        elif gray_r[i] > 0.25:
            gray_r[i] = 1
        else:
            gray_r[i] = 0
    return gray_r.reshape(gray.shape[0], gray.shape[1])


def article_multilevel_fixed_mean(image: np.ndarray) -> np.ndarray:
    """The article's loop with the mean taken once, before the loop (the stated rule)."""
    gray = rgb2gray(image)
    gray_r = gray.reshape(gray.shape[0] * gray.shape[1]).copy()
    mean = gray_r.mean()
    out = np.zeros_like(gray_r)
    for i in range(gray_r.shape[0]):
        if gray_r[i] > mean:
            out[i] = 3
        elif gray_r[i] > 0.5:
            out[i] = 2
        elif gray_r[i] > 0.25:
            out[i] = 1
        else:
            out[i] = 0
    return out.reshape(gray.shape)


def article_kmeans(image: np.ndarray, n_clusters: int = 5) -> tuple[np.ndarray, KMeans]:
    """The article's k-means: pixels / 255 as (H*W, 3), full fit, centres[labels]."""
    pic = image / 255
    pic_n = pic.reshape(pic.shape[0] * pic.shape[1], pic.shape[2])
    kmeans = KMeans(n_clusters=n_clusters, random_state=0).fit(pic_n)
    pic2show = kmeans.cluster_centers_[kmeans.labels_]
    return pic2show.reshape(pic.shape[0], pic.shape[1], pic.shape[2]), kmeans
