"""The robot user of interactive segmentation (Xu et al. 2016 / RITM) and NoC, on masks whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import encode

from segcore.io.ground_truth import GroundTruthError, fit_object_mask, load_object_mask
from segcore.prompts import Click, Prompts
from segcore.scoring.interactive import ClickTrace, iou, next_click, noc, simulate, summarize


def disc(shape, cy, cx, r):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def test_first_click_is_positive_at_the_centre_of_a_disc():
    truth = disc((64, 80), 30, 41, 10)
    assert next_click(truth, None) == Click(41, 30, True)
    assert next_click(truth, np.zeros_like(truth)) == Click(41, 30, True)  # an empty answer: the same


def test_the_image_edge_counts_as_the_objects_boundary():
    """An object along the top edge, 21 rows tall: its farthest pixel from the boundary is on row 10, not row 0."""
    truth = np.zeros((50, 60), bool)
    truth[:21, 10:50] = True
    # distance 11 from the top edge, the bottom and the left side; first of the ties in raster order
    assert next_click(truth, None) == Click(20, 10, True)


def test_next_click_goes_positive_into_the_largest_missed_region():
    big, small = disc((80, 120), 40, 40, 15), disc((80, 120), 40, 95, 6)
    truth = big | small
    answer = small.copy()  # the small part found, the big one missed
    assert next_click(truth, answer) == Click(40, 40, True)
    answer = big.copy()  # now the small one missed
    assert next_click(truth, answer) == Click(95, 40, True)


def test_a_false_region_larger_than_any_miss_gives_a_negative_click():
    truth = disc((80, 120), 40, 40, 15)
    answer = truth.copy()
    answer[25:56, 80:111] = True  # 31 x 31 of background taken: its centre is 16 px from outside it
    answer[40, 40] = False  # one missed pixel: distance 1
    assert next_click(truth, answer) == Click(95, 40, False)


def test_unknown_pixels_are_neither_errors_nor_counted_in_iou():
    truth = np.zeros((40, 100), bool)
    truth[10:30, 10:90] = True
    ignore = np.zeros_like(truth)
    ignore[:, :50] = True  # the left half of the object is unknown
    click = next_click(truth, None, ignore)
    assert click.positive and click.x >= 50  # the robot clicks in the known right half
    answer = truth.copy()
    answer[:, :50] = ~truth[:, :50]  # every pixel wrong, but only where the truth is unknown
    assert iou(truth, answer, ignore) == 1.0
    assert next_click(truth, answer, ignore) is None  # nothing left to click
    assert iou(truth, answer) < 0.6  # the same answer counted everywhere


def test_iou_values():
    truth = np.zeros((10, 10), bool)
    truth[:, :5] = True
    half = np.zeros_like(truth)
    half[:, :3] = True
    assert iou(truth, half) == pytest.approx(0.6)
    assert iou(truth, None) == 0.0 and iou(truth, ~truth) == 0.0
    with pytest.raises(ValueError, match="shape"):
        iou(truth, np.zeros((5, 5), bool))


def test_clicked_pixels_are_not_clicked_again():
    truth = disc((64, 80), 30, 41, 10)
    again = next_click(truth, None, clicked=[Click(41, 30)])
    assert again.positive and (again.x, again.y) != (41, 30) and truth[again.y, again.x]


def test_an_oracle_answering_in_one_click_has_noc_1():
    truth = disc((64, 80), 30, 41, 10)
    seen = []

    def oracle(prompts: Prompts) -> np.ndarray:
        seen.append(prompts)
        return truth

    trace = simulate(oracle, truth, max_clicks=20)
    assert trace.noc(0.85) == 1 and trace.noc(0.90) == 1
    assert trace.ious == (1.0,) * 20 and len(seen) == 1  # exact after one click: stopped, 1.0 carried forward
    assert trace.clicks == (Click(41, 30, True),) and len(trace.ms) == 1


def test_never_reached_counts_20_and_a_failure():
    truth = disc((64, 80), 30, 41, 10)
    trace = simulate(lambda prompts: np.zeros_like(truth), truth, max_clicks=20)
    assert trace.ious == (0.0,) * 20 and len(trace.clicks) == 20
    assert len({(c.x, c.y) for c in trace.clicks}) == 20  # each click at a new pixel
    assert trace.noc(0.85) == 20 and trace.noc(0.90) == 20
    summary = summarize([trace])
    assert summary.failures == 1 and summary.noc90 == 20.0


def test_each_click_sees_every_click_so_far_and_the_robot_follows_the_errors():
    """A method marking a 6 px disc around each positive click and removing one around each negative."""
    truth = np.zeros((60, 60), bool)
    truth[10:50, 10:50] = True
    counts = []

    def discs(prompts: Prompts) -> np.ndarray:
        counts.append(len(prompts.clicks))
        mask = np.zeros_like(truth)
        for c in prompts.clicks:
            mask = mask | disc(truth.shape, c.y, c.x, 6) if c.positive else mask & ~disc(truth.shape, c.y, c.x, 6)
        return mask

    trace = simulate(discs, truth, max_clicks=8)
    assert counts == list(range(1, 9))
    assert all(c.positive for c in trace.clicks)  # never a false pixel: only positives
    assert list(trace.ious) == sorted(trace.ious) and trace.ious[-1] > trace.ious[0]
    assert trace.ious[0] == pytest.approx(iou(truth, disc(truth.shape, 29, 29, 6)))


def test_a_refused_prompt_counts_as_an_empty_answer_not_a_crash():
    truth = disc((64, 80), 30, 41, 10)

    def picky(prompts: Prompts) -> np.ndarray:
        if len(prompts.clicks) == 1:
            raise ValueError("needs two clicks")
        return truth

    trace = simulate(picky, truth, max_clicks=5)
    assert trace.ious == (0.0, 1.0, 1.0, 1.0, 1.0) and trace.noc(0.90) == 2
    assert trace.errors == ("click 1: needs two clicks",)

    def broken(prompts):
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        simulate(broken, truth)


def test_a_given_first_click_replaces_the_robots():
    truth = disc((64, 80), 30, 41, 10)
    trace = simulate(lambda p: np.zeros_like(truth), truth, max_clicks=2, first=Click(35, 28, True))
    assert trace.clicks[0] == Click(35, 28, True) and trace.clicks[1] == Click(41, 30, True)


def test_noc_counts_the_first_click_reaching_the_level():
    ious = [0.5, 0.86, 0.91, 0.7]
    assert noc(ious, 0.85) == 2 and noc(ious, 0.90) == 3
    assert noc(ious, 0.95) == 4 and noc(ious, 0.95, max_clicks=20) == 20


def test_summary_means_failures_and_curve():
    a = ClickTrace((), (0.5, 0.95, 0.95), (2000.0, 20.0, 30.0))  # a first call paying for imports
    b = ClickTrace((), (0.86, 0.88, 0.89), (40.0,))
    s = summarize([a, b])
    assert (s.images, s.noc85, s.noc90, s.failures) == (2, 1.5, 2.5, 1)
    assert s.mean_iou == pytest.approx((0.68, 0.915, 0.92))
    assert a.ms_per_click == 30.0 and s.ms_per_click == pytest.approx(35.0)  # medians: (30 + 40) / 2


# --------------------------------------------------------------------------- object masks


def test_grabcut_style_masks_mark_object_background_and_unknown():
    arr = np.zeros((20, 30), np.uint8)
    arr[5:15, 5:25] = 255
    arr[5:15, 5] = 128  # an unknown band on the object's edge
    truth, ignore = load_object_mask(encode(arr), name="cat.png")
    assert truth.sum() == 10 * 19 and ignore.sum() == 10 and not (truth & ignore).any()


def test_binary_and_label_masks():
    arr = np.zeros((20, 30), np.uint8)
    arr[5:15, 5:25] = 1
    truth, ignore = load_object_mask(encode(arr), name="b.png")
    assert truth.sum() == 200 and not ignore.any()
    arr[5:15, 15:25] = 7  # two labels: both are the object
    truth, _ = load_object_mask(encode(arr), name="l.png")
    assert truth.sum() == 200
    with pytest.raises(GroundTruthError, match="none is 0"):
        load_object_mask(encode(arr + 1), name="nobg.png")


def test_object_masks_follow_the_working_size():
    truth = np.zeros((40, 60), bool)
    truth[10:30, 20:40] = True
    ignore = np.zeros_like(truth)
    ignore[10:30, 20:22] = True  # unknown wins over object
    t, i = fit_object_mask(truth, ignore, original_size=(60, 40), working_size=(30, 20))
    assert t.shape == (20, 30) and t.sum() == 90 and i.sum() == 10 and not (t & i).any()
    t, i = fit_object_mask(truth, ignore, original_size=(60, 40), working_size=(60, 40))
    assert t.shape == (40, 60) and t.sum() == 360 and i.sum() == 40
