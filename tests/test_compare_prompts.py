"""The compare page with prompts: the prompt methods join the grid, the scores, the chart, the link and the zip."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from conftest import encode, open_settings
from skimage import data
from test_compare_page import compare_page, grid, panel_titles, scores

from segcore.export import comparison_zip
from segcore.io.loading import load_image
from segcore.prompts import Click, Prompts
from segcore.registry import run_method

CLASSIC = ["flood", "seeded_watershed", "random_walker", "grabcut", "pixel_classifier"]
#: The coffee sample's cup, saucer and spoon: a box a few pixels around its ground truth, a click on the coffee.
COFFEE = {"sample": "coffee", "box": "70,13,484,395", "clicks": "279,213+"}


#: SAM 2.1's weights are nowhere here (conftest's no_sam_weights), for every test of this file.
pytestmark = pytest.mark.usefixtures("no_sam_weights")


def notices(at) -> str:
    """The link notices, as the page shows them (Markdown escapes undone)."""
    return re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))


def panel_texts(at) -> str:
    return " ".join(a["text"].replace("<br>", " ") for a in grid(at)["layout"]["annotations"])


def test_prompts_in_the_link_tick_the_prompt_methods_which_join_the_grid_scores_and_chart(offline):
    at = compare_page(COFFEE)
    ticked = at.multiselect(key="cmp_methods").value
    assert {"grabcut", "flood"} <= set(ticked) and "sam2" not in ticked  # SAM's weights are not here
    assert "SAM 2.1" in at.multiselect(key="cmp_methods").options  # offered: its panel would say what is missing
    titles = panel_titles(grid(at))
    assert "GrabCut" in titles and "Flood fill" in titles and "Otsu" in titles
    # A prompt method's panel says its time and confidence as Point and click does, not a label count.
    grabcut_title = next(t for t in grid(at)["layout"]["meta"]["panels"] if t.startswith("<b>GrabCut</b>"))
    assert " ms" in grabcut_title and "labels" not in grabcut_title.split("<br>")[1]
    # Each prompt method's panel draws what it was asked (the box's outline, the green click) at their pixels;
    # the other methods' panels draw no prompts.
    fig = grid(at)
    axes = {t["name"]: t["xaxis"] for t in fig["data"] if t.get("type") == "image"}
    drawn = {}
    for t in fig["data"]:
        if t.get("type") == "scatter" and t.get("x"):
            drawn.setdefault(t["xaxis"], []).append(t)
    grabcut = drawn[axes[grabcut_title]]
    assert {"x": [70, 484, 484, 70, 70], "y": [13, 13, 395, 395, 13]} in [{"x": t["x"], "y": t["y"]} for t in grabcut]
    click = next(t for t in grabcut if t["mode"] == "markers")
    assert (click["x"], click["y"], click["marker"]["color"]) == ([279], [213], "#22c55e")
    otsu = next(name for name in axes if name.startswith("<b>Otsu"))
    assert axes[otsu] not in drawn

    table = scores(at)
    for name in ["GrabCut", "Flood fill", "Seeded watershed", "Random walker"]:
        assert table.loc[name, "Foreground"] == "own", name  # its object, never the ground truth's pick
    assert table.loc["GrabCut", "IoU"] > 0.9  # a box around the cup and saucer: GrabCut finds them
    assert table.loc["Felzenszwalb graph segmentation", "Foreground"].startswith("oracle")
    captions = " ".join(c.value for c in at.caption)
    assert "the object a prompt method answers with" in captions  # the rule says why theirs is own
    assert "1 object click and a box on this image" in captions

    chart = next(c for c in at.get("plotly_chart") if c.proto.spec and "against time" in c.proto.spec)
    legends = [t["name"] for t in json.loads(chart.proto.spec)["data"]]
    assert "prompt methods" in legends and "thresholds" in legends

    # The address keeps the prompts and the prompt methods' settings.
    query = {k: at.query_params[k] for k in at.query_params}
    assert query["box"] == "70,13,484,395" and query["clicks"] == "279,213+"
    assert "grabcut" in str(query["methods"]) and "grabcut.iterations" in query
    # Their settings are in the settings tabs, with the same controls.
    assert open_settings(at, "grabcut").slider(key="cmp.grabcut.iterations").value == 5


def test_unticked_prompt_methods_stay_unticked_and_sam_without_weights_says_why(offline):
    at = compare_page(COFFEE)
    at.multiselect(key="cmp_methods").set_value(["otsu", "grabcut", "sam2"]).run()
    assert not at.exception, at.exception
    assert at.multiselect(key="cmp_methods").value == ["otsu", "grabcut", "sam2"]  # not ticked again
    assert panel_titles(grid(at)) == ["Otsu", "GrabCut", "SAM 2.1"]
    assert "SAM 2.1 " in panel_texts(at) and "is not on this machine" in panel_texts(at)
    assert list(scores(at).index) == ["Otsu", "GrabCut"]  # SAM has no result to score


def test_a_method_that_cannot_answer_shows_why_in_its_panel(offline):
    at = compare_page({"sample": "coffee", "clicks": "279,213-", "methods": "otsu,grabcut,flood"})
    assert at.multiselect(key="cmp_methods").value == ["otsu", "grabcut", "flood"]  # the link chose them
    texts = panel_texts(at)
    assert "GrabCut" in texts and "needs" in texts  # a background click alone: nothing to call the object
    assert list(scores(at).index) == ["Otsu"]


def test_without_prompts_they_are_not_offered_and_clearing_drops_them_quietly(offline):
    at = compare_page(COFFEE)
    assert "grabcut" in at.multiselect(key="cmp_methods").value
    at.switch_page("pages/prompts.py").run()
    at.button(key="pr_clear").click().run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    choice = at.multiselect(key="cmp_methods")
    assert not set(CLASSIC + ["sam2"]) & set(choice.value)
    assert "GrabCut" not in choice.options and "Otsu" in choice.options
    assert "GrabCut" not in panel_titles(grid(at))
    captions = " ".join(c.value for c in at.caption)
    assert "Add clicks, a box or scribbles on Point and click to compare the prompt methods too" in captions
    assert not {"clicks", "box", "strokes"} & set(at.query_params)


def test_a_link_naming_a_prompt_method_without_prompts_gets_a_notice(offline):
    at = compare_page({"sample": "coffee", "methods": "otsu,grabcut"})
    assert "methods: grabcut answers prompts: add some on Point and click" in notices(at)
    assert at.multiselect(key="cmp_methods").value == ["otsu"]


def test_a_hostile_prompts_value_gets_a_notice_and_the_rest_is_used(offline):
    at = compare_page({"sample": "coffee", "clicks": "<b>x</b>", "box": "70,13,484,395",
                       "methods": "otsu,grabcut"})
    assert "<b>" not in " ".join(w.value for w in at.warning)  # escaped
    assert "clicks=<b>x</b>" in notices(at) and "ignored" in notices(at)
    assert at.multiselect(key="cmp_methods").value == ["otsu", "grabcut"]  # the box is prompts enough
    assert scores(at).loc["GrabCut", "IoU"] > 0.9


def test_the_zip_holds_a_prompt_methods_mask_and_its_prompts(tmp_path):
    image = load_image(encode(data.coffee()), name="coffee.png")
    prompts = Prompts((Click(279, 213, True),), (70, 13, 484, 395))
    results = {"otsu": run_method("otsu", image.rgb), "grabcut": run_method("grabcut", image.rgb, prompts)}
    blob = comparison_zip(image, results, max_side=None, prompts=prompts)
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert "labels/coffee_grabcut_labels.png" in zf.namelist()
    assert manifest["prompts"] == {"clicks": "279,213+", "box": "70,13,484,395"}
    assert manifest["methods"]["grabcut"]["command"] is None  # the command line takes no prompts
    assert manifest["methods"]["grabcut"]["labels"] == 2
    assert manifest["methods"]["otsu"]["command"].startswith("python -m segcore -m otsu")

