"""The Mask R-CNN page without COCO weights: one click to the offline demo, on the sidebar's image (issue 21, item 9)."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

pytestmark = pytest.mark.browser


def test_one_click_runs_the_offline_demo_on_the_sidebars_image(app):
    app.goto("/mask_rcnn?sample=coins")
    offer = app.main.get_by_text(re.compile(r"^Click Run the offline demo"))
    expect(offer).to_be_visible(timeout=120_000)  # after the download attempt, which cannot work here
    host = app.main.get_by_text(re.compile(r"^For whoever hosts this app"))
    expect(host).to_be_visible()
    assert "hub/checkpoints" not in app.main.inner_text()  # no server folder on the page
    with app.rerun():
        app.main.get_by_role("button", name="Run the offline demo").click()
    expect(app.metric("Instances")).to_be_visible()
    expect(app.main.get_by_text(re.compile(r"^The small model knows only circles"))).to_be_visible()
    assert app.working_caption().startswith("coins.png:")  # it ran on the sidebar's image, not its own picture
    expect(app.main.get_by_text(re.compile(r"^Model loaded from shapes"))).to_be_visible()
