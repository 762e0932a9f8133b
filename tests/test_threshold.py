"""Thresholds against the article's formulas and scikit-image, on real sample images."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data, filters
from skimage.color import rgb2gray

from benchmarks.article_code import (
    article_global_threshold,
    article_multilevel_fixed_mean,
)
from segcore import list_methods, run_method
from segcore.methods.threshold import AUTO_METHODS, try_all


@pytest.fixture(scope="module", params=["astronaut", "coffee", "coins"])
def image(request):
    img = getattr(data, request.param)()
    return img if img.ndim == 3 else np.stack([img] * 3, axis=2)


def test_global_mean_is_the_article_rule_exactly(image):
    gray = rgb2gray(image)
    seg = run_method("global_mean", image)
    assert np.array_equal(seg.labels, (gray > gray.mean()).astype(np.int32))
    assert seg.extras["thresholds"] == [gray.mean()]
    assert [lab.value for lab in seg.legend] == [0, 1]
    assert sum(lab.share for lab in seg.legend) == pytest.approx(1.0)


def test_multilevel_is_the_article_rule_exactly(image):
    gray = rgb2gray(image)
    expected = np.where(gray > gray.mean(), 3, np.where(gray > 0.5, 2, np.where(gray > 0.25, 1, 0)))
    seg = run_method("multilevel_article", image)
    assert np.array_equal(seg.labels, expected)
    assert seg.extras["thresholds"] == [0.25, 0.5, gray.mean()]


def test_multilevel_equals_the_article_loop_with_its_mean_taken_once():
    small = data.astronaut()[::8, ::8]  # the loop is slow: 64 x 64 pixels
    assert np.array_equal(run_method("multilevel_article", small).labels, article_multilevel_fixed_mean(small))


def test_article_loop_drifts_because_it_recomputes_the_mean():
    """The literal article loop overwrites the array whose mean it keeps taking."""
    small = data.astronaut()[::8, ::8]
    ours = run_method("global_mean", small).labels
    literal = article_global_threshold(small)
    assert not np.array_equal(ours, literal)


def test_user_thresholds_count_levels_passed(image):
    gray = rgb2gray(image)
    seg = run_method("multilevel", image, thresholds=(0.7, 0.2, 0.45))
    expected = (gray > 0.2).astype(int) + (gray > 0.45) + (gray > 0.7)
    assert np.array_equal(seg.labels, expected)
    assert seg.extras["thresholds"] == [0.2, 0.45, 0.7]
    one = run_method("multilevel", image, thresholds=(0.5,))
    assert np.array_equal(one.labels, (gray > 0.5).astype(int))
    with pytest.raises(ValueError, match="between 0 and 1"):
        run_method("multilevel", image, thresholds=(1.5,))


@pytest.mark.parametrize("name", list(AUTO_METHODS))
def test_automatic_methods_match_scikit_image(image, name):
    gray = rgb2gray(image)
    try:
        expected = getattr(filters, f"threshold_{name}")(gray)  # scikit-image's own function, on the whole image
    except RuntimeError:
        with pytest.raises(ValueError, match="not found"):
            run_method(name, image)
        return
    seg = run_method(name, image)
    if name == "li":  # scikit-image's histogram path on 16-bit levels: same rule, ~10x faster
        assert seg.extras["thresholds"][0] == pytest.approx(expected, abs=3e-3)
        assert np.mean(seg.labels != (gray > expected)) < 1e-4
        return
    assert seg.extras["thresholds"] == [float(expected)]
    assert np.array_equal(seg.labels, (gray > expected).astype(np.int32))


def test_multiotsu_matches_scikit_image(image):
    gray = rgb2gray(image)
    ts = filters.threshold_multiotsu(gray, classes=4)
    seg = run_method("multiotsu", image, classes=4)
    assert seg.extras["thresholds"] == [float(t) for t in ts]
    assert np.array_equal(seg.labels, np.digitize(gray, bins=ts))
    assert seg.n_labels == 4


def test_multiotsu_from_the_shared_histogram_is_scikit_images(coffee):
    """Multi-Otsu takes the histogram the other thresholds share: the same thresholds."""
    working = coffee.copy()
    working.setflags(write=False)  # the working image: its gray and histogram are kept and shared
    run_method("otsu", working)  # the histogram made first by another method
    for classes in (2, 3, 5):
        seg = run_method("multiotsu", working, classes=classes)
        assert seg.extras["thresholds"] == [float(t) for t in filters.threshold_multiotsu(rgb2gray(coffee), classes=classes)]
    with pytest.raises(ValueError, match="needs at least 3 distinct gray levels, and this image has 1") as why:
        run_method("multiotsu", np.full((40, 50, 3), 90, np.uint8), classes=3)  # one level: nothing to split
    assert "nbins" not in str(why.value)  # scikit-image's hint names a setting the pages do not have
    two = np.zeros((40, 50, 3), np.uint8)
    two[:, 25:] = 200
    with pytest.raises(ValueError, match=r"has 2\. Choose fewer classes \(2 at least\)"):
        run_method("multiotsu", two, classes=4)


def test_local_threshold_matches_scikit_image(image):
    gray = rgb2gray(image)
    for method in ["mean", "gaussian"]:
        surface = filters.threshold_local(gray, block_size=51, offset=0.01, method=method)
        seg = run_method("local", image, block_size=51, offset=0.01, method=method)
        assert np.array_equal(seg.labels, (gray > surface).astype(np.int32))
        assert seg.extras["thresholds"][1] == pytest.approx(surface.mean(), rel=1e-5)
    assert run_method("local", image).params == {"block_size": 35, "offset": 0.0, "method": "mean"}
    with pytest.raises(ValueError, match="odd"):
        run_method("local", image, block_size=40)


def test_try_all_gives_every_automatic_method(image):
    results = try_all(image)
    assert list(results) == list(AUTO_METHODS)
    for name, res in results.items():
        assert isinstance(res, str) or res.method == name


def test_registry_lists_threshold_family():
    names = {s.name for s in list_methods("threshold")}
    assert {"global_mean", "multilevel_article", "multilevel", "multiotsu", "local", *AUTO_METHODS} <= names


def test_levels_count_the_thresholds_strictly_below_each_pixel():
    from segcore.methods.threshold import _levels

    gray = np.random.default_rng(0).random((700, 600))
    gray[0, :4] = [0.25, 0.5, 0.75, 0.2500001]  # on a threshold: not above it
    ts = [0.75, 0.25, 0.5]  # any order
    expected = np.searchsorted(np.sort(ts), gray, side="left")
    got = _levels(gray, ts)
    assert got.dtype == np.int32 and np.array_equal(got, expected)
    assert list(got[0, :4]) == [0, 1, 2, 1]


# --------------------------------------------------------------------------- faster paths, same values


@pytest.mark.parametrize("name", ["camera", "coins", "moon", "astronaut", "coffee", "chelsea", "page"])
def test_thresholds_from_the_shared_histogram_are_scikit_images(name):
    """``func(hist=...)`` from the kept histogram is ``func(gray)``, raising where scikit-image raises."""
    from segcore.fast.gray import threshold_from_histogram

    img = getattr(data, name)()
    gray = rgb2gray(img) if img.ndim == 3 else img / 255.0
    for func in (filters.threshold_otsu, filters.threshold_yen, filters.threshold_isodata, filters.threshold_minimum):
        try:
            expected = func(gray)
        except RuntimeError as exc:
            with pytest.raises(RuntimeError, match=str(exc)[:20]):
                threshold_from_histogram(func, gray)
            continue
        assert threshold_from_histogram(func, gray) == expected, func.__name__
    assert threshold_from_histogram(filters.threshold_otsu, np.full((30, 30), 0.3)) == 0.3  # constant: its own shortcut


def test_the_working_images_gray_is_converted_once_and_shared_read_only():
    from skimage.color import rgb2gray

    from segcore.fast.gray import _histogram, to_gray
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes

    image = load_image(sample_bytes("hubble"))  # read-only pixels over read-only memory, 1000 x 872
    first = to_gray(image.rgb)
    assert to_gray(image.rgb) is first and not first.flags.writeable
    assert np.array_equal(first, rgb2gray(image.rgb))
    assert to_gray(image.rgb, np.float32) is not first  # another dtype, another conversion
    assert _histogram(first) is _histogram(first)  # counted once for every threshold that asks
    writable = np.array(image.rgb)  # anyone may change these pixels: never kept
    assert to_gray(writable) is not to_gray(writable)
    view = writable.view()
    view.setflags(write=False)  # read-only, but its base is not
    assert to_gray(view) is not to_gray(view)
    writable[:] = 0
    assert to_gray(writable).max() == 0
    small = load_image(sample_bytes("coffee"))  # 600 x 400: below KEEP_MIN_PIXELS, converted as asked
    assert to_gray(small.rgb) is not to_gray(small.rgb)
