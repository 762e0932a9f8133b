"""segcore.fast.histogram: counts gives np.histogram's counts exactly (values on the bin edges included), label_counts np.bincount's."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from segcore.fast import histogram
from segcore.fast.gray import to_gray
from segcore.methods.edges import laplace, sobel


def _cases() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    astronaut = data.astronaut()
    gray = to_gray(astronaut)
    edges32 = np.linspace(0.0, 2.8, 257, dtype=np.float32)
    cases = {
        "gray float64": gray,
        "gray float32": gray.astype(np.float32),
        "sobel strength": sobel(astronaut).extras["strength"],
        "laplace strength": laplace(data.coffee()).extras["strength"],
        "uniform float32": rng.random(200_003).astype(np.float32),
        "skewed float32": (rng.random(100_000) ** 8).astype(np.float32),
        "signed float64": rng.standard_normal(70_001) * 1e3,
        "the bin edges themselves": np.repeat(edges32, 3),
        "neighbours of the edges": np.concatenate(
            [np.nextafter(edges32, np.float32(-1)), edges32, np.nextafter(edges32, np.float32(9))]
        ).clip(0, 2.8).astype(np.float32),
        "few distinct values": np.repeat(np.linspace(0, 7, 11), 500),
        "offset far from zero": (1000 + rng.random(5000) * 0.5).astype(np.float32),
        "two values": np.array([0.25, 0.75] * 1000),
    }
    return cases


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("bins", [256, 7])
def test_counts_equal_numpys_histogram(name, bins, monkeypatch):
    values = CASES[name]
    lo, hi = float(values.min()), float(values.max())
    expected = np.histogram(values, bins=bins, range=(lo, hi))[0]
    for block in (1 << 16, 1000):  # whole blocks and a ragged last one
        monkeypatch.setattr(histogram, "BLOCK", block)
        got = histogram.counts(values, bins, lo, hi)
        assert got.dtype == np.int64
        assert np.array_equal(got, expected), name


def test_inputs_off_the_fast_path_are_numpys():
    rng = np.random.default_rng(2)
    narrow = (1000 + rng.random(100) * 1e-4).astype(np.float32)  # bins narrower than float32 steps
    lo, hi = float(narrow.min()), float(narrow.max())
    with pytest.raises(ValueError, match="Too many bins"):  # numpy's own message
        np.histogram(narrow, bins=256, range=(lo, hi))
    with pytest.raises(ValueError, match="Too many bins"):
        histogram.counts(narrow, 256, lo, hi)
    ints = rng.integers(0, 255, 1000).astype(np.uint8)
    assert np.array_equal(histogram.counts(ints, 256, 0, 254), np.histogram(ints, 256, range=(0, 254))[0])


def _label_maps() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    coffee = data.coffee()
    levels = (to_gray(coffee) * 4).astype(np.int32)
    tall = np.zeros((1300, 300), np.int32)
    tall[-1, -1] = 9  # the largest value only in the last block of the last band
    return {
        "levels int32": levels,
        "levels uint8": levels.astype(np.uint8),
        "regions int64": rng.integers(0, 5000, (700, 900)),
        "uint16 up to 65535": rng.integers(0, 65536, (600, 600)).astype(np.uint16),
        "max value only at the end": tall,
        "a strided view": levels[::2, ::3],
        "one row": levels[:1],
        "flat": levels.reshape(-1),
        "all zero": np.zeros((400, 500), np.int32),
        "empty": np.zeros((0, 7), np.int32),
    }


LABEL_MAPS = _label_maps()


@pytest.mark.parametrize("name", sorted(LABEL_MAPS))
def test_label_counts_are_bincounts(name, monkeypatch):
    labels = LABEL_MAPS[name]
    expected = np.bincount(labels.ravel())
    for block in (1 << 16, 999):  # whole blocks and ragged ones, bands split mid-block
        monkeypatch.setattr(histogram, "BLOCK", block)
        got = histogram.label_counts(labels)
        assert got.dtype == np.int64
        assert np.array_equal(got, expected), name


def test_label_counts_refuse_what_bincount_refuses():
    with pytest.raises(ValueError):
        histogram.label_counts(np.array([[0, -1]], np.int32))
    with pytest.raises(TypeError):
        histogram.label_counts(np.array([[0.5, 1.0]]))
