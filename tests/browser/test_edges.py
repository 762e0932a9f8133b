"""Flow 3: the edge page shows the article's three kernels, cell by cell."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

pytestmark = pytest.mark.browser

ARTICLE_KERNELS = {
    "sobel_horizontal": [["1", "2", "1"], ["0", "0", "0"], ["-1", "-2", "-1"]],
    "sobel_vertical": [["-1", "0", "1"], ["-2", "0", "2"], ["-1", "0", "1"]],
    "laplace": [["1", "1", "1"], ["1", "-8", "1"], ["1", "1", "1"]],
}
HEADINGS = {"sobel_horizontal": "Sobel, horizontal edges", "sobel_vertical": "Sobel, vertical edges", "laplace": "Laplace"}


def test_edge_page_shows_the_article_kernels(app):
    app.goto("/")
    app.nav_to("Edge detection")
    expect(app.h1()).to_have_text("Edge detection")
    expect(app.main.get_by_role("heading", name="The article's kernels")).to_be_visible()
    for name, rows in ARTICLE_KERNELS.items():
        table = app.main.locator(f'table.kernel[data-kernel="{name}"]')
        expect(table).to_have_count(1)
        expect(table).to_be_visible()
        got = [[c.strip() for c in tr.locator("td").all_inner_texts()] for tr in table.locator("tr").all()]
        assert got == rows, f"{name}: the page shows {got}, the article's kernel is {rows}"
        expect(app.main.get_by_text(HEADINGS[name], exact=True)).to_be_visible()
    # Each kernel's response is drawn beside it, and the Sobel magnitude too.
    for caption in ["sobel_horizontal response", "sobel_vertical response", "laplace response", "Sobel gradient magnitude"]:
        expect(app.image_with_caption(caption)).to_be_visible()
    app.main.locator('table.kernel[data-kernel="sobel_horizontal"]').scroll_into_view_if_needed()
    app.screenshot("edges-kernels")
