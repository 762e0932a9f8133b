"""The regions and superpixels page in AppTest: every method, its controls, the size note; the edge page's watershed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import encode
from streamlit.testing.v1 import AppTest

from segcore.registry import get_method

APP = str(Path(__file__).resolve().parents[1] / "app.py")
METHODS = ["felzenszwalb", "slic", "quickshift", "watershed", "chan_vese"]


def regions_page(image: np.ndarray | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if image is not None:
        at.sidebar.file_uploader[0].upload("photo.png", encode(image), "image/png")
        at.run()
    at.switch_page("pages/regions.py").run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> str:
    return " ".join(str(el.proto) for el in at.main if getattr(el, "type", None) == "image")


@pytest.mark.parametrize("method", METHODS)
def test_each_method_shows_its_regions_time_and_explanation(method, offline):
    at = regions_page()
    at.radio(key="rg_method").set_value(method).run()
    assert not at.exception, at.exception
    m = metrics(at)
    regions = int(m["Regions"].replace(",", ""))
    assert (regions == 2) if method == "chan_vese" else (regions > 10)
    side = min(512, get_method(method).settings["max_side"] or 512)  # the 512 x 512 astronaut, reduced where the default is smaller
    assert m["Time"].endswith(" ms") and m["Ran at"] == f"{side} x {side} px"
    assert (f"at **{side} px**" in " ".join(i.value for i in at.info)) == (side < 512)
    text = " ".join(md.value for md in at.markdown)
    assert "What it optimises" in text and "When it fails" in text
    assert "boundaries drawn on the photo" in captions(at)
    assert at.dataframe and len(at.dataframe[0].value) == min(regions, 200)  # the legend: a row per region (200 at most)


def test_a_control_reruns_the_method_with_it(offline):
    at = regions_page()
    at.radio(key="rg_method").set_value("slic").run()
    m = metrics(at)
    merged, superpixels = (int(m[k].replace(",", "")) for k in ("Regions", "Superpixels before merging"))
    assert merged < superpixels  # by default the superpixels are merged into regions
    at.selectbox(key="rg.slic.merge").set_value("none").run()
    m = metrics(at)
    assert not at.exception and int(m["Regions"].replace(",", "")) == superpixels


def test_a_large_image_runs_reduced_and_the_page_says_so(offline):
    rng = np.random.default_rng(0)
    photo = np.kron(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), np.ones((40, 40, 1), np.uint8))  # 1600 x 1200
    at = regions_page(photo)
    at.radio(key="rg_method").set_value("quickshift").run()
    note = " ".join(i.value for i in at.info)
    assert "runs by default, at **320 px**" in note and "1600 px" in note
    assert metrics(at)["Ran at"] == "320 x 240 px"
    at.selectbox(key="rg.quickshift.max_side").set_value(400).run()
    assert metrics(at)["Ran at"] == "400 x 300 px"
    assert "runs at **400 px**" in " ".join(i.value for i in at.info)


def test_the_edge_page_floods_edges_into_regions_with_the_watershed(offline):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/edges.py").run()
    components = int(metrics(at)["Regions"])
    shares = at.dataframe[0].value
    assert "edges" in " ".join(map(str, shares["meaning"]))
    at.radio(key="edge_regions").set_value("watershed").run()
    assert not at.exception
    assert int(metrics(at)["Regions"]) == components
    meanings = " ".join(map(str, at.dataframe[0].value["meaning"]))
    assert "edges" not in meanings and len(at.dataframe[0].value) == components  # label 0 is gone


def test_a_fine_setting_shows_its_own_decimals(offline):
    """The compactness moves in steps of 0.0005: with Streamlit's two decimals a link's 0.001 read as 0.00."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["rg_method"] = "Watershed on the gradient"
    at.query_params["rg.watershed.compactness"] = "0.001"
    at.run()
    at.switch_page("pages/regions.py").run()
    slider = at.slider(key="rg.watershed.compactness")
    assert slider.value == pytest.approx(0.001)
    assert slider.proto.format == "%.4f"
    assert at.slider(key="rg.watershed.sigma").proto.format == "%.2f"  # steps of 0.1 keep two
