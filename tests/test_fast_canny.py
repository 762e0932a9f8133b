"""segcore.fast.canny gives skimage.feature.canny's edge map, pixel for pixel, on the shipped photos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import feature
from skimage.color import rgb2gray

from segcore import run_method
from segcore.fast import canny as fast_canny
from segcore.fast import parallel
from segcore.io.samples import SAMPLES

PHOTOS = ("astronaut", "coffee", "chelsea", "coins", "camera", "rocket")
#: (sigma, low, high): the dashboard's defaults, scikit-image's, no smoothing with a zero low
#: threshold, equal thresholds, a wide Gaussian with thresholds low enough to keep most edges.
SETTINGS = [(1.0, 0.05, 0.15), (2.0, 0.1, 0.2), (0.0, 0.0, 0.1), (0.5, 0.02, 0.3), (3.3, 0.05, 0.05),
            (6.0, 0.01, 0.02)]


def _gray(name: str, width: int | None = None, dtype=np.float32) -> np.ndarray:
    img = np.asarray(SAMPLES[name].load())
    if width is not None:  # another size, as an upload at another working size would be
        pil = Image.fromarray(img)
        img = np.asarray(pil.resize((width, round(pil.height * width / pil.width)), Image.Resampling.LANCZOS))
    return (rgb2gray(img) if img.ndim == 3 else img / 255.0).astype(dtype)


@pytest.fixture
def many_bands(monkeypatch):
    """Four bands of small tiles even on small images, so that every band and tile edge is crossed."""
    monkeypatch.setenv("SEGCORE_THREADS", "4")
    monkeypatch.setattr(parallel, "MIN_BAND_PIXELS", 64)
    monkeypatch.setattr(fast_canny, "TILE_ROWS", 24)


@pytest.mark.parametrize("photo", PHOTOS)
@pytest.mark.parametrize("sigma, low, high", SETTINGS)
def test_equals_skimage_canny_on_photos(many_bands, photo, sigma, low, high):
    gray = _gray(photo)
    for mode in ("reflect", "nearest", "mirror", "constant"):
        expected = feature.canny(gray, sigma, low, high, mode=mode)
        got = fast_canny.canny(gray, sigma, low, high, mode=mode)
        assert got.dtype == bool and got.shape == gray.shape
        assert np.array_equal(got, expected), (photo, sigma, low, high, mode, int((got != expected).sum()))


@pytest.mark.parametrize("width", [97, 640, 1600])
def test_equals_skimage_canny_at_other_sizes_and_in_float64(width):
    for photo, dtype in (("coffee", np.float32), ("astronaut", np.float64)):
        gray = _gray(photo, width, dtype)
        for sigma, low, high in SETTINGS[:3]:
            expected = feature.canny(gray, sigma, low, high, mode="reflect")
            assert expected.any()
            assert np.array_equal(fast_canny.canny(gray, sigma, low, high, mode="reflect"), expected), (photo, width)


def test_one_band_gives_the_same_edges(monkeypatch):
    gray = _gray("camera")
    monkeypatch.setenv("SEGCORE_THREADS", "1")
    assert len(parallel.bands(*gray.shape)) == 1
    assert np.array_equal(fast_canny.canny(gray, 1.0, 0.05, 0.15, mode="reflect"),
                          feature.canny(gray, 1.0, 0.05, 0.15, mode="reflect"))


def test_blank_and_tiny_images_and_wrap_follow_skimage():
    flat = np.full((50, 60), 0.5, np.float32)
    assert not fast_canny.canny(flat, 1.0, 0.05, 0.15, mode="reflect").any()  # no edge: nothing survives
    tiny = _gray("coins")[:2, :5]
    assert np.array_equal(fast_canny.canny(tiny, 1.0, 0.05, 0.15, mode="reflect"),
                          feature.canny(tiny, 1.0, 0.05, 0.15, mode="reflect"))
    gray = _gray("coins")
    assert np.array_equal(fast_canny.canny(gray, 1.0, 0.05, 0.15, mode="wrap"),
                          feature.canny(gray, 1.0, 0.05, 0.15, mode="wrap"))


def test_the_canny_method_keeps_skimage_canny_and_its_regions():
    """The method's edges are scikit-image's; its regions are the 4-connected components between them."""
    from scipy import ndimage as ndi

    image = np.asarray(SAMPLES["chelsea"].load())
    seg = run_method("canny", image, sigma=1.5, low_threshold=0.04, high_threshold=0.12)
    gray = rgb2gray(image).astype(np.float32)
    edges = feature.canny(gray, 1.5, 0.04, 0.12, mode="reflect")
    assert np.array_equal(seg.extras["edge_mask"], edges)
    components, _ = ndi.label(~edges)
    counts = np.bincount(components.ravel())
    big = counts >= 64
    big[0] = False
    assert seg.extras["n_regions"] == int(big.sum())
    assert np.array_equal(seg.labels > 0, big[components])


@pytest.mark.parametrize("photo", ["astronaut", "coffee", "camera"])
def test_sobel_from_slices_is_ndimage_sobel(photo):
    from scipy import ndimage as ndi

    for dtype in (np.float32, np.float64):
        gray = _gray(photo, dtype=dtype)
        for image in (gray, ndi.gaussian_filter(gray, 1.5), gray[7:19, 3:], gray[:3, :4]):
            gi, gj = fast_canny.sobel(image)
            assert gi.dtype == gj.dtype == dtype
            assert np.array_equal(gi, ndi.sobel(image, axis=0)), (photo, dtype, image.shape)
            assert np.array_equal(gj, ndi.sobel(image, axis=1)), (photo, dtype, image.shape)
