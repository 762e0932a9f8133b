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
    expect(app.sidebar.get_by_text(re.compile(r"^An upload stays while you move between pages; a reload"))).to_be_visible()
    app.upload(photo_file)
    assert "sample=" not in app.page.url  # an upload cannot travel in a link; no sample claims to be shown
