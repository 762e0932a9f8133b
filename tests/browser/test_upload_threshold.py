"""Flow 2: upload a real photo, see it on every technique page; move a threshold and see
the number and the picture change."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None
from skimage import data

pytestmark = pytest.mark.browser

TECHNIQUE_PAGES = {"Thresholding": "Thresholding", "Edge detection": "Edge detection", "Clustering": "Clustering"}


def _decode(raw: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


def test_uploaded_photo_shows_on_every_technique_page(app, photo_file):
    app.goto("/")
    app.upload(photo_file, via_chooser=True)
    uploader = app.sidebar.locator('[data-testid="stFileUploader"]')
    expect(uploader.get_by_text(photo_file.name)).to_be_visible()
    # The photo is the working image now: its name and size under the sidebar picture,
    # and the sample picker steps aside.
    coffee = data.coffee()
    h, w = coffee.shape[:2]
    caption = app.sidebar.locator('[data-testid="stImageCaption"]').first
    expect(caption).to_have_text(f"{photo_file.name}: {w} x {h} px")
    expect(app.sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="pick a sample").locator("input")).to_be_disabled()

    for title, h1 in TECHNIQUE_PAGES.items():
        app.nav_to(title)
        expect(app.h1()).to_have_text(h1)
        # Same session: the upload is still the image on this page.
        expect(caption).to_have_text(f"{photo_file.name}: {w} x {h} px")
        shown = app.image_with_caption("Working image")
        expect(shown).to_be_visible()
        pixels = _decode(app.fetch(shown.get_attribute("src")))
        assert pixels.shape[:2] == (h, w), f"{title}: working image shown at {pixels.shape[:2]}, expected {(h, w)}"
        diff = np.abs(pixels.astype(int) - coffee.astype(int)).mean()
        assert diff < 6, f"{title}: the image shown is not the uploaded photo (mean abs diff {diff:.1f})"
        app.screenshot("upload-" + title.lower().replace(" ", "-"))


def test_threshold_slider_changes_value_and_picture(app, photo_file):
    app.goto("/")
    app.upload(photo_file)
    app.nav_to("Thresholding")
    app.select("Method", "Multi-level threshold (your values)", scope=app.main)

    t1 = app.metric("Threshold 1")
    expect(t1).to_have_text("0.2500")
    expect(app.metric("Threshold 2")).to_have_text("0.5000")
    expect(app.metric("Threshold 3")).to_have_text("0.7500")
    label_img = app.image_with_caption("Label map:")
    expect(label_img).to_be_visible()
    expect(app.main.get_by_text(re.compile(r"^Label map: 4 labels$"))).to_be_visible()
    src_before = label_img.get_attribute("src")
    bytes_before = app.fetch(src_before)
    app.screenshot("thresholding-multilevel-before")

    # Keyboard, as a person without a mouse would: focus the thumb, ArrowRight x 4 (step 0.005).
    app.press_slider("Threshold 1", "ArrowRight", times=4)
    # The thumb shows the value with three decimals (format="%.3f", the step is 0.005).
    expect(app.slider("Threshold 1").locator('[data-testid="stSliderThumbValue"]')).to_have_text(re.compile(r"^0\.270*$"))
    expect(t1).to_have_text("0.2700")
    expect(app.metric("Threshold 2")).to_have_text("0.5000")
    expect(label_img).not_to_have_attribute("src", src_before)
    bytes_after = app.fetch(label_img.get_attribute("src"))
    before, after = _decode(bytes_before), _decode(bytes_after)
    assert before.shape == after.shape
    changed = np.any(before != after, axis=2).mean()
    assert changed > 0.001, f"label map hardly changed ({100 * changed:.3f} % of pixels)"
    app.screenshot("thresholding-multilevel-after")


def test_multi_otsu_classes_slider_adds_a_threshold(app):
    app.goto("/")
    app.nav_to("Thresholding")
    app.select("Method", "Multi-Otsu (automatic, n classes)", scope=app.main)
    values = app.main.locator('[data-testid="stMetric"]')
    expect(values).to_have_count(2)  # 3 classes: 2 thresholds
    expect(app.main.get_by_text(re.compile(r"^Label map: 3 labels$"))).to_be_visible()
    app.press_slider("Classes", "ArrowRight")
    expect(app.slider("Classes").locator('[data-testid="stSliderThumbValue"]')).to_have_text("4")
    expect(values).to_have_count(3)
    expect(app.main.get_by_text(re.compile(r"^Label map: 4 labels$"))).to_be_visible()
    got = [float(v) for v in app.main.locator('[data-testid="stMetricValue"]').all_inner_texts()]
    assert got == sorted(got) and all(0 < v < 1 for v in got), got
