"""Flow 5: the download buttons deliver the exact label map and the overlay."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

try:
    from playwright.sync_api import expect
except ImportError:  # the app fixture skips (or, under CI=true, fails) these tests
    expect = None

pytestmark = pytest.mark.browser


def _download(app, button_text: str, tmp_path):
    button = app.main.locator('[data-testid="stDownloadButton"] button:visible').filter(has_text=button_text).first
    expect(button).to_be_enabled()
    with app.page.expect_download() as info:
        button.click()
    dl = info.value
    assert dl.failure() is None, dl.failure()
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)
    return dl.suggested_filename, path


@pytest.mark.parametrize(
    "page_title, method",
    [("Thresholding", "global_mean"), ("Edge detection", "sobel"), ("Clustering", "kmeans")],
)
def test_label_map_and_overlay_downloads(app, photo_file, tmp_path, page_title, method):
    # A non-square upload (600 x 400), so a swapped width and height would show.
    app.goto("/")
    app.upload(photo_file)
    app.nav_to(page_title)
    name, w, h = app.working_size()
    assert name == photo_file.name and (w, h) == (600, 400), (name, w, h)
    n_labels = int(app.main.get_by_text("Label map: ").first.inner_text().split(":")[1].split()[0])

    fname, path = _download(app, "Download label map (16-bit PNG)", tmp_path)
    assert fname == f"my_coffee_photo_{method}_labels.png", fname
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.mode in ("I;16", "I"), img.mode
        assert img.size == (w, h), f"label map is {img.size}, the working image is {(w, h)}"
        labels = np.asarray(img)
    # The file holds the labels the page reports: as many distinct values as "Label map: N labels".
    values = np.unique(labels)
    assert len(values) == n_labels, f"{len(values)} distinct labels in the file, the page says {n_labels}"

    fname, path = _download(app, "Download overlay (PNG)", tmp_path)
    assert fname == f"my_coffee_photo_{method}_overlay.png", fname
    with Image.open(path) as img:
        assert img.mode == "RGB" and img.size == (w, h), (img.mode, img.size)
    app.assert_clean()
