"""The one loader: conversions to RGB uint8, working size, and clear refusals."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from conftest import encode
from PIL import Image

from segcore.io.loading import ImageLoadError, load_image, working_size


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with almost no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_rgb_png_round_trips_exactly(coffee):
    img = load_image(encode(coffee), max_side=None)
    assert img.rgb.dtype == np.uint8 and img.rgb.shape == coffee.shape
    assert np.array_equal(img.rgb, coffee)
    assert not img.reduced and img.notes == []


def test_same_pixels_same_key_different_pixels_different_key(coffee):
    a = load_image(encode(coffee))
    b = load_image(encode(coffee, "BMP"))
    changed = coffee.copy()
    changed[0, 0, 0] ^= 1
    c = load_image(encode(changed))
    assert a.sha256 == b.sha256
    assert a.sha256 != c.sha256


def test_grayscale_becomes_three_equal_channels():
    g = np.arange(64 * 64, dtype=np.uint8).reshape(64, 64)
    img = load_image(encode(g))
    assert img.rgb.shape == (64, 64, 3)
    assert np.array_equal(img.rgb[..., 0], g) and np.array_equal(img.rgb[..., 2], g)
    assert "grayscale shown as RGB" in img.notes


def test_16_bit_is_scaled_by_257():
    g16 = (np.arange(32 * 32, dtype=np.uint32).reshape(32, 32) * 64).astype(np.uint16)
    pil = Image.fromarray(g16)
    assert pil.mode.startswith("I;16")
    img = load_image(encode(pil))
    expected = np.clip(np.rint(g16 / 257.0), 0, 255).astype(np.uint8)
    assert np.array_equal(img.rgb[..., 1], expected)
    assert any("16-bit" in n for n in img.notes)


def test_rgba_is_composited_on_white():
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0] = 255  # red
    rgba[:, :8, 3] = 255  # left half opaque, right half fully transparent
    img = load_image(encode(rgba))
    assert tuple(img.rgb[0, 0]) == (255, 0, 0)
    assert tuple(img.rgb[0, 15]) == (255, 255, 255)
    assert "transparency composited onto white" in img.notes


def test_palette_and_cmyk_convert_to_rgb(coffee):
    pal = Image.fromarray(coffee).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    img = load_image(encode(pal))
    assert img.rgb.shape == coffee.shape and len(np.unique(img.rgb.reshape(-1, 3), axis=0)) <= 16
    cmyk = Image.fromarray(coffee).convert("CMYK")
    img2 = load_image(encode(cmyk, "JPEG", quality=95))
    assert img2.rgb.shape == coffee.shape
    assert np.abs(img2.rgb.astype(int) - coffee.astype(int)).mean() < 12
    assert "CMYK converted to RGB" in img2.notes


def test_exif_orientation_is_applied():
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = 255  # left half white
    pil = Image.fromarray(arr)
    exif = pil.getexif()
    exif[0x0112] = 6  # rotate 90 deg clockwise to display
    img = load_image(encode(pil, "JPEG", exif=exif.tobytes(), quality=95))
    assert img.rgb.shape[:2] == (40, 20)  # portrait after rotation
    assert img.rgb[2, 10].mean() > 200 and img.rgb[37, 10].mean() < 50  # white moved to the top
    assert "EXIF orientation applied" in img.notes


def test_animated_gif_uses_first_frame():
    frames = [Image.new("RGB", (16, 16), c) for c in [(255, 0, 0), (0, 0, 255)]]
    buf = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    img = load_image(buf)
    assert img.rgb[5, 5, 0] > 200 and img.rgb[5, 5, 2] < 50
    assert "first frame of 2 used" in img.notes


def test_working_size_caps_long_side():
    big = np.random.default_rng(0).integers(0, 255, (1200, 2400, 3), dtype=np.uint8)
    img = load_image(encode(big))
    assert img.size == (1600, 800) and img.reduced and img.original_size == (2400, 1200)
    full = load_image(encode(big), max_side=None)
    assert full.size == (2400, 1200) and not full.reduced
    assert working_size(1000, 500, 1600) == (1000, 500)
    assert working_size(3000, 4000, 800) == (600, 800)


@pytest.mark.parametrize(
    "payload, words",
    [
        (b"", r"empty \(0 bytes\)"),
        (b"this is a text file, renamed .png", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not an image"),
    ],
)
def test_bad_bytes_get_a_clear_message(payload, words):
    with pytest.raises(ImageLoadError, match=words):
        load_image(payload, name="upload.png")


def test_truncated_file_is_refused(coffee):
    data = encode(coffee, "PNG")
    with pytest.raises(ImageLoadError, match="truncated or damaged"):
        load_image(data[: len(data) // 2], name="half.png")
    jpg = encode(coffee, "JPEG")
    with pytest.raises(ImageLoadError, match="truncated or damaged"):
        load_image(jpg[: len(jpg) // 3], name="third.jpg")


def test_one_pixel_image_is_too_small():
    with pytest.raises(ImageLoadError, match=r"1 x 1 pixels, too small"):
        load_image(encode(np.zeros((1, 1, 3), np.uint8)))


@pytest.mark.parametrize("side", [10_000, 30_000])  # warning range and error range of Pillow
def test_decompression_bomb_is_refused(side):
    with pytest.raises(ImageLoadError, match="decompression bomb"):
        load_image(_png_header_only(side, side), name="bomb.png")
