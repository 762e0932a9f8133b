"""``KMeans.predict`` for the pixels of a photo, in row bands on every core.

scikit-learn's ``predict`` assigns each row to its nearest centre on its own: the label of a
row does not depend on the rows around it. Called on row bands from the shared pool (its
compiled loop releases the GIL), it returns the labels of one call on every row (tested on
photos), with both cores at work where scikit-learn, limited to one thread for the sampled
fit, would use one.
"""

from __future__ import annotations

import numpy as np

from segcore.fast.parallel import bands, run_all

__all__ = ["predict"]


def predict(km, X: np.ndarray) -> np.ndarray:
    """``km.predict(X)`` for a fitted ``sklearn.cluster.KMeans`` and an (n, d) array: the (n,) labels."""
    parts = bands(len(X))
    if len(parts) == 1:
        return km.predict(X)
    return np.concatenate(run_all(lambda b: km.predict(X[b.own]), parts))
