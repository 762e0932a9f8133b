"""Flow 6: the compare page: tick methods, zoom one panel and see all follow, download the
comparison, share the view by its address.

The grid is one plotly figure (``st.plotly_chart`` key ``cmp_grid``); these tests read it
from the page itself (``gd._fullLayout``, ``gd.data`` of the plotly div), as a person sees it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

from segcore.registry import get_method

from .conftest import RUN_TIMEOUT_MS, VIEWPORT, App

pytestmark = pytest.mark.browser

GD = "document.querySelector('[data-testid=\"stPlotlyChart\"] .js-plotly-plot')"

# The grid as the browser drew it: panel titles (the figure's meta), title annotations,
# image traces, every x/y axis (range, matches, domain) and each subplot's drag rectangle.
STATE_JS = "() => { const gd = " + GD + """;
  if (!gd || !gd._fullLayout) return null;
  const L = gd._fullLayout;
  const axes = {};
  for (const k of Object.keys(L)) {
    if (!/^[xy]axis\\d*$/.test(k)) continue;
    const a = L[k];
    axes[k] = {range: a.range.slice(), matches: (a._input && a._input.matches) || null, domain: a.domain.slice()};
  }
  return {
    panels: (L.meta && L.meta.panels) || [],
    titles: (L.annotations || []).map(a => a.text).filter(t => t && t.startsWith('<b>')),
    traces: gd.data.map(d => ({type: d.type, xaxis: d.xaxis || 'x', yaxis: d.yaxis || 'y', name: d.name,
                                 source: (d.source || '').slice(0, 22)})),
    axes: axes,
    subplots: [...gd.querySelectorAll('.nsewdrag[data-subplot]')].map(e => e.getAttribute('data-subplot')),
  };
}"""

# True once the figure is drawn with ``n`` panels (any number when n is null).
READY_JS = "(n) => { const gd = " + GD + """;
  if (!gd || !gd._fullLayout || !gd._fullLayout.meta || !gd._fullLayout.meta.panels) return false;
  const drawn = gd.querySelectorAll('.nsewdrag[data-subplot]').length;
  const p = gd._fullLayout.meta.panels.length;
  return drawn === p && (n === null || p === n);
}"""


def _title(method: str) -> str:
    return get_method(method).title


def _grid(app: App, n: int | None = None) -> dict:
    """The drawn grid (STATE_JS), once the figure shows ``n`` panels."""
    app.page.wait_for_function(READY_JS, arg=n, timeout=RUN_TIMEOUT_MS, polling=100)
    state = app.page.evaluate(STATE_JS)
    assert state is not None, "no plotly figure on the compare page"
    return state


def _methods_in(state: dict) -> list[str]:
    """Panel titles without their numbers: '<b>Otsu</b><br>2 labels, 3 ms' -> 'Otsu'."""
    return [re.match(r"<b>(.*?)</b>", t).group(1) for t in state["panels"]]


def _stable(titles: list[str]) -> list[str]:
    """Titles with the run times taken out (they are measured, not reproduced)."""
    return [re.sub(r"\d+ ms", "? ms", t) for t in titles]


def _ranges(state: dict, letter: str) -> dict[str, list[float]]:
    return {k: v["range"] for k, v in state["axes"].items() if k.startswith(letter + "axis")}


def _tick(app: App, typed: str, option: str) -> None:
    """Add ``option`` to the Methods multiselect: click it, type, pick the option, as a person would."""
    combo = app.main.locator('[data-testid="stMultiSelect"]').get_by_role("combobox", name="Methods", exact=True)
    combo.click()
    combo.press_sequentially(typed, delay=30)
    opt = app.page.get_by_role("option", name=option, exact=True)
    expect(opt).to_be_visible()
    with app.rerun():
        opt.click()
    app.page.keyboard.press("Escape")  # close the list, as after picking


def _assert_grid_shows(state: dict, methods: list[str]) -> None:
    n = len(methods)
    titles = [_title(m) for m in methods]
    assert _methods_in(state) == titles, f"panels {state['panels']}, expected {titles}"
    assert len(state["subplots"]) == n, f"{len(state['subplots'])} subplots drawn for {n} methods: {state['subplots']}"
    assert len(state["titles"]) == n, f"{len(state['titles'])} panel titles for {n} methods: {state['titles']}"
    # One image per panel (label-map view), each on its own subplot.
    images = [t for t in state["traces"] if t["type"] == "image"]
    assert len(images) == n, state["traces"]
    assert len({(t["xaxis"], t["yaxis"]) for t in images}) == n, state["traces"]
    # Every panel's axes follow the first panel's: that is what links the zoom.
    for k, ax in state["axes"].items():
        want = None if k in ("xaxis", "yaxis") else k[0]
        assert ax["matches"] == want, f"{k}.matches is {ax['matches']!r}, expected {want!r}"


# --------------------------------------------------------------------------- a. tick methods


def test_ticked_methods_each_get_a_panel(app):
    app.goto("/compare?sample=blobs&methods=otsu")
    expect(app.h1()).to_have_text("Compare methods")
    assert app.working_size() == ("blobs.png", 480, 360)
    _assert_grid_shows(_grid(app, 1), ["otsu"])

    _tick(app, "Canny", "Canny")
    _assert_grid_shows(_grid(app, 2), ["otsu", "canny"])
    _tick(app, "k-means", _title("kmeans"))
    state = _grid(app, 3)
    _assert_grid_shows(state, ["otsu", "canny", "kmeans"])

    # The multiselect shows the three as tags, in the order ticked.
    tags = app.main.locator('[data-testid="stMultiSelect"] [data-tag]')
    expect(tags).to_have_count(3)
    assert [t.get_attribute("aria-label") for t in tags.all()] == [_title(m) for m in ("otsu", "canny", "kmeans")]
    # The address follows (a link to this view).
    query = parse_qs(urlsplit(app.page.url).query)
    assert query["methods"] == ["otsu,canny,kmeans"], app.page.url
    assert query["sample"] == ["blobs"], app.page.url
    # Each panel says how many labels its method found; k-means at the page default k = 5.
    assert re.search(r"<br>5 labels, \d+ ms", state["panels"][2]), state["panels"][2]
    app.page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
    app.page.wait_for_timeout(300)
    app.screenshot("compare", full_page=True)

    # Removing one (its tag's x) drops its panel. (Click elsewhere first: while the multiselect
    # has focus, Streamlit scrolls its overflowing tag row and the click lands beside the x.)
    app.h1().click()
    with app.rerun():
        app.main.locator('[data-testid="stMultiSelect"]').get_by_role("button", name="Remove Canny").click()
    _assert_grid_shows(_grid(app, 2), ["otsu", "kmeans"])


# --------------------------------------------------------------------------- b. linked zoom


def _drag_zoom(app: App, subplot: str, frac0=(0.25, 0.30), frac1=(0.65, 0.70)) -> dict:
    """Drag a zoom box over ``subplot``'s plot area, from ``frac0`` to ``frac1`` of its width and height."""
    rect = app.page.locator(f'[data-testid="stPlotlyChart"] .nsewdrag[data-subplot="{subplot}"]').first
    rect.scroll_into_view_if_needed()
    box = rect.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50, f"panel {subplot} is not on screen: {box}"
    x0, y0 = box["x"] + box["width"] * frac0[0], box["y"] + box["height"] * frac0[1]
    x1, y1 = box["x"] + box["width"] * frac1[0], box["y"] + box["height"] * frac1[1]
    mouse = app.page.mouse
    mouse.move(x0, y0)
    mouse.down()
    mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=6)
    mouse.move(x1, y1, steps=6)
    mouse.up()
    return box


# True once the second panel's x range is narrower than the image (zoomed) or the whole image again.
X2_WIDTH_JS = "(a) => { const r = (" + GD + """)._fullLayout.xaxis2.range; const d = Math.abs(r[1] - r[0]);
  return a.zoomed ? d < a.w - 1 : d >= a.w - 0.01; }"""


def test_zooming_one_panel_zooms_them_all(app):
    app.goto("/compare?sample=blobs&methods=otsu,canny,kmeans&view=labels&cols=3")
    _, w, h = app.working_size()
    state = _grid(app, 3)
    full_x, full_y = [-0.5, w - 0.5], [h - 0.5, -0.5]
    for name, r in _ranges(state, "x").items():
        assert r == pytest.approx(full_x), f"{name} starts at {r}, not the full image {full_x}"
    for name, r in _ranges(state, "y").items():
        assert r == pytest.approx(full_y), f"{name} starts at {r}, not the full image {full_y}"
    assert state["subplots"] == ["xy", "x2y2", "x3y3"], state["subplots"]

    _drag_zoom(app, "x2y2")  # the second panel (Canny)
    app.page.wait_for_function(X2_WIDTH_JS, arg={"w": w, "zoomed": True}, timeout=10_000)
    app.page.wait_for_timeout(300)  # the matched axes are relaid out in the same pass; a margin
    zoomed = app.page.evaluate(STATE_JS)
    xs, ys = _ranges(zoomed, "x"), _ranges(zoomed, "y")
    assert len(xs) == 3 and len(ys) == 3, zoomed["axes"]
    first_x, first_y = xs["xaxis"], ys["yaxis"]
    for name, r in xs.items():
        assert r == pytest.approx(first_x, abs=1e-6), f"zoomed panel 2: {name} is {r}, xaxis {first_x}: {xs}"
    for name, r in ys.items():
        assert r == pytest.approx(first_y, abs=1e-6), f"zoomed panel 2: {name} is {r}, yaxis {first_y}: {ys}"
    width, height = abs(first_x[1] - first_x[0]), abs(first_y[1] - first_y[0])
    assert width < 0.6 * w and height < 0.6 * h, f"zoomed to {width:.0f} x {height:.0f} px of {w} x {h}"
    # The box covered 25-65 % across and 30-70 % down panel 2: the shared range is that part of the image.
    assert first_x[0] == pytest.approx(-0.5 + 0.25 * w, abs=0.05 * w), first_x
    assert first_x[1] == pytest.approx(-0.5 + 0.65 * w, abs=0.05 * w), first_x
    assert min(first_y) == pytest.approx(-0.5 + 0.30 * h, abs=0.05 * h), first_y
    assert max(first_y) == pytest.approx(-0.5 + 0.70 * h, abs=0.05 * h), first_y
    assert first_y[0] > first_y[1], f"the y axis is no longer reversed (image rows downwards): {first_y}"
    app.screenshot("compare-zoomed")

    # A double-click on a panel resets every panel to the whole image.
    rect = app.page.locator('[data-testid="stPlotlyChart"] .nsewdrag[data-subplot="x3y3"]').first
    box = rect.bounding_box()
    app.page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    app.page.wait_for_function(X2_WIDTH_JS, arg={"w": w, "zoomed": False}, timeout=10_000)
    app.page.wait_for_timeout(300)
    reset = app.page.evaluate(STATE_JS)
    for name, r in _ranges(reset, "x").items():
        assert r == pytest.approx(full_x, abs=1e-6), f"after the double-click {name} is {r}, not {full_x}"
    for name, r in _ranges(reset, "y").items():
        assert r == pytest.approx(full_y, abs=1e-6), f"after the double-click {name} is {r}, not {full_y}"
    # Zooming is the browser's business: it did not rerun the script or redraw the panels.
    assert _methods_in(reset) == _methods_in(state)


# --------------------------------------------------------------------------- c. the zip


def test_comparison_zip_holds_what_the_manifest_lists(app, tmp_path):
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes
    from segcore.registry import run_method

    methods = ["otsu", "canny", "kmeans"]
    app.goto("/compare?sample=blobs&methods=" + ",".join(methods))
    _, w, h = app.working_size()
    _grid(app, 3)

    # Choose the sample's ground truth (a person clicks the radio option).
    radio = app.main.locator('[data-testid="stRadio"]').filter(has_text="Ground truth").first
    option = radio.locator("label").filter(has_text="the sample's").first
    expect(option).to_be_visible()
    if not option.locator('input[type="radio"]').is_checked():
        with app.rerun():
            option.click()
    expect(option.locator('input[type="radio"]')).to_be_checked()
    expect(app.main.locator('[data-testid="stDataFrame"]').first).to_be_visible()

    button = app.main.locator('[data-testid="stDownloadButton"] button').filter(
        has_text="Download this comparison (zip)").first
    expect(button).to_be_enabled()
    with app.page.expect_download(timeout=RUN_TIMEOUT_MS) as info:
        button.click()
    dl = info.value
    assert dl.failure() is None, dl.failure()
    assert dl.suggested_filename == "blobs_comparison.zip", dl.suggested_filename
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)

    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        assert "manifest.json" in names, sorted(names)
        manifest = json.loads(zf.read("manifest.json"))
        assert list(manifest["methods"]) == methods, list(manifest["methods"])
        assert manifest["image"]["name"] == "blobs.png"
        assert manifest["image"]["working_size"] == [w, h], manifest["image"]
        assert manifest["ground_truth"] and manifest["ground_truth"]["kind"] == "binary", manifest["ground_truth"]

        listed = {f for entry in manifest["methods"].values() for f in entry["files"]}
        missing = listed - names
        assert not missing, f"manifest.json lists files the zip lacks: {sorted(missing)}"
        labels: dict[str, np.ndarray] = {}
        for m in methods:
            entry = manifest["methods"][m]
            label_file, overlay_file = f"labels/blobs_{m}_labels.png", f"overlays/blobs_{m}_overlay.png"
            assert set(entry["files"]) == {label_file, overlay_file}, entry["files"]
            command = entry["command"]
            assert command.startswith(f"python -m segcore -m {m} ") and command.endswith(" -- blobs.png"), command
            with Image.open(io.BytesIO(zf.read(label_file))) as img:
                assert img.format == "PNG" and img.mode in ("I;16", "I;16B"), f"{label_file}: {img.format} {img.mode}"
                assert img.size == (w, h), f"{label_file} is {img.size}, the working image {(w, h)}"
                labels[m] = np.asarray(img)
            assert len(np.unique(labels[m])) == entry["labels"], (m, np.unique(labels[m]), entry["labels"])
            with Image.open(io.BytesIO(zf.read(overlay_file))) as img:
                assert img.mode == "RGB" and img.size == (w, h), (overlay_file, img.mode, img.size)

        assert "metrics.csv" in names, sorted(names)
        rows = list(csv.DictReader(io.StringIO(zf.read("metrics.csv").decode("utf-8"))))
    assert [r["method"] for r in rows] == methods, rows
    for r in rows:
        assert r["image"] == "blobs.png" and (int(r["width"]), int(r["height"])) == (w, h), r
        assert r["kind"] == "binary" and "blobs" in r["ground_truth"], r
        assert float(r["time_ms"]) >= 0, r

    # The label maps are the methods' own: the same method run here, on the same working image,
    # with the manifest's parameters, gives the same pixels.
    image = load_image(sample_bytes("blobs"), max_side=manifest["image"]["max_side"], name="blobs.png")
    assert image.sha256 == manifest["image"]["sha256_of_working_pixels"]
    differing = []
    for m in methods:
        params = manifest["methods"][m]["params"]
        seg = run_method(m, image.rgb, **params)
        if not np.array_equal(seg.labels, labels[m]):
            differing.append(f"{m} ({int((seg.labels != labels[m]).sum())} pixels differ; params {params})")
    assert not differing, "label maps in the zip differ from the in-process run: " + "; ".join(differing)


# --------------------------------------------------------------------------- d. shared link


def test_shared_link_reproduces_the_view(app, browser):
    app.goto("/compare?sample=coins&methods=otsu,kmeans&kmeans.k=8&view=labels&cols=3&present=0")
    assert app.working_size()[0] == "coins.png"
    state = _grid(app, 2)
    assert _methods_in(state) == [_title("otsu"), _title("kmeans")], state["panels"]
    assert "8 labels" in state["panels"][1] and "k=8" in state["panels"][1], state["panels"][1]
    link = app.page.url
    query = parse_qs(urlsplit(link).query)
    for key, value in {"sample": "coins", "methods": "otsu,kmeans", "kmeans.k": "8", "view": "labels",
                       "cols": "3", "present": "0"}.items():
        assert query.get(key) == [value], f"the address {link} lost {key}={value}"

    # Someone else opens the link: a new browser context, nothing shared but the address.
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        other = App(page, app.base_url)
        split = urlsplit(link)
        other.goto(split.path + "?" + split.query)
        assert other.working_size() == app.working_size()
        again = _grid(other, 2)
        assert _stable(again["panels"]) == _stable(state["panels"]), (again["panels"], state["panels"])
        assert again["axes"] == state["axes"]
        assert parse_qs(urlsplit(page.url).query) == query, (page.url, link)
        # The k-means tab of the settings holds the link's k (opening the settings and a tab reruns the page,
        # which draws that tab's controls only).
        with other.rerun():
            other.main.locator('[data-testid="stExpander"]').filter(has_text="Settings of each method").locator(
                "summary").first.click()
        with other.rerun():
            other.main.get_by_role("tab", name=_title("kmeans")).click()
        panel = other.main.locator('[role="tabpanel"]:visible').first
        k_value = other.slider("Clusters (k)", scope=panel).locator('[data-testid="stSliderThumbValue"]')
        expect(k_value).to_have_text("8")
        other.assert_clean()
    finally:
        context.close()
