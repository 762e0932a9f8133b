"""segcore.fast.mixture: the EM fit is scikit-learn's GaussianMixture, made faster, with the same answers."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from segcore.fast.mixture import fit_mixture, log_density_weights, quadratic_features


def pixels(name: str, n: int = 6000, seed: int = 0) -> np.ndarray:
    img = getattr(data, name)()[..., :3]
    flat = img.reshape(-1, 3) / 255.0
    return flat[np.random.default_rng(seed).choice(len(flat), n, replace=False)]


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize(("name", "k", "seed"), [("chelsea", 5, 0), ("astronaut", 3, 1), ("coffee", 7, 2)])
def test_fit_is_scikit_learns_gaussian_mixture(covariance_type, name, k, seed):
    from sklearn.mixture import GaussianMixture

    X = pixels(name)
    ours = fit_mixture(X, k, covariance_type, seed)
    theirs = GaussianMixture(k, covariance_type=covariance_type, init_params="k-means++", random_state=seed).fit(X)
    assert ours.n_iter_ == theirs.n_iter_ and ours.converged_ == theirs.converged_
    np.testing.assert_allclose(ours.means_, theirs.means_, atol=1e-8)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, atol=1e-8)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, atol=1e-9)
    np.testing.assert_allclose(ours.precisions_cholesky_, theirs.precisions_cholesky_, rtol=1e-6)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, abs=1e-9)
    assert ours.precisions_cholesky_.shape == theirs.precisions_cholesky_.shape


def test_log_density_weights_give_scikit_learns_weighted_log_probabilities():
    from sklearn.mixture import GaussianMixture

    X = pixels("rocket", 3000)
    for covariance_type in ("full", "tied", "diag", "spherical"):
        gm = GaussianMixture(4, covariance_type=covariance_type, random_state=0).fit(X)
        phi, pairs = quadratic_features(X)
        W = log_density_weights(gm.weights_, gm.means_, gm.precisions_cholesky_, covariance_type, pairs)
        np.testing.assert_allclose((W @ phi).T, gm._estimate_weighted_log_prob(X), rtol=1e-9, atol=1e-9)


def test_ill_defined_covariances_raise_scikit_learns_error():
    from segcore.fast.mixture import _precision_cholesky

    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        _precision_cholesky(np.array([[[1.0, 2.0], [2.0, 1.0]]]), "full")  # not positive definite
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        _precision_cholesky(np.array([[0.1, 0.0]]), "diag")
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        fit_mixture(pixels("coffee", 500), 2, "round", 0)
    # Two colours, three components: a repeated start, which scikit-learn fits without complaint, and so do we.
    X = np.repeat(np.array([[0.2, 0.2, 0.2], [0.8, 0.8, 0.8]]), 500, axis=0)
    assert fit_mixture(X, 3, "full", 0).converged_


def test_quadratic_features_rows():
    X = np.array([[1.0, 2.0], [3.0, 5.0]])
    phi, pairs = quadratic_features(X)
    assert pairs == [(0, 0), (0, 1), (1, 1)]
    np.testing.assert_array_equal(phi, [[1, 9], [2, 15], [4, 25], [1, 3], [2, 5], [1, 1]])
