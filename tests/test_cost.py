"""The cost model (segcore.cost): estimates grow with size and settings, and bounded() keeps a request in budget."""

from __future__ import annotations

import pytest

from segcore.cost import BUDGET_S, bounded, estimate, over_budget, progress_text, shared
from segcore.registry import compare_methods, get_method, list_methods

HUBBLE = (872, 1000)  # the Hubble sample at full resolution
BSDS = (321, 481)  # a Berkeley benchmark photo
#: The issue's link: ?sample=hubble&methods=quickshift&quickshift.max_side=None&quickshift.kernel_size=20&...
ISSUE_LINK = {"max_side": None, "kernel_size": 20.0, "max_dist": 100.0}


def test_every_method_declares_a_cost():
    assert [s.name for s in list_methods() if s.cost is None] == []


@pytest.mark.parametrize(("method", "param", "values"), [
    ("quickshift", "kernel_size", (1.0, 5.0, 10.0, 20.0)),
    ("multiotsu", "classes", (2, 3, 4, 5, 6)),
    ("multiotsu", "nbins", (32, 64, 128, 256)),
    ("chan_vese", "iterations", (10, 60, 200, 500)),
    ("chan_vese", "smoothing", (0, 1, 4)),
    ("local", "block_size", (3, 51, 201)),
])
def test_estimates_grow_with_the_settings_that_cost(method, param, values):
    params = {"max_side": None} if "max_side" in get_method(method).settings else {}
    if method == "local":
        params["method"] = "median"
    times = [estimate(method, (600, 800), {**params, param: v}) for v in values]
    assert times == sorted(times) and times[0] < times[-1], times


@pytest.mark.parametrize("method", ["felzenszwalb", "slic", "quickshift", "watershed", "chan_vese", "otsu", "sobel",
                                    "kmeans", "gmm"])
def test_estimates_grow_with_the_pixels(method):
    params = {"max_side": None} if "max_side" in get_method(method).settings else {}
    times = [estimate(method, (h, h * 4 // 3), params) for h in (120, 480, 960, 1920)]
    assert times == sorted(times) and times[0] < times[-1], times


def test_a_region_methods_estimate_is_that_of_the_size_it_runs_at():
    big, capped = estimate("quickshift", (3000, 4000), {"max_side": 320}), estimate("quickshift", (240, 320), {})
    assert big == pytest.approx(capped)


def test_the_issues_quickshift_link_is_bounded_to_a_smaller_size_and_says_so():
    asked = estimate("quickshift", HUBBLE, ISSUE_LINK)
    assert asked > 60  # the issue measured 89 s of CPU
    run, note = bounded("quickshift", HUBBLE, ISSUE_LINK)
    assert run == {**ISSUE_LINK, "max_side": 192}  # the largest size whose estimate fits; the rest as asked
    assert estimate("quickshift", HUBBLE, run) <= BUDGET_S
    assert note.startswith("Quickshift ran at 192 px on its long side instead of at the working size (1000 px)")
    assert f"estimated at {asked:.0f} s, over this app's 10 s budget" in note


def test_multiotsu_with_six_classes_gets_fewer_bins():
    assert estimate("multiotsu", BSDS, {"classes": 6}) > 60  # the issue: 96 s
    run, note = bounded("multiotsu", BSDS, {"classes": 6})
    assert run["classes"] == 6 and run["nbins"] < 256
    assert estimate("multiotsu", BSDS, run) <= BUDGET_S
    assert f"with {run['nbins']} histogram bins instead of with 256 histogram bins" in note
    assert bounded("multiotsu", BSDS, {"classes": 5}) == ({"classes": 5}, None)  # 7 s: within the budget


def test_a_cheap_request_is_left_as_it_is():
    assert bounded("otsu", (1200, 1600), {}) == ({}, None)
    assert bounded("quickshift", HUBBLE, {"kernel_size": 5.0}) == ({"kernel_size": 5.0}, None)


def test_bounding_again_with_the_same_or_a_larger_budget_changes_nothing():
    run, _ = bounded("quickshift", HUBBLE, ISSUE_LINK, 5.0)
    assert run["max_side"] == 128
    assert bounded("quickshift", HUBBLE, run, 5.0) == (run, None)
    assert bounded("quickshift", HUBBLE, run) == (run, None)
    cheapest, note = bounded("quickshift", HUBBLE, ISSUE_LINK, 1.0)  # nothing fits: the cheapest, said to be over
    assert cheapest == run and "(still over it: lower its other settings for a faster run)" in note
    assert bounded("quickshift", HUBBLE, cheapest, 1.0)[0] == cheapest


def test_the_median_of_a_large_block_becomes_the_mean_and_a_method_without_a_knob_says_what_would_help():
    run, note = bounded("local", (1200, 1600), {"method": "median", "block_size": 201})
    assert run == {"method": "mean", "block_size": 201}
    assert "with the block's mean instead of with the block's median" in note
    run, note = bounded("kmeans_article", (3000, 4000), {})
    assert run == {} and "no setting that makes it cheaper: a smaller working size (sidebar) would" in note


def test_a_page_of_every_method_at_full_resolution_shares_one_budget():
    methods = [m for m in compare_methods() if m != "maskrcnn"]  # its estimate asks torch for the device
    shape = (2400, 3200)
    asked = {m: estimate(m, shape, {}) for m in methods}
    assert sum(asked.values()) > 2 * BUDGET_S
    bounded_all = shared({m: {} for m in methods}, shape, workers=2)
    ran = {m: estimate(m, shape, p) for m, (p, _) in bounded_all.items()}
    assert sum(ran.values()) <= 2 * BUDGET_S  # two at a time: about 10 s of the page's time
    assert max(ran.values()) <= BUDGET_S
    params, note = bounded_all["watershed"]
    assert params["max_side"] is not None and "its share (" in note and "for 25 methods, 2 at a time" in note
    assert bounded_all["otsu"] == ({}, None)  # the cheap ones as asked


def test_over_budget_names_the_estimate_for_the_command_line():
    text = over_budget("multiotsu", BSDS, {"classes": 6})
    assert text.startswith("multiotsu is estimated at ") and "on 481 x 321 px, over the dashboard's 10 s budget" in text
    assert "(the dashboard would run it with 128 histogram bins); running it as asked." in text
    assert over_budget("otsu", BSDS, {}) is None


def test_the_progress_names_what_runs_with_its_estimate_and_what_is_left():
    assert progress_text([("Watershed on the gradient", 3.2), ("Quickshift", 0.2)], ["SLIC superpixels", "Chan-Vese"]) == (
        "Running Watershed on the gradient (about 3 s), Quickshift (about 1 s); left: SLIC superpixels, Chan-Vese")
    assert progress_text([("Quickshift", 7.1)], []) == "Running Quickshift (about 7 s)"
