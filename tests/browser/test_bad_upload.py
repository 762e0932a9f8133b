"""Flow 6: a file that is not an image gets a clear message; the app stays usable."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

pytestmark = pytest.mark.browser

MESSAGE = "is not an image this app can read"


def test_text_file_named_png_is_refused_clearly_and_app_recovers(app, not_an_image):
    app.goto("/")
    app.nav_to("Thresholding")
    expect(app.metric("Threshold")).to_be_visible()

    app.upload(not_an_image)
    # The sidebar says what is wrong, and so does the page, which explains what to do.
    expect(app.sidebar.locator('[data-testid="stAlert"]').filter(has_text=MESSAGE)).to_be_visible()
    expect(app.sidebar.get_by_text(f"'{not_an_image.name}' {MESSAGE}")).to_be_visible()
    expect(app.main.locator('[data-testid="stAlert"]').filter(has_text=MESSAGE)).to_be_visible()
    expect(app.main.get_by_text("remove this one in the sidebar (the ✕ beside its name) to pick a sample")).to_be_visible()
    # what the page says matches the sidebar: the picker waits for the upload's removal
    expect(app.sidebar.get_by_role("combobox", name="...or pick a sample")).to_be_disabled()
    expect(app.h1()).to_have_text("Thresholding")
    expect(app.main.locator('[data-testid="stMetric"]')).to_have_count(0)
    app.screenshot("bad-upload")

    # Other pages say the same and do not crash.
    app.nav_to("Edge detection")
    expect(app.main.locator('[data-testid="stAlert"]').filter(has_text=MESSAGE)).to_be_visible()
    app.nav_to("Thresholding")

    # Remove the upload: the sample picker is back, and a sample works again.
    app.remove_upload(not_an_image.name)
    sample = app.sidebar.locator('[data-testid="stSelectbox"]').get_by_role("combobox", name="...or pick a sample")
    expect(sample).to_be_enabled()
    app.select("...or pick a sample", "Coffee", scope=app.sidebar)
    expect(app.sidebar.locator('[data-testid="stImageCaption"]').first).to_have_text("coffee.png: 600 x 400 px")
    expect(app.main.locator('[data-testid="stAlert"]').filter(has_text=MESSAGE)).to_have_count(0)
    expect(app.metric("Threshold")).to_have_text(re.compile(r"^0\.\d{4}$"))
    expect(app.image_with_caption("Label map:")).to_be_visible()
    app.screenshot("bad-upload-recovered")
