"""Sample images that need no download: scikit-image's bundled pictures.

Each sample is handed out as PNG bytes so it goes through the same loader as
an upload (one code path, one set of conversions).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Sample:
    name: str
    title: str
    description: str
    load: Callable[[], np.ndarray]


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data  # noqa: PLC0415 - only when a sample is asked for

        return getattr(skimage.data, name)()

    return load


SAMPLES: dict[str, Sample] = {
    s.name: s
    for s in [
        Sample("astronaut", "Astronaut", "Eileen Collins, colour portrait (512 x 512)", _skimage("astronaut")),
        Sample("coffee", "Coffee", "A cup of coffee on a saucer (600 x 400)", _skimage("coffee")),
        Sample("chelsea", "Chelsea the cat", "A cat, colour (451 x 300)", _skimage("chelsea")),
        Sample("coins", "Coins", "Greek coins on a dark background, grayscale (384 x 303)", _skimage("coins")),
        Sample("camera", "Cameraman", "The classic grayscale test picture (512 x 512)", _skimage("camera")),
        Sample("rocket", "Rocket", "A rocket on the launch pad (640 x 427)", _skimage("rocket")),
        Sample("hubble", "Hubble deep field", "Galaxies on black (1000 x 872)", _skimage("hubble_deep_field")),
        Sample("ihc", "Immunohistochemistry", "Stained tissue, colour (512 x 512)", _skimage("immunohistochemistry")),
        Sample("page", "Page of text", "Unevenly lit text: a case for local thresholds (384 x 191)", _skimage("page")),
    ]
}

DEFAULT_SAMPLE = "astronaut"


@lru_cache(maxsize=16)
def sample_bytes(name: str) -> bytes:
    """Return the sample ``name`` encoded as PNG bytes (KeyError lists valid names)."""
    try:
        sample = SAMPLES[name]
    except KeyError:
        raise KeyError(f"unknown sample {name!r}; choose one of {', '.join(SAMPLES)}") from None
    arr = np.asarray(sample.load())
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()
