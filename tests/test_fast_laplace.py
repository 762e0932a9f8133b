"""segcore.fast.laplace gives scipy.ndimage.gaussian_laplace's values to float32 rounding, and the LoG its regions."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage as ndi
from skimage.color import rgb2gray

from segcore import run_method
from segcore.fast.laplace import gaussian_laplace
from segcore.io.samples import SAMPLES
from segcore.methods.edges import segments_from_edges

PHOTOS = ("astronaut", "coffee", "chelsea", "coins", "camera", "rocket", "hubble", "ihc")
#: Worst difference from ndimage seen on the shipped photos, sigmas 0.5-6, every border: 1.3e-6 of
#: the largest response; float32 sums of up to 49 weighted terms round about that much.
TOLERANCE = 5e-6


def _gray(name: str, width: int | None = None) -> np.ndarray:
    img = np.asarray(SAMPLES[name].load())
    if width is not None:
        pil = Image.fromarray(img)
        img = np.asarray(pil.resize((width, round(pil.height * width / pil.width)), Image.Resampling.LANCZOS))
    return (rgb2gray(img) if img.ndim == 3 else img / 255.0).astype(np.float32)


@pytest.mark.parametrize("photo", PHOTOS)
def test_equals_ndimage_within_float32_rounding(photo):
    gray = _gray(photo)
    for sigma in (0.5, 2.0, 3.3, 6.0):
        for mode in ("reflect", "nearest", "mirror", "constant"):
            expected = ndi.gaussian_laplace(gray, sigma, mode=mode)
            got = gaussian_laplace(gray, sigma, mode=mode)
            assert got.dtype == np.float32 and got.shape == gray.shape
            worst = float(np.abs(got - expected).max() / np.abs(expected).max())
            assert worst <= TOLERANCE, (photo, sigma, mode, worst)


@pytest.mark.parametrize("width", [31, 640, 1600])
def test_equals_ndimage_at_other_sizes(width):
    gray = _gray("chelsea", width)
    expected = ndi.gaussian_laplace(gray, 2.0, mode="reflect")
    assert np.abs(gaussian_laplace(gray, 2.0) - expected).max() <= TOLERANCE * np.abs(expected).max()


def test_a_constant_image_gets_ndimages_one_response_and_the_log_method_takes_it():
    flat = np.full((40, 57), 0.4, np.float32)
    for mode in ("reflect", "constant"):
        assert np.array_equal(gaussian_laplace(flat, 2.0, mode=mode), ndi.gaussian_laplace(flat, 2.0, mode=mode))
    seg = run_method("log", np.full((23, 17, 3), 120, np.uint8))
    assert seg.labels.shape == (23, 17)


def test_wrap_and_float64_are_ndimages_own():
    gray = _gray("coins")
    assert np.array_equal(gaussian_laplace(gray, 2.0, mode="wrap"), ndi.gaussian_laplace(gray, 2.0, mode="wrap"))
    as64 = gray.astype(np.float64)
    assert np.array_equal(gaussian_laplace(as64, 1.5), ndi.gaussian_laplace(as64, 1.5, mode="reflect"))


@pytest.mark.parametrize("photo", PHOTOS + ("blobs", "mosaic", "shapes"))
def test_the_log_methods_regions_are_those_of_ndimages_response(photo):
    """At the page's settings, the regions from this response are the regions from ndimage's, pixel for pixel."""
    image = np.asarray(SAMPLES[photo].load())
    image = image if image.ndim == 3 else np.stack([image] * 3, axis=2)
    seg = run_method("log", image)
    expected, info = segments_from_edges(np.abs(ndi.gaussian_laplace(_gray(photo), 2.0, mode="reflect")))
    assert np.array_equal(seg.labels, expected)
    assert seg.extras["n_regions"] == info["n_regions"]
