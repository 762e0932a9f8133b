"""The Gaussian mixture's EM fit, as scikit-learn's ``GaussianMixture`` makes it, laid out for speed.

:func:`fit_mixture` makes the same start and the same iterations as
``sklearn.mixture.GaussianMixture(n_components=k, covariance_type=...,
init_params="k-means++", random_state=seed).fit(X)`` (``n_init=1``, its
default ``tol``, ``reg_covar`` and ``max_iter``) and returns the same
parameters, to float rounding (tested for every covariance type). The start is
scikit-learn's own ``kmeans_plusplus``.

Why not call scikit-learn: on the dashboard's 10,000-pixel sample, its EM
spends about 7 ms an iteration (20 to 50 iterations a fit) on array-API
wrappers and reductions along the 3-long feature axis of an (n, 3) array. Here
every array is laid out feature by feature (d x n) and component by component
(k x n), so each step runs along rows of n values: about 0.5 ms an iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The covariance models, as scikit-learn names them.
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: scikit-learn's defaults for ``GaussianMixture``.
TOL = 1e-3
REG_COVAR = 1e-6
MAX_ITER = 100


@dataclass
class Mixture:
    """A fitted mixture, with scikit-learn's attribute names.

    ``precisions_cholesky_`` has scikit-learn's shape for the covariance
    type: (k, d, d) full, (d, d) tied, (k, d) diag, (k,) spherical.
    """

    covariance_type: str
    weights_: np.ndarray
    means_: np.ndarray
    covariances_: np.ndarray
    precisions_cholesky_: np.ndarray
    n_iter_: int
    converged_: bool
    lower_bound_: float


def fit_mixture(X: np.ndarray, k: int, covariance_type: str = "full", seed: int = 0) -> Mixture:
    """EM on the rows of ``X`` from scikit-learn's k-means++ start; returns the fitted :class:`Mixture`.

    Raises ``ValueError`` (with scikit-learn's wording) when a covariance
    matrix stops being positive definite, as on flat colours.
    """
    from sklearn.cluster import kmeans_plusplus

    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, got {covariance_type!r}")
    X = np.asarray(X, np.float64)
    n, d = X.shape
    # Every step needs only the features' products x_a x_b, the features and
    # 1 (for RGB, 10 rows of n): the log-densities are one (k x 10) @ (10 x n)
    # product, the responsibilities' moments one (k x n) @ (n x 10). Features
    # are taken relative to their mean, which keeps the products small.
    origin = X.mean(axis=0)
    phi, pairs = quadratic_features(X - origin)
    totals = phi.sum(axis=1)  # unweighted moments, for the tied covariance
    # scikit-learn's start: responsibilities of 1 at the k-means++ seeds, 0 elsewhere.
    _, seeds = kmeans_plusplus(X, k, random_state=seed)
    resp = np.zeros((k, n))
    resp[np.arange(k), seeds] = 1.0
    nk, means, cov = _m_step(resp @ phi.T, totals, origin, pairs, covariance_type)
    weights = nk / n  # scikit-learn's start; its M-steps divide by the sum instead
    prec = _precision_cholesky(cov, covariance_type)
    lower_bound = -np.inf
    converged = False
    n_iter = 0
    for n_iter in range(1, MAX_ITER + 1):
        previous = lower_bound
        # E-step: log-responsibilities, normalised down the k rows.
        log = log_density_weights(weights, means, prec, covariance_type, pairs) @ phi
        top = log.max(axis=0)
        log -= top
        np.exp(log, out=log)
        norm = log.sum(axis=0)
        lower_bound = float(np.mean(np.log(norm) + top))
        log /= norm  # the responsibilities themselves
        # M-step
        nk, means, cov = _m_step(log @ phi.T, totals, origin, pairs, covariance_type)
        weights = nk / nk.sum()
        prec = _precision_cholesky(cov, covariance_type)
        if abs(lower_bound - previous) < TOL:
            converged = True
            break
    return Mixture(covariance_type, weights, means + origin, cov, prec, n_iter, converged, lower_bound)


def quadratic_features(
    X: np.ndarray | None, out: np.ndarray | None = None, pairs: list[tuple[int, int]] | None = None
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """(pairs + d + 1, n) rows: ``x_a * x_b`` for each pair a <= b, then each feature, then 1.

    Returns the rows and the list of pairs, in row order. ``X=None`` fills
    ``out`` in place from the feature rows already written into it (then
    ``pairs`` must be given).
    """
    if X is not None:
        n, d = X.shape
        pairs = [(a, b) for a in range(d) for b in range(a, d)]
        out = np.empty((len(pairs) + d + 1, n), X.dtype) if out is None else out
        out[len(pairs) : len(pairs) + d] = X.T
    p = len(pairs)
    for i, (a, b) in enumerate(pairs):
        np.multiply(out[p + a], out[p + b], out=out[i])
    out[-1] = 1.0
    return out, pairs


def log_density_weights(
    weights: np.ndarray, means: np.ndarray, prec: np.ndarray, covariance_type: str, pairs: list[tuple[int, int]]
) -> np.ndarray:
    """(k, pairs + d + 1) weights of :func:`quadratic_features` that give ``log w_j + log N(x | mu_j, Sigma_j)``.

    With ``A_j`` the component's precision matrix, the log-density is a
    quadratic form in ``x``: ``c_j - x'A_j x / 2 + x'A_j mu_j``; ``means``
    are in the features' coordinates (the same origin as the rows).
    """
    k, d = means.shape
    if covariance_type == "full":
        P = prec
    elif covariance_type == "tied":
        P = np.broadcast_to(prec, (k, d, d))
    elif covariance_type == "diag":
        P = np.stack([np.diag(p) for p in prec])
    else:
        P = np.stack([np.eye(d) * p for p in prec])
    A = P @ np.swapaxes(P, 1, 2)
    log_det = np.log(np.diagonal(P, axis1=1, axis2=2)).sum(axis=1)  # log |P_j|, P_j triangular
    W = np.empty((k, len(pairs) + d + 1))
    for i, (a, b) in enumerate(pairs):
        W[:, i] = -0.5 * A[:, a, a] if a == b else -A[:, a, b]
    Amu = np.einsum("kab,kb->ka", A, means)
    W[:, len(pairs) : len(pairs) + d] = Amu
    W[:, -1] = -0.5 * np.einsum("ka,ka->k", means, Amu) + log_det - 0.5 * d * np.log(2 * np.pi) + np.log(weights)
    return W


def _m_step(
    moments: np.ndarray,
    totals: np.ndarray,
    origin: np.ndarray,
    pairs: list[tuple[int, int]],
    covariance_type: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Component sizes, means and covariances (``_estimate_gaussian_parameters``).

    ``moments`` is ``resp @ phi.T``: per component, the responsibility-weighted
    sums of the pair products, the features and 1; ``totals`` the unweighted
    sums over all rows; ``origin`` where the features' coordinates start.
    """
    d = len(origin)
    p = len(pairs)
    nk = moments[:, -1] + 10 * np.finfo(np.float64).eps
    means = moments[:, p : p + d] / nk[:, None]

    def square(sums: np.ndarray) -> np.ndarray:  # pair sums -> symmetric (..., d, d)
        out = np.empty((*sums.shape[:-1], d, d))
        for i, (a, b) in enumerate(pairs):
            out[..., a, b] = out[..., b, a] = sums[..., i]
        return out

    if covariance_type == "tied":
        # scikit-learn's (X'X - sum_j nk_j mu_j mu_j') / sum(nk), in its own
        # (uncentred) coordinates: at the start, where the responsibilities do
        # not sum to 1 on every row, the formula depends on the origin.
        n, o = totals[-1], origin
        shifted = means + o
        cov = (square(totals[:p]) + n * np.outer(o, o) - (nk * shifted.T) @ shifted) / nk.sum()
        cov.flat[:: d + 1] += REG_COVAR
    elif covariance_type == "full":
        cov = square(moments[:, :p]) / nk[:, None, None] - means[:, :, None] * means[:, None, :]
        cov[:, np.arange(d), np.arange(d)] += REG_COVAR
    else:
        diagonal = [i for i, (a, b) in enumerate(pairs) if a == b]
        cov = moments[:, diagonal] / nk[:, None] - np.square(means) + REG_COVAR
        if covariance_type == "spherical":
            cov = cov.mean(axis=1)
    return nk, means, cov


def _precision_cholesky(cov: np.ndarray, covariance_type: str) -> np.ndarray:
    """Cholesky factors of the precision matrices (``_compute_precision_cholesky``)."""
    message = (
        "Fitting the mixture model failed because some components have ill-defined empirical "
        "covariance (for instance caused by singleton or collapsed samples). Try to decrease the "
        "number of components, increase reg_covar, or scale the input data."
    )
    if covariance_type in ("diag", "spherical"):
        if np.any(cov <= 0.0):
            raise ValueError(message)
        return 1.0 / np.sqrt(cov)
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(message) from None
    eye = np.broadcast_to(np.eye(cov.shape[-1]), cov.shape)
    # The inverse of a lower-triangular factor is lower-triangular: np.triu drops the
    # 1e-15 residues the general solver leaves above the diagonal of its transpose.
    return np.triu(np.swapaxes(np.linalg.solve(chol, eye), -1, -2))
