"""One spec per method: the function's defaults, its declared settings, the command line's record and every
page's first control values agree, for every registered method."""

from __future__ import annotations

import csv
import inspect
import json
from pathlib import Path

import pytest
from conftest import encode
from skimage import data
from streamlit.testing.v1 import AppTest

from segcore.cli import main as cli_main
from segcore.prompts import Click, Prompts
from segcore.registry import compare_methods, get_method, list_methods, run_method
from segcore.spec import Param

APP = str(Path(__file__).resolve().parents[1] / "app.py")
METHODS = [m.name for m in list_methods()]


def _signature_defaults(func) -> dict:
    return {
        p.name: p.default
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


@pytest.mark.parametrize("method", METHODS)
def test_each_declared_setting_is_a_keyword_with_the_functions_default(method):
    spec = get_method(method)
    signature = _signature_defaults(spec.func)
    for p in spec.params:
        assert isinstance(p, Param) and p.name in signature, p.name
        assert p.default == signature[p.name], p.name
        if p.kind == "choice":
            assert p.default in p.choices, p.name
            assert not p.labels or len(p.labels) == len(p.choices), p.name
        elif p.kind in ("int", "float"):
            assert p.lo <= p.default <= p.hi, p.name
    assert [p.name for p in spec.params] == list(spec.settings)


def test_a_method_that_offers_no_setting_has_no_keyword_either():
    """Every keyword a page cannot set is one only code and the command line use (Mask R-CNN's device; multi-Otsu's
    nbins, which the dashboard lowers only to fit its time budget, segcore.cost)."""
    for spec in list_methods():
        hidden = set(_signature_defaults(spec.func)) - set(spec.settings)
        assert hidden <= {"max_instances", "classes", "device", "nbins"}, (spec.name, hidden)


def test_canny_starts_at_the_dashboards_thresholds_everywhere_and_says_what_scikit_image_would_take():
    canny = get_method("canny")
    assert canny.settings["low_threshold"] == 0.05 and canny.settings["high_threshold"] == 0.15
    assert "0.1" in canny.param("low_threshold").help and "0.2" in canny.param("high_threshold").help


def _cli_params(tmp_path, method: str, extra: list[str]) -> dict:
    image = tmp_path / "photo.png"
    image.write_bytes(encode(data.astronaut()[::4, ::4]))
    out = tmp_path / f"{method}.csv"
    assert cli_main([str(image), "-m", method, "--metrics", str(out), "-o", str(tmp_path / "out"), "--workers", "0", *extra]) == 0
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["method"] for r in rows] == [method]
    return json.loads(rows[0]["params"])


@pytest.mark.parametrize("method", [m for m in METHODS if m != "maskrcnn" and not get_method(m).prompted])
def test_the_command_line_records_the_declared_defaults(tmp_path, method):
    recorded = _cli_params(tmp_path, method, [])
    settings = json.loads(json.dumps(get_method(method).settings))  # tuples as the CSV's JSON writes them
    assert {k: recorded.get(k) for k in settings} == settings


@pytest.mark.parametrize("method", [m for m in METHODS if get_method(m).prompted])
def test_a_prompt_method_records_the_declared_defaults(method):
    """The command line takes no prompts yet: a prompt method run with a simple prompt (a box, a click inside it,
    a negative click outside) records the declared settings."""
    prompts = Prompts((Click(64, 64), Click(5, 5, False)), box=(32, 32, 96, 96))
    seg = run_method(method, data.astronaut()[::4, ::4], prompts)
    assert {k: seg.params.get(k) for k in get_method(method).settings} == get_method(method).settings


def test_the_command_line_records_mask_rcnns_declared_thresholds(tmp_path):
    """Offline, the small shapes model; it always runs at its training size, 128 px, and the record says so."""
    recorded = _cli_params(tmp_path, "maskrcnn", ["-p", "variant=shapes"])
    settings = get_method("maskrcnn").settings
    assert recorded["score_threshold"] == settings["score_threshold"]
    assert recorded["mask_threshold"] == settings["mask_threshold"]
    assert recorded["variant"] == "shapes" and recorded["min_size"] == 128


# ----------------------------------------------------------------------------- the pages' first values


def _page(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.file_uploader[0].upload("photo.png", encode(data.astronaut()[::2, ::2]), "image/png")
    at.run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _first_values(at: AppTest, keys: dict[str, str]) -> dict:
    return {name: at.session_state[key] for name, key in keys.items()}


def test_the_thresholding_pages_first_values_are_the_declared_defaults():
    at = _page("pages/thresholding.py")
    at.selectbox(key="thr_method").set_value("multilevel").run()
    assert tuple(at.session_state[f"thr_user_{i}"] for i in range(3)) == get_method("multilevel").settings["thresholds"]
    at.selectbox(key="thr_method").set_value("multiotsu").run()
    assert _first_values(at, {"classes": "thr_classes"}) == get_method("multiotsu").settings
    at.selectbox(key="thr_method").set_value("local").run()
    keys = {"block_size": "thr_block", "offset": "thr_offset", "method": "thr_local_method"}
    assert _first_values(at, keys) == get_method("local").settings


def test_the_edge_pages_first_values_are_the_declared_defaults():
    at = _page("pages/edges.py")
    shared = {"mode": "edge_mode", "min_region": "edge_min_region", "regions": "edge_regions"}
    for method, own in (("sobel", {}), ("canny", {"sigma": "canny_sigma", "low_threshold": "canny_low",
                                                  "high_threshold": "canny_high"}), ("log", {"sigma": "log_sigma"})):
        at.selectbox(key="edge_method").set_value(method).run()
        assert not at.exception, at.exception
        values = _first_values(at, {**shared, **own})
        if method != "canny":
            values["edge_threshold"] = None if at.session_state["edge_auto"] else "a value"
        assert values == get_method(method).settings, method


def test_the_clustering_pages_first_values_are_the_declared_defaults():
    at = _page("pages/clustering.py")
    shared = {"k": "cl_k", "color_space": "cl_space", "xy_weight": "cl_xy", "seed": "cl_seed"}
    assert _first_values(at, {**shared, "exact": "cl_exact"}) == get_method("kmeans").settings
    at.radio(key="cl_algo").set_value("gmm").run()
    assert _first_values(at, {**shared, "covariance_type": "cl_cov"}) == get_method("gmm").settings


def test_the_mask_rcnn_pages_first_values_are_the_declared_defaults(offline):
    at = _page("pages/mask_rcnn.py")
    keys = {"variant": "mr_variant", "min_size": "mr_min_size", "score_threshold": "mr_score",
            "mask_threshold": "mr_mask"}
    assert _first_values(at, keys) == get_method("maskrcnn").settings


def test_the_regions_and_compare_pages_start_every_method_at_its_declared_defaults(offline):
    at = _page("pages/regions.py")
    for method in ("felzenszwalb", "slic", "quickshift", "watershed", "chan_vese"):
        at.radio(key="rg_method").set_value(method).run()
        spec = get_method(method)
        assert {p.name: at.session_state[f"rg.{method}.{p.name}"] for p in spec.params} == spec.settings, method
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    from pages._compare_controls import _setting, key_of

    for method in compare_methods():
        spec = get_method(method)
        values = {p.name: _setting(p, at.session_state[key_of(method, p.name)])[0] for p in spec.params}
        assert values == spec.settings, method
