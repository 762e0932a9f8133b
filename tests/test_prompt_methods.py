"""The classic promptable methods (segcore.methods.prompts.classic) on scenes whose answer is known: a disc on a
textured background. Each gives a full-size two-label mask holding its positive clicks and none of its negative ones,
close to the disc; says what to add when the prompts cannot give an answer; answers the same prompts the same way;
and, reduced, still answers at full size with a note."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from segcore.prompts import Click, Prompts, Stroke
from segcore.registry import get_method, list_methods, run_method

METHODS = ("flood", "seeded_watershed", "random_walker", "grabcut", "pixel_classifier")
#: Methods that take clicks and scribbles as definite: the answer holds every positive seed, no negative one.
DEFINITE = ("flood", "seeded_watershed", "random_walker", "grabcut")


def scene(h: int = 150, w: int = 200, seed: int = 0, cy: float = 70.0, cx: float = 95.0, r: float = 40.0):
    """An orange disc (radius ``r`` at ``(cx, cy)``) with a little noise on a textured blue-green background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
    background = np.stack([40 + 30 * np.sin(xx / 7.0), 120 + 25 * np.cos(yy / 5.0), 150 + 20 * np.sin((xx + yy) / 9.0)],
                          axis=-1)
    image = np.where(disc[..., None], np.array([220.0, 130.0, 40.0]), background)
    image += rng.normal(0.0, 4.0, image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), disc


IMAGE, DISC = scene()
INSIDE, OUTSIDE = Click(95, 70), Click(10, 140, False)
#: The prompt each method is typically given here.
TYPICAL = {
    "flood": Prompts((INSIDE, Click(110, 85))),
    "seeded_watershed": Prompts((INSIDE,)),
    "random_walker": Prompts((INSIDE,), box=(50, 25, 140, 115)),
    "grabcut": Prompts((INSIDE,), box=(50, 25, 140, 115)),
    "pixel_classifier": Prompts(strokes=(Stroke(((62, 70), (128, 70)), True, 5), Stroke(((5, 5), (190, 5)), False, 5),
                                         Stroke(((150, 140), (195, 60)), False, 5))),
}


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_each_method_is_registered_as_a_prompt_method_off_the_compare_page():
    names = {s.name for s in list_methods("prompts")}
    assert set(METHODS) <= names
    for name in METHODS:
        spec = get_method(name)
        assert spec.prompted and not spec.compare and spec.cost is not None
        assert spec.cost.knob == "max_side" and "max_side" in spec.settings
    assert get_method("grabcut").title == "GrabCut" and get_method("seeded_watershed").title == "Seeded watershed"


@pytest.mark.parametrize("name", METHODS)
def test_the_mask_is_the_disc_at_the_images_size_with_two_labels(name):
    prompts = TYPICAL[name]
    seg = run_method(name, IMAGE, prompts)
    assert seg.labels.shape == IMAGE.shape[:2] and seg.method == name
    assert [(lab.value, lab.name) for lab in seg.legend] == [(0, "background"), (1, "object")]
    mask = seg.labels == 1
    assert iou(mask, DISC) > 0.9, iou(mask, DISC)
    assert seg.params == get_method(name).settings  # the keyword settings it ran with
    assert seg.extras["note"] is None or prompts.box is not None  # a crop is said; the whole image is not
    if name in DEFINITE:
        for c in prompts.positives:
            assert mask[c.y, c.x]
    confidence = seg.extras["confidence"]
    if name in ("random_walker", "pixel_classifier"):
        assert 0.5 < confidence <= 1.0
    else:
        assert confidence is None


@pytest.mark.parametrize("name", DEFINITE)
def test_positive_clicks_are_in_and_negative_clicks_out_even_against_the_colours(name):
    """A negative click on the disc takes its seed out; a positive click on the background puts its seed in."""
    prompts = Prompts((INSIDE, Click(115, 70, False), Click(180, 20)), box=(40, 10, 190, 120))
    mask = run_method(name, IMAGE, prompts).labels == 1
    assert mask[70, 95] and mask[20, 180] and not mask[70, 115]
    assert not mask[:10].any() and not mask[:, :40].any()  # outside the box is background


def test_flood_fill_takes_out_the_flood_of_a_negative_click():
    """Two halves of one colour: a positive click on the left floods both; a negative on the right takes the right."""
    image = np.full((40, 60, 3), 30, np.uint8)
    image[10:30, 10:50] = (200, 60, 60)
    image[10:30, 29:31] = (190, 60, 60)  # a faint seam, within tolerance
    both = run_method("flood", image, Prompts((Click(15, 20),)), smoothing=0.0).labels
    assert both.sum() == 20 * 40  # unsmoothed, the flood is exact to the pixel
    assert run_method("flood", image, Prompts((Click(15, 20),))).labels.sum() == 18 * 38  # smoothed: the rim blurs out
    one = run_method("flood", image, Prompts((Click(15, 20), Click(45, 20, False))), smoothing=0.0).labels
    assert one[20, 15] == 1 and one[20, 45] == 0  # the negative flood takes the whole shape...
    assert one.sum() < 40  # ...but the positive click's seed (a 3 px disc) stays


def test_flood_fill_reads_hue_that_gray_misses():
    """Red and green of one luminance are one gray; in CIELAB they are far apart, so the flood stops between them."""
    image = np.zeros((30, 60, 3), np.uint8)
    image[:, :30] = (180, 0, 0)
    image[:, 30:] = (0, 53, 0)  # the red's gray: rgb2gray gives 0.2125 * 180 = 38.3 and 0.7154 * 53 = 37.9 (of 255)
    mask = run_method("flood", image, Prompts((Click(10, 15),)), tolerance=20.0).labels == 1
    assert mask[:, :29].all() and not mask[:, 31:].any()  # the seam blurs (smoothing 1 px)


@pytest.mark.parametrize(("name", "prompts", "says"), [
    ("flood", Prompts(box=(10, 10, 50, 50)), "Flood fill needs a positive click"),
    ("flood", Prompts((OUTSIDE,)), "Flood fill needs a positive click"),
    ("seeded_watershed", Prompts(box=(10, 10, 50, 50)), "Seeded watershed needs a positive click or scribble"),
    ("random_walker", Prompts((OUTSIDE,)), "Random walker needs a positive click or scribble"),
    ("grabcut", Prompts((OUTSIDE,)), "GrabCut needs a box or a positive click"),
    ("pixel_classifier", Prompts((INSIDE,)), "needs examples of both the object and the background"),
    ("pixel_classifier", Prompts((OUTSIDE,)), "needs examples of both the object and the background"),
    ("random_walker", Prompts(), "Random walker needs a positive click"),
    ("grabcut", Prompts((Click(250, 10),)), r"the point \(250, 10\) lies outside the 200 x 150 image"),
])
def test_prompts_that_cannot_give_an_answer_say_what_to_add(name, prompts, says):
    with pytest.raises(ValueError, match=says):
        run_method(name, IMAGE, prompts)


def test_grabcut_says_what_to_add_where_the_prompts_leave_no_background():
    """A box over the whole image, or a band over all of it, leaves GrabCut's background model no colour."""
    for prompts, band in ((Prompts((INSIDE,), box=(0, 0, 199, 149)), 0.125), (Prompts((INSIDE,)), 1.0)):
        with pytest.raises(ValueError, match="GrabCut needs some background: draw a box smaller than the image, add a "
                                             "negative click or narrow the band"):
            run_method("grabcut", IMAGE, prompts, band=band)
    assert run_method("grabcut", IMAGE, Prompts((INSIDE, OUTSIDE)), band=1.0).labels[70, 95] == 1


def test_the_pixel_classifier_takes_a_box_as_background_around_it():
    prompts = Prompts((INSIDE, Click(110, 85)), box=(50, 25, 140, 115))
    mask = run_method("pixel_classifier", IMAGE, prompts).labels == 1
    assert iou(mask, DISC) > 0.85 and not mask[:25].any() and not mask[:, 141:].any()


@pytest.mark.parametrize("name", METHODS)
def test_the_same_prompts_give_the_same_mask(name):
    image, _ = scene(seed=3)
    first = run_method(name, image, TYPICAL[name]).labels
    assert np.array_equal(first, run_method(name, image, TYPICAL[name]).labels)


@pytest.mark.parametrize("name", METHODS)
def test_at_a_reduced_size_the_mask_is_full_size_and_a_note_says_so(name):
    image, disc = scene(300, 400, seed=1, cy=140, cx=190, r=80)
    prompts = TYPICAL[name].scaled(2.0, (300, 400))
    seg = run_method(name, image, prompts, max_side=100)
    assert seg.labels.shape == (300, 400) and seg.extras["reduced"]
    assert max(seg.extras["run_shape"]) == 100
    assert "at 100 px on the long side" in seg.extras["note"] and "s at full size" in seg.extras["note"]
    assert iou(seg.labels == 1, disc) > 0.85
    if name in DEFINITE:
        for c in prompts.positives:
            assert seg.labels[c.y, c.x] == 1


def test_a_box_makes_the_method_work_on_a_crop_and_say_so():
    seg = run_method("grabcut", IMAGE, TYPICAL["grabcut"], max_side=None)
    x0, y0, x1, y1 = seg.extras["window"]
    assert 0 < x0 < 50 and 0 < y0 < 25 and 140 < x1 < 199 and 115 < y1 < 149
    assert not seg.extras["reduced"] and "crop around the box" in seg.extras["note"]


def test_the_random_walkers_confidence_falls_where_nothing_marks_the_object():
    """Confidence is the mean object probability inside the mask: near 1 on the clear disc, lower on a blank image."""
    clear = run_method("random_walker", IMAGE, Prompts((INSIDE, OUTSIDE))).extras["confidence"]
    blank = run_method("random_walker", np.full_like(IMAGE, 128), Prompts((INSIDE, OUTSIDE))).extras["confidence"]
    assert clear > 0.9 and blank < clear - 0.1, (clear, blank)


@pytest.mark.parametrize(("name", "setting", "value"), [
    ("flood", "tolerance", -1.0), ("grabcut", "iterations", 0), ("random_walker", "max_side", 3),
    ("pixel_classifier", "features", "colour"),
])
def test_a_setting_out_of_range_is_refused_by_name(name, setting, value):
    with pytest.raises(ValueError, match=setting):
        run_method(name, IMAGE, TYPICAL[name], **{setting: value})


def two_backgrounds(h: int = 120, w: int = 240):
    """The orange disc in the left half of a picture whose left half is dark and right half light grey."""
    yy, xx = np.mgrid[0:h, 0:w]
    disc = (yy - 60) ** 2 + (xx - 60) ** 2 <= 30**2
    image = np.where((xx < w // 2)[..., None], np.array([40, 40, 40]), np.array([200, 200, 200]))
    image = np.where(disc[..., None], np.array([220, 130, 40]), image)
    noise = np.random.default_rng(1).normal(0.0, 3.0, image.shape)
    return np.clip(np.rint(image + noise), 0, 255).astype(np.uint8), disc


@pytest.mark.parametrize("name", ["seeded_watershed", "random_walker"])
def test_a_negative_click_keeps_the_border_as_background(name):
    """After a negative click on the right half, the dark left half around the disc is still background: the border
    stays a background seed (before, a negative click replaced it, and the object took the whole left half)."""
    image, disc = two_backgrounds()
    one = run_method(name, image, Prompts((Click(60, 60),))).labels > 0
    two = run_method(name, image, Prompts((Click(60, 60), Click(180, 60, False)))).labels > 0
    assert iou(one, disc) > 0.9 and iou(two, disc) > 0.9
    seg = run_method(name, image, Prompts((Click(60, 60), Click(180, 60, False))))
    assert seg.extras["background"] == "negative clicks and scribbles and the image border"


@pytest.mark.parametrize("name", ["seeded_watershed", "random_walker"])
def test_an_object_touching_the_border_is_found_from_a_click_near_it(name):
    """A half disc cut by the left border: a click in its middle, near that border, frees the border beside it, so
    the object reaches the edge; the rest of the border is still background."""
    image, _ = two_backgrounds()
    yy, xx = np.mgrid[0:120, 0:240]
    half = (yy - 60) ** 2 + xx**2 <= 20**2
    image[half] = (220, 130, 40)
    seg = run_method(name, image, Prompts((Click(10, 60),))).labels > 0
    assert iou(seg, half) > 0.9 and seg[60, 0]


def test_the_random_walkers_edge_is_snapped_to_the_images_at_full_size():
    """Worked at 80 px on a 480 px picture, the walker's edge is six pixels coarse; snapped within 1.5 of its pixels
    (9 px here), it lies on the disc's."""
    image, disc = scene(h=360, w=480, cy=180, cx=230, r=110)
    prompts = Prompts((Click(230, 180),))
    coarse = run_method("random_walker", image, prompts, max_side=80, snap=0).labels > 0
    snapped = run_method("random_walker", image, prompts, max_side=80, snap=1.5).labels > 0
    assert iou(snapped, disc) > 0.99 > iou(coarse, disc)
    assert get_method("random_walker").param("snap").default == 1.5


def test_loading_every_method_leaves_the_heavy_libraries_for_the_methods_that_use_them():
    """The registry loads every method on a page's or the command line's first call: scikit-learn (the pixel
    classifier's forest, k-means) and transformers (SAM 2.1) wait for their method. At the prompt module's top,
    scikit-learn added 1.7 s to every cold start."""
    code = ("import sys, segcore.registry as r; names = [s.name for s in r.list_methods()]; "
            "print('pixel_classifier' in names, 'sam2' in names, "
            "sorted(m for m in ('sklearn', 'skimage.future', 'transformers') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "[]"]
