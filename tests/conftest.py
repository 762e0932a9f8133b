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
