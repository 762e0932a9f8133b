"""The compare page's engine: settings as link text, the linked grid, the wipe, and the zip."""

from __future__ import annotations

import io
import json
import shlex
import zipfile

import numpy as np
import pytest
from conftest import encode
from PIL import Image
from skimage import data

from pages._compare_figure import Panel, before_after, data_uri, grid_figure, grid_shape
from segcore.cli import main as cli_main
from segcore.export import cli_command, comparison_zip, library_versions
from segcore.io.loading import load_image
from segcore.registry import compare_methods, get_method, run_method
from segcore.render import color_png, colorize, read_label_png
from segcore.spec import parse, to_text

COMPARE_METHODS = tuple(compare_methods())

# ----------------------------------------------------------------------------- settings as text


def test_every_compare_method_is_registered_and_its_page_defaults_run():
    assert "kmeans_article" not in COMPARE_METHODS  # the clustering page's Exact switch instead
    small = data.astronaut()[::4, ::4]
    for method in COMPARE_METHODS:
        spec = get_method(method)
        assert set(spec.settings) <= set(spec.defaults), method
        if method != "maskrcnn":
            seg = spec.run(small, **spec.settings)
            assert seg.labels.shape == small.shape[:2]


@pytest.mark.parametrize("method", [m for m in COMPARE_METHODS if get_method(m).params])
def test_settings_survive_the_link_text_exactly(method):
    for p in get_method(method).params:
        assert parse(p, to_text(p, p.default)) == p.default, p.name


@pytest.mark.parametrize(
    "method, name, text, message",
    [
        ("kmeans", "k", "abc", "'abc' is not a number"),
        ("kmeans", "k", "99", "outside 2 to 16"),
        ("kmeans", "k", "nan", "not a number"),
        ("local", "block_size", "36", "is not one of 3, 5"),
        ("local", "method", "bogus", "not one of mean, gaussian, median"),
        ("multilevel", "thresholds", "0.2, 1.5", "outside 0 to 1"),
        ("kmeans", "exact", "maybe", "not on/off"),
        ("canny", "sigma", "inf", "not a finite number"),
    ],
)
def test_bad_link_values_are_refused_with_the_reason(method, name, text, message):
    p = {q.name: q for q in get_method(method).params}[name]
    with pytest.raises(ValueError, match=message):
        parse(p, text)


def test_link_text_parses_lists_booleans_and_automatic_values():
    thresholds = get_method("multilevel").params[0]
    assert parse(thresholds, "0.7, 0.2;0.4") == (0.2, 0.4, 0.7)
    edge = {p.name: p for p in get_method("sobel").params}["edge_threshold"]
    assert parse(edge, "") is None and parse(edge, "0.25") == 0.25 and to_text(edge, None) == ""
    exact = {p.name: p for p in get_method("kmeans").params}["exact"]
    assert parse(exact, "1") is True and parse(exact, "off") is False
    size = {p.name: p for p in get_method("maskrcnn").params}["min_size"]
    assert parse(size, "512") == 512  # a number choice comes back as the number


# ----------------------------------------------------------------------------- the grid


def _panels(n: int, w: int = 40, h: int = 30) -> list[Panel]:
    pic = data_uri(b"\x89PNG fake", "image/png")
    return [Panel(f"method {i}", pic if i != 1 else None, w, h, message="no weights" if i == 1 else "") for i in range(n)]


def test_grid_links_every_panel_to_the_first_axes_and_keeps_pixels_square():
    import plotly.graph_objects as go

    fig = grid_figure(_panels(5), photo=None, view="labels", columns=3)
    go.Figure(fig.to_dict())  # what the page skips: plotly's validators accept every property
    layout = fig.layout.to_plotly_json()
    xs = sorted(k for k in layout if k.startswith("xaxis"))
    ys = sorted(k for k in layout if k.startswith("yaxis"))
    assert len(xs) == len(ys) == 5
    for k in xs[1:]:
        assert layout[k]["matches"] == "x"
    for k in ys[1:]:
        assert layout[k]["matches"] == "y"
    assert layout["yaxis"]["scaleanchor"] == "x"  # square pixels; plotly ignores it beside "matches"
    for y in ys:
        assert layout[y]["range"] == [29.5, -0.5]  # y down, as images
    for y in ys[1:]:
        assert "scaleanchor" not in layout[y]
    assert [t.type for t in fig.data] == ["image", "scatter", "image", "image", "image"]  # no result: no picture,...
    # ...but an empty trace on its axes, so plotly.js makes its subplot (else its title lands on the first)
    assert (fig.data[1].xaxis, fig.data[1].yaxis, len(fig.data[1].x)) == ("x2", "y2", 0)
    texts = [a["text"] for a in layout["annotations"]]
    assert "no weights" in texts and all(f"method {i}" in texts for i in range(5))  # ...but says why
    assert grid_shape(5, 3) == (2, 3) and grid_shape(2, 4) == (1, 2)


@pytest.mark.parametrize("n", range(1, 22))
@pytest.mark.parametrize("columns", [1, 2, 3, 4, 5, 6])
def test_grids_of_any_size_lay_out_inside_the_figure(n, columns):
    import plotly.graph_objects as go  # validating: a domain outside [0, 1] raises

    for height in (173, 255, 383):  # 255: 3 per row of a 600 x 400 image, which once made a domain of -5.6e-17
        fig = go.Figure(grid_figure(_panels(n, 600, 400), photo=None, columns=columns, panel_height=height).to_dict())
        for k, axis in fig.layout.to_plotly_json().items():
            if k.startswith(("xaxis", "yaxis")):
                lo, hi = axis["domain"]
                assert 0.0 <= lo < hi <= 1.0, (k, axis["domain"])


def test_overlay_view_lays_each_picture_over_the_photo_at_the_chosen_opacity():
    import plotly.graph_objects as go

    photo = data_uri(b"jpeg", "image/jpeg")
    fig = go.Figure(grid_figure(_panels(3), photo=photo, view="overlay", alpha=0.4).to_dict())
    sources = [(t.source, t.opacity) for t in fig.data if t.type == "image"]
    assert sources.count((photo, None)) == 2  # not under the panel that has no result
    assert [o for s, o in sources if s != photo] == [0.4, 0.4]
    with pytest.raises(ValueError, match="unknown view"):
        grid_figure(_panels(1), photo=None, view="sideways")


def test_before_after_shows_the_original_left_of_the_cut():
    a = np.zeros((10, 100, 3), np.uint8)
    b = np.full((10, 100, 3), 9, np.uint8)
    out = before_after(a, b, 0.3)
    assert (out[:, :29] == 0).all() and (out[:, 31:] == 9).all() and (out[:, 29:31] == 255).all()
    assert (before_after(a, b, 0.0) == b).all() and (before_after(a, b, 1.0) == a).all()


def test_panel_picture_is_the_label_map_in_its_legend_colours():
    seg = run_method("multiotsu", data.camera(), classes=4)
    with Image.open(io.BytesIO(color_png(seg))) as img:
        assert img.mode == "P" and img.size == (512, 512)
        assert (np.asarray(img.convert("RGB")) == colorize(seg)).all()


# ----------------------------------------------------------------------------- the zip


def test_zip_holds_what_its_manifest_lists_and_label_maps_round_trip(tmp_path):
    photo = tmp_path / "coffee.png"
    photo.write_bytes(encode(data.coffee()))
    image = load_image(photo.read_bytes(), max_side=300, name="coffee.png")
    params = {"otsu": {}, "kmeans": {"k": 4, "color_space": "lab", "xy_weight": 0.0, "exact": False, "seed": 3},
              "canny": {"sigma": 1.5, "low_threshold": 0.05, "high_threshold": 0.15, "mode": "reflect", "min_region": 64},
              "slic": {"n_segments": 120, "compactness": 10.0, "merge": "threshold", "merge_threshold": 10.0,
                       "max_side": 200},
              "watershed": {"markers": "low", "max_side": None}}
    results = {m: run_method(m, image.rgb, **p) for m, p in params.items()}
    blob = comparison_zip(image, results, max_side=300, metrics_csv="method,iou\notsu,0.5\n",
                          ground_truth={"files": ["gt.png"], "kind": "binary"})
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        listed = {f for m in manifest["methods"].values() for f in m["files"]}
        assert names == listed | {"manifest.json", "metrics.csv"}
        assert zf.read("metrics.csv").decode() == "method,iou\notsu,0.5\n"
        for method, seg in results.items():
            labels = read_label_png(zf.read(f"labels/coffee_{method}_labels.png"))
            assert labels.dtype == np.int32 and (labels == seg.labels).all(), method
            with Image.open(io.BytesIO(zf.read(f"overlays/coffee_{method}_overlay.png"))) as ov:
                assert ov.size == image.size and ov.mode == "RGB"
    assert manifest["image"]["sha256_of_working_pixels"] == image.sha256
    assert manifest["image"]["working_size"] == [300, 200] and manifest["image"]["original_size"] == [600, 400]
    assert manifest["methods"]["kmeans"]["params"]["k"] == 4
    assert manifest["versions"] == library_versions() and manifest["versions"]["numpy"] == np.__version__
    assert manifest["ground_truth"]["kind"] == "binary"

    # Each panel's command, run as written on the original file, gives the same label map.
    out = tmp_path / "cli"
    for method, seg in results.items():
        argv = shlex.split(manifest["methods"][method]["command"])
        assert argv[:3] == ["python", "-m", "segcore"] and argv[-2:] == ["--", "coffee.png"]
        argv[-1] = str(photo)
        assert cli_main(["--out", str(out), *argv[3:]]) == 0
        again = read_label_png((out / f"coffee_{method}_labels.png").read_bytes())
        assert (again == seg.labels).all(), method


def test_cli_command_quotes_values_and_leaves_out_the_device():
    line = cli_command("my photo.jpg", "maskrcnn", {"variant": "shapes", "classes": (), "device": "cpu"}, None)
    assert line == "python -m segcore -m maskrcnn -p variant=shapes -p 'classes=()' --max-side 0 -- 'my photo.jpg'"


def test_cli_command_reads_a_file_named_like_an_option_as_a_file(tmp_path, monkeypatch):
    from segcore.cli import main as cli_main

    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.tile(np.arange(64, dtype=np.uint8), (48, 1))).convert("RGB").save(tmp_path / "--out=x.png")
    argv = shlex.split(cli_command("--out=x.png", "otsu", {}, None))
    assert argv[-2:] == ["--", "--out=x.png"]
    assert cli_main(["--out", str(tmp_path / "o"), *argv[3:]]) == 0
    assert (tmp_path / "o" / "--out=x_otsu_labels.png").is_file()


def test_panel_scale_keeps_the_pictures_within_the_pixel_budget():
    from pages._compare_figure import PIXEL_BUDGET, panel_scale

    assert panel_scale(3, (1600, 1200)) == 1 and panel_scale(20, (512, 512)) == 1
    assert panel_scale(4, (1600, 1200)) == 2 and panel_scale(20, (1600, 1200)) == 3
    for n in range(1, 25):
        f = panel_scale(n, (1600, 1200))
        assert n * -(-1600 // f) * -(-1200 // f) <= PIXEL_BUDGET
        assert f == 1 or n * -(-1600 // (f - 1)) * -(-1200 // (f - 1)) > PIXEL_BUDGET  # the smallest such f


def test_a_scaled_panel_covers_the_same_pixels_of_the_working_image():
    fig = grid_figure([Panel("a", "data:image/png;base64,", 1600, 1200, scale=3)], photo=None)
    trace = fig.data[0]
    assert (trace.x0, trace.dx, trace.y0, trace.dy) == (1.0, 3, 1.0, 3)  # picture pixel i: image pixels 3i..3i+2
    assert list(fig.layout.xaxis.range) == [-0.5, 1599.5]
