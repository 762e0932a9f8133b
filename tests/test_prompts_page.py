"""The Point and click page in AppTest: prompts from a link, every method's answer, undo and clear, bad links;
and the canvas's mapping between its points and the working image's pixels."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import encode
from streamlit.testing.v1 import AppTest

from pages._prompt_canvas import NEGATIVE, POSITIVE, Fit, drawing, fit, picture, read
from segcore.prompts import Click, Prompts, Stroke
from segcore.registry import list_methods

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CLASSIC = ["flood", "seeded_watershed", "random_walker", "grabcut", "pixel_classifier"]


#: SAM 2.1's weights are nowhere here (conftest's no_sam_weights), for every test of this file.
pytestmark = pytest.mark.usefixtures("no_sam_weights")


@pytest.fixture(scope="module")
def disc_png() -> bytes:
    """A 160 x 120 photo-like picture: a bright disc (centre 80, 60; radius 30) on dark noise."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(20, 60, (120, 160, 3)).astype(np.uint8)
    yy, xx = np.mgrid[:120, :160]
    rgb[(xx - 80) ** 2 + (yy - 60) ** 2 <= 30**2] = (230, 200, 60)
    return encode(rgb)


def prompts_page(query: dict[str, str], image: bytes | None = None) -> AppTest:
    """The page opened by a link with ``query`` (after uploading ``image`` on the home page)."""
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if image is not None:
        at.sidebar.file_uploader[0].upload("disc.png", image, "image/png")
        at.run()
    at.switch_page("pages/prompts.py").run()
    assert not at.exception, at.exception
    return at


def answers(at: AppTest) -> dict[str, str]:
    """Each answer picture's caption by method title: "Flood fill" -> "Flood fill: 12 ms"."""
    caps = [el.proto.imgs[0].caption for el in at.main if getattr(el, "type", None) == "image"]
    return {c.split(":")[0]: c for c in caps}


def described(at: AppTest) -> str:
    """The line under Undo and Clear saying which prompts are given ("1 object click and a box.")."""
    return next(c.value for c in at.caption if re.match(r"(\d+ (object|background) |a box|No prompts yet)", c.value))


def notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith("From the link:")]


def test_a_link_with_prompts_shows_every_methods_answer_with_its_time(disc_png):
    at = prompts_page({"clicks": "80,60+.10,10-"}, disc_png)
    assert described(at) == "1 object click and 1 background click."
    assert at.multiselect(key="pr_methods").value == CLASSIC  # every classic method answers these prompts
    shown = answers(at)
    titles = {m.title for m in list_methods("prompts") if m.name in CLASSIC}
    assert set(shown) == titles, shown
    for caption in shown.values():
        assert caption.split(": ", 1)[1].split(",")[0].endswith(" ms"), caption
    assert ", confidence " in shown["Random walker"]
    assert len(at.get("download_button")) == len(CLASSIC)
    objects = [c.value for c in at.caption if c.value.startswith("Object: ")]
    assert len(objects) == len(CLASSIC)
    share = float(objects[0].split()[1])  # flood fill from the disc's centre: the disc, 2827 of 19200 px
    assert 12 < share < 17, objects[0]


def test_a_method_that_lacks_its_prompts_says_what_it_needs_in_its_panel(disc_png):
    at = prompts_page({"box": "45,25,115,95"}, disc_png)
    chosen = at.multiselect(key="pr_methods").value
    assert "grabcut" in chosen and "flood" not in chosen  # a first visit ticks the methods that answer a box
    at.multiselect(key="pr_methods").set_value(["flood", "grabcut"]).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["Flood fill needs a positive click: click on the object"]
    assert set(answers(at)) == {"GrabCut"}


@pytest.mark.parametrize("query, says", [
    ({"clicks": "99999,1+"}, "clicks=99999,1+: the point (99999, 1) lies outside the 160 x 120 image; ignored."),
    ({"clicks": "abc"}, "clicks=abc: clicks: 'abc' is not a list of x,y+ or x,y- points; ignored."),
    ({"clicks": ".".join(["5,5+"] * 101)}, "101 clicks: at most 100; ignored."),
    ({"box": "90,10,10,90"}, "the box (90, 10, 10, 90) has its corners the wrong way round; ignored."),
    ({"strokes": "+999:1,1"}, "a scribble needs at least one point and a width of 1 to 64 pixels; ignored."),
])
def test_a_hostile_link_gets_a_notice_and_is_ignored(disc_png, query, says):
    at = prompts_page(query, disc_png)
    assert not at.exception
    found = notices(at)
    assert len(found) == 1 and says in found[0].replace("\\", ""), found
    assert described(at) == "No prompts yet."
    assert not {"clicks", "box", "strokes"} & set(at.query_params)  # the bad value leaves the address


def test_a_good_part_of_a_link_is_kept_beside_a_bad_one(disc_png):
    at = prompts_page({"clicks": "80,60+", "box": "1,2,3"}, disc_png)
    assert len(notices(at)) == 1 and "box=1,2,3" in notices(at)[0]
    assert described(at) == "1 object click."
    assert at.query_params["clicks"] == "80,60+" and "box" not in at.query_params


def test_undo_and_clear_change_the_prompts_and_the_address(disc_png):
    at = prompts_page({"clicks": "80,60+.10,10-.150,110-", "box": "40,20,120,100"}, disc_png)
    assert described(at) == "1 object click, 2 background clicks and a box."
    at.multiselect(key="pr_methods").set_value(["flood"]).run()
    at.button(key="pr_undo").click().run()  # a link's prompts have no history: the last click goes
    assert described(at) == "1 object click, 1 background click and a box."
    assert at.query_params["clicks"] == "80,60+.10,10-"
    at.button(key="pr_clear").click().run()
    assert described(at) == "No prompts yet."
    assert not {"clicks", "box"} & set(at.query_params)
    assert [i.value for i in at.info] == ["Flood fill needs a positive click: click on the object"]
    at.button(key="pr_undo").click().run()  # undo the clearing
    assert described(at) == "1 object click, 1 background click and a box."
    assert at.query_params["box"] == "40,20,120,100"
    assert set(answers(at)) == {"Flood fill"}


def test_another_setting_of_one_method_reruns_only_that_method(disc_png):
    from pages._result_view import shared_results

    at = prompts_page({"clicks": "80,60+.10,10-"}, disc_png)
    at.multiselect(key="pr_methods").set_value(["flood", "grabcut"]).run()
    before = answers(at)
    keys = set(shared_results()._items)
    at.slider(key="pr.grabcut.iterations").set_value(2).run()
    assert not at.exception
    new = set(shared_results()._items) - keys
    assert [k[0] for k in new] == ["grabcut"]  # one new result: GrabCut's; flood fill's came from the cache
    assert answers(at)["Flood fill"] == before["Flood fill"]


# -- the canvas ----------------------------------------------------------------------------------


def test_the_canvas_shows_a_large_image_reduced_and_a_small_one_enlarged_by_a_whole_factor():
    assert fit((872, 1000)).size == (550, 480)
    assert fit((400, 600)).size == (600, 400)  # fits: shown as it is
    assert fit((120, 160)).size == (480, 360)  # 3 x, each pixel a 3 x 3 block
    small = np.arange(120 * 160 * 3, dtype=np.uint8).reshape(120, 160, 3)
    shown = picture(small, fit((120, 160)))
    assert shown.shape == (360, 480, 3) and (shown[3:6, 6:9] == small[1, 2]).all()


def test_a_canvas_point_is_the_working_pixel_under_it_and_the_page_draws_prompts_back_there():
    f = Fit((872, 1000), (550, 480))
    assert f.to_image(100.25, 200.27) == (182, 363)  # floor(100.25 * 1000 / 550), floor(200.27 * 872 / 480)
    assert f.to_image(-3, 999) == (0, 871)  # a scribble run off the canvas stays inside the image
    # What Fabric.js sent for a click, a drag and a stroke (point, rect and freedraw tools, in canvas pixels).
    raw = {"objects": [
        {"type": "Circle", "left": 94.5, "top": 200.0, "originX": "left", "originY": "center", "radius": 5,
         "strokeWidth": 2, "fill": NEGATIVE, "scaleX": 1, "scaleY": 1, "angle": 0},
        {"type": "Rect", "left": 20, "top": 30, "width": 60, "height": 60, "originX": "left", "originY": "top",
         "strokeWidth": 2, "scaleX": 1, "scaleY": 1, "angle": 0},
        {"type": "Path", "stroke": POSITIVE, "strokeWidth": 5, "originX": "center", "originY": "center",
         "path": [["M", 99.997, 99.997], ["Q", 100, 100, 103, 101], ["Q", 106, 102, 109, 103.5], ["L", 200.003, 99.997]]},
    ]}
    prompts, exact = read(raw, f)
    assert exact
    assert prompts.clicks == (Click(182, 363, False),)  # the dot's centre: 94.5 + 5 + 1 = 100.5 canvas px
    assert prompts.box == (36, 54, 145, 163)
    (stroke,) = prompts.strokes
    assert stroke.positive and stroke.width == 9 and stroke.path[0] == (181, 181) and stroke.path[-1] == (363, 181)
    again, exact = read(drawing(prompts, f, nonce=3), f)
    assert again == prompts and exact


def test_a_second_box_or_a_resized_object_makes_the_page_draw_its_prompts_afresh():
    f = Fit((100, 100), (100, 100))
    box = {"type": "Rect", "left": 10, "top": 10, "width": 20, "height": 20}
    prompts, exact = read({"objects": [box, {**box, "left": 50}]}, f)
    assert prompts.box == (50, 10, 70, 30) and not exact  # the last box drawn wins
    _, exact = read({"objects": [{**box, "scaleX": 2}]}, f)
    assert not exact


def test_a_long_scribble_is_thinned_to_a_bounded_number_of_points():
    f = Fit((500, 500), (500, 500))
    path = [["M", 0, 0]] + [["L", i * 0.2, i * 0.1] for i in range(1, 2000)]
    prompts, _ = read({"objects": [{"type": "Path", "stroke": NEGATIVE, "strokeWidth": 9, "path": path}]}, f)
    (stroke,) = prompts.strokes
    assert not stroke.positive and len(stroke.path) == 100 and stroke.path[0] == (0, 0) and stroke.path[-1] == (399, 199)
    assert Prompts(strokes=(Stroke(stroke.path),)).check((500, 500))


def test_a_link_naming_an_unknown_method_says_so_and_keeps_the_others(disc_png):
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["clicks"] = "80,60+"
    at.query_params["pr_methods"] = ["Flood fill", "Nope"]
    at.run()
    at.sidebar.file_uploader[0].upload("disc.png", disc_png, "image/png")
    at.run()
    at.switch_page("pages/prompts.py").run()
    assert not at.exception
    found = notices(at)
    assert len(found) == 1 and found[0].startswith("From the link: pr_methods=Nope: no such method"), found
    assert at.multiselect(key="pr_methods").value == ["flood"]


def test_sam_without_its_weights_says_what_is_missing_and_how_to_fetch_it_and_the_others_answer(disc_png):
    at = prompts_page({"clicks": "80,60+.10,10-"}, disc_png)
    assert "sam2" not in at.multiselect(key="pr_methods").value  # not ticked while its weights are missing
    at.multiselect(key="pr_methods").set_value(["flood", "sam2"]).run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "SAM 2.1" in w.value]
    assert "is not on this machine: missing config.json, model.safetensors" in warning
    assert "`python -m segcore weights download sam2`" in warning and "SEGCORE_SAM2_WEIGHTS" in warning
    assert set(answers(at)) == {"Flood fill"}


def test_sam_with_its_weights_answers_a_click_and_offers_its_other_readings(disc_png, tmp_path, monkeypatch):
    """A small random SAM 2.1 saved as transformers saves one (tests/test_sam2.py's): the page's path, not its quality."""
    torch = pytest.importorskip("torch")
    from test_sam2 import _processor, _small_configs
    from transformers import Sam2Config, Sam2Model

    from segcore.methods.prompts import sam2

    torch.manual_seed(0)
    vision, prompt, decoder = _small_configs()
    Sam2Model(Sam2Config(vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder)) \
        .save_pretrained(tmp_path / "sam")
    _processor().save_pretrained(tmp_path / "sam")
    monkeypatch.setenv("SEGCORE_SAM2_WEIGHTS", str(tmp_path / "sam"))
    sam2.clear_predictors()
    try:
        at = prompts_page({"clicks": "80,60+"}, disc_png)
        assert at.multiselect(key="pr_methods").value[-1] == "sam2"  # found: ticked
        at.multiselect(key="pr_methods").set_value(["sam2"]).run()
        kept = answers(at)["SAM 2.1"]
        assert re.fullmatch(r"SAM 2\.1: \d+ ms, confidence -?\d\.\d\d", kept), kept
        readings = next(r for r in at.radio if r.label == "SAM's readings of this prompt")
        assert len(readings.options) == 3
        other = next(i for i in range(3) if i != readings.value)
        readings.set_value(other).run()
        assert not at.exception
        assert readings.options[other].endswith(answers(at)["SAM 2.1"].rsplit(" ", 1)[1])  # its score shown now
    finally:
        sam2.clear_predictors()


def test_prompts_stay_with_their_image_across_pages_and_images():
    at = prompts_page({"sample": "astronaut", "clicks": "200,150+", "pr_methods": ["Flood fill"]})
    assert described(at) == "1 object click."
    at.switch_page("pages/clustering.py").run()
    at.switch_page("pages/prompts.py").run()
    assert described(at) == "1 object click." and at.query_params["clicks"] == "200,150+"
    at.sidebar.selectbox(key="sample").set_value("coffee").run()  # another image starts without prompts
    assert described(at) == "No prompts yet." and "clicks" not in at.query_params
    at.sidebar.selectbox(key="sample").set_value("astronaut").run()  # and coming back brings its own back
    assert described(at) == "1 object click." and at.query_params["clicks"] == "200,150+"
