"""Shared rendering: label maps to pictures and lossless files.

Every page and the command line draw results the same way: the label map in
distinct colours, an overlay on the image with a chosen opacity, optional
segment boundaries, and downloads as PNG bytes.
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
from PIL import Image
from skimage.segmentation import find_boundaries

from segcore.result import Segmentation


def _encode(img: Image.Image, fmt: str = "PNG", **options) -> bytes:
    """``img`` saved in ``fmt`` with Pillow's ``options``, as bytes."""
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def _pil(arr: np.ndarray, mode: str | None = None) -> Image.Image:
    """A Pillow image of ``arr`` as contiguous uint8."""
    return Image.fromarray(np.ascontiguousarray(arr, dtype=np.uint8), mode)


def _color_table(seg: Segmentation) -> np.ndarray:
    """(max label + 1, 3) uint8: each label's legend colour (black for a value the legend lacks)."""
    top = int(seg.labels.max()) if seg.labels.size else 0
    lut = np.zeros((top + 1, 3), dtype=np.uint8)
    for lab in seg.legend:
        if lab.value <= top:
            lut[lab.value] = lab.color
    return lut


def colorize(seg: Segmentation) -> np.ndarray:
    """Return an (H, W, 3) uint8 picture of the label map in the legend's colours."""
    return np.take(_color_table(seg), seg.labels, axis=0)


def overlay(
    image: np.ndarray,
    seg: Segmentation,
    *,
    alpha: float = 0.5,
    boundaries: bool = False,
    boundary_color: tuple[int, int, int] = (255, 255, 0),
    skip_zero: bool = False,
) -> np.ndarray:
    """Blend the coloured label map over ``image``.

    Parameters
    ----------
    image : (H, W, 3) uint8
    alpha : float
        Opacity of the colours, 0 (image only) to 1 (labels only).
    boundaries : bool
        Draw the outlines between segments in ``boundary_color``.
    skip_zero : bool
        Leave label 0 (background) uncoloured, as for instance masks.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
    """
    if image.shape[:2] != seg.labels.shape:
        raise ValueError(f"image {image.shape[:2]} and labels {seg.labels.shape} differ in size")
    alpha = float(np.clip(alpha, 0.0, 1.0))
    # Every output value is rint(pixel * (1 - alpha) + colour * alpha) for two bytes, so all
    # 256 x 256 of them are worked out once (in float32) and each pixel looks its value up.
    # Column 256 stands for "no colour" (the pixel as it is), used by label 0 with skip_zero.
    levels = np.arange(256, dtype=np.float32)
    blend = np.empty((256, 257), np.uint8)
    blend[:, :256] = np.clip(np.rint(levels[:, None] * (1.0 - alpha) + levels[None, :] * alpha), 0, 255)
    blend[:, 256] = np.arange(256)
    blend = blend.ravel()
    lut = _color_table(seg).astype(np.int32)
    if skip_zero and len(lut):
        lut[0] = 256
    index = image.astype(np.int32)
    index *= 257
    index += np.take(lut, seg.labels, axis=0)  # rows of a table: take is faster than lut[labels]
    out = np.take(blend, index, mode="clip")  # in range by construction; "clip" skips a buffer
    if boundaries:
        out[find_boundaries(seg.labels, mode="inner")] = boundary_color
    return out


def boundary_image(image: np.ndarray, seg: Segmentation, color=(255, 255, 0)) -> np.ndarray:
    """The image with segment outlines drawn in ``color`` (no fill)."""
    return overlay(image, seg, alpha=0.0, boundaries=True, boundary_color=color)


def label_png(labels: np.ndarray, *, compress_level: int = 6) -> bytes:
    """Encode a label map losslessly as a 16-bit grayscale PNG (value = label).

    ``compress_level`` is zlib's (Pillow's default 6); batches use 1: a faster
    encode for a slightly larger file.
    """
    if labels.size and (labels.min() < 0 or labels.max() > 65535):
        raise ValueError("a 16-bit PNG holds labels 0..65535")
    return _encode(Image.fromarray(np.ascontiguousarray(labels.astype(np.uint16))), compress_level=compress_level)


def read_label_png(data: bytes) -> np.ndarray:
    """Decode a label PNG written by :func:`label_png` back to int32 labels."""
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img).astype(np.int32)


def mask_png(labels: np.ndarray, *, compress_level: int = 6) -> bytes:
    """Encode a mask as an 8-bit grayscale PNG: 255 where ``labels`` is not 0 (the object), 0 elsewhere.

    What image editors and annotation tools read as a mask; a two-label
    result's label PNG (:func:`label_png`) would look black in them.
    """
    return _encode(_pil(np.where(labels != 0, 255, 0).astype(np.uint8), "L"), compress_level=compress_level)


def rgb_png(rgb: np.ndarray, *, compress_level: int = 6) -> bytes:
    """Encode an (H, W, 3) uint8 picture as PNG bytes (``compress_level``: as :func:`label_png`)."""
    return _encode(_pil(rgb, "RGB"), compress_level=compress_level)


def to_uint8(values: np.ndarray, *, symmetric: bool = False) -> np.ndarray:
    """Scale a float response image to uint8 for display.

    ``symmetric=True`` maps 0 to mid-gray so signed responses (kernels) keep
    their sign visible; otherwise min..max maps to 0..255.
    """
    v = np.asarray(values, dtype=np.float32)
    if symmetric:
        m = float(np.max(np.abs(v))) or 1.0
        return np.clip(np.rint((v / m + 1.0) * 127.5), 0, 255).astype(np.uint8)
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return np.zeros(v.shape, np.uint8)
    return np.clip(np.rint((v - lo) / (hi - lo) * 255.0), 0, 255).astype(np.uint8)


def draw_boxes(
    rgb: np.ndarray,
    boxes: list[tuple[float, float, float, float]],
    texts: list[str],
    colors: list[tuple[int, int, int]],
    *,
    width: int | None = None,
    font_size: int | None = None,
) -> np.ndarray:
    """Draw labelled boxes ``(x0, y0, x1, y1)`` on a copy of ``rgb``.

    Each box gets its text ("class score") on a filled tag at its top-left
    corner. Line width and font size scale with the image unless given.
    Returns uint8 RGB.
    """
    from PIL import ImageDraw, ImageFont

    img = _pil(rgb, "RGB")
    draw = ImageDraw.Draw(img)
    side = max(img.size)
    lw = width or max(1, side // 300)
    font = ImageFont.load_default(size=font_size or max(12, side // 45))
    for (x0, y0, x1, y1), text, color in zip(boxes, texts, colors):
        draw.rectangle([x0, y0, x1, y1], outline=tuple(color), width=lw)
        if text:
            tb = draw.textbbox((x0, y0), text, font=font)
            th = tb[3] - tb[1]
            ty = y0 - th - 2 * lw if y0 - th - 2 * lw >= 0 else y0
            draw.rectangle([x0, ty, x0 + (tb[2] - tb[0]) + 2 * lw, ty + th + 2 * lw], fill=tuple(color))
            light = sum(color) > 380
            draw.text((x0 + lw, ty + lw - (tb[1] - y0)), text, fill=(0, 0, 0) if light else (255, 255, 255), font=font)
    return np.asarray(img)


def display_factor(shape: tuple[int, ...], max_side: int = 960) -> int:
    """The whole factor that brings the long side of an image of ``shape`` to at most ``max_side`` (1: as is)."""
    return max(1, -(-max(shape[0], shape[1]) // max_side))


def for_display(rgb: np.ndarray, max_side: int = 960) -> np.ndarray:
    """A copy of ``rgb`` reduced by an integer factor (box filter) to at most ``max_side``.

    Pages show pictures in columns a few hundred pixels wide, where full-size
    pictures would cost most of a re-render to encode; exact results stay
    available as downloads.
    """
    factor = display_factor(rgb.shape, max_side)
    return rgb if factor <= 1 else np.asarray(_pil(rgb).reduce(factor))


def display_pair(
    image: np.ndarray, seg: Segmentation, max_side: int = 960, *, shown_image: np.ndarray | None = None
) -> tuple[np.ndarray, Segmentation]:
    """The image and its result at display size, for drawing overlays cheaply.

    Labels are subsampled (every f-th pixel, so colours stay exact) and the
    image is box-filtered to the same shape (:func:`display_image`; pass
    ``shown_image`` when it is already made, e.g. cached across reruns).
    Returns ``(rgb, seg)``; ``seg`` shares everything but its smaller label
    map with the original.
    """
    if display_factor(seg.labels.shape, max_side) <= 1:
        return image, seg
    small = display_labels(seg.labels, max_side)
    rgb = display_image(image, max_side) if shown_image is None else shown_image
    if rgb.shape[:2] != small.shape:
        raise ValueError(f"shown_image is {rgb.shape[:2]}, the labels at display size {small.shape}")
    return rgb, replace(seg, labels=small)


def display_labels(labels: np.ndarray, max_side: int = 960) -> np.ndarray:
    """Every f-th pixel of a label map (or of a picture painted from one), f = :func:`display_factor`.

    Subsampling, not filtering, keeps each value one the map really holds: the
    colours of a picture made from it stay exact.
    """
    factor = display_factor(labels.shape, max_side)
    return labels if factor <= 1 else labels[::factor, ::factor]


def display_image(image: np.ndarray, max_side: int = 960) -> np.ndarray:
    """``image`` box-filtered to the shape of its label maps at display size (see :func:`display_pair`)."""
    return reduced_image(image, display_factor(image.shape, max_side))


def reduced_image(image: np.ndarray, factor: int) -> np.ndarray:
    """``image`` box-filtered by ``factor`` to the shape of ``labels[::factor, ::factor]`` (as is for 1).

    The picture to lay under a label map subsampled by the same factor, pixel for pixel.
    """
    if factor <= 1:
        return image
    h, w = -(-image.shape[0] // factor), -(-image.shape[1] // factor)  # the subsampled labels' shape
    return np.asarray(_pil(image).resize((w, h), Image.Resampling.BOX))


def color_png(seg: Segmentation, *, compress_level: int = 1) -> bytes:
    """The label map in its legend colours as PNG bytes, at full size.

    A palette PNG (one byte a pixel, the legend as its palette) when the map
    holds values up to 255: a third of the RGB file's pixels to compress, and
    the same picture (``colorize(seg)``). Larger maps are written as RGB.
    ``compress_level``: as :func:`label_png`.
    """
    top = int(seg.labels.max()) if seg.labels.size else 0
    if top >= 256:
        return _encode(Image.fromarray(colorize(seg), "RGB"), compress_level=compress_level)
    img = Image.fromarray(seg.labels.astype(np.uint8), "L").convert("P")
    table = np.zeros((256, 3), np.uint8)
    table[: top + 1] = _color_table(seg)
    img.putpalette(table.ravel().tobytes())
    return _encode(img, compress_level=compress_level)


def boundary_png(seg: Segmentation, color: tuple[int, int, int] = (255, 255, 0), *, compress_level: int = 1) -> bytes:
    """The outlines between segments in ``color`` on a transparent background (RGBA PNG bytes, full size).

    Laid over the photo, it shows where each method cuts without hiding the picture.
    """
    edges = find_boundaries(seg.labels, mode="inner")
    rgba = np.zeros((*seg.labels.shape, 4), np.uint8)
    rgba[edges] = (*color, 255)
    return _encode(Image.fromarray(rgba, "RGBA"), compress_level=compress_level)


def jpeg(rgb: np.ndarray, quality: int = 88) -> bytes:
    """An (H, W, 3) uint8 picture as JPEG bytes: a photo's pixels in a quarter of a PNG's size."""
    return _encode(_pil(rgb, "RGB"), "JPEG", quality=quality)
