"""Nothing cut short at 1440 px, small photos not blown up (issue 21, items 12 and 13)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import App

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

pytestmark = pytest.mark.browser

#: The texts of the main area that the browser cuts short: an ellipsis (a link's or a toggle's label) or a
#: selectbox's value wider than its box.
CUT_TEXTS_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] *')]
  .filter(e => (e.tagName === 'INPUT' ? e.value : e.innerText && e.innerText.trim())
          && (e.tagName === 'INPUT' || getComputedStyle(e).textOverflow === 'ellipsis')
          && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.tagName === 'INPUT' ? e.value : e.innerText.trim())"""


def _cut(app: App) -> list[str]:
    return app.page.evaluate(CUT_TEXTS_JS)


@pytest.mark.parametrize("path", ["/", "/edges?sample=coins", "/mask_rcnn?mr_variant=Offline+demo+%28shapes%29",
                                  "/compare?sample=blobs&methods=otsu,canny,kmeans,felzenszwalb&cols=4"])
def test_no_text_is_cut_short_at_1440_px(app, path):
    app.page.set_viewport_size({"width": 1440, "height": 900})
    app.goto(path)
    expect(app.h1()).to_be_visible()
    if path.startswith("/compare"):  # the ground-truth controls, where "It holds" was cut
        radio = app.main.locator('[data-testid="stRadio"]').filter(has_text="Ground truth").first
        with app.rerun():
            radio.locator("label").filter(has_text="upload my own").first.click()
    assert _cut(app) == [], path


def test_a_small_photo_is_drawn_at_most_twice_its_size(app, tmp_path):
    from PIL import Image
    from skimage import data

    path = tmp_path / "small_coffee.png"
    Image.fromarray(data.coffee()[::4, ::4]).save(path)  # 150 x 100 px
    app.goto("/regions")
    app.upload(path)
    expect(app.main.get_by_text("Regions and superpixels")).to_be_visible()
    drawn = app.main.locator('[data-testid="stImage"] img').first
    expect(drawn).to_be_visible()
    assert drawn.bounding_box()["width"] <= 2 * 150 + 1, drawn.bounding_box()
    app.nav_to("Edge detection")
    strength = app.main.locator('[data-testid="stImage"]').filter(has_text="edge strength").locator("img")
    expect(strength).to_be_visible()
    assert strength.bounding_box()["width"] <= 2 * 150 + 1, strength.bounding_box()


#: Score tables whose columns run past their frame (the reader would scroll sideways).
WIDE_TABLES_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stDataFrame"]')]
  .map(e => [e.querySelectorAll('table[role="grid"] th').length,
             ...[...e.querySelectorAll('div')].filter(d => getComputedStyle(d).overflowX === 'auto'
                                                        || getComputedStyle(d).overflowX === 'scroll')
                .map(d => [d.scrollWidth, d.clientWidth]).flat().slice(0, 2)])"""


def test_the_scores_of_an_instance_truth_fit_at_1440_px(app):
    """Binary, partition and instance scores (17 columns) stand in three tables, each fully in sight (item 12)."""
    app.page.set_viewport_size({"width": 1440, "height": 900})
    app.goto("/compare?sample=shapes&methods=otsu,canny,kmeans,maskrcnn")
    expect(app.main.get_by_text("Objects", exact=True)).to_be_visible(timeout=120_000)
    for title in ("Foreground and background", "Regions"):
        expect(app.main.get_by_text(title, exact=True)).to_be_visible()
    # The grids lay their columns out (and make their scrollers) after the data arrive: wait for all three.
    ready = ("() => { const t = (" + WIDE_TABLES_JS + ")(); "
             "return t.length >= 3 && t.slice(0, 3).every(r => r.length === 3 && r[0] >= 5); }")
    app.page.wait_for_function(ready, timeout=30_000)
    tables = app.page.evaluate(WIDE_TABLES_JS)
    assert len(tables) >= 3, tables
    for columns, scroll, client in tables[:3]:  # the grid's scroller is no wider than its frame
        assert columns >= 5 and scroll <= client + 1, tables
    app.screenshot("compare-scores-instances", full_page=True)
