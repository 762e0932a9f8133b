"""Every page in Streamlit's AppTest: with a sample and an uploaded image, no exception, the right values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import encode
from skimage import data
from skimage.color import rgb2gray
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ["pages/thresholding.py", "pages/edges.py", "pages/clustering.py", "pages/regions.py", "pages/explainer.py"]


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def image_captions(block) -> str:
    """All image captions under a block (sidebar or main), as one string."""
    return " ".join(str(el.proto) for el in block if getattr(el, "type", None) == "image")


def upload(at: AppTest, name: str, payload: bytes, mime: str = "image/png") -> None:
    at.sidebar.file_uploader[0].upload(name, payload, mime)
    at.run()


def test_home_page_explains_and_links_every_page():
    at = new_app()
    text = " ".join(m.value for m in at.markdown)
    assert "Segmentation explorer" in at.title[0].value
    assert "multi-level" in text and "local (adaptive)" in text.lower()
    assert "Limitations" in text and "state of the art" in text
    # The corrected table: thresholding's limitation sits in its Limitations cell.
    row = next(line for line in text.splitlines() if line.startswith("| **Region-based"))
    assert row.rstrip(" |").endswith("accurate segments are hard to get.")
    links = {link.proto.page for link in at.get("page_link")}
    assert {"thresholding", "edges", "clustering"} <= {p.strip("/").split("/")[-1] for p in links}


@pytest.mark.parametrize("page", PAGES)
def test_each_page_runs_on_the_default_sample(page):
    at = new_app()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title[0].value in {
        "Thresholding", "Edge detection", "Clustering", "Regions and superpixels", "Classification, detection, segmentation",
    }
    image = at.session_state["segcore_image"]
    assert (image.name, image.size) == ("astronaut.png", (512, 512))
    if page != "pages/explainer.py":
        assert "on 512 x 512 px" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_runs_on_an_uploaded_photo(page):
    at = new_app()
    upload(at, "coffee.png", encode(data.coffee()))
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error


def test_thresholding_shows_the_threshold_numbers():
    at = new_app()
    at.switch_page("pages/thresholding.py").run()
    gray = rgb2gray(data.astronaut())
    assert metrics(at)["Threshold"] == f"{gray.mean():.4f}"  # the article's global mean is the default
    at.selectbox(key="thr_method").set_value("multilevel_article").run()
    m = metrics(at)
    assert m["Threshold 0.25"] == "0.2500" and m["Threshold: gray mean"] == f"{gray.mean():.4f}"
    at.selectbox(key="thr_method").set_value("multiotsu").run()
    at.slider(key="thr_classes").set_value(4).run()
    assert [k for k in metrics(at) if k.startswith("Threshold")] == ["Threshold 1", "Threshold 2", "Threshold 3"]
    at.selectbox(key="thr_method").set_value("local").run()
    text = " ".join(m.value for m in at.markdown)
    assert "Block size **35 px**, offset **+0.000**" in text
    assert [k for k in metrics(at) if k.startswith("Local threshold") or k in ("mean", "max")] == [
        "Local threshold: min", "mean", "max"]


def test_try_all_grid_titles_each_tile_with_method_and_value():
    at = new_app()
    at.switch_page("pages/thresholding.py").run()
    blob = image_captions(at.main)
    from skimage import filters

    gray = rgb2gray(data.astronaut())
    assert f"Otsu: {filters.threshold_otsu(gray):.4f}" in blob
    assert f"Yen: {filters.threshold_yen(gray):.4f}" in blob


def test_edges_page_shows_the_article_kernels_and_threshold():
    at = new_app()
    at.switch_page("pages/edges.py").run()
    html = " ".join(m.value for m in at.markdown)
    for name in ["sobel_horizontal", "sobel_vertical", "laplace"]:
        assert f'data-kernel="{name}"' in html
    assert ">-8<" in html
    m = metrics(at)
    assert float(m["Edge threshold"]) > 0 and int(m["Regions"]) > 1
    at.toggle(key="edge_auto").set_value(False).run()
    slider = at.slider(key="edge_thr_sobel")
    assert slider.value == pytest.approx(float(m["Edge threshold"]), abs=1e-4)  # starts at Otsu's value
    slider.set_value(0.5).run()
    assert metrics(at)["Edge threshold"] == "0.5000"
    assert int(metrics(at)["Regions"]) != int(m["Regions"]) or metrics(at)["Edge pixels"] != m["Edge pixels"]


def test_clustering_page_shows_k_clusters_and_swatches():
    at = new_app()
    at.switch_page("pages/clustering.py").run()
    assert metrics(at)["Clusters"] == "5"
    at.slider(key="cl_k").set_value(8).run()
    assert not at.exception
    assert metrics(at)["Clusters"] == "8"
    swatches = " ".join(m.value for m in at.markdown if "swatch" in m.value)
    assert swatches.count('class="swatch"') == 8


def test_clustering_page_mixture_takes_a_covariance_shape():
    at = new_app()
    at.switch_page("pages/clustering.py").run()
    assert not [s for s in at.selectbox if s.key == "cl_cov"]  # k-means has no such control
    at.radio(key="cl_algo").set_value("gmm").run()
    assert not at.exception
    cov = at.selectbox(key="cl_cov")
    assert cov.value == "full" and cov.options == [
        "full: any ellipsoid", "tied: one shared ellipsoid", "diag: along the colour axes", "spherical: balls"
    ]
    full_inertia = metrics(at)["Inertia (all pixels)"]
    cov.set_value("spherical").run()
    assert not at.exception
    assert metrics(at)["Clusters"] == "5"
    assert metrics(at)["Inertia (all pixels)"] != full_inertia  # a different model, a different partition


def test_bad_upload_shows_the_message_and_pages_stay_usable():
    at = new_app()
    upload(at, "notes.png", b"just some text, renamed to .png")
    assert any("is not an image this app can read" in e.value for e in at.sidebar.error)
    at.switch_page("pages/thresholding.py").run()
    assert not at.exception
    assert any("remove this one in the sidebar (the ✕ beside its name) to pick a sample" in i.value for i in at.info)
    assert any("is not an image this app can read" in e.value for e in at.error)  # said on the page too
    at.switch_page("pages/clustering.py").run()  # other pages keep working and say what to do
    assert not at.exception
    assert any("remove this one in the sidebar (the ✕ beside its name) to pick a sample" in i.value for i in at.info)
    # Removing the upload and carrying on is covered in the browser (tests/browser/test_bad_upload.py):
    # AppTest cannot reach the sidebar once a page other than Home has run.


@pytest.mark.parametrize(
    "payload, words",
    [(b"", "empty (0 bytes)"), (encode(np.zeros((1, 1, 3), np.uint8)), "too small")],
)
def test_other_bad_uploads_get_clear_messages(payload, words):
    at = new_app()
    upload(at, "bad.png", payload)
    assert any(words in e.value for e in at.sidebar.error)
    assert not at.exception


def test_image_persists_across_pages_and_reduction_is_announced():
    big = np.random.default_rng(1).integers(0, 255, (900, 2000, 3), dtype=np.uint8)
    at = new_app()
    upload(at, "wide.png", encode(big))
    assert any("Reduced from 2000 x 900 to 1600 x 720 px" in i.value for i in at.sidebar.info)
    assert "wide.png: 1600 x 720 px" in image_captions(at.sidebar)
    for page in ["pages/thresholding.py", "pages/edges.py"]:
        at.switch_page(page).run()
        assert not at.exception
        assert "on 1600 x 720 px" in " ".join(c.value for c in at.caption)
    at = new_app()  # AppTest forgets an upload once a page without the sidebar ran; start afresh
    upload(at, "wide.png", encode(big))
    at.sidebar.selectbox(key="working_size").set_value("Full resolution").run()
    assert not at.sidebar.info
    assert "wide.png: 2000 x 900 px" in image_captions(at.sidebar)
    at.switch_page("pages/edges.py").run()
    assert "on 2000 x 900 px" in " ".join(c.value for c in at.caption)


def test_explainer_answers_the_four_tasks_for_the_same_picture():
    at = new_app()
    at.switch_page("pages/explainer.py").run()
    assert not at.exception
    assert [h.value for h in at.subheader] == [
        "Image classification", "Object detection", "Semantic segmentation", "Instance segmentation"]
    at.slider(key="ex_objects").set_value(5).run()
    text = " ".join(m.value for m in at.markdown)
    assert "5 boxes" in text and "5 instances" in text


def test_a_run_freezes_the_imported_objects_so_the_collection_after_each_run_is_cheap():
    """Streamlit runs gc.collect(2) after every run; the libraries' objects must not be walked each time."""
    import gc

    from pages import _gc_freeze

    gc.unfreeze()
    _gc_freeze._modules_at_last_freeze = 0
    try:
        at = new_app()
        at.switch_page("pages/thresholding.py").run()
        assert not at.exception
        frozen = gc.get_freeze_count()
        assert frozen > 100_000  # numpy, scipy, scikit-image, plotly, streamlit...
        assert len(gc.get_objects()) < frozen / 4  # what a full collection still walks
        assert not _gc_freeze.freeze_new_imports()  # nothing new imported: no second collection
        garbage = []
        garbage.append(garbage)  # a cycle made after the freeze is still collected
        del garbage
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()


def _plotly_values(v) -> np.ndarray:
    """A plotly JSON array: a list, or {'dtype', 'bdata'} (base64 typed array)."""
    import base64

    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.asarray(v)


def test_histogram_counts_every_pixel_and_marks_every_threshold():
    import json

    at = new_app()
    at.switch_page("pages/thresholding.py").run()
    gray = rgb2gray(data.astronaut())

    def figure():
        return json.loads(at.get("plotly_chart")[0].proto.spec)

    fig = figure()
    assert len(fig["data"]) == 1 and _plotly_values(fig["data"][0]["y"]).sum() == gray.size
    assert [round(s["x0"], 6) for s in fig["layout"]["shapes"]] == [round(gray.mean(), 6)]
    at.selectbox(key="thr_method").set_value("multilevel").run()
    fig = figure()
    marks = [s["x0"] for s in fig["layout"]["shapes"]]
    assert marks == pytest.approx([0.25, 0.5, 0.75])
    assert [a["text"] for a in fig["layout"]["annotations"]] == [
        "Threshold 1: 0.250", "Threshold 2: 0.500", "Threshold 3: 0.750"]


def test_every_page_url_is_its_file_name():
    """On a fresh server Streamlit matches the first visit's address against pages/ file names
    before st.navigation runs; another url_path shows a "Page not found" dialog."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[1] / "app.py").read_text())
    pages = {}
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "Page" and call.args:
            if isinstance(call.args[0], ast.Constant):
                kw = {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
                pages[call.args[0].value] = kw.get("url_path")
    assert len(pages) == 8  # five technique pages, point and click, compare and the explainer
    for path, url in pages.items():
        assert url == Path(path).stem, f"{path} is served at /{url}"
