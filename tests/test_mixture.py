"""segcore.fast.mixture: the vectorised predict gives GaussianMixture.predict's labels."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from skimage import data
from sklearn.mixture import GaussianMixture

from segcore.fast.mixture import BLOCK, log_density_weights, predict
from segcore.methods.clustering import _features


@functools.cache
def features(name: str, xy_weight: float) -> np.ndarray:
    return _features(getattr(data, name)()[..., :3], "rgb", xy_weight, np.float32)


def fitted(X: np.ndarray, k: int, covariance_type: str, seed: int = 0) -> GaussianMixture:
    """Fitted as the gmm method fits it: on a float64 sample of the features."""
    sample = X[np.random.default_rng(seed).choice(len(X), 4000, replace=False)].astype(np.float64)
    return GaussianMixture(k, covariance_type=covariance_type, init_params="k-means++", random_state=seed).fit(sample)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize(("name", "k", "xy_weight"), [("astronaut", 6, 0.0), ("coffee", 5, 0.0), ("chelsea", 8, 2.0)])
def test_predict_is_scikit_learns_predict(covariance_type, name, k, xy_weight):
    X = features(name, xy_weight)
    assert len(X) > BLOCK  # several blocks, the last one partial
    gm = fitted(X, k, covariance_type)
    got = predict(gm, X)
    assert got.shape == (len(X),)
    # Equal to scikit-learn's predict of the same features in float64 ...
    np.testing.assert_array_equal(got, gm.predict(X.astype(np.float64)))
    np.testing.assert_array_equal(predict(gm, X.astype(np.float64)), got)
    # ... and to its predict of the float32 features but where its float32 rounding decides a near tie.
    differ = np.flatnonzero(got != gm.predict(X))
    assert len(differ) <= 1e-4 * len(X)
    if len(differ):
        proba = gm.predict_proba(X[differ].astype(np.float64))
        rows = np.arange(len(differ))
        np.testing.assert_allclose(proba[rows, got[differ]], proba[rows, gm.predict(X)[differ]], rtol=1e-5)


def test_log_density_weights_give_scikit_learns_probabilities():
    X = features("rocket", 0.0)[::50].astype(np.float64)
    phi_rows = lambda x, pairs: np.vstack([[x[:, a] * x[:, b] for a, b in pairs], x.T, np.ones(len(x))])
    for covariance_type in ("full", "tied", "diag", "spherical"):
        gm = fitted(features("rocket", 0.0), 4, covariance_type)
        W, pairs = log_density_weights(gm, gm.means_)
        log = W @ phi_rows(X, pairs)
        proba = np.exp(log - log.max(axis=0))
        proba /= proba.sum(axis=0)
        np.testing.assert_allclose(proba.T, gm.predict_proba(X), atol=1e-9)
