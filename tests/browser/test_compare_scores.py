"""The compare page's scores as a person sees them (issue 21, items 7 and 11).

* The table's highlight goes to no result whose win comes from its label count: not to superpixels that the
  ground truth picked to fit it (oracle scores), not to a 2-label map's VoI against a truth of many regions.
  The highlight is read from the drawn table itself (its canvas: the cells' yellow background), the values
  from the table's accessible copy.
* The score-against-time chart: one colour per family with a legend, every name on hover, no two written
  names overlapping (their boxes as the browser drew them).
"""

from __future__ import annotations

import io
import itertools
import math
import re

import numpy as np
import pytest
from PIL import Image

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

from .conftest import RUN_TIMEOUT_MS, App

pytestmark = pytest.mark.browser

HIGHLIGHT = (0xFD, 0xE6, 0x8A)  # the page's highlight colour, #fde68a
CHART = "[...document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot')]" \
        ".find(gd => gd.layout && gd.layout.title && /against time/.test(gd.layout.title.text || ''))"


def _ground_truth(app: App, choice: str) -> None:
    """Pick the ground-truth source ``choice`` (a label of the radio), as a person clicks it."""
    radio = app.main.locator('[data-testid="stRadio"]').filter(has_text="Ground truth").first
    option = radio.locator("label").filter(has_text=choice).first
    if not option.locator('input[type="radio"]').is_checked():
        with app.rerun():
            option.click()


def _upload_truth(app: App, path) -> None:
    """Upload ``path`` as the ground truth; "It holds" stays at detect (2 values: a binary mask, more: a label map)."""
    _ground_truth(app, "upload my own")
    with app.rerun():
        app.main.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))


def _table(app: App) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The scores table's columns and cells ({method: {column: text}}), from its accessible copy."""
    grid = app.main.locator('[data-testid="stDataFrame"] table[role="grid"]').first
    expect(grid).to_be_attached()
    head = grid.locator("th").all_inner_texts()
    rows = {}
    for tr in grid.locator("tbody tr").all():
        cells = tr.locator("td").all_inner_texts()
        rows[cells[0]] = dict(zip(head[1:], cells[1:]))
    return head[1:], rows


def _highlighted(app: App, n_rows: int) -> list[tuple[int, int] | None]:
    """Per table row (top to bottom), the x span (left, right) of its highlighted cells as drawn; None for none.

    Rows are told apart by the drawn grid: the header and the rows are equally tall, so the frame's height
    divided by ``n_rows + 1`` is one row.
    """
    frame = app.main.locator('[data-testid="stDataFrame"] canvas').first
    expect(frame).to_be_visible()
    app.page.wait_for_timeout(300)  # the canvas paints after the data arrive
    shot = np.asarray(Image.open(io.BytesIO(frame.screenshot())).convert("RGB")).astype(int)
    scale = shot.shape[0] / frame.bounding_box()["height"]  # device pixels per CSS pixel
    yellow = (np.abs(shot - HIGHLIGHT).sum(axis=2) < 24)
    row_h = shot.shape[0] / (n_rows + 1)
    spans = []
    for r in range(n_rows):
        band = yellow[int((r + 1) * row_h + 3 * scale): int((r + 2) * row_h - 3 * scale)]
        xs = np.flatnonzero(band.any(axis=0))
        spans.append((int(xs[0] / scale), int(xs[-1] / scale)) if xs.size > 20 else None)
    return spans


def test_the_highlight_skips_superpixels_the_truth_picked_and_marks_them_oracle(app, tmp_path):
    """A ground truth made of Felzenszwalb's regions: its oracle IoU is 1.000, and Otsu's own foreground is best."""
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes
    from segcore.registry import run_method

    app.goto("/compare?sample=camera&methods=otsu,felzenszwalb")
    _, w, h = app.working_size()
    rgb = load_image(sample_bytes("camera"), max_side=max(w, h)).rgb
    otsu = run_method("otsu", rgb).labels == 1
    regions = run_method("felzenszwalb", rgb).labels
    inside = np.bincount(regions[otsu], minlength=regions.max() + 1) * 2 > np.bincount(regions.ravel())
    Image.fromarray(inside[regions].astype(np.uint8) * 255).save(tmp_path / "camera_mask.png")
    _upload_truth(app, tmp_path / "camera_mask.png")

    columns, rows = _table(app)
    felz = "Felzenszwalb graph segmentation"
    assert columns[:2] == ["Labels", "Foreground"], columns  # the label count beside the scores
    assert float(rows[felz]["IoU"]) == 1.0 > float(rows["Otsu"]["IoU"]) > 0.8, rows
    assert rows["Otsu"]["Foreground"] == "own", rows
    assert re.fullmatch(rf"oracle: \d+ of {rows[felz]['Labels']}", rows[felz]["Foreground"]), rows
    otsu_row, felz_row = _highlighted(app, 2)
    assert otsu_row is not None and felz_row is None, (otsu_row, felz_row)  # Otsu's scores (and time), none of Felz's
    caption = app.main.get_by_text(re.compile("^One row per method")).first
    expect(caption).to_contain_text("binary scores only among the methods' own foregrounds, never an oracle score (marked *)")
    expect(caption).to_contain_text("majority rule")
    with app.rerun():
        app.main.get_by_text("What the columns mean").click()
    expect(app.main.get_by_text(re.compile("^Foreground: whose foreground"))).to_be_visible()
    app.screenshot("compare-scores-binary", full_page=True)


def test_a_two_label_map_gets_no_best_voi_against_a_truth_of_many_regions(app, tmp_path):
    """Otsu's 2 labels against a truth of 9 regions: lowest VoI, yet k-means (5 labels) holds the best."""
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes
    from segcore.registry import run_method

    app.goto("/compare?sample=camera&methods=otsu,kmeans")
    _, w, h = app.working_size()
    otsu = run_method("otsu", load_image(sample_bytes("camera"), max_side=max(w, h)).rgb).labels
    stripes = np.arange(otsu.shape[1])[None, :] * 8 // otsu.shape[1]
    Image.fromarray(np.where(otsu == 1, 1 + stripes, 0).astype(np.uint8)).save(tmp_path / "camera_regions.png")
    _upload_truth(app, tmp_path / "camera_regions.png")  # 9 values: detected as a label map

    _, rows = _table(app)
    assert float(rows["Otsu"]["VoI (bits)"]) < float(rows["k-means clustering"]["VoI (bits)"]), rows
    otsu_row, kmeans_row = _highlighted(app, 2)
    # k-means holds the partition columns' best; Otsu at most its time, the last column, right of them
    assert kmeans_row is not None, (otsu_row, kmeans_row)
    assert otsu_row is None or otsu_row[0] > kmeans_row[1], (otsu_row, kmeans_row)
    caption = app.main.get_by_text(re.compile("^One row per method")).first
    expect(caption).to_contain_text("half to twice as many labels as the ground truth has regions")
    expect(caption).to_contain_text("9 regions")
    app.screenshot("compare-scores-partition", full_page=True)


CHART_JS = "() => { const gd = " + CHART + """;
  if (!gd || !gd._fullLayout) return null;
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {
    traces: gd.data.map(d => ({name: d.name, color: d.marker.color, names: d.customdata.map(c => c[0]),
                               text: d.text})),
    legend: [...gd.querySelectorAll('.legend .traces .legendtext')].map(e => e.textContent),
    labels: [...gd.querySelectorAll('.scatterlayer .textpoint text')].filter(e => e.textContent)
              .map(e => ({text: e.textContent, box: box(e)})),
  };
}"""


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_chart_colours_families_and_writes_only_names_that_fit(app, width):
    app.page.set_viewport_size({"width": width, "height": 900})
    methods = "otsu,li,yen,triangle,isodata,mean,minimum,local,sobel,canny,log,kmeans,gmm,felzenszwalb,slic"
    app.goto(f"/compare?sample=blobs&methods={methods}")
    _ground_truth(app, "the sample's")
    app.page.wait_for_function("() => !!(" + CHART + ")", timeout=RUN_TIMEOUT_MS)
    chart = app.page.evaluate(CHART_JS)

    assert [t["name"] for t in chart["traces"]] == ["thresholds", "edges", "clustering", "regions"], chart["traces"]
    assert len({t["color"] for t in chart["traces"]}) == 4
    assert chart["legend"] == ["thresholds", "edges", "clustering", "regions"], chart["legend"]
    names = [n for t in chart["traces"] for n in t["names"]]
    assert len(names) == len(methods.split(",")), names  # every method is a point, its name on its hover
    written = chart["labels"]
    assert written and len(written) <= len(names)
    for a, b in itertools.combinations(written, 2):
        (l1, t1, r1, b1), (l2, t2, r2, b2) = a["box"], b["box"]
        assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, (a, b)  # no two written names overlap

    # a point whose name is not written still shows it on hover
    hidden = next(((i, j) for i, t in enumerate(chart["traces"]) for j, s in enumerate(t["text"]) if not s), None)
    target = (0, 0) if hidden is None else hidden
    name = chart["traces"][target[0]]["names"][target[1]]
    figure = app.main.locator('[data-testid="stPlotlyChart"]').filter(has_text="against time").first
    point = figure.locator(".scatterlayer .trace").nth(target[0]).locator(".points path").nth(target[1])
    point.scroll_into_view_if_needed()
    point.hover(force=True)
    # Plotly shows the closest point: where another point lies on this one (times vary run to run), its name may show.
    def centre(box):
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    here = centre(point.bounding_box())
    near = [chart["traces"][i]["names"][j] for i in range(len(chart["traces"]))
            for j, p in enumerate(figure.locator(".scatterlayer .trace").nth(i).locator(".points path").all())
            if math.dist(centre(p.bounding_box()), here) <= 12]
    assert name in near
    hover = figure.locator(".hoverlayer .hovertext").first
    expect(hover).to_contain_text(re.compile("|".join(map(re.escape, near))))
    figure.screenshot(path=str(_artifact(f"compare-chart-{width}.png")))
    app.main.locator('[data-testid="stDataFrame"]').first.scroll_into_view_if_needed()
    app.screenshot(f"compare-scores-table-{width}")


def _artifact(name: str):
    from .conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
