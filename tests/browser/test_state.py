"""What a visitor gave stays given: settings across pages, reloads and shared links (issue 21, items 1-3, 5)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import VIEWPORT, App

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

pytestmark = pytest.mark.browser


def _checked(app: App, label: str) -> str:
    """The label of the ticked option of the radio group ``label``."""
    group = app.main.locator('[data-testid="stRadio"]').filter(has=app.page.get_by_text(label, exact=True)).first
    return group.locator('label:has(input:checked)').inner_text().strip()


def _combo(app: App, label: str):
    return app.main.locator('[data-testid="stSelectbox"]').get_by_role("combobox", name=label, exact=True)


def test_a_pages_settings_survive_other_pages_a_reload_and_a_shared_link(app, browser):
    app.goto("/thresholding?sample=coins")
    app.select("Method", "Otsu (automatic)")
    app.nav_to("Clustering")
    with app.rerun():
        app.main.get_by_text("CIELAB (perceptual)", exact=True).click()
    app.press_slider("Clusters (k)", "ArrowRight", times=3)
    expect(app.metric("Clusters")).to_have_text("8")

    app.nav_to("Thresholding")  # back: the method chosen before, not the default
    expect(_combo(app, "Method")).to_have_value("Otsu (automatic)")
    expect(app.main.get_by_text(re.compile(r"^Threshold$"))).to_be_visible()
    app.nav_to("Clustering")
    expect(app.metric("Clusters")).to_have_text("8")
    assert _checked(app, "Colour space") == "CIELAB (perceptual)"
    assert "cl_k=8" in app.page.url and "sample=coins" in app.page.url, app.page.url

    app.page.reload()
    app.wait(since=0, start_timeout_ms=20_000)
    expect(app.metric("Clusters")).to_have_text("8")
    assert _checked(app, "Colour space") == "CIELAB (perceptual)"
    assert app.working_caption().startswith("coins.png:"), app.working_caption()

    shared = app.page.url  # opened by someone else: the same page, image and settings
    context = browser.new_context(viewport=VIEWPORT)
    try:
        other = App(context.new_page(), app.base_url)
        other.page.goto(shared, wait_until="domcontentloaded")
        other.wait(since=0, start_timeout_ms=20_000)
        expect(other.metric("Clusters")).to_have_text("8")
        assert _checked(other, "Colour space") == "CIELAB (perceptual)"
        assert other.working_caption().startswith("coins.png:")
        other.assert_clean()
    finally:
        context.close()


def test_a_links_value_beyond_the_controls_gets_a_notice_and_the_default(app):
    app.goto("/clustering?cl_k=99&rg_method=nope")
    notice = app.main.get_by_text(re.compile(r"^From the link: cl_k=99"))
    expect(notice).to_contain_text("outside 2 to 16; used 5")
    expect(app.metric("Clusters")).to_have_text("5")
    app.goto("/regions?rg_method=Nope&rg.felzenszwalb.scale=1e9")
    expect(app.main.get_by_text(re.compile(r"^From the link: rg_method=Nope"))).to_be_visible()
    expect(app.main.get_by_text(re.compile(r"^From the link: rg.felzenszwalb.scale=1e9"))).to_contain_text("outside")


def test_the_uploader_says_a_reload_loses_the_upload(app, photo_file):
    app.goto("/")
    expect(app.sidebar.get_by_text("Kept across pages; a reload or a shared link starts without it.")).to_be_visible()
    app.upload(photo_file)
    assert "sample=" not in app.page.url  # an upload cannot travel in a link; no sample claims to be shown


def _upload_ground_truth(app: App, path) -> None:
    radio = app.main.locator('[data-testid="stRadio"]').filter(has_text="Ground truth").first
    with app.rerun():
        radio.locator("label").filter(has_text="upload my own").first.click()
    uploader = app.main.locator('[data-testid="stFileUploader"]').filter(has_text="Ground-truth file")
    with app.rerun():
        uploader.locator('input[type="file"]').set_input_files(str(path))


def _pick_sample(app: App, title: str) -> None:
    combo = app.sidebar.get_by_role("combobox", name="...or pick a sample")
    combo.click()
    combo.fill(title)
    with app.rerun():
        combo.press("Enter")
    expect(app.sidebar.get_by_text(re.compile(r": \d+ x \d+ px$"))).to_have_text(re.compile(r"\.png: 512 x 512 px$"))


def _toggle(app: App, label: str) -> None:
    with app.rerun():
        app.main.locator('[data-testid="stCheckbox"]').filter(has_text=label).first.locator("label").click()


def test_presentation_mode_keeps_the_uploaded_ground_truth_and_a_new_image_clears_it(app, tmp_path):
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    mask = np.zeros((512, 512), np.uint8)
    mask[120:400, 140:360] = 255
    path = tmp_path / "camera_truth.png"
    Image.fromarray(mask).save(path)
    app.goto("/compare?sample=camera&methods=otsu,kmeans")
    _upload_ground_truth(app, path)
    table = app.main.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    expect(app.main.get_by_text("Scores of camera.png against the ground truth camera_truth.png.")).to_be_visible()

    _toggle(app, "Presentation mode")  # on: the scores stay on the screen
    expect(app.main.get_by_role("heading", name="Scores")).to_be_visible()
    cell = app.main.locator('[data-testid="stTable"] td').first  # every score in sight, in large type
    expect(cell).to_be_visible()
    assert float(cell.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 24
    app.screenshot("compare-presentation-scores", full_page=True)
    _toggle(app, "Presentation mode")  # off: the ground truth is still there, and in the zip
    expect(app.main.get_by_text("Scores of camera.png against the ground truth camera_truth.png.")).to_be_visible()
    button = app.main.locator('[data-testid="stDownloadButton"] button').filter(has_text="Download this comparison")
    with app.page.expect_download() as info:
        button.first.click()
    with zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read())) as zf:
        assert "metrics.csv" in zf.namelist()
        assert "camera_truth.png" in zf.read("metrics.csv").decode()

    _pick_sample(app, "Astronaut")  # the same size, another image
    expect(app.main.locator('[data-testid="stDataFrame"]')).to_have_count(0)
    expect(app.main.get_by_text("camera_truth.png", exact=False)).to_have_count(0)
    _pick_sample(app, "Cameraman")  # back: its own ground truth again
    expect(app.main.get_by_text("Scores of camera.png against the ground truth camera_truth.png.")).to_be_visible()


def test_a_links_value_is_shown_as_typed_and_copies_as_typed(app):
    """No icon, emoji or invisible character in a shown value (issue 21, item 19)."""
    app.goto("/compare?methods=otsu,a:material/home:b:smile:c")
    notice = app.main.get_by_text(re.compile(r"^From the link: methods:"))
    expect(notice).to_be_visible()
    text = notice.inner_text()
    assert "a:material/home:b:smile:c unknown" in text, text
    assert "\u2060" not in text and not notice.locator('[role="img"], img').count()


def test_a_first_compare_grid_holds_only_what_can_run(app):
    """Without COCO weights Mask R-CNN is not ticked on a first visit; on the shapes sample it is (issue 21, item 10)."""
    app.goto("/compare")
    chips = app.main.locator('[data-testid="stMultiSelect"] [data-tag]')
    expect(chips.first).to_be_visible()
    assert "Mask R-CNN" not in chips.all_inner_texts() and len(chips.all_inner_texts()) == 6, chips.all_inner_texts()
    expect(app.main.get_by_text(re.compile(r"weights on this machine"))).to_have_count(0)
    app.goto("/compare?sample=shapes")
    expect(chips.filter(has_text="Mask R-CNN")).to_have_count(1)
