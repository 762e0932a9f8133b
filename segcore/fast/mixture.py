"""``GaussianMixture.predict`` for the pixels of a photo, as one matrix product per block of rows.

scikit-learn's ``predict`` computes, component by component, ``X @ P_j - mu_j
@ P_j`` and sums its squares along the short feature axis of the (n, d)
array. The same log-density is a quadratic form in ``x``, so all the
components' scores for a block of rows are one ``(k, q) @ (q, m)`` product
with the rows' pairwise products ``x_a x_b``, the features and 1 (q = 10 for
RGB). The labels equal ``gm.predict(X)`` (tested on photos for every
covariance type); the one gain is speed, which the ``gmm`` row of
``benchmarks/bench_methods.py`` measures.
"""

from __future__ import annotations

import numpy as np

from segcore.fast.parallel import bands, run_all

#: Rows per block: a block's products (10 float64 rows for RGB) and scores stay in the CPU's cache.
BLOCK = 1 << 13


def predict(gm, X: np.ndarray) -> np.ndarray:
    """The most probable component of each row of ``X``: the labels ``gm.predict(X)`` returns.

    ``gm`` is a fitted ``sklearn.mixture.GaussianMixture`` (any covariance
    type); ``X`` an (n, d) float array. Returns an (n,) intp array. The
    arithmetic is float64, with features taken relative to the mixture's
    mean so the expanded quadratic form loses no precision; a row exactly
    between two components could still round the other way. The rows go in
    row bands on every core, each band a block at a time through buffers it
    reuses.
    """
    means = np.asarray(gm.means_, np.float64)
    origin = np.asarray(gm.weights_, np.float64) @ means
    W, pairs = log_density_weights(gm, means - origin)
    n, d = X.shape
    p, k = len(pairs), len(W)
    labels = np.empty(n, np.intp)

    def band(b) -> None:
        f = np.empty((p + d + 1, BLOCK))  # rows: x_a * x_b for each pair, x - origin, 1
        f[-1] = 1.0
        scores, best, better = np.empty((k, BLOCK)), np.empty(BLOCK), np.empty(BLOCK, bool)
        for start in range(b.start, b.stop, BLOCK):
            stop = min(start + BLOCK, b.stop)
            m = stop - start
            rows, s, top, up, label = f[:, :m], scores[:, :m], best[:m], better[:m], labels[start:stop]
            np.subtract(X[start:stop].T, origin[:, None], out=rows[p : p + d])
            for i, (a, c) in enumerate(pairs):
                np.multiply(rows[p + a], rows[p + c], out=rows[i])
            np.matmul(W, rows, out=s)  # (k, m): a row per component, so the running maximum reads whole rows
            top[:] = s[0]
            label[:] = 0
            for j in range(1, k):  # np.argmax(s, axis=0): the first of equal scores wins
                np.greater(s[j], top, out=up)
                np.maximum(top, s[j], out=top)
                np.copyto(label, j, where=up)

    run_all(band, bands(n))
    return labels


def log_density_weights(gm, means: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Weights ``W`` (k, q) of the rows :func:`predict` builds, and the feature pairs (a, b), a <= b, in row order.

    ``W`` times the rows ``[x_a x_b for each pair, x, 1]`` is, for each component j, ``log w_j
    + log N(x | mu_j, Sigma_j)`` less ``d / 2 log(2 pi)`` (the same for every
    component, so the most probable one does not change). With ``A_j = P_j
    P_j'`` the precision matrix (``P_j`` scikit-learn's
    ``precisions_cholesky_``), that is ``log w_j + log |P_j| - (x - mu_j)'
    A_j (x - mu_j) / 2``, expanded. ``means`` are in the coordinates of ``x``.
    """
    k, d = means.shape
    prec = np.asarray(gm.precisions_cholesky_, np.float64)
    if gm.covariance_type == "full":
        P = prec
    elif gm.covariance_type == "tied":
        P = np.broadcast_to(prec, (k, d, d))
    elif gm.covariance_type == "diag":
        P = prec[:, :, None] * np.eye(d)
    else:  # spherical
        P = prec[:, None, None] * np.eye(d)
    A = P @ np.swapaxes(P, 1, 2)
    A_mu = np.einsum("kab,kb->ka", A, means)
    log_det = np.log(np.diagonal(P, axis1=1, axis2=2)).sum(axis=1)  # P_j is triangular
    pairs = [(a, b) for a in range(d) for b in range(a, d)]
    W = np.empty((k, len(pairs) + d + 1))
    for i, (a, b) in enumerate(pairs):
        W[:, i] = -0.5 * A[:, a, a] if a == b else -A[:, a, b]
    W[:, len(pairs) : len(pairs) + d] = A_mu
    W[:, -1] = np.log(gm.weights_) + log_det - 0.5 * np.einsum("ka,ka->k", means, A_mu)
    return W, pairs
