"""Edge detection: the article's kernels exactly, edges -> regions, Canny, LoG, the convolution explainer."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import data, feature, filters, measure
from skimage.color import rgb2gray
from skimage.segmentation import relabel_sequential

from segcore import get_method, list_methods, run_method
from segcore.fast.gray import to_gray
from segcore.methods.edges import (
    ARTICLE_STEPS,
    KERNELS,
    LAPLACE,
    MODES,
    SOBEL_HORIZONTAL,
    SOBEL_VERTICAL,
    apply_kernel,
    convolution_steps,
    laplacian_of_gaussian,
    segments_from_edges,
)

EDGE_METHODS = ("sobel", "laplace", "prewitt", "scharr", "canny", "log")
ARTICLE_KERNELS = {
    "sobel_horizontal": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "sobel_vertical": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "laplace": [[1, 1, 1], [1, -8, 1], [1, 1, 1]],
}


def _rgb(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 3 else np.stack([img] * 3, axis=2)


@pytest.fixture(scope="module", params=["camera", "astronaut", "coins"])
def image(request) -> np.ndarray:
    return _rgb(getattr(data, request.param)())


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return _rgb(data.camera())


@pytest.fixture(scope="module")
def square() -> np.ndarray:
    """A white 64 x 64 square on black, 128 x 128, as RGB."""
    img = np.zeros((128, 128), np.uint8)
    img[32:96, 32:96] = 255
    return _rgb(img)


# --------------------------------------------------------------------------- the article's kernels


def test_kernels_are_the_articles_exactly():
    for name, rows in ARTICLE_KERNELS.items():
        k = KERNELS[name]
        assert k.dtype == np.float64
        assert np.array_equal(k, np.array(rows, dtype=float))
    assert KERNELS["sobel_horizontal"] is SOBEL_HORIZONTAL and KERNELS["laplace"] is LAPLACE
    with pytest.raises(ValueError):  # shared constants are read-only
        SOBEL_HORIZONTAL[0, 0] = 5


def test_article_kernel_responses_are_exact(image):
    gray = rgb2gray(image)
    for name, rows in ARTICLE_KERNELS.items():
        expected = ndi.convolve(gray, np.array(rows, dtype=float), mode="reflect")
        got = apply_kernel(to_gray(image), KERNELS[name])
        assert got.dtype == np.float64
        assert np.array_equal(got, expected), name
    # the methods keep those exact float64 responses in their extras
    sob = run_method("sobel", image).extras["responses"]
    lap = run_method("laplace", image).extras["responses"]
    for name, resp in (("sobel_horizontal", sob), ("sobel_vertical", sob), ("laplace", lap)):
        expected = ndi.convolve(gray, np.array(ARTICLE_KERNELS[name], dtype=float), mode="reflect")
        assert np.array_equal(resp[name], expected), name


@pytest.mark.parametrize("photo", ["astronaut", "coffee", "chelsea", "camera"])
def test_opencv_filter2d_gives_ndimage_convolve_values_on_photos(photo):
    """apply_kernel (OpenCV's filter2D, flipped kernel) equals ndimage.convolve for every kernel, border and dtype."""
    img = getattr(data, photo)()
    gray64 = rgb2gray(img) if img.ndim == 3 else img / 255.0
    for gray in (gray64, gray64.astype(np.float32)):
        for name, k in KERNELS.items():
            for mode in MODES:
                expected = ndi.convolve(gray, k.astype(gray.dtype), mode=mode)
                got = apply_kernel(gray, k, mode=mode)
                assert got.dtype == gray.dtype
                assert np.array_equal(got, expected), (photo, gray.dtype, name, mode)


def test_convolve_is_used_not_correlate(camera):
    """Convolution flips the kernel: for Sobel, correlate gives the opposite sign."""
    gray = to_gray(camera)
    for k in (SOBEL_HORIZONTAL, SOBEL_VERTICAL):
        conv = apply_kernel(gray, k)
        corr = ndi.correlate(gray, k, mode="reflect")
        assert not np.allclose(conv, corr)  # the flip matters...
        assert np.array_equal(conv, ndi.correlate(gray, k[::-1, ::-1], mode="reflect"))
        assert np.allclose(conv, -corr)  # ...and for these antisymmetric kernels it flips the sign
    # A step from dark (left) to bright (right): the article's vertical kernel, convolved, answers negative.
    step = np.zeros((5, 6))
    step[:, 3:] = 1.0
    assert apply_kernel(step, SOBEL_VERTICAL)[2, 2] == -4.0
    assert ndi.correlate(step, SOBEL_VERTICAL, mode="reflect")[2, 2] == 4.0


def test_apply_kernel_border_modes_differ(camera):
    gray = to_gray(camera)[:64, :64]
    outs = {m: apply_kernel(gray, SOBEL_VERTICAL, mode=m) for m in MODES}
    for m, out in outs.items():
        assert np.array_equal(out, ndi.convolve(gray, SOBEL_VERTICAL, mode=m))
        assert np.array_equal(out[1:-1, 1:-1], outs["reflect"][1:-1, 1:-1])  # only the border changes
    assert not np.array_equal(outs["constant"], outs["reflect"])


# --------------------------------------------------------------------------- strengths and thresholds


def test_sobel_magnitude_is_hypot(image):
    ex = run_method("sobel", image).extras
    h, v = ex["responses"]["sobel_horizontal"], ex["responses"]["sobel_vertical"]
    assert ex["strength"].dtype == np.float32
    assert ex["responses"]["magnitude"] is ex["strength"]
    np.testing.assert_allclose(ex["strength"], np.hypot(h, v), rtol=1e-6, atol=1e-6)
    assert ex["kernels"] == {"sobel_horizontal": SOBEL_HORIZONTAL, "sobel_vertical": SOBEL_VERTICAL}


def test_laplace_strength_is_absolute_response(camera):
    ex = run_method("laplace", camera).extras
    np.testing.assert_array_equal(ex["strength"], np.abs(ex["responses"]["laplace"]).astype(np.float32))


@pytest.mark.parametrize("name, kernels, skimage_filter, scale", [
    ("prewitt", ("prewitt_horizontal", "prewitt_vertical"), filters.prewitt, 3 * np.sqrt(2)),
    ("scharr", ("scharr_horizontal", "scharr_vertical"), filters.scharr, 16 * np.sqrt(2)),
])
def test_prewitt_scharr_are_their_kernels_convolved(camera, name, kernels, skimage_filter, scale):
    ex = run_method(name, camera).extras
    gray32 = to_gray(camera).astype(np.float32)
    for kname in kernels:
        assert np.array_equal(ex["responses"][kname], ndi.convolve(gray32, KERNELS[kname], mode="reflect"))
    np.testing.assert_allclose(ex["strength"], np.hypot(*(ex["responses"][k] for k in kernels)), rtol=1e-5, atol=1e-5)
    # the same filter as scikit-image's, unnormalised
    np.testing.assert_allclose(ex["strength"], skimage_filter(to_gray(camera)) * scale, atol=1e-4)


def test_log_is_gaussian_laplace(camera):
    seg = laplacian_of_gaussian(camera, sigma=3.0)
    expected = ndi.gaussian_laplace(to_gray(camera).astype(np.float32), 3.0, mode="reflect")
    response = seg.extras["responses"]["log"]
    assert response.dtype == np.float32
    # OpenCV's separable filter with ndimage's kernels: ndimage's values to float32 rounding
    assert np.abs(response - expected).max() <= 5e-6 * np.abs(expected).max()
    assert np.array_equal(seg.extras["strength"], np.abs(response))
    assert get_method("log").func is laplacian_of_gaussian
    assert get_method("log").defaults["sigma"] == 2.0


@pytest.mark.parametrize("method", ["sobel", "laplace", "prewitt", "scharr", "log"])
def test_edge_threshold_is_otsu_when_none_else_the_users(camera, method):
    auto = run_method(method, camera)
    ex = auto.extras
    assert isinstance(ex["edge_threshold"], float)
    assert ex["edge_threshold"] == filters.threshold_otsu(ex["strength"])
    assert np.array_equal(ex["edge_mask"], ex["strength"] > ex["edge_threshold"])
    assert auto.params["edge_threshold"] is None
    user_t = 0.5 * ex["edge_threshold"]
    user = run_method(method, camera, edge_threshold=user_t)
    assert user.extras["edge_threshold"] == user_t
    assert user.params["edge_threshold"] == user_t
    assert np.array_equal(user.extras["edge_mask"], user.extras["strength"] > user_t)
    assert user.extras["edge_mask"].sum() > ex["edge_mask"].sum()


# --------------------------------------------------------------------------- edges -> regions


@pytest.mark.parametrize("method", EDGE_METHODS)
def test_regions_are_connected_components_and_label0_is_edges_plus_small(image, method):
    seg = run_method(method, image)
    ex, labels = seg.extras, seg.labels
    mask = ex["edge_mask"]
    assert labels.dtype == np.int32 and labels.shape == image.shape[:2]
    assert mask.dtype == bool and mask.shape == labels.shape
    # reference: label the non-edge pixels, drop regions under 64 px, renumber
    components = measure.label(~mask, connectivity=1)
    small = np.bincount(components.ravel()) < 64
    small[0] = False
    ref = components.copy()
    ref[small[components]] = 0
    ref, _, _ = relabel_sequential(ref)
    assert np.array_equal(labels, ref)
    # label 0 = exactly the edge pixels plus the pixels of the small regions
    small_pixels = small[components]
    assert np.array_equal(labels == 0, mask | small_pixels)
    assert ex["n_regions"] == labels.max() == len(seg.legend) - 1
    assert isinstance(ex["n_regions"], int)
    names = {lab.value: lab.name for lab in seg.legend}
    assert names[0] == ("edges and small regions" if small_pixels.any() else "edges")
    assert all(names[v] == f"region {v}" for v in range(1, labels.max() + 1))
    assert sum(lab.pixels for lab in seg.legend) == labels.size


@pytest.mark.parametrize("photo", ["astronaut", "coffee", "chelsea", "camera"])
def test_label_regions_numbers_ndimage_labels_in_the_same_order(photo):
    """OpenCV's 4-connected components are ndimage.label's, numbered alike, on photos' edge masks and their inverse."""
    from segcore.methods.edges import label_regions

    gray = to_gray(_rgb(getattr(data, photo)()))
    masks = [feature.canny(gray, 1.0, 0.05, 0.15), gray > filters.threshold_otsu(gray), gray[::3, 1::2] > 0.5]
    for mask in masks + [~m for m in masks]:
        expected, n = ndi.label(mask)
        labels, counts, found = label_regions(mask)
        assert found == n and labels.dtype == np.int32
        assert np.array_equal(labels, expected)
        assert np.array_equal(counts, np.bincount(expected.ravel(), minlength=n + 1))
    labels, counts, found = label_regions(masks[0][:0])
    assert labels.shape == (0, masks[0].shape[1]) and found == 0


def test_min_region_zero_keeps_every_region(camera):
    seg = run_method("sobel", camera, min_region=0)
    mask = seg.extras["edge_mask"]
    assert np.array_equal(seg.labels == 0, mask)
    assert seg.legend[0].name == "edges"
    assert seg.extras["n_regions"] == measure.label(~mask, connectivity=1).max()
    assert seg.extras["n_small_regions"] == 0
    bigger = run_method("sobel", camera, min_region=500)
    assert bigger.extras["n_regions"] < seg.extras["n_regions"]
    assert bigger.legend[0].name == "edges and small regions"
    assert np.all(bigger.extras["edge_mask"] == mask)


@pytest.mark.parametrize("method", ["sobel", "laplace", "prewitt", "scharr"])
def test_white_square_gives_inside_and_outside_exactly(square, method):
    """3 x 3 kernels respond where the 3 x 3 window mixes black and white."""
    white = square[..., 0] > 0
    inside = ndi.binary_erosion(white, np.ones((3, 3)))
    outside = ~ndi.binary_dilation(white, np.ones((3, 3)))
    seg = run_method(method, square, edge_threshold=0.5)
    expected = np.zeros(white.shape, np.int32)
    expected[outside] = 1  # first in raster order
    expected[inside] = 2
    assert np.array_equal(seg.labels, expected)
    assert seg.extras["n_regions"] == 2
    assert [lab.name for lab in seg.legend] == ["edges", "region 1", "region 2"]
    # Otsu's threshold may leave the weakest (outer corner) responses out of the edges:
    # still the same two regions, with the band between them as edges.
    otsu = run_method(method, square).labels
    assert otsu.max() == 2
    assert np.all(otsu[outside] == 1) and np.all(otsu[inside] == 2)
    assert np.all((otsu == 0) <= (expected == 0))


@pytest.mark.parametrize("method", ["canny", "log"])
def test_white_square_inside_and_outside_for_smoothing_methods(square, method):
    labels = run_method(method, square).labels
    assert labels.max() == 2
    assert labels[0, 0] == 1 and labels[64, 64] == 2
    assert np.all((labels == 2) <= (square[..., 0] > 0))


def test_segments_from_edges_direct():
    strength = np.zeros((20, 20), np.float32)
    strength[:, 10] = 1.0  # a wall splits the image in two
    strength[5, 2:5] = 1.0  # a small line that encloses nothing
    labels, info = segments_from_edges(strength, edge_threshold=0.5, min_region=1)
    assert info["n_regions"] == 2 and info["edge_threshold"] == 0.5
    assert np.array_equal(labels == 0, strength > 0.5)
    assert labels[0, 0] == 1 and labels[0, 19] == 2
    # walls enclose a 3 x 3 pocket against the top border: a region of 9 pixels,
    # merged into label 0 when min_region > 9
    strength[0:4, 13] = strength[0:4, 17] = strength[3, 13:18] = 1.0
    pocket = np.zeros_like(strength, bool)
    pocket[0:3, 14:17] = True
    labels, info = segments_from_edges(strength, edge_threshold=0.5, min_region=1)
    assert info["n_regions"] == 3 and info["names"][0] == "edges"
    labels, info = segments_from_edges(strength, edge_threshold=0.5, min_region=10)
    assert info["n_regions"] == 2 and info["n_small"] == 1 and info["names"][0] == "edges and small regions"
    assert np.all(labels[pocket] == 0) and sorted(np.unique(labels)) == [0, 1, 2]


# --------------------------------------------------------------------------- Canny


def test_canny_mask_comes_straight_from_canny(camera):
    gray32 = to_gray(camera).astype(np.float32)
    seg = run_method("canny", camera)  # the dashboard's thresholds, 0.05 and 0.15, are the function's defaults
    assert np.array_equal(seg.extras["edge_mask"], feature.canny(gray32, 1.0, 0.05, 0.15, mode="reflect"))
    assert seg.extras["low_threshold"] == 0.05 and seg.extras["high_threshold"] == 0.15
    assert seg.extras["edge_threshold"] == 0.15
    assert seg.params == {"sigma": 1.0, "low_threshold": 0.05, "high_threshold": 0.15, "mode": "reflect", "min_region": 64, "regions": "components"}
    seg2 = run_method("canny", camera, sigma=2.5, low_threshold=0.05, high_threshold=0.3, mode="nearest")
    assert np.array_equal(
        seg2.extras["edge_mask"],
        feature.canny(gray32, sigma=2.5, low_threshold=0.05, high_threshold=0.3, mode="nearest"),
    )


def test_canny_params_change_the_mask(camera):
    base = run_method("canny", camera).extras["edge_mask"]
    smoother = run_method("canny", camera, sigma=3.0).extras["edge_mask"]
    stricter = run_method("canny", camera, low_threshold=0.2, high_threshold=0.4).extras["edge_mask"]
    looser = run_method("canny", camera, low_threshold=0.02, high_threshold=0.05).extras["edge_mask"]
    assert smoother.sum() < base.sum()
    assert stricter.sum() < base.sum() < looser.sum()
    assert np.all(stricter <= base)  # hysteresis with higher thresholds keeps a subset


# --------------------------------------------------------------------------- every method, every mode


@pytest.mark.parametrize("method", EDGE_METHODS)
def test_every_method_takes_every_mode(method):
    img = _rgb(data.camera()[::4, ::4])
    results = {m: run_method(method, img, mode=m) for m in MODES}
    for m, seg in results.items():
        ex = seg.extras
        assert seg.method == method and seg.params["mode"] == m
        assert set(ex) >= {"responses", "kernels", "strength", "edge_mask", "edge_threshold", "n_regions"}
        assert ex["strength"].dtype == np.float32 and ex["edge_mask"].dtype == bool
        assert seg.elapsed_s > 0
    assert not np.array_equal(results["constant"].extras["strength"], results["reflect"].extras["strength"])


def test_registry_lists_the_edge_methods():
    specs = list_methods("edges")
    assert {s.name for s in specs} == set(EDGE_METHODS)
    assert all(s.family == "edges" and s.summary for s in specs)
    assert get_method("sobel").defaults == {
        "mode": "reflect", "edge_threshold": None, "min_region": 64, "regions": "components",
    }
    assert get_method("canny").defaults == {
        "sigma": 1.0, "low_threshold": 0.05, "high_threshold": 0.15, "mode": "reflect", "min_region": 64,
        "regions": "components",
    }


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("method, params, match", [
    ("sobel", {"mode": "mirrored"}, "unknown border mode"),
    ("laplace", {"edge_threshold": -0.1}, "edge_threshold"),
    ("prewitt", {"edge_threshold": float("nan")}, "edge_threshold"),
    ("scharr", {"min_region": -1}, "min_region"),
    ("sobel", {"min_region": 2.5}, "min_region"),
    ("sobel", {"min_region": "many"}, "min_region"),
    ("sobel", {"edge_threshold": "auto"}, "edge_threshold must be a number"),
    ("canny", {"sigma": -1.0}, "sigma"),
    ("canny", {"low_threshold": 0.3, "high_threshold": 0.2}, "must not exceed"),
    ("canny", {"low_threshold": 0.3}, "must not exceed"),  # above the default high 0.2
    ("canny", {"high_threshold": -0.2}, "high_threshold"),
    ("canny", {"mode": "grid-wrap"}, "unknown border mode"),
    ("log", {"sigma": -2.0}, "sigma"),
    ("log", {"sigma": 0.0}, "sigma"),
])
def test_bad_params_raise_valueerror(method, params, match):
    img = _rgb(data.camera()[::8, ::8])
    with pytest.raises(ValueError, match=match):
        run_method(method, img, **params)


def test_bad_inputs_raise_valueerror():
    gray = np.zeros((10, 10))
    with pytest.raises(ValueError, match="2-D"):
        apply_kernel(np.zeros((4, 4, 3)), SOBEL_VERTICAL)
    with pytest.raises(ValueError, match="2-D"):
        apply_kernel(gray, np.ones(3))
    with pytest.raises(ValueError, match="border mode"):
        apply_kernel(gray, SOBEL_VERTICAL, mode="symmetric")  # np.pad's name, not ndimage's
    with pytest.raises(ValueError, match="outside"):
        convolution_steps(gray, SOBEL_VERTICAL, top=10, left=0)
    with pytest.raises(ValueError, match="odd"):
        convolution_steps(gray, np.ones((2, 2)), top=0, left=0)
    with pytest.raises(ValueError, match="stride"):
        convolution_steps(gray, SOBEL_VERTICAL, top=0, left=0, stride=0)
    with pytest.raises(ValueError, match="RGB"):
        run_method("sobel", np.zeros((10, 10, 4), np.uint8))


# --------------------------------------------------------------------------- convolution explainer


def test_article_steps():
    assert len(ARTICLE_STEPS) == 5
    assert [s[:2] for s in ARTICLE_STEPS] == ["1.", "2.", "3.", "4.", "5."]
    assert "kernel" in ARTICLE_STEPS[0] and "stride" in ARTICLE_STEPS[4]


@pytest.mark.parametrize("name", list(ARTICLE_KERNELS))
def test_convolution_steps_sum_to_convolve_inside(camera, name):
    gray = to_gray(camera)
    k = KERNELS[name]
    out = ndi.convolve(gray, k, mode="reflect")
    steps = convolution_steps(gray, k, top=200, left=300, rows=3, cols=3, stride=2)
    assert [(s.row, s.col) for s in steps] == [(200 + 2 * i, 300 + 2 * j) for i in range(3) for j in range(3)]
    assert [s.index for s in steps] == list(range(9))
    for s in steps:
        assert np.array_equal(s.kernel, k[::-1, ::-1]) and np.array_equal(s.kernel, np.rot90(k, 2))
        assert np.array_equal(s.window, gray[s.row - 1 : s.row + 2, s.col - 1 : s.col + 2])
        assert np.array_equal(s.products, s.window * s.kernel)
        assert s.total == out[s.row, s.col]
    # the shown kernel is really the flipped one: Sobel's flip is visible
    if name.startswith("sobel"):
        assert not np.array_equal(steps[0].kernel, k)


@pytest.mark.parametrize("mode", MODES)
def test_convolution_steps_at_the_border_follow_the_mode(camera, mode):
    gray = to_gray(camera)[:50, :60]
    h, w = gray.shape
    k = SOBEL_VERTICAL
    out = ndi.convolve(gray, k, mode=mode)
    for top, left in ((0, 0), (h - 2, w - 2), (0, w - 1), (h - 1, 0)):
        steps = convolution_steps(gray, k, top=top, left=left, rows=3, cols=3, mode=mode)
        # positions that would leave the image are skipped
        assert all(0 <= s.row < h and 0 <= s.col < w for s in steps)
        assert len(steps) == min(3, h - top) * min(3, w - left)
        for s in steps:
            assert s.total == out[s.row, s.col], (mode, s.row, s.col)
    corner = convolution_steps(gray, k, top=0, left=0, rows=1, cols=1, mode=mode)[0].window
    # the row above the image, as each mode supplies it
    expected_above = {
        "reflect": gray[0, [0, 0, 1]],  # edge pixel repeated (np.pad 'symmetric')
        "mirror": gray[1, [1, 0, 1]],  # edge pixel not repeated (np.pad 'reflect')
        "nearest": gray[0, [0, 0, 1]],
        "wrap": gray[h - 1, [w - 1, 0, 1]],
        "constant": np.zeros(3),
    }[mode]
    assert np.array_equal(corner[0], expected_above)


def test_convolution_steps_exact_for_any_kernel_and_float32():
    rng = np.random.default_rng(7)
    gray = rng.random((30, 40))
    for k in (rng.normal(size=(3, 3)), rng.normal(size=(5, 5)), rng.normal(size=(3, 5))):
        for g in (gray, gray.astype(np.float32)):
            out = ndi.convolve(g, k, mode="mirror")
            for s in convolution_steps(g, k, top=0, left=35, rows=4, cols=5, mode="mirror"):
                assert s.total == out[s.row, s.col]
                assert s.window.shape == k.shape
