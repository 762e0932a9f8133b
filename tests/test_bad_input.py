"""Issue 14: the bad-input corpus (tests/bad_files.py) through the loader, every page and the command line.

Each file gets a correct result or a clear, specific message: never a traceback, and the
session takes the next upload. The loader sees every file; in the app, every file goes
through the thresholding page (whose "try all" grid runs every automatic threshold) and the
compare page, a few representative files through every page, and every file in turn through
all of the compare page's methods in one session. About 30 s on 2 cores, most of it AppTest.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from bad_files import BadFile, corpus, near_limit_file, not_label_maps, photo
from conftest import encode, gt_uploader
from PIL import Image
from streamlit.testing.v1 import AppTest

from segcore.cli import main
from segcore.io.loading import ImageLoadError, load_image
from segcore.render import read_label_png

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
CORPUS = corpus(large=False)  # the 50 MB file has tests of its own, by name
#: Every page by name (None: Home, app.py's own page); the regions page once app.py serves it.
PAGES = {
    "home": None,
    "thresholding": "pages/thresholding.py",
    "edges": "pages/edges.py",
    "clustering": "pages/clustering.py",
    "mask_rcnn": "pages/mask_rcnn.py",
    "prompts": "pages/prompts.py",
    "compare": "pages/compare.py",
    "explainer": "pages/explainer.py",
    **({"regions": "pages/regions.py"} if "pages/regions.py" in (ROOT / "app.py").read_text() else {}),
}
#: Pages that need an image and say on the page, too, why there is none (require_image).
NEEDS_IMAGE = set(PAGES) - {"home", "explainer"}
#: One refused, two odd-but-accepted, the strips and the 1 x 1: through every page.
REPRESENTATIVE = ["html_as_png", "one_colour", "exif_orientation_6", "thin_strip_12x3000", "strip_1x10000",
                  "one_pixel"]
MIME = {"png": "image/png", "jpg": "image/jpeg", "tif": "image/tiff", "gif": "image/gif", "webp": "image/webp",
        "bmp": "image/bmp"}
GOOD = "good.png"


@pytest.fixture(scope="module")
def good_png() -> bytes:
    """The photo uploaded after each file: the session must work again with it."""
    return encode(photo(120, 160, seed=7))


def unescape(text: str) -> str:
    """Text as shown once Streamlit's markdown drops the backslashes of pages._image_input.plain."""
    return re.sub(r"\\(.)", r"\1", text)


# ----------------------------------------------------------------------------- the loader


@pytest.mark.parametrize("name", list(CORPUS))
def test_the_loader_gives_a_result_or_a_clear_refusal(name):
    filename, data, expect = CORPUS[name]
    try:
        image = load_image(data, name=filename)
    except ImageLoadError as exc:
        assert not expect.ok, f"{name} should load: {exc}"
        assert expect.phrase in str(exc) and f"'{filename}'" in str(exc), str(exc)
        return
    assert expect.ok, f"{name} should be refused ({expect.phrase!r})"
    assert image.rgb.dtype == np.uint8 and image.rgb.ndim == 3 and image.rgb.shape[2] == 3
    assert image.size == expect.size
    if expect.mode:
        assert image.source_mode.split(" ", 1)[1] == expect.mode
    if expect.phrase:
        assert any(expect.phrase in note for note in image.notes), image.notes
    else:
        assert not [n for n in image.notes if "EXIF" in n], image.notes


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(orientation):
    _, data, expect = CORPUS[f"exif_orientation_{orientation}"]
    upright = expect.upright
    rgb = load_image(data).rgb
    assert rgb.shape == upright.shape  # 5 to 8 are stored transposed: width and height swap back
    assert _mad(rgb, upright) < 4  # JPEG's error only
    for wrong in (upright[::-1], upright[:, ::-1], upright[::-1, ::-1]):  # the other pictures of this shape
        assert _mad(rgb, wrong) > 25  # measured 38 to 60


def test_the_file_near_the_upload_limit_is_a_real_image_that_loads_reduced():
    filename, data, expect = near_limit_file()
    assert 49_500_000 < len(data) < 50_000_000
    image = load_image(data, name=filename)
    assert image.size == expect.size and image.reduced and image.original_size == (4000, 4141)
    full = load_image(data, name=filename, max_side=None)
    assert full.size == (4000, 4141)


def test_a_float_image_with_no_data_pixels_is_rescaled_over_its_real_values():
    """NaN / inf pixels (no-data marks) made the rescale NaN everywhere, and NaN cast to an arbitrary level."""
    _, data, _ = CORPUS["float_tiff_nan_inf"]
    values = np.asarray(Image.open(io.BytesIO(data)))
    image = load_image(data)
    finite = np.isfinite(values)
    lo, hi = values[finite].min(), values[finite].max()
    expected = np.clip(np.rint((values - lo) / (hi - lo) * 255.0), 0, 255)
    assert np.array_equal(image.rgb[..., 0][finite], expected[finite].astype(np.uint8))
    assert image.rgb[0, 0, 0] == 0 and image.rgb[1, 1, 0] == 255 and image.rgb[2, 2, 0] == 0  # NaN, +inf, -inf


def test_every_automatic_threshold_on_a_one_colour_image_gives_a_result_or_says_why():
    """Isodata raised IndexError on a one-colour image: a traceback on the thresholding page's "try all" grid."""
    from segcore.methods.threshold import AUTO_METHODS  # noqa: PLC0415
    from segcore.registry import run_method  # noqa: PLC0415

    flat = load_image(CORPUS["one_colour"].data).rgb
    for name in AUTO_METHODS:
        try:
            assert run_method(name, flat).n_labels == 1, name
        except ValueError as exc:
            assert "threshold not found on this image" in str(exc), (name, exc)
    with pytest.raises(ValueError, match="it has one gray level only"):
        run_method("isodata", flat)


# ----------------------------------------------------------------------------- the app


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)  # a hang fails in a minute
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, filename: str, data: bytes) -> None:
    at.sidebar.file_uploader[0].upload(filename, data, MIME[filename.rsplit(".", 1)[1]])
    at.run()


def visit(at: AppTest, page: str) -> None:
    if PAGES[page] is not None:
        at.switch_page(PAGES[page]).run()


def _texts(elements) -> str:
    return " ".join(unescape(str(e.value)) for e in elements)


def _captions(block) -> str:
    """Every caption and image caption under a block."""
    images = " ".join(str(el.proto) for el in block if getattr(el, "type", None) == "image")
    return _texts(block.caption) + " " + images


def assert_refused(at: AppTest, page: str, item: BadFile) -> None:
    assert not at.exception, at.exception
    assert at.session_state["segcore_image"] is None
    shown = _texts(at.sidebar.error)
    assert item.expect.phrase in shown and item.filename in shown, shown
    if page in NEEDS_IMAGE:  # said on the page too, with what to do
        assert item.expect.phrase in _texts(at.main.error), _texts(at.main.error)
        assert "Upload another image, or remove this one in the sidebar" in _texts(at.main.info)


def assert_works(at: AppTest, page: str, filename: str, size: tuple[int, int], notes: str = "") -> None:
    """The page shows a result for the working image ``filename`` of ``size`` (or, Mask R-CNN offline, why not)."""
    assert not at.exception, at.exception
    image = at.session_state["segcore_image"]
    assert image is not None and (image.name, image.size) == (filename, size)
    assert not at.sidebar.error, _texts(at.sidebar.error)
    w, h = size
    assert f"{filename}: {w} x {h} px" in _captions(at.sidebar)
    if notes:
        assert notes in _texts(at.sidebar.caption), _texts(at.sidebar.caption)
    assert "Upload a valid image" not in _texts(at.main.info)
    if page in ("thresholding", "edges", "clustering"):
        assert f"on {w} x {h} px" in _texts(at.main.caption), _texts(at.main.caption)
    elif page == "compare":
        charts = [c for c in at.get("plotly_chart") if '"panels"' in c.proto.spec]
        assert len(charts) == 1
    elif page == "explainer":
        assert len(at.subheader) >= 4
    elif page == "mask_rcnn":  # offline: no weights, and the page says so and how to go on
        assert "Offline demo" in _texts(at.main.info), _texts(at.main.info)
    elif page == "home":
        assert "Segmentation explorer" in at.title[0].value


def panel_pictures(at: AppTest) -> list[dict]:
    """The compare grid's label pictures (one per method that gave a result)."""
    spec = json.loads(next(c.proto.spec for c in at.get("plotly_chart") if '"panels"' in c.proto.spec))
    return [t for t in spec["data"] if t["type"] == "image" and t["source"].startswith("data:image/png")]


def journey(page: str, name: str, good_png: bytes) -> None:
    """Upload corpus file ``name``, visit ``page``, check it; then upload a good photo: the page works again."""
    item = CORPUS[name] if name in CORPUS else near_limit_file()
    at = new_app()
    upload(at, item.filename, item.data)
    visit(at, page)
    if item.expect.ok:
        assert_works(at, page, item.filename, item.expect.size, item.expect.phrase)
    else:
        assert_refused(at, page, item)
    upload(at, GOOD, good_png)
    assert_works(at, page, GOOD, (160, 120))


@pytest.mark.parametrize("name", list(CORPUS))
def test_every_file_on_the_thresholding_page(name, good_png, offline):
    journey("thresholding", name, good_png)


@pytest.mark.parametrize("name", list(CORPUS))
def test_every_file_on_the_compare_page(name, good_png, offline):
    journey("compare", name, good_png)


@pytest.mark.parametrize("page", [p for p in PAGES if p not in ("thresholding", "compare")])
@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_representative_files_on_every_page(page, name, good_png, offline):
    journey(page, name, good_png)


@pytest.mark.parametrize("page", ["thresholding", "compare"])
def test_the_file_near_the_upload_limit_on_a_page(page, good_png, offline):
    journey(page, "near_upload_limit", good_png)


def test_one_session_takes_every_file_in_turn_on_every_method(offline):
    """All 25 compare methods on each file that loads, one upload after another in one session:
    every method gives a picture or says in one line why not, and no upload breaks the next."""
    at = new_app()
    visit(at, "compare")
    at.button(key="cmp_all").click().run()
    at.button(key="cmp_regions").click().run()
    methods = at.multiselect(key="cmp_methods").value
    assert len(methods) >= 25
    for name, item in CORPUS.items():
        upload(at, item.filename, item.data)
        assert not at.exception, (name, at.exception)
        if not item.expect.ok:
            assert item.expect.phrase in _texts(at.main.error), name
            continue
        assert_works(at, "compare", item.filename, item.expect.size)
        problems = [c.value for c in at.main.caption if re.match(r"\*\*[^*]+\*\*: ", c.value)]
        assert len(panel_pictures(at)) + len(problems) == len(methods), (name, problems)
        assert all(len(p) > 40 for p in problems), problems  # a sentence, not a bare exception name


@pytest.mark.parametrize("case", list(not_label_maps()))
def test_a_ground_truth_that_is_not_a_label_map_is_refused_and_the_methods_stay(case, good_png, offline):
    filename, data, mime, phrase = not_label_maps()[case]
    at = new_app()
    upload(at, GOOD, good_png)
    visit(at, "compare")
    at.multiselect(key="cmp_methods").set_value(["otsu", "kmeans"]).run()
    at.radio(key="cmp_gt_source").set_value("upload").run()
    gt_uploader(at).upload(filename, data, mime)
    at.run()
    assert not at.exception, at.exception
    errors = _texts(at.main.error)
    assert phrase in errors and filename in errors, errors
    assert not at.dataframe  # no scores against it...
    assert_works(at, "compare", GOOD, (160, 120))  # ...and the methods are still shown
    assert len(panel_pictures(at)) == 2
    # the next ground truth works: a mask of this image
    mask = np.zeros((120, 160), np.uint8)
    mask[30:90, 40:120] = 255
    gt_uploader(at).upload("mask.png", encode(mask), "image/png")
    at.run()
    assert not at.exception and not at.main.error
    assert list(at.dataframe[0].value.index) == ["Otsu", "k-means clustering"]


# ----------------------------------------------------------------------------- the command line

CLI_BAD = ["zero_bytes", "truncated_png", "html_as_png", "bomb_header_png", "one_pixel", "float_tiff_all_nan"]


def test_a_folder_with_bad_files_processes_the_good_ones_and_names_each_bad_one(tmp_path, capsys):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    good = {"good.png": encode(photo(60, 80)), "odd.tif": CORPUS["tiff_16bit"].data,
            "turned.jpg": CORPUS["exif_orientation_6"].data,
            # one stem, two extensions: each keeps its own outputs
            "same.png": encode(photo(60, 80, seed=3)), "same.gif": CORPUS["gif_animated"].data}
    for filename, data in good.items():
        (photos / filename).write_bytes(data)
    bad = {CORPUS[n].filename: CORPUS[n] for n in CLI_BAD}
    for filename, item in bad.items():
        (photos / filename).write_bytes(item.data)
    out.mkdir()
    kept = out / "empty_otsu_labels.png"  # left from an earlier run: a bad file must not replace it
    kept.write_bytes(b"an earlier result")

    rc = main([str(photos), "-m", "otsu,kmeans", "-p", "k=3", "-o", str(out), "--workers", "0"])
    captured = capsys.readouterr()
    assert rc == 2
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(bad), errors  # one line per bad file, for all its methods
    for filename, item in bad.items():
        line = next(e for e in errors if f"{photos / filename}:" in e)
        assert item.expect.phrase in line, line
        assert "Traceback" not in captured.err
    assert f"{len(bad)} problem(s)" in captured.err

    expected = {f"{stem}_{m}_{what}.png" for stem in ("good", "odd", "turned", "same.png", "same.gif")
                for m in ("otsu", "kmeans") for what in ("labels", "overlay")} | {kept.name}
    assert {p.name for p in out.iterdir()} == expected
    assert kept.read_bytes() == b"an earlier result"
    turned = read_label_png((out / "turned_otsu_labels.png").read_bytes())
    assert turned.shape == CORPUS["exif_orientation_6"].expect.upright.shape[:2]  # upright, as on the pages
    a = read_label_png((out / "same.png_otsu_labels.png").read_bytes())
    b = read_label_png((out / "same.gif_otsu_labels.png").read_bytes())
    assert a.shape == (60, 80) and b.shape == (48, 64)


def test_the_command_line_on_a_single_bad_file_exits_non_zero_with_one_line(tmp_path, capsys):
    item = CORPUS["svg_as_png"]
    path = tmp_path / item.filename
    path.write_bytes(item.data)
    assert main([str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"error: {path}: '{item.filename}' {item.expect.phrase}" in err
    assert not list((tmp_path / "out").iterdir())
