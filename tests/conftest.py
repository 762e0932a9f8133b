"""Shared fixtures: real sample images and encoded files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data


def encode(arr_or_img, fmt: str = "PNG", **save_kwargs) -> bytes:
    """Encode an array or PIL image to file bytes in ``fmt``."""
    img = arr_or_img if isinstance(arr_or_img, Image.Image) else Image.fromarray(arr_or_img)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **save_kwargs)
    return buf.getvalue()


def open_settings(at, method: str):
    """Open the compare page's "Settings of each method" on ``method``'s tab and rerun: only that tab's
    controls are drawn (as when a person opens the expander and clicks the tab). Returns ``at``."""
    from pages._compare_controls import SETTINGS_OPEN, SETTINGS_TAB, method_title

    at.session_state[SETTINGS_OPEN] = True
    at.session_state[SETTINGS_TAB] = method_title(method)
    return at.run()


def gt_uploader(at):
    """The compare page's ground-truth uploader (one per image: its key names the image)."""
    return next(u for u in at.file_uploader if u.key and u.key.startswith("cmp_gt_upload."))


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="session")
def coins_rgb() -> np.ndarray:
    g = data.coins()
    return np.stack([g, g, g], axis=2)


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    return data.coffee()


@pytest.fixture(scope="session")
def photo_png(coffee) -> bytes:
    """A real colour photo as PNG bytes, as a user would upload it."""
    return encode(coffee)


@pytest.fixture()
def no_sam_weights(tmp_path, monkeypatch):
    """SAM 2.1's weights are nowhere (no folder named, an empty Hugging Face cache), and the Hub a closed port."""
    monkeypatch.delenv("SEGCORE_SAM2_WEIGHTS", raising=False)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")


@pytest.fixture()
def offline(tmp_path, monkeypatch):
    """No Mask R-CNN weights anywhere, and the download address a closed local port: the app as offline."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("SEGCORE_MASKRCNN_URL", "http://127.0.0.1:9/")
    monkeypatch.delenv("SEGCORE_MASKRCNN_WEIGHTS", raising=False)
