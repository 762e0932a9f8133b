"""Flow 1: from the home page, every page link and every sidebar entry opens its page."""

from __future__ import annotations

import re

import pytest

from .conftest import VIEWPORT, App

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

pytestmark = pytest.mark.browser

# Titles (h1) of the pages known today; a page added later must still load with an h1.
EXPECTED_H1 = {
    "/thresholding": "Thresholding",
    "/edges": "Edge detection",
    "/clustering": "Clustering",
    "/compare": "Compare methods",
}


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?")[0].rstrip("/")


def test_home_page_links_open_every_page(app):
    app.goto("/")
    expect(app.h1()).to_have_text("Segmentation explorer")
    expect(app.main.get_by_text("Summary of the techniques")).to_be_visible()
    app.screenshot("home")
    app.screenshot("home-full", full_page=True, docs="home.png")

    links = app.main.locator('[data-testid="stPageLink"] a')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    paths = [_path(h) for h in hrefs]
    assert set(EXPECTED_H1) <= set(paths), f"home page links {paths} miss some of {sorted(EXPECTED_H1)}"

    for i, path in enumerate(paths):
        link = app.main.locator('[data-testid="stPageLink"] a').nth(i)
        with app.rerun():
            link.click()
        expect(app.page).to_have_url(re.compile(re.escape(path) + r"/?(\?.*)?$"))  # compare adds its settings
        h1 = app.h1()
        if path in EXPECTED_H1:
            expect(h1).to_have_text(EXPECTED_H1[path])
        else:
            expect(h1).to_be_visible()
        # The page did its work: no exception (checked by wait), the sidebar image is there.
        expect(app.sidebar.locator('[data-testid="stImageCaption"]').first).to_contain_text(" px")
        app.screenshot("page-" + path.strip("/"))
        app.nav_to("Home")
        expect(app.h1()).to_have_text("Segmentation explorer")


def test_sidebar_navigation_reaches_every_page(app):
    app.goto("/")
    titles = app.nav_titles()
    assert titles[0] == "Home", titles
    for title in ["Thresholding", "Edge detection", "Clustering"]:
        assert title in titles, f"sidebar navigation {titles} lacks {title!r}"
    for title in titles[1:]:
        app.nav_to(title)
        expect(app.h1()).to_be_visible()
        if title in EXPECTED_H1.values():
            expect(app.h1()).to_have_text(title)
    app.nav_to("Home")
    expect(app.h1()).to_have_text("Segmentation explorer")


@pytest.mark.parametrize("path", sorted(EXPECTED_H1))
def test_page_opens_from_its_own_url(app, path):
    """A shared link (e.g. a presenter's bookmark) opens the page directly."""
    app.goto(path)
    expect(app.h1()).to_have_text(EXPECTED_H1[path])
    expect(app.sidebar.locator('[data-testid="stImageCaption"]').first).to_have_text(re.compile(r": \d+ x \d+ px$"))


def test_shared_link_works_as_the_first_visit_to_a_fresh_server(fresh_app):
    """A presenter's link to /thresholding opened right after the app (re)started:
    the page must still run inside app.py's frame (sidebar image controls, the four
    navigation entries), not as a bare script from pages/."""
    fresh_app.goto("/thresholding")
    expect(fresh_app.h1()).to_have_text("Thresholding")
    titles = fresh_app.nav_titles()
    assert titles[:4] == ["Home", "Thresholding", "Edge detection", "Clustering"], (
        f"sidebar navigation is {titles}: Streamlit listed the pages/ folder instead of app.py's st.navigation"
    )
    expect(fresh_app.sidebar.get_by_role("combobox", name="...or pick a sample")).to_be_visible()
    expect(fresh_app.sidebar.locator('[data-testid="stImageCaption"]').first).to_have_text(
        re.compile(r": \d+ x \d+ px$")
    )
    expect(fresh_app.metric("Threshold")).to_have_text(re.compile(r"^0\.\d{4}$"))
    expect(fresh_app.page.get_by_text("Page not found")).to_have_count(0)


def test_mask_rcnn_link_as_the_first_visit_to_a_fresh_server_shows_no_page_not_found(fresh_app):
    """Before st.navigation has run once, Streamlit checks the first visit's address against
    the files in pages/: a url_path other than the file's name showed a "Page not found"
    dialog over the page (it did with "mask-rcnn")."""
    fresh_app.goto("/mask_rcnn")
    expect(fresh_app.h1()).to_have_text("Mask R-CNN")
    expect(fresh_app.page.get_by_text("Page not found")).to_have_count(0)


# Six visitors of a class open the presenter's links together, as the server's very first visitors.
CLASS_LINKS = [
    ("/compare?sample=coins&methods=otsu,kmeans", "Compare methods"),
    ("/thresholding", "Thresholding"),
    ("/compare?sample=coins&methods=otsu,kmeans", "Compare methods"),
    ("/edges", "Edge detection"),
    ("/thresholding", "Thresholding"),
    ("/clustering", "Clustering"),
]


def test_a_class_opening_deep_links_at_once_on_a_fresh_server_each_gets_the_real_page(browser, fresh_streamlit_server):
    """Until st.navigation has run once, Streamlit runs a deep link's file alone and lists every file of
    pages/ (the private modules too). Every visitor must get the page in app.py's frame on the first try."""
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in CLASS_LINKS]
    try:
        apps = [App(ctx.new_page(), fresh_streamlit_server) for ctx in contexts]
        for app, (path, _) in zip(apps, CLASS_LINKS):  # all six requests out before any first run is over
            app.page.goto(app.base_url + path, wait_until="commit")
        for app, (path, title) in zip(apps, CLASS_LINKS):
            app.page.set_default_timeout(60_000)
            expect(app.h1()).to_have_text(title, timeout=90_000)
            app.wait(since=0, start_timeout_ms=1_000)
            titles = app.nav_titles()
            assert titles[:4] == ["Home", "Thresholding", "Edge detection", "Clustering"], (path, titles)
            assert not [t for t in titles if t.lower().startswith(("compare controls", "image input", "result cache"))]
            expect(app.sidebar.get_by_role("combobox", name="...or pick a sample")).to_be_visible()
            expect(app.sidebar.locator('[data-testid="stFileUploader"]')).to_be_visible()
            expect(app.page.get_by_text("Upload a valid image")).to_have_count(0)
            expect(app.page.get_by_text("Page not found")).to_have_count(0)
            if path.startswith("/compare"):
                expect(app.page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible(timeout=90_000)
    finally:
        for ctx in contexts:
            ctx.close()
