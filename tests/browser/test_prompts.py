"""Point and click in a real Chromium: clicks, a box and a scribble on the canvas land on the working pixels under
the pointer, Undo takes one back, and the page's address restores the prompts and the answers elsewhere."""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, quote, urlparse

import pytest

from tests.browser.conftest import VIEWPORT, App

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

pytestmark = pytest.mark.browser

#: The astronaut (512 x 512) is shown on a 480 x 480 canvas: a canvas pixel is not a working pixel.
SIDE, SHOWN = 512, 480
#: Two methods keep each step short: flood fill answers clicks, GrabCut a box.
START = "/prompts?sample=astronaut&pr_methods=Flood%20fill&pr_methods=GrabCut"


def _canvas(app: App):
    canvas = app.main.locator("canvas.dc-canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (SHOWN, SHOWN), box
    return box


def _at(box, cx: float, cy: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """A whole screen pixel near canvas point (cx, cy), and the working pixel under it.

    The screen pixel is moved by one where its working coordinate would fall
    within a tenth of a pixel of a boundary: Fabric.js offsets a stroke's ends
    by a few thousandths of a pixel.
    """
    def one(start: float, at: float) -> tuple[int, int]:
        s = round(start + at)
        while not 0.1 < ((s - start) * SIDE / SHOWN) % 1 < 0.9:
            s += 1
        return s, math.floor((s - start) * SIDE / SHOWN)

    (sx, x), (sy, y) = one(box["x"], cx), one(box["y"], cy)
    return (sx, sy), (x, y)


def _prompts(app: App) -> dict[str, str]:
    query = parse_qs(urlparse(app.page.url).query)
    return {k: query[k][0] for k in ("clicks", "box", "strokes") if k in query}


def _settled(app: App) -> None:
    """Let the run the canvas asks for when it first shows its picture (it reports the picture's fit) finish."""
    app.wait(since=app.finished_runs(), start_timeout_ms=2_000)


def _mode(app: App, label: str) -> None:
    app.page.mouse.move(5, 5)  # off the canvas: its toolbar hides
    with app.rerun():
        app.main.locator('[data-testid="stRadio"] label').filter(has_text=re.compile(rf"^{label}$")).click()


def _described(app: App):
    return app.main.get_by_text(re.compile(r"^(\d+ (object|background)|a box|No prompts yet)"))


def test_clicks_a_box_and_a_scribble_land_on_the_pixels_under_the_pointer_and_a_link_restores_them(app, browser):
    app.goto(START)
    _settled(app)
    box = _canvas(app)
    (s1, p1), (s2, p2) = _at(box, 250.3, 170.6), _at(box, 40.4, 420.2)
    with app.rerun():
        app.page.mouse.click(*s1)
    assert _prompts(app) == {"clicks": f"{p1[0]},{p1[1]}+"}
    _mode(app, "Background click")
    with app.rerun():
        app.page.mouse.click(*s2)
    assert _prompts(app) == {"clicks": f"{p1[0]},{p1[1]}+.{p2[0]},{p2[1]}-"}

    _mode(app, "Box")
    (a, q0), (b, q1) = _at(box, 150.2, 60.3), _at(box, 370.7, 300.4)
    with app.rerun():
        app.page.mouse.move(*a)
        app.page.mouse.down()
        for i in range(1, 9):
            app.page.mouse.move(a[0] + (b[0] - a[0]) * i / 8, a[1] + (b[1] - a[1]) * i / 8)
        app.page.mouse.up()
    assert _prompts(app)["box"] == f"{q0[0]},{q0[1]},{q1[0]},{q1[1]}"

    _mode(app, "Background scribble")
    path = [_at(box, 20.3 + 10 * i, 460.4 - 3 * i) for i in range(12)]
    with app.rerun():
        app.page.mouse.move(*path[0][0])
        app.page.mouse.down()
        for screen, _ in path[1:]:
            app.page.mouse.move(*screen)
        app.page.mouse.up()
    stroke = _prompts(app)["strokes"]
    width, points = re.fullmatch(r"-(\d+):(.*)", stroke).groups()
    drawn = [tuple(map(int, p.split(","))) for p in points.split(";")]
    assert width == "9"  # the default width, in working pixels
    assert drawn[0] == path[0][1] and drawn[-1] == path[-1][1], (drawn, path)
    assert set(drawn) <= {pixel for _, pixel in path}  # the pencil's samples are the pointer's positions
    expect(_described(app)).to_have_text("1 object click, 1 background click, a box and 1 background scribble.")

    with app.rerun():
        app.main.locator(".st-key-pr_undo button:visible").click()  # (help draws a hidden copy)
    assert "strokes" not in _prompts(app)  # the last change, the scribble, is taken back
    expect(_described(app)).to_have_text("1 object click, 1 background click and a box.")
    answers = app.main.locator('[data-testid="stImage"]').filter(has_text=re.compile(r"^(Flood fill|GrabCut): \d+ ms"))
    expect(answers).to_have_count(2)
    app.screenshot("prompts-page", full_page=True)

    shared = app.page.url
    context = browser.new_context(viewport=VIEWPORT)
    try:
        other = App(context.new_page(), app.base_url)
        other.page.goto(shared, wait_until="domcontentloaded")
        other.wait(since=0, start_timeout_ms=20_000)
        expect(_described(other)).to_have_text("1 object click, 1 background click and a box.")
        assert _prompts(other) == _prompts(app)
        expect(other.main.locator('[data-testid="stImage"]').filter(
            has_text=re.compile(r"^(Flood fill|GrabCut): \d+ ms"))).to_have_count(2)
        # the canvas shows them too: a click there adds to them, not to nothing
        _settled(other)
        with other.rerun():
            other.page.mouse.click(*_at(_canvas(other), 100.2, 100.3)[0])
        expect(other.page).to_have_url(re.compile(re.escape("clicks=" + quote(_prompts(app)["clicks"], safe="")) + "\\."))
        other.assert_clean()
    finally:
        context.close()


def test_prompts_made_here_are_answered_on_the_compare_page_too(app):
    app.goto(START)
    _settled(app)
    box = _canvas(app)
    screen, pixel = _at(box, 250.3, 170.6)
    with app.rerun():
        app.page.mouse.click(*screen)
    assert _prompts(app) == {"clicks": f"{pixel[0]},{pixel[1]}+"}

    app.nav_to("Compare methods")
    # The first look at this image's prompts ticks the prompt methods that answer them: their panels join the grid.
    ready = ("() => { const gd = document.querySelector('[data-testid=\"stPlotlyChart\"] .js-plotly-plot');"
             " return !!(gd && gd._fullLayout && gd._fullLayout.meta && gd._fullLayout.meta.panels); }")
    app.page.wait_for_function(ready, timeout=120_000, polling=200)
    panels = app.page.evaluate("() => document.querySelector('[data-testid=\"stPlotlyChart\"] .js-plotly-plot')"
                               "._fullLayout.meta.panels")
    shown = [re.match(r"<b>(.*?)</b>", t).group(1) for t in panels]
    assert {"Flood fill", "GrabCut", "Otsu"} <= set(shown), shown
    flood = next(t for t in panels if t.startswith("<b>Flood fill</b>"))
    assert re.search(r"<br>\d+ ms", flood), flood  # its answer's time, as on Point and click
    expect(app.main.get_by_text(re.compile(r"^1 object click on this image"))).to_be_visible()
    assert _prompts(app) == {"clicks": f"{pixel[0]},{pixel[1]}+"}  # the compare page's address keeps them
    app.screenshot("compare-with-prompts", full_page=True)
    app.assert_clean()
