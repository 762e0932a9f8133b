"""Shared rendering, label PNGs and the explainer's four task views."""

from __future__ import annotations

import numpy as np
import pytest

from segcore import run_method
from segcore.explain import mask_box, task_views
from segcore.render import (
    colorize,
    draw_boxes,
    label_png,
    overlay,
    read_label_png,
    to_uint8,
)
from segcore.result import Segmentation, build_legend


def test_label_png_is_lossless_16_bit():
    labels = np.arange(300 * 7, dtype=np.int32).reshape(300, 7) * 31 % 65536
    data = label_png(labels)
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")
    assert np.array_equal(read_label_png(data), labels)
    with pytest.raises(ValueError, match="0..65535"):
        label_png(np.array([[70000]]))


def test_overlay_blends_by_opacity_and_draws_boundaries(astronaut):
    seg = run_method("otsu", astronaut)
    colors = colorize(seg)
    assert np.array_equal(overlay(astronaut, seg, alpha=0.0), astronaut)
    assert np.array_equal(overlay(astronaut, seg, alpha=1.0), colors)
    half = overlay(astronaut, seg, alpha=0.5).astype(int)
    assert np.abs(half - (astronaut.astype(int) + colors) / 2).max() <= 1
    bounded = overlay(astronaut, seg, alpha=0.0, boundaries=True, boundary_color=(255, 0, 255))
    changed = np.any(bounded != astronaut, axis=2)
    assert 0 < changed.mean() < 0.5


@pytest.mark.parametrize("skip_zero", [False, True])
def test_overlay_is_the_rounded_blend_of_every_pixel(skip_zero):
    """The table lookup gives exactly rint(pixel * (1 - alpha) + colour * alpha), label 0 untouched if asked."""
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (203, 157, 3), dtype=np.uint8)
    labels = rng.integers(0, 40, image.shape[:2])
    seg = Segmentation("t", labels, build_legend(labels), {}, 0.0)
    colors = colorize(seg).astype(np.float32)
    for alpha in (0.05, 0.3, 0.5, 0.55, 0.75, float(rng.random())):
        expected = np.clip(np.rint(image.astype(np.float32) * (1.0 - alpha) + colors * alpha), 0, 255)
        if skip_zero:
            expected[labels == 0] = image[labels == 0]
        assert np.array_equal(overlay(image, seg, alpha=alpha, skip_zero=skip_zero), expected.astype(np.uint8))


def test_colorize_uses_legend_colours():
    labels = np.array([[0, 1], [2, 2]])
    seg = Segmentation("t", labels, build_legend(labels, colors={2: (9, 8, 7)}), {}, 0.0)
    assert tuple(colorize(seg)[1, 1]) == (9, 8, 7)
    assert len({tuple(c) for c in colorize(seg).reshape(-1, 3)}) == 3
    assert [lab.share for lab in seg.legend] == [0.25, 0.25, 0.5]


def test_legend_counts_each_value_present_and_refuses_negative_labels():
    labels = np.array([[0, 3], [3, 3]], np.int32)  # 1 and 2 absent: no entry for them
    legend = build_legend(labels)
    assert [(lab.value, lab.pixels, lab.name) for lab in legend] == [(0, 1, "segment 0"), (3, 3, "segment 3")]
    with pytest.raises(ValueError, match="non-negative integers"):
        build_legend(np.array([[0, -2]], np.int32))


def test_to_uint8_keeps_sign_visible():
    v = np.array([[-2.0, 0.0, 2.0]])
    assert to_uint8(v, symmetric=True).tolist() == [[0, 128, 255]]
    assert to_uint8(v).tolist() == [[0, 128, 255]]


def test_draw_boxes_draws_outline_in_colour():
    rgb = np.zeros((60, 80, 3), np.uint8)
    out = draw_boxes(rgb, [(10, 20, 50, 40)], [""], [(255, 0, 0)], width=1)
    assert tuple(out[30, 10]) == (255, 0, 0) and tuple(out[20, 30]) == (255, 0, 0)
    assert tuple(out[30, 30]) == (0, 0, 0)  # inside stays untouched


def test_task_views_semantic_merges_classes_instance_separates():
    masks = np.zeros((3, 20, 20), bool)
    masks[0, 2:6, 2:6] = True  # circle
    masks[1, 10:14, 2:6] = True  # circle
    masks[2, 2:12, 10:18] = True  # square
    views = task_views(masks, np.array([1, 1, 2]), ["background", "circle", "square"])
    assert views.classes_present == ["square", "circle"]  # by area
    assert views.boxes == [(2, 2, 5, 5), (2, 10, 5, 13), (10, 2, 17, 11)]
    assert sorted(np.unique(views.semantic.labels)) == [0, 1, 2]
    assert sorted(np.unique(views.instance.labels)) == [0, 1, 2, 3]
    assert [lab.name for lab in views.semantic.legend] == ["background", "circle", "square"]
    assert mask_box(masks[2]) == (10, 2, 17, 11)


def test_display_pair_shrinks_both_alike_and_keeps_colours_exact():
    from segcore.render import display_pair

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (1200, 1600, 3), dtype=np.uint8)
    labels = np.repeat(np.arange(1600)[None, :] // 100, 1200, axis=0)
    seg = Segmentation("t", labels, build_legend(labels), {}, 0.0)
    rgb, small = display_pair(image, seg, max_side=960)
    assert rgb.shape[:2] == small.labels.shape == (600, 800)
    assert np.array_equal(small.labels, labels[::2, ::2]) and small.legend is seg.legend
    assert set(map(tuple, colorize(small).reshape(-1, 3))) <= {lab.color for lab in seg.legend}
    same_rgb, same = display_pair(image[:500, :500], Segmentation("t", labels[:500, :500], seg.legend, {}, 0.0))
    assert same_rgb.shape == (500, 500, 3) and same.labels.shape == (500, 500)


def test_display_pair_takes_a_ready_display_image_of_the_same_shape():
    from segcore.render import display_image, display_pair

    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (1201, 1599, 3), dtype=np.uint8)  # odd sizes: the last row/column rounds up
    labels = rng.integers(0, 5, image.shape[:2])
    seg = Segmentation("t", labels, build_legend(labels), {}, 0.0)
    rgb, small = display_pair(image, seg)
    ready = display_image(image)
    assert ready.shape[:2] == small.labels.shape == (601, 800) and np.array_equal(ready, rgb)
    rgb2, small2 = display_pair(image, seg, shown_image=ready)
    assert rgb2 is ready and np.array_equal(small2.labels, small.labels)
    with pytest.raises(ValueError, match="display size"):
        display_pair(image, seg, shown_image=ready[:-1])
