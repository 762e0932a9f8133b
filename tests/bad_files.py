"""The bad-input corpus of issue 14: bad and odd files, each made here in code, with what should happen.

Not a test file: ``tests/test_bad_input.py`` runs every file through the loader, every page
of the app and the command line. :func:`corpus` returns ``name -> BadFile(filename, data,
expect)``; ``expect`` says whether the file must load (and at what working size, from which
Pillow mode, upright as which picture) or be refused, and the phrase the refusal's message
(or, for a file that loads, one of its conversion notes) must contain.

Everything is small and quick to make except :func:`near_limit_file`, a real 4000 x 4141
uncompressed BMP a few hundred KB under the 50 MB upload limit (made in well under a
second, once per session).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from conftest import encode
from PIL import Image
from test_loading import (
    _png_header_only as png_header_only,  # a PNG header claiming any size
)

#: Streamlit's upload limit (.streamlit/config.toml: maxUploadSize = 50, in MB). The browser
#: counts a MB as 10^6 or 2^20 bytes depending on the platform: the smaller one counts here.
UPLOAD_LIMIT_BYTES = 50 * 1000 * 1000
#: The loader's working-size cap (segcore.io.loading.DEFAULT_MAX_SIDE), restated: sizes below are at it.
MAX_SIDE = 1600

#: Phrases of the loader's refusals (segcore.io.loading.load_image).
NOT_AN_IMAGE = "is not an image this app can read"
DAMAGED = "the file may be truncated or damaged"
EMPTY = "is empty (0 bytes)"
BOMB = "decompression bomb"
TOO_SMALL = "too small to segment"


@dataclass(frozen=True)
class Expect:
    """What the app must make of one corpus file.

    Attributes
    ----------
    ok : bool
        True: it loads to a working image; False: it is refused with ``ImageLoadError``.
    phrase : str
        Refused: a phrase the message must contain. Loaded: a phrase one of the
        conversion notes must contain ("" when no conversion is expected).
    size : (width, height) or None
        Loaded: the working size at the default cap of 1600 px.
    mode : str or None
        Loaded: the Pillow mode of the file (``LoadedImage.source_mode`` ends with it).
    upright : ndarray or None
        Loaded with an EXIF orientation: the picture as it must come out (H, W, 3).
    """

    ok: bool
    phrase: str = ""
    size: tuple[int, int] | None = None
    mode: str | None = None
    upright: np.ndarray | None = None


class BadFile(NamedTuple):
    filename: str
    data: bytes
    expect: Expect


def refused(filename: str, data: bytes, phrase: str) -> BadFile:
    return BadFile(filename, data, Expect(ok=False, phrase=phrase))


def photo(h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    """A small colour picture with regions to find: a bright disc and a dark bar on a gradient, light noise."""
    yy, xx = np.mgrid[:h, :w]
    rgb = np.stack([xx * 200 / w + 30, yy * 150 / h + 50, np.full((h, w), 90.0)], axis=2)
    disc = (yy - h * 0.45) ** 2 + (xx - w * 0.35) ** 2 < (min(h, w) * 0.25) ** 2
    rgb[disc] = (235, 210, 60)
    rgb[h // 6 : h // 6 + max(2, h // 10), w // 2 :] = (20, 20, 40)
    rgb += np.random.default_rng(seed).normal(0, 4, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def asymmetric() -> np.ndarray:
    """A 40 x 64 (h x w) picture unlike any of its flips and rotations: a red block top left, a blue bar at the bottom."""
    a = np.full((40, 64, 3), 128, np.uint8)
    a[:14, :20] = (230, 30, 30)
    a[30:, 8:] = (30, 30, 220)
    a[:, 56:60] = (250, 250, 250)
    return a


#: Orientation tag -> what the stored pixels are, given the upright picture (the inverse of
#: what a viewer applies for that tag: ImageOps.exif_transpose's mapping, inverted).
_STORED_FOR = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # shown after rotating 90 deg clockwise (ROTATE_270): stored 90 deg anticlockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def exif_jpeg(orientation: int) -> bytes:
    """:func:`asymmetric` as a camera would store it with EXIF Orientation ``orientation``."""
    upright = Image.fromarray(asymmetric())
    how = _STORED_FOR[orientation]
    stored = upright if how is None else upright.transpose(how)
    exif = stored.getexif()
    exif[0x0112] = orientation
    return encode(stored, "JPEG", quality=95, exif=exif.tobytes())


def _animated(fmt: str, **kw) -> bytes:
    colours = [(220, 40, 40), (40, 40, 220), (40, 200, 40)]
    frames = []
    for c in colours:
        a = np.zeros((48, 64, 3), np.uint8)
        a[:] = c
        a[12:36, 16:48] = 255 - np.array(c, np.uint8)
        frames.append(Image.fromarray(a))
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0, **kw)


@functools.lru_cache(maxsize=1)
def near_limit_file() -> BadFile:
    """A real 24-bit BMP, 4000 x 4141 px, 49.7 MB: a few hundred KB under the upload limit."""
    w, h = 4000, 4141  # 54-byte header + h rows of w * 3 bytes (already a multiple of 4)
    yy, xx = np.ogrid[:h, :w]
    rgb = np.empty((h, w, 3), np.uint8)
    rgb[..., 0] = (xx * 255 // w).astype(np.uint8)
    rgb[..., 1] = (yy * 255 // h).astype(np.uint8)
    rgb[..., 2] = 60
    rgb[h // 4 : h // 2, w // 4 : w // 2] = (240, 240, 240)
    data = encode(rgb, "BMP")
    assert UPLOAD_LIMIT_BYTES - 500_000 < len(data) < UPLOAD_LIMIT_BYTES, len(data)
    return BadFile("large.bmp", data, Expect(ok=True, size=(round(w * MAX_SIDE / h), MAX_SIDE), mode="RGB"))


@functools.lru_cache(maxsize=2)
def corpus(large: bool = True) -> dict[str, BadFile]:
    """Every file of the corpus by name; ``large=False`` leaves out the one near the upload limit."""
    pic = photo()
    h, w = pic.shape[:2]
    png = encode(pic)
    jpg = encode(pic, "JPEG", quality=90)
    files: dict[str, BadFile] = {
        # --- refused: not images, damaged, empty, too big, too small --------------------------------
        "text_as_png": refused("notes.png", b"Meeting notes, 3 May: bring the photos.\n", NOT_AN_IMAGE),
        "html_as_png": refused(
            "page.png", b"<!DOCTYPE html>\n<html><head><title>Photo</title></head>"
            b"<body><img src='cat.png'></body></html>\n", NOT_AN_IMAGE),
        "svg_as_png": refused(
            "drawing.png", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" '
            b'height="48"><circle cx="32" cy="24" r="20" fill="red"/></svg>\n', NOT_AN_IMAGE),
        "script_as_png": refused("run.png", b"#!/bin/sh\necho 'not a picture'\nexit 0\n", NOT_AN_IMAGE),
        "zero_bytes": refused("empty.png", b"", EMPTY),
        "truncated_png": refused("cut.png", png[: len(png) // 2], DAMAGED),
        "truncated_jpeg": refused("cut.jpg", jpg[: len(jpg) // 2], DAMAGED),
        "bomb_header_png": refused("bomb.png", png_header_only(50_000, 50_000), BOMB),
        "one_pixel": refused("dot.png", encode(np.full((1, 1, 3), 200, np.uint8)), "1 x 1 pixels, " + TOO_SMALL),
        "strip_1x10000": refused(
            "strip.png", encode((np.arange(10_000) % 256).astype(np.uint8)[:, None]),
            "1 x 10000 pixels, " + TOO_SMALL),
        # --- odd but fine: each loads, converted to RGB uint8 ---------------------------------------
        "tiff_16bit": BadFile(
            "deep.tif", encode(Image.fromarray(pic[..., 1].astype(np.uint16) * 257), "TIFF"),
            Expect(ok=True, phrase="16-bit image scaled to 8 bits", size=(w, h), mode="I;16")),
        "tiff_float32": BadFile(
            "float.tif", encode(Image.fromarray(pic[..., 0].astype(np.float32) / 255.0 * 3.5 - 1.0), "TIFF"),
            Expect(ok=True, phrase="32-bit float image rescaled", size=(w, h), mode="F")),
        "jpeg_cmyk": BadFile(
            "cmyk.jpg", encode(Image.fromarray(pic).convert("CMYK"), "JPEG", quality=92),
            Expect(ok=True, phrase="CMYK converted to RGB", size=(w, h), mode="CMYK")),
        "jpeg_gray": BadFile(
            "gray.jpg", encode(Image.fromarray(pic).convert("L"), "JPEG", quality=92),
            Expect(ok=True, phrase="grayscale shown as RGB", size=(w, h), mode="L")),
        "png_palette_transparent": BadFile(
            "palette.png", _palette_with_transparency(pic),
            Expect(ok=True, phrase="transparency composited onto white", size=(w, h), mode="P")),
        "png_rgba": BadFile(
            "alpha.png", encode(np.dstack([pic, np.where(np.arange(w) < w // 2, 255, 90).astype(np.uint8)[None, :]
                                           .repeat(h, axis=0)])),
            Expect(ok=True, phrase="transparency composited onto white", size=(w, h), mode="RGBA")),
        "gif_animated": BadFile(
            "anim.gif", _animated("GIF"), Expect(ok=True, phrase="first frame of 3 used", size=(64, 48), mode="P")),
        "webp_animated": BadFile(
            "anim.webp", _animated("WEBP", lossless=True),
            Expect(ok=True, phrase="first frame of 3 used", size=(64, 48))),
        "float_tiff_nan_inf": BadFile(
            "depth.tif", encode(Image.fromarray(_with_non_finite(pic[..., 0].astype(np.float32) / 100.0)), "TIFF"),
            Expect(ok=True, phrase="3 NaN or infinite pixels", size=(w, h), mode="F")),
        "float_tiff_all_nan": refused(
            "nodata.tif", encode(Image.fromarray(np.full((h, w), np.nan, np.float32)), "TIFF"), "no finite values"),
        "one_colour": BadFile(
            "flat.png", encode(np.full((h, w, 3), (90, 140, 200), np.uint8)), Expect(ok=True, size=(w, h), mode="RGB")),
        "smallest_8x8": BadFile("tiny.png", encode(photo(8, 8)), Expect(ok=True, size=(8, 8), mode="RGB")),
        "png_named_jpg": BadFile("really_png.jpg", png, Expect(ok=True, size=(w, h), mode="RGB")),
        # 12 x 3000 at the 1600 px cap: 6 x 1600, thinner than a file may be, but only by the reduction
        "thin_strip_12x3000": BadFile("thin.png", encode(photo(3000, 12)), Expect(ok=True, size=(6, 1600), mode="RGB")),
    }
    up = asymmetric()
    for n in range(1, 9):
        files[f"exif_orientation_{n}"] = BadFile(
            f"exif{n}.jpg", exif_jpeg(n),
            Expect(ok=True, phrase="EXIF orientation applied" if n != 1 else "", size=(up.shape[1], up.shape[0]),
                   mode="RGB", upright=up))
    if large:
        files["near_upload_limit"] = near_limit_file()
    return files


def _with_non_finite(a: np.ndarray) -> np.ndarray:
    """``a`` with one NaN, one +inf and one -inf pixel: no-data marks of depth maps and scientific images."""
    a = a.copy()
    a[0, 0], a[1, 1], a[2, 2] = np.nan, np.inf, -np.inf
    return a


def _palette_with_transparency(pic: np.ndarray) -> bytes:
    pal = Image.fromarray(pic).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    return encode(pal, "PNG", transparency=0)


def not_label_maps() -> dict[str, tuple[str, bytes, str, str]]:
    """Ground-truth uploads that are not label maps: name -> (filename, bytes, mime, phrase of the refusal)."""
    from skimage import data  # noqa: PLC0415

    coffee = data.coffee()[::2, ::2]
    return {
        # the uploader offers lossless types only (.jpg cannot be chosen): a JPEG named .png, and a lossy WebP
        "photo_jpeg": ("photo_jpeg.png", encode(coffee, "JPEG", quality=90), "image/png", "is a JPEG"),
        "photo_lossy_webp": ("photo.webp", encode(coffee, "WEBP", quality=80), "image/webp", "is a lossy WebP"),
        "text_file": ("labels.png", b"0 0 1 1\n0 0 1 1\n2 2 2 2\n", "image/png", "not an image"),
        "photo_png": ("photo.png", encode(coffee), "image/png", "looks like a photo, not a label map"),
    }
