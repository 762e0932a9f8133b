"""Ground-truth files: every accepted format, every kind, every refusal, and the fit to the working size."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import encode
from PIL import Image

from segcore.io.ground_truth import (
    KINDS,
    GroundTruth,
    GroundTruthError,
    fit_ground_truth,
    load_ground_truth,
)
from segcore.io.loading import load_image


def npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(arr), allow_pickle=True)
    return buf.getvalue()


def regions(h: int = 40, w: int = 60) -> np.ndarray:
    """Three flat regions: 0 left, 1 top right, 2 bottom right."""
    m = np.zeros((h, w), np.uint8)
    m[: h // 2, w // 3 :] = 1
    m[h // 2 :, w // 3 :] = 2
    return m


def square_mask(h: int = 40, w: int = 60, fg: int = 255, bg: int = 0) -> np.ndarray:
    m = np.full((h, w), bg, np.uint8)
    m[10:30, 20:50] = fg
    return m


def refusal(data, **kw) -> str:
    with pytest.raises(GroundTruthError) as exc:
        load_ground_truth(data, **kw)
    return str(exc.value)


# --- kinds --------------------------------------------------------------------


def test_two_values_are_binary_with_the_larger_value_as_foreground():
    gt = load_ground_truth(encode(square_mask()), name="mask.png")
    assert gt.kind == "binary" and gt.shape == (40, 60) and gt.size == (60, 40)
    (m,) = gt.maps
    assert m.dtype == np.int32 and set(np.unique(m)) == {0, 1}
    assert m.sum() == 20 * 30 and m[20, 30] == 1 and m[0, 0] == 0
    # 3 = background, 7 = foreground: the larger value wins whatever the numbers.
    inv = load_ground_truth(encode(square_mask(fg=3, bg=7))).maps[0]
    assert inv.sum() == 40 * 60 - 600 and inv[20, 30] == 0
    assert "binary mask" in gt.source and "mask.png" in gt.source


def test_more_values_are_labels_kept_as_given():
    m = regions()
    gt = load_ground_truth(encode(m))
    assert gt.kind == "labels"
    np.testing.assert_array_equal(gt.maps[0], m)


def test_instances_keep_their_values_and_zero_is_background():
    m = regions()
    gt = load_ground_truth(encode(m), kind="instances")
    assert gt.kind == "instances" and gt.categories is None
    np.testing.assert_array_equal(gt.maps[0], m)
    # Two values asked as labels or instances stay as they are (not 0/1).
    two = load_ground_truth(encode(square_mask(fg=9, bg=4)), kind="labels").maps[0]
    assert set(np.unique(two)) == {4, 9}


def test_binary_asked_for_a_label_map_is_refused_with_what_to_choose():
    msg = refusal(encode(regions()), kind="binary", name="regions.png")
    assert "'regions.png' has 3 values; a binary mask has two" in msg
    assert "choose 'label map'" in msg


def test_binary_refusal_spots_smoothed_edges():
    m = square_mask()
    m[10, 20:50] = 128  # an anti-aliased edge
    msg = refusal(encode(m), kind="binary")
    assert "has 3 values" in msg and "Most pixels are 0 or 255" in msg and "without smoothing" in msg


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="kind must be"):
        load_ground_truth(encode(square_mask()), kind="semantic")
    assert KINDS == ("binary", "labels", "instances")


# --- formats and modes ---------------------------------------------------------


def test_colour_coded_rgb_one_label_per_colour_black_is_zero():
    m = regions()
    colours = np.array([[0, 0, 0], [255, 0, 0], [0, 128, 255]], np.uint8)
    gt = load_ground_truth(encode(colours[m]), kind="labels")
    out = gt.maps[0]
    assert out[0, 0] == 0  # black
    # The same partition: one label per colour, three labels.
    assert len(np.unique(out)) == 3
    for v in range(3):
        assert len(np.unique(out[m == v])) == 1
    assert "one label per colour" in gt.source


def test_colour_coded_rgb_without_black_starts_at_one():
    m = regions()
    colours = np.array([[10, 200, 30], [255, 0, 0], [0, 128, 255]], np.uint8)
    out = load_ground_truth(encode(colours[m])).maps[0]
    assert out.min() == 1 and len(np.unique(out)) == 3


def test_white_on_black_rgb_mask_is_binary():
    rgb = np.repeat(square_mask()[..., None], 3, axis=2)
    gt = load_ground_truth(encode(rgb))
    assert gt.kind == "binary" and gt.maps[0].sum() == 600


def test_gray_rgb_keeps_the_values():
    m = regions() * 40
    gt = load_ground_truth(encode(np.repeat(m[..., None], 3, axis=2)))
    np.testing.assert_array_equal(gt.maps[0], m)


def test_rgba_alpha_is_ignored_unless_it_is_the_only_varying_channel():
    m = regions()
    colours = np.array([[0, 0, 0], [255, 0, 0], [0, 128, 255]], np.uint8)
    rgba = np.concatenate([colours[m], np.full(m.shape + (1,), 255, np.uint8)], axis=2)
    rgba[:5, :5, 3] = 17  # alpha varies too, but the colours carry the labels
    assert len(np.unique(load_ground_truth(encode(rgba)).maps[0])) == 3
    # A mask stored as transparency only: constant colour, alpha 0 / 255.
    only_alpha = np.zeros((40, 60, 4), np.uint8)
    only_alpha[..., :3] = (30, 60, 90)
    only_alpha[..., 3] = square_mask()
    gt = load_ground_truth(encode(only_alpha))
    assert gt.kind == "binary" and gt.maps[0].sum() == 600 and "alpha = label" in gt.source


def test_palette_png_index_is_the_label():
    m = regions()
    img = Image.fromarray(m, mode="P")
    img.putpalette([250, 250, 250, 10, 10, 10, 200, 0, 0] + [0] * (256 - 3) * 3)
    data = encode(img)
    assert Image.open(io.BytesIO(data)).mode == "P"
    gt = load_ground_truth(data)
    np.testing.assert_array_equal(gt.maps[0], m)
    assert "palette index = label" in gt.source


def test_16_bit_png_round_trip_is_exact():
    rng = np.random.default_rng(0)
    m = np.repeat(np.repeat(rng.integers(0, 65535, size=(10, 15)).astype(np.uint16), 4, 0), 4, 1)
    data = encode(Image.fromarray(m))
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")
    gt = load_ground_truth(data, kind="instances")
    np.testing.assert_array_equal(gt.maps[0], m.astype(np.int32))


def test_one_bit_bmp_gif_tiff_and_lossless_webp():
    m = square_mask()
    assert load_ground_truth(encode(Image.fromarray(m > 0).convert("1"))).maps[0].sum() == 600
    for fmt, kw in [("BMP", {}), ("GIF", {}), ("TIFF", {}), ("TIFF", {"compression": "tiff_lzw"}),
                    ("WEBP", {"lossless": True})]:  # fmt: skip
        gt = load_ground_truth(encode(regions(), fmt, **kw), name=f"r.{fmt.lower()}")
        np.testing.assert_array_equal(gt.maps[0], regions(), err_msg=fmt)


def test_32_bit_integer_and_whole_float_tiffs():
    m = regions().astype(np.int32) * 100_000
    np.testing.assert_array_equal(load_ground_truth(encode(Image.fromarray(m), "TIFF")).maps[0], m)
    f = regions().astype(np.float32)
    np.testing.assert_array_equal(load_ground_truth(encode(Image.fromarray(f), "TIFF")).maps[0], regions())
    f[0, 0] = 0.5
    msg = refusal(encode(Image.fromarray(f), "TIFF"), name="float.tif")
    assert "non-integer values (for example 0.5)" in msg and "whole numbers" in msg


def test_npy_arrays_integer_bool_and_whole_float():
    m = regions()
    for arr in (m, m.astype(np.int64), m.astype(np.uint16), m.astype(np.float64)):
        np.testing.assert_array_equal(load_ground_truth(npy(arr)).maps[0], m)
    gt = load_ground_truth(npy(square_mask() > 0), name="mask.npy")
    assert gt.kind == "binary" and gt.maps[0].sum() == 600 and "NumPy bool" in gt.source
    # A singleton axis is squeezed: (H, W, 1) is one map.
    np.testing.assert_array_equal(load_ground_truth(npy(m[..., None])).maps[0], m)


def test_several_ground_truths_bsds_style():
    a, b = regions(), regions()[:, ::-1].copy()
    gt = load_ground_truth([encode(a), npy(b)], name="bsds")
    assert gt.kind == "labels" and len(gt.maps) == 2
    np.testing.assert_array_equal(gt.maps[1], b)
    assert "2 files" in gt.source
    # All binary -> binary.
    assert load_ground_truth([encode(square_mask()), encode(square_mask(fg=1))]).kind == "binary"


def test_several_ground_truths_of_different_sizes_are_refused_naming_the_sizes():
    msg = refusal([encode(regions(40, 60)), encode(regions(20, 30))], name="bsds")
    assert "different sizes (60 x 40, 30 x 20 px)" in msg and "same image" in msg


def test_maps_are_read_only_int32():
    gt = load_ground_truth(encode(regions()))
    assert gt.maps[0].dtype == np.int32 and not gt.maps[0].flags.writeable


# --- refusals -----------------------------------------------------------------


def test_empty_bytes_and_empty_list():
    assert "'gt.png' is empty (0 bytes). Choose the ground-truth file again." in refusal(b"", name="gt.png")
    assert "No ground-truth file was given" in refusal([])


def test_not_an_image():
    msg = refusal(b"hello, this is text", name="notes.txt")
    assert "'notes.txt' is not an image or NumPy array this app can read" in msg and "PNG" in msg


def test_truncated_png_and_npy():
    data = encode(regions(200, 300))
    assert "truncated or damaged" in refusal(data[: len(data) // 2], name="cut.png")
    raw = npy(regions())
    assert "truncated or damaged" in refusal(raw[: len(raw) - 100], name="cut.npy")


def test_jpeg_and_lossy_webp_are_refused_as_lossy():
    msg = refusal(encode(square_mask(), "JPEG"), name="mask.jpg")
    assert "'mask.jpg' is a JPEG" in msg and "must be saved lossless" in msg and "PNG" in msg
    rgb = np.repeat(square_mask()[..., None], 3, axis=2)
    assert "lossy WebP" in refusal(encode(rgb, "WEBP", quality=90))
    rgba = np.concatenate([rgb, np.full((40, 60, 1), 200, np.uint8)], axis=2)  # VP8X + ALPH + VP8
    assert "lossy WebP" in refusal(encode(rgba, "WEBP", quality=90))
    assert "JPEG-compressed TIFF" in refusal(encode(square_mask(), "TIFF", compression="jpeg"))


def test_a_photo_is_not_a_label_map(coffee, coins_rgb):
    msg = refusal(encode(coffee), name="coffee.png")
    assert "'coffee.png' looks like a photo, not a label map" in msg
    assert "each region must be one flat value" in msg
    # A grayscale photo: few enough values for labels, but nothing is flat.
    assert "looks like a photo" in refusal(encode(coins_rgb[..., 0]), name="coins.png")
    # An 8-bit palette (quantised) photo as well.
    assert "looks like a photo" in refusal(encode(Image.fromarray(coffee).quantize(200)))


def test_a_single_value_marks_no_region():
    msg = refusal(encode(np.zeros((40, 60), np.uint8)), name="blank.png")
    assert "'blank.png' has one value only (0 everywhere), so it marks no region" in msg
    assert "one value only" in refusal(encode(np.full((40, 60), 255, np.uint8)), kind="instances")


def test_negative_non_integer_nan_and_huge_values():
    m = regions().astype(np.int16)
    m[0, 0] = -1
    assert "contains negative values (down to -1)" in refusal(npy(m), name="neg.npy")
    f = regions().astype(np.float64)
    f[3, 3] = 1.25
    assert "non-integer values (for example 1.25)" in refusal(npy(f))
    f[3, 3] = np.nan
    assert "NaN or infinite" in refusal(npy(f))
    big = regions().astype(np.uint64)
    big[0, 0] = 2**40
    assert "labels must stay below 2,147,483,648" in refusal(npy(big))
    assert "holds complex128 values" in refusal(npy(regions().astype(complex)))


def test_more_than_65535_labels():
    many = np.arange(70_000, dtype=np.int32).reshape(200, 350)
    msg = refusal(npy(many), name="many.npy")
    assert "has 70,000 distinct values; this app takes up to 65,535 labels" in msg


def test_3d_stacks_and_pickles_are_refused():
    msg = refusal(npy(np.zeros((3, 40, 60), np.uint8)), name="stack.npy")
    assert "is a 3-D array of shape (3, 40, 60); a ground truth is one 2-D map" in msg
    assert "one label map (0 = background, 1..N = each object)" in msg
    assert "Python objects" in refusal(npy(np.array([[None, 1], [2, 3]], dtype=object)))
    assert "1-D array" in refusal(npy(np.arange(10)))


def test_multi_frame_files_are_refused_saying_how_many_frames():
    frames = [Image.fromarray(regions()), Image.fromarray(regions()[::-1].copy())]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    msg = refusal(buf.getvalue(), name="pages.tif")
    assert "'pages.tif' has 2 frames (pages)" in msg and "its own single-frame PNG" in msg


def test_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    msg = refusal(encode(square_mask()), name="huge.png")
    assert "has more pixels than this app will decode (limit 1,000 pixels)" in msg
    assert "more pixels than" in refusal(npy(regions()), name="huge.npy")


# --- the dataclass ----------------------------------------------------------------


def test_ground_truth_checks_its_maps():
    with pytest.raises(ValueError, match="one shape"):
        GroundTruth("labels", (np.zeros((2, 3)), np.zeros((3, 2))))
    with pytest.raises(ValueError, match="kind must be"):
        GroundTruth("mask", (np.zeros((2, 3)),))
    with pytest.raises(ValueError, match="categories"):
        GroundTruth("binary", (np.zeros((2, 3)),), categories={1: "cat"})
    gt = GroundTruth("instances", [np.array([[0, 1], [2, 2]], np.uint8)], categories={1: "a", 2: "b"})
    assert gt.maps[0].dtype == np.int32 and gt.shape == (2, 2)


# --- fit_ground_truth -----------------------------------------------------------


def test_fit_returns_the_same_object_at_the_working_size():
    gt = load_ground_truth(encode(regions()))
    assert fit_ground_truth(gt, original_size=(120, 80), working_size=(60, 40)) is gt
    assert fit_ground_truth(gt, original_size=(60, 40), working_size=(60, 40)) is gt


def test_fit_nearest_neighbour_is_exact_and_invents_no_values():
    rng = np.random.default_rng(1)
    m = rng.integers(0, 500, size=(40, 60)).astype(np.int32)
    gt = GroundTruth("labels", (m,))
    half = fit_ground_truth(gt, original_size=(60, 40), working_size=(30, 20))
    assert half.shape == (20, 30)
    np.testing.assert_array_equal(half.maps[0], m[1::2, 1::2])  # pixel centres (i + 0.5) * 2
    double = fit_ground_truth(gt, original_size=(60, 40), working_size=(120, 80))
    np.testing.assert_array_equal(double.maps[0], np.repeat(np.repeat(m, 2, 0), 2, 1))
    odd = fit_ground_truth(gt, original_size=(60, 40), working_size=(37, 23)).maps[0]
    assert odd.shape == (23, 37) and set(np.unique(odd)) <= set(np.unique(m))
    assert "resized from 60 x 40 to 37 x 23 px (nearest neighbour)" in fit_ground_truth(
        gt, original_size=(60, 40), working_size=(37, 23)
    ).source


def test_fit_follows_the_loader_reduction(photo_png):
    """A ground truth at the photo's own size lands on the working image pixel for pixel."""
    loaded = load_image(photo_png, max_side=300)
    assert loaded.reduced
    w, h = loaded.original_size
    m = np.zeros((h, w), np.uint8)
    m[100:300, 150:450] = 255
    gt = fit_ground_truth(load_ground_truth(encode(m)), original_size=loaded.original_size, working_size=loaded.size)
    assert gt.shape == loaded.rgb.shape[:2] and gt.kind == "binary"
    assert abs(gt.maps[0].mean() - (m > 0).mean()) < 0.01


def test_fit_drops_categories_of_instances_that_vanish():
    m = np.zeros((40, 40), np.int32)
    m[0:20, 0:20] = 1
    m[31, 31] = 2  # one pixel, between the sampled centres 4i + 2: gone at a quarter of the size
    gt = GroundTruth("instances", (m,), categories={1: "circle", 2: "square"})
    small = fit_ground_truth(gt, original_size=(40, 40), working_size=(10, 10))
    assert small.categories == {1: "circle"}


def test_fit_refuses_a_ground_truth_of_another_size():
    gt = load_ground_truth(encode(regions(40, 60)))
    with pytest.raises(GroundTruthError) as exc:
        fit_ground_truth(gt, original_size=(600, 400), working_size=(300, 200))
    assert str(exc.value) == (
        "The ground truth is 60 x 40 px but the image is 600 x 400 px: they must be the same size "
        "(the ground truth of this very image, before any reduction)."
    )
