"""The compare page in AppTest: every panel, the scores, the link that restores a view, bad links."""

from __future__ import annotations

import json
import math
import re
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import encode, gt_uploader, open_settings
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def compare_page(query: dict[str, str] | None = None, sample: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if sample:  # chosen on the home page first, as a visitor would before opening the compare page
        at.run()
        at.sidebar.selectbox(key="sample").set_value(sample).run()
    at.switch_page("pages/compare.py").run()  # without a sample: the link opens the compare page
    assert not at.exception, at.exception
    return at


def grid(at: AppTest) -> dict:
    """The panel figure's plotly spec."""
    chart = next(c for c in at.get("plotly_chart") if "panels" in json.loads(c.proto.spec).get("layout", {}).get("meta", {}))
    return json.loads(chart.proto.spec)


def panel_titles(spec: dict) -> list[str]:
    return [t.replace("<b>", "").replace("</b>", "").split("<br>")[0].split(":")[0] for t in spec["layout"]["meta"]["panels"]]


def score_frames(at: AppTest) -> list:
    """The score tables (one per family of scores; the Mask R-CNN matches table is not one)."""
    return [d for d in at.dataframe if d.value.index.name == "Method"]


def joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    table = pd.concat(frames, axis=1)
    return table.loc[:, ~table.columns.duplicated()]  # Labels stands in two tables


def scores(at: AppTest):
    """Every score of every method, the family tables side by side."""
    return joined([d.value for d in score_frames(at)])


def shown_table(at: AppTest):
    """The score tables as the page shows them: their text, and the highlighted cells as {column: [row, ...]}."""
    import pyarrow as pa

    texts, marked = [], {}
    for frame in score_frames(at):
        styler = frame.proto.arrow_data.styler
        text = pa.ipc.open_stream(styler.display_values).read_all().to_pandas()
        texts.append(text)
        for rule in re.findall(r"([^{}]+)\{([^}]*)\}", styler.styles):
            if "background-color" in rule[1]:
                for r, c in re.findall(rf"#T_{styler.uuid}_row(\d+)_col(\d+)", rule[0]):
                    marked.setdefault(text.columns[int(c)], []).append(text.index[int(r)])
    return joined(texts), marked


def test_three_classic_methods_and_mask_rcnn_fill_every_panel_and_the_scores(offline):
    at = compare_page(sample="shapes")
    at.multiselect(key="cmp_methods").set_value(["otsu", "canny", "kmeans", "maskrcnn"]).run()
    assert not at.exception, at.exception
    assert at.session_state["cmp.maskrcnn.variant"] == "shapes"  # the sample the small model knows
    assert not [s for s in at.selectbox if s.key.startswith("cmp.")]  # settings closed: no method's control drawn
    assert open_settings(at, "maskrcnn").selectbox(key="cmp.maskrcnn.variant").value == "shapes"
    assert not [s for s in at.slider if s.key.startswith("cmp.kmeans.")]  # only the open tab's controls
    spec = grid(at)
    assert panel_titles(spec) == ["Otsu", "Canny", "k-means clustering", "Mask R-CNN"]
    pictures = [t for t in spec["data"] if t["type"] == "image" and t["source"].startswith("data:image/png")]
    assert len(pictures) == 4  # every panel has its picture, Mask R-CNN's included
    assert all(t["source"].startswith("data:image/png;base64,") for t in pictures)
    titles = spec["layout"]["meta"]["panels"]
    assert all(" labels, " in t and " ms" in t for t in titles)
    assert titles[1].endswith(" ms; sigma=1, ...")  # its key settings that fit, the page's defaults
    assert titles[0].endswith(" ms")  # Otsu has none

    table = scores(at)
    assert list(table.index) == ["Otsu", "Canny", "k-means clustering", "Mask R-CNN"]
    for column in ["IoU", "Dice", "Boundary F1", "VoI (bits)", "PRI", "ARI", "AP50"]:
        assert column in table.columns, column
    # An instance ground truth scores three ways: one table each, narrow enough to read without scrolling sideways.
    families = [list(d.value.columns) for d in score_frames(at)]
    assert [f[-1] for f in families] == ["Time (ms)", "Adapted Rand error", "Matched mask IoU"], families
    assert all(len(f) <= 8 for f in families) and "Foreground" in families[0] and "Labels" in families[1]
    titles = [m.value for m in at.markdown]
    assert all(f"**{t}**" in titles for t in ("Foreground and background", "Regions", "Objects"))
    assert 0 <= table.loc["Otsu", "IoU"] <= 1 and table.loc["Otsu", "VoI (bits)"] >= 0
    assert 0.5 < table.loc["Mask R-CNN", "AP50"] <= 1  # the small model finds its shapes
    assert math.isnan(table.loc["Otsu", "AP50"])  # instance scores are Mask R-CNN's only
    captions = " ".join(c.value for c in at.caption)
    assert "Highlighted: each column's best" in captions and "instances" in captions
    assert any(d.label == "Download this comparison (zip)" for d in at.get("download_button"))


def test_mask_rcnn_without_weights_says_why_in_its_panel(offline):
    at = compare_page({"view": "overlay"})
    at.multiselect(key="cmp_methods").set_value(["otsu", "maskrcnn"]).run()
    assert open_settings(at, "maskrcnn").selectbox(key="cmp.maskrcnn.variant").value == "v1"
    spec = grid(at)
    texts = " ".join(a["text"].replace("<br>", " ") for a in spec["layout"]["annotations"])
    assert "no v1 weights on this machine" in texts
    assert len([t for t in spec["data"] if t.get("source", "").startswith("data:image/png")]) == 1
    assert len([t for t in spec["data"] if t.get("source", "").startswith("data:image/jpeg")]) == 1  # the photo under it
    assert [t["xaxis"] for t in spec["data"] if t["type"] == "scatter"] == ["x2"]  # its panel's subplot exists


def test_the_buttons_tick_the_article_methods_then_add_the_region_methods(offline):
    at = compare_page({"methods": "otsu"})
    at.button(key="cmp_all").click().run()
    ticked = at.multiselect(key="cmp_methods").value
    assert "maskrcnn" not in ticked and {"otsu", "li", "local", "sobel", "canny", "log", "kmeans", "gmm"} <= set(ticked)
    assert not {"felzenszwalb", "slic"} & set(ticked)
    assert len(panel_titles(grid(at))) == len(ticked) == 20
    at.button(key="cmp_regions").click().run()
    ticked = at.multiselect(key="cmp_methods").value
    assert ticked[-5:] == ["felzenszwalb", "slic", "quickshift", "watershed", "chan_vese"] and len(ticked) == 25
    titles = panel_titles(grid(at))
    assert len(titles) == 25 and titles[-1].startswith("Chan-Vese active contour")
    assert not at.exception


def test_a_link_restores_the_same_view_and_the_page_writes_it_back(offline):
    query = {"sample": "coins", "methods": "kmeans,canny", "kmeans.k": "7", "kmeans.color_space": "lab",
             "canny.sigma": "2.5", "view": "labels", "cols": "2", "present": "0"}
    at = compare_page(query)
    assert at.session_state["segcore_image"].name == "coins.png"
    assert at.multiselect(key="cmp_methods").value == ["kmeans", "canny"]
    open_settings(at, "kmeans")
    assert at.slider(key="cmp.kmeans.k").value == 7 and at.selectbox(key="cmp.kmeans.color_space").value == "lab"
    assert open_settings(at, "canny").slider(key="cmp.canny.sigma").value == 2.5
    open_settings(at, "kmeans")
    assert at.selectbox(key="cmp_view").value == "labels" and at.slider(key="cmp_cols").value == 2
    spec = grid(at)
    assert " ms; <b>k=7</b>, <b>color_space=lab</b>, " in spec["layout"]["meta"]["panels"][0]  # changed ones first
    assert "sigma=2.5" in spec["layout"]["meta"]["panels"][1]
    assert not any(t.get("source", "").startswith("data:image/jpeg") for t in spec["data"])  # label maps only
    written = {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
               for k in at.query_params}
    for k, v in query.items():
        assert written[k] == v, (k, written.get(k))
    assert written["kmeans.seed"] == "0" and written["canny.low_threshold"] == "0.05"  # every setting, exactly

    at.slider(key="cmp.kmeans.k").set_value(4).run()  # a change here goes into the link...
    assert at.query_params["kmeans.k"] in ("4", ["4"])
    assert "k=4" in grid(at)["layout"]["meta"]["panels"][0]  # ...and is not undone by the old link


def test_bad_link_values_get_a_notice_and_the_default(offline):
    at = compare_page({"methods": "otsu,bogus,kmeans", "kmeans.k": "abc", "view": "sideways", "nope.x": "1",
                       "sample": "<b>nosuch</b>"})
    source = " ".join(w.value for w in at.warning)
    assert "<b>" not in source  # link text reaches the page escaped...
    warnings = re.sub(r"\\(.)", r"\1", source)  # ...and reads as typed once rendered
    assert "bogus unknown" in warnings
    assert "kmeans.k=abc" in warnings and "is not a number" in warnings and "used the default, 5" in warnings
    assert "view=sideways" in warnings and "nope.x" in warnings and "no such sample" in warnings
    assert "sample=<b>nosuch</b>" in warnings
    assert at.multiselect(key="cmp_methods").value == ["otsu", "kmeans"]
    assert open_settings(at, "kmeans").slider(key="cmp.kmeans.k").value == 5
    assert at.selectbox(key="cmp_view").value == "labels"
    assert at.session_state["segcore_image"].name == "astronaut.png"


def test_settings_changed_on_a_technique_page_carry_over(offline):
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    at.switch_page("pages/clustering.py").run()
    at.slider(key="cl_k").set_value(8).run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    assert open_settings(at, "kmeans").slider(key="cmp.kmeans.k").value == 8
    assert "k=8" in " ".join(grid(at)["layout"]["meta"]["panels"])


def test_uploaded_ground_truth_of_another_size_is_refused_clearly(offline):
    at = compare_page()
    at.multiselect(key="cmp_methods").set_value(["otsu"]).run()
    at.radio(key="cmp_gt_source").set_value("upload").run()
    mask = np.zeros((100, 80), np.uint8)
    mask[20:60, 10:50] = 255
    gt_uploader(at).upload("mask.png", encode(mask), "image/png")
    at.run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "80 x 100" in errors and "512 x 512" in errors
    assert not at.dataframe  # no scores against a ground truth of another image


def test_uploaded_binary_mask_scores_every_method(offline):
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes
    from segcore.registry import run_method

    mask = (run_method("otsu", load_image(sample_bytes("camera")).rgb).labels * 255).astype(np.uint8)
    at = compare_page(sample="camera")
    at.multiselect(key="cmp_methods").set_value(["otsu", "kmeans"]).run()
    at.radio(key="cmp_gt_source").set_value("upload").run()
    gt_uploader(at).upload("camera_mask.png", encode(mask), "image/png")
    at.run()
    assert not at.exception, at.exception
    table = scores(at)
    assert table.loc["Otsu", "IoU"] == pytest.approx(1.0)  # the mask is Otsu's own foreground
    assert table.loc["Otsu", "Foreground"] == "own"
    assert table.loc["k-means clustering", "IoU"] < 1.0
    assert re.fullmatch(r"oracle: \d of 5", table.loc["k-means clustering", "Foreground"])


def test_each_method_runs_once_per_image_and_setting(offline, monkeypatch):
    from segcore.registry import MethodSpec

    calls: list[str] = []
    threads: set[tuple[str, bool]] = set()
    real_run = MethodSpec.run

    def counting(self, image, **params):
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        calls.append(self.name)
        threads.add((threading.current_thread().name.split("_")[0], get_script_run_ctx(suppress_warning=True) is None))
        return real_run(self, image, **params)

    monkeypatch.setattr(MethodSpec, "run", counting)
    rng = np.random.default_rng(1234)  # an image no other test has: nothing of it is cached yet
    picture = (rng.random((90, 120, 3)) * 255).astype(np.uint8)
    at = compare_page({"methods": "otsu,kmeans"})
    calls.clear()  # the sample's runs (none when an earlier test left them cached)
    at.sidebar.file_uploader[0].upload("noise.png", encode(picture), "image/png")
    at.run()
    assert calls.count("otsu") == 1 and calls.count("kmeans") == 1
    at.multiselect(key="cmp_methods").set_value(["otsu", "kmeans", "canny"]).run()  # tick another
    assert calls.count("otsu") == 1 and calls.count("kmeans") == 1 and calls.count("canny") == 1
    open_settings(at, "kmeans")  # the settings opened: no method runs again
    assert len(calls) == 3
    at.slider(key="cmp.kmeans.k").set_value(3).run()  # one method's control
    assert calls.count("kmeans") == 2 and calls.count("otsu") == 1 and calls.count("canny") == 1
    at.selectbox(key="cmp_view").set_value("boundaries").run()  # another view: pictures, no method
    assert len(calls) == 4 and not at.exception
    assert threads == {("compare", True)}  # on the page's workers, which make no Streamlit call: no script context


def test_mask_rcnn_matches_are_listed_per_object(offline):
    at = compare_page({"sample": "shapes", "methods": "maskrcnn"})
    assert not at.exception, at.exception
    found = next(d.value for d in at.dataframe if "iou" in getattr(d.value, "columns", []))
    assert len(found) >= 4 and (found["iou"] >= 0.5).all()
    assert set(found["class"]) <= {"circle", "square", "triangle"}


def test_a_stale_address_on_a_rerun_does_not_undo_a_change(offline):
    """A rerun can carry the address from before the browser applied the page's last update
    (seen after replacing an upload): only the session's first run reads the link."""
    at = compare_page({"methods": "kmeans", "kmeans.k": "5"})
    open_settings(at, "kmeans").slider(key="cmp.kmeans.k").set_value(7).run()
    at.query_params["kmeans.k"] = "5"  # the browser's address, one update behind
    at.query_params["sample"] = "coins"
    at.run()
    assert at.slider(key="cmp.kmeans.k").value == 7
    assert at.session_state["segcore_image"].name == "astronaut.png"
    assert "k=7" in grid(at)["layout"]["meta"]["panels"][0]


def test_several_ground_truths_are_averaged_and_a_jpeg_is_refused(offline):
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes, sample_ground_truth
    from segcore.registry import run_method
    from segcore.scoring.metrics import label_scores

    truth = sample_ground_truth("mosaic").maps[0]
    other = truth.copy()
    other[:, : truth.shape[1] // 2] = 0  # a second person who merged the left half into one region
    at = compare_page(sample="mosaic")
    at.multiselect(key="cmp_methods").set_value(["kmeans"]).run()
    at.radio(key="cmp_gt_source").set_value("upload").run()
    uploader = gt_uploader(at)
    uploader.upload("mosaic.1.png", encode(truth.astype(np.uint8)), "image/png")
    uploader.upload("mosaic.2.png", encode(other.astype(np.uint8)), "image/png")
    at.run()
    assert not at.exception, at.exception
    seg = run_method("kmeans", load_image(sample_bytes("mosaic")).rgb, k=5, color_space="rgb", xy_weight=0.0,
                     exact=False, seed=0)
    expected = label_scores(seg.labels, [truth, other])
    table = scores(at)
    assert table.loc["k-means clustering", "PRI"] == pytest.approx(expected["pri"])
    assert table.loc["k-means clustering", "VoI (bits)"] == pytest.approx(expected["voi"])
    assert "2 maps: scores are means over them" in " ".join(c.value for c in at.caption)

    # A JPEG renamed .png (the uploader takes lossless types only): refused, saying why and what to do.
    at2 = compare_page(sample="mosaic")
    at2.multiselect(key="cmp_methods").set_value(["otsu"]).run()
    at2.radio(key="cmp_gt_source").set_value("upload").run()
    gt_uploader(at2).upload("mask.png", encode(truth.astype(np.uint8) * 30, "JPEG"), "image/png")
    at2.run()
    assert not at2.exception, at2.exception
    errors = re.sub(r"\\(.)", r"\1", " ".join(e.value for e in at2.error))
    assert "JPEG" in errors and "PNG" in errors, errors
    assert not at2.dataframe


def test_settings_kept_across_tabs_and_when_the_settings_close(offline):
    """Only the open tab's controls are drawn; every method keeps its own values and runs with them."""
    at = compare_page({"methods": "otsu,canny,kmeans"})
    assert not [w for w in [*at.slider, *at.selectbox] if w.key.startswith("cmp.")]  # closed: no method's control
    open_settings(at, "kmeans").slider(key="cmp.kmeans.k").set_value(9).run()
    assert {s.key for s in at.slider if s.key.startswith("cmp.")} == {"cmp.kmeans.k", "cmp.kmeans.xy_weight"}
    open_settings(at, "canny").slider(key="cmp.canny.sigma").set_value(2.0).run()
    assert not [s for s in at.slider if s.key.startswith("cmp.kmeans.")]
    assert "Otsu has no settings to change" in " ".join(c.value for c in open_settings(at, "otsu").caption)
    at.session_state["cmp_settings_open"] = False
    at.run()
    at.run()  # a second run without any control drawn: nothing forgotten
    titles = grid(at)["layout"]["meta"]["panels"]
    assert "<b>sigma=2</b>" in titles[1] and "<b>k=9</b>" in titles[2], titles
    assert at.query_params["kmeans.k"] in ("9", ["9"]) and at.query_params["canny.sigma"] in ("2", ["2"])
    assert open_settings(at, "kmeans").slider(key="cmp.kmeans.k").value == 9
    assert open_settings(at, "canny").slider(key="cmp.canny.sigma").value == 2.0
    assert not at.exception


def test_a_bad_text_setting_of_a_closed_tab_runs_with_the_default(offline):
    """A setting typed into a text box that does not parse: its tab says why; closed, the method still runs."""
    at = compare_page({"methods": "multilevel"})
    open_settings(at, "multilevel").text_input(key="cmp.multilevel.thresholds").input("0.3, x").run()
    assert any("using" in w.value for w in at.warning)
    at.session_state["cmp_settings_open"] = False
    at.run()
    assert not at.exception and len(grid(at)["layout"]["meta"]["panels"]) == 1
    assert " labels, " in grid(at)["layout"]["meta"]["panels"][0]


def test_the_before_after_wipe_opens_on_demand_and_keeps_its_choice(offline):
    """Closed by default (nothing of it is made); opened, the chosen method's wipe; closed and opened again, the same."""
    at = compare_page({"sample": "coins", "methods": "otsu,kmeans"})

    def wipes() -> list[str]:
        return [el.proto.imgs[0].caption for el in at.main if getattr(el, "type", None) == "image"]

    assert [e.label for e in at.expander if e.label.startswith("Before and after")] == [
        "Before and after: one method against the original"]
    assert wipes() == []
    at.session_state["cmp_wipe_open"] = True
    at.run()
    assert wipes() == ["Left: the working image. Right: Otsu."]
    at.selectbox(key="cmp_before").set_value("kmeans").run()
    at.slider(key="cmp_split").set_value(0.25).run()
    assert not at.exception, at.exception
    assert wipes() == ["Left: the working image. Right: k-means clustering."]
    at.session_state["cmp_wipe_open"] = False
    at.run()
    assert wipes() == []
    at.session_state["cmp_wipe_open"] = True
    at.run()
    assert at.selectbox(key="cmp_before").value == "kmeans" and at.slider(key="cmp_split").value == 0.25


def test_a_first_visit_ticks_only_methods_that_can_run_here(offline):
    """No COCO weights here: Mask R-CNN (v1) would be an empty panel, so it is not ticked; on the shapes
    sample the small model can run, and it is."""
    at = compare_page()
    assert at.multiselect(key="cmp_methods").value == ["otsu", "multiotsu", "canny", "kmeans", "gmm", "felzenszwalb"]
    assert "Mask R-CNN" not in " ".join(panel_titles(grid(at)))
    shapes = compare_page(sample="shapes")
    assert shapes.multiselect(key="cmp_methods").value == [
        "otsu", "multiotsu", "canny", "kmeans", "gmm", "felzenszwalb", "maskrcnn"]
    assert panel_titles(grid(shapes))[-1] == "Mask R-CNN"


def test_presentation_mode_keeps_the_ground_truth_and_shows_the_scores(offline):
    """A change of view never drops what the visitor gave (issue 21, item 2)."""
    mask = np.zeros((512, 512), np.uint8)
    mask[100:400, 150:350] = 255
    at = compare_page(sample="camera")
    at.multiselect(key="cmp_methods").set_value(["otsu", "kmeans"]).run()
    at.radio(key="cmp_gt_source").set_value("upload").run()
    gt_uploader(at).upload("camera_mask.png", encode(mask), "image/png")
    at.run()
    before = scores(at).loc["Otsu", "IoU"]
    at.toggle(key="cmp_present").set_value(True).run()
    assert not at.exception, at.exception
    assert [h.value for h in at.main.header] == ["Scores"]  # the projector shows the scores, in a large table...
    assert not at.dataframe and float(at.table[0].value.loc["Otsu", "IoU"]) == pytest.approx(before)
    at.toggle(key="cmp_present").set_value(False).run()  # ...and off again, nothing was dropped
    assert at.radio(key="cmp_gt_source").value == "upload"
    assert scores(at).loc["Otsu", "IoU"] == pytest.approx(before)
    assert "camera_mask.png" in " ".join(m.value for m in at.markdown)


def test_a_ground_truth_belongs_to_its_image(offline):
    """A new image of the same size is not scored against the last one's truth (issue 21, item 3)."""
    mask = np.zeros((512, 512), np.uint8)
    mask[100:400, 150:350] = 255
    at = compare_page(sample="camera")
    at.multiselect(key="cmp_methods").set_value(["otsu"]).run()
    at.radio(key="cmp_gt_source").set_value("upload").run()
    gt_uploader(at).upload("camera_mask.png", encode(mask), "image/png")
    at.run()
    named = " ".join(m.value for m in at.markdown)
    assert "Scores of **camera.png** against the ground truth **camera_mask.png**" in named
    at.sidebar.selectbox(key="sample").set_value("astronaut").run()  # 512 x 512 as well
    assert not at.exception, at.exception
    assert not at.dataframe  # no scores: this image has no ground truth yet
    assert not gt_uploader(at).value
    at.sidebar.selectbox(key="sample").set_value("camera").run()  # back: its ground truth is still its own
    assert scores(at).loc["Otsu", "IoU"] > 0
    assert "Using camera_mask.png, uploaded earlier for this image." in " ".join(c.value for c in at.caption)


def test_a_threshold_that_found_the_object_is_best_not_superpixels_the_truth_picked(offline):
    """Issue 21, item 7: many labels picked by the ground truth fit it exactly; that is no win."""
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes
    from segcore.registry import run_method

    rgb = load_image(sample_bytes("camera")).rgb
    otsu = run_method("otsu", rgb).labels == 1
    regions = run_method("felzenszwalb", rgb).labels
    inside = np.bincount(regions[otsu], minlength=regions.max() + 1) * 2 > np.bincount(regions.ravel())
    truth = inside[regions]  # a ground truth made of Felzenszwalb's regions: those mostly in Otsu's foreground
    at = compare_page(sample="camera")
    at.multiselect(key="cmp_methods").set_value(["otsu", "felzenszwalb"]).run()
    at.radio(key="cmp_gt_source").set_value("upload").run()
    gt_uploader(at).upload("camera_mask.png", encode(truth.astype(np.uint8) * 255), "image/png")
    at.run()
    assert not at.exception, at.exception
    values, (text, marked) = scores(at), shown_table(at)
    felz = "Felzenszwalb graph segmentation"
    assert values.loc[felz, "IoU"] == 1.0 > values.loc["Otsu", "IoU"] > 0.8  # the oracle fit is the higher number
    assert text.loc[felz, "IoU"] == "1.000 *" and text.loc["Otsu", "IoU"] == f"{values.loc['Otsu', 'IoU']:.3f}"
    assert re.fullmatch(rf"oracle: \d+ of {values.loc[felz, 'Labels']}", text.loc[felz, "Foreground"])
    assert list(text.columns[:2]) == ["Labels", "Foreground"]  # the label count beside the scores
    for column in ["IoU", "Dice", "Precision", "Recall", "Boundary F1"]:
        assert marked[column] == ["Otsu"], (column, marked)
    captions = " ".join(c.value for c in at.caption)
    assert "only among the methods' own foregrounds, never an oracle score (marked *)" in captions
    assert "majority rule" in captions


def test_a_two_label_map_gets_no_best_voi_against_many_regions(offline):
    """Issue 21, item 7: against a truth of many regions, a 2-label map's low VoI comes from its label count."""
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes
    from segcore.registry import run_method

    otsu = run_method("otsu", load_image(sample_bytes("camera")).rgb).labels
    stripes = np.arange(otsu.shape[1])[None, :] * 8 // otsu.shape[1]
    truth = np.where(otsu == 1, 1 + stripes, 0).astype(np.uint8)  # the foreground in eight regions side by side
    at = compare_page(sample="camera")
    at.multiselect(key="cmp_methods").set_value(["otsu", "kmeans"]).run()
    at.radio(key="cmp_gt_source").set_value("upload").run()
    at.selectbox(key="cmp_gt_kind").set_value("labels").run()
    gt_uploader(at).upload("camera_regions.png", encode(truth), "image/png")
    at.run()
    assert not at.exception, at.exception
    values, (text, marked) = scores(at), shown_table(at)
    assert values.loc["Otsu", "VoI (bits)"] < values.loc["k-means clustering", "VoI (bits)"]  # VoI alone: Otsu
    assert text.loc["Otsu", "Labels"] == "2 (few)" and text.loc["k-means clustering", "Labels"] == "5"
    for column in ["VoI (bits)", "PRI", "ARI", "Adapted Rand error"]:
        assert marked[column] == ["k-means clustering"], (column, marked)
    captions = " ".join(c.value for c in at.caption)
    assert "half to twice as many labels as the ground truth has regions" in captions and "9 regions" in captions
