"""The Mask R-CNN page in AppTest: the offline shapes model end to end, and no weights at all."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def mask_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    at.switch_page("pages/mask_rcnn.py").run()
    return at


def test_without_weights_the_page_explains_how_to_fix_it(offline):
    at = mask_page()
    assert not at.exception, at.exception
    # First what the person at the screen can do (one click), then what the host can do, with no server path.
    assert "Click Run the offline demo" in at.info[0].value
    text = " ".join(c.value for c in at.caption)
    for needle in ["maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth", "SEGCORE_MASKRCNN_WEIGHTS",
                   "python -m segcore weights download --variant v1"]:
        assert needle in text
    shown = " ".join(e.value for e in [*at.error, *at.warning, *at.info, *at.caption, *at.markdown])
    assert "hub/checkpoints" not in shown and "/root" not in shown and str(Path.home()) not in shown
    at.run()  # a rerun does not retry the download by itself; it offers a button
    assert not at.exception
    assert any(b.label == "Try the download again" for b in at.button)
    at.button(key="mr_offline").click().run()  # one click: the offline demo runs
    assert not at.exception, at.exception
    assert at.selectbox(key="mr_variant").value == "shapes" and at.metric


def test_the_shapes_model_runs_on_the_sidebars_image_with_a_note(offline):
    at = mask_page()
    at.selectbox(key="mr_variant").set_value("shapes").run()
    assert not at.exception, at.exception
    assert at.session_state["segcore_image"].name == "astronaut.png"
    assert "Instances" in [m.label for m in at.metric]  # it ran on the astronaut...
    assert any("knows only circles, squares and triangles" in c.value for c in at.caption)  # ...saying what to expect
    at.sidebar.selectbox(key="sample").set_value("shapes").run()
    assert not any("knows only circles" in c.value for c in at.caption)  # the picture it knows: no note
    assert int({m.label: m.value for m in at.metric}["Instances"]) >= 1


def test_shapes_model_lists_instances_and_renders_both_views(offline):
    at = mask_page()
    at.selectbox(key="mr_variant").set_value("shapes").run()
    assert not at.exception, at.exception
    m = {x.label: x.value for x in at.metric}
    assert int(m["Instances"]) >= 1 and m["Device"] == "CPU"
    assert [h.value for h in at.subheader] == ["Instance segmentation", "Semantic segmentation"]
    table = at.dataframe[0].value
    assert set(table["class"]) <= {"circle", "square", "triangle"}
    assert (table["score"] > 0.5).all()
    first = table["class"].iloc[0]
    at.multiselect(key="mr_classes").set_value([first]).run()
    assert not at.exception
    assert set(at.dataframe[0].value["class"]) == {first}
    at.number_input(key="mr_max").set_value(1).run()
    assert len(at.dataframe[0].value) == 1 and at.metric[0].value == "1"
