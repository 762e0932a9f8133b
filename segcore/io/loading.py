"""One image loader for the whole project: bytes in, RGB uint8 out.

Every image, uploaded or sample, goes through :func:`load_image`, so each page
and the command line see the same pixels: EXIF orientation applied, any mode
(grayscale, palette, RGBA, CMYK, 16-bit...) converted predictably to RGB uint8,
the first frame of an animation, and a working size that caps the long side.
Problems raise :class:`ImageLoadError` whose message tells a person what is
wrong and what to do.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: Default cap on the long side of the working image, in pixels.
DEFAULT_MAX_SIDE = 1600
#: Smallest side we accept: 3 x 3 kernels and k clusters need some pixels.
MIN_SIDE = 8
#: File types the upload widget offers.
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff", "gif"]


class ImageLoadError(ValueError):
    """An input that cannot become a working image; ``str()`` is for people."""


@dataclass
class LoadedImage:
    """A decoded, oriented RGB image at its working size.

    Attributes
    ----------
    rgb : ndarray of uint8, shape (H, W, 3)
        The working image every technique receives.
    sha256 : str
        Hex digest of ``rgb``'s bytes and shape: the cache key for results.
    original_size : (width, height)
        Size of the decoded image before any reduction.
    reduced : bool
        True when the working image is smaller than the original.
    source_mode : str
        Pillow mode of the file (``"RGB"``, ``"I;16"``, ``"CMYK"``, ...).
    notes : list of str
        Human-readable conversions applied (orientation, alpha, frames...).
    """

    rgb: np.ndarray
    sha256: str
    original_size: tuple[int, int]
    reduced: bool
    source_mode: str
    name: str = "image"
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        """Working size as (width, height)."""
        return (self.rgb.shape[1], self.rgb.shape[0])


def array_sha256(arr: np.ndarray) -> str:
    """SHA-256 of an array's shape, dtype and bytes (a collision-safe cache key)."""
    h = hashlib.sha256()
    h.update(f"{arr.shape}{arr.dtype}".encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def _float_to_levels(arr: np.ndarray, notes: list[str], name: str) -> np.ndarray:
    """A float image's finite range rescaled to 0..255; NaN and -inf pixels black, +inf white."""
    finite = np.isfinite(arr)
    n_bad = int(arr.size - np.count_nonzero(finite))
    if n_bad == arr.size:
        raise ImageLoadError(
            f"'{name}' is a 32-bit float image with no finite values (every pixel is NaN or infinite), "
            "so there is nothing to show. Export it again with real values, or as an 8- or 16-bit image."
        )
    values = arr[finite] if n_bad else arr
    lo, hi = float(values.min()), float(values.max())
    scaled = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
    notes.append(f"32-bit float image rescaled from [{lo:g}, {hi:g}] to 0..255")
    if n_bad:  # no-data marks (depth maps, scientific images): NaN would cast to an arbitrary level
        scaled = np.where(finite, scaled, np.where(arr == np.inf, 255.0, 0.0))
        notes.append(f"{n_bad:,} NaN or infinite pixel{'s' if n_bad > 1 else ''} shown black (+inf white)")
    return scaled


#: The note of a plain conversion to RGB, by Pillow mode; any other mode: "<mode> converted to RGB".
_CONVERSION_NOTES = {"1": "grayscale shown as RGB", "L": "grayscale shown as RGB", "P": "palette image converted to RGB"}


def _to_rgb(img: Image.Image, notes: list[str], name: str = "image") -> Image.Image:
    """Convert any Pillow mode to RGB (8 bits per channel), predictably."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # High bit depth grayscale: scale the full range of the type to 0..255.
        arr = np.asarray(img)
        if mode == "F":
            scaled = _float_to_levels(arr, notes, name)
        elif mode == "I" and (arr.min() < 0 or arr.max() > 65535):
            lo, hi = float(arr.min()), float(arr.max())
            scaled = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros(arr.shape)
            notes.append("32-bit integer image rescaled to 0..255")
        else:  # 16-bit values, also in a 32-bit integer image
            scaled = arr.astype(np.float64) / 257.0
            notes.append("16-bit image scaled to 8 bits (value / 257)")
        gray8 = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
        return Image.fromarray(np.repeat(gray8[..., None], 3, axis=2), "RGB")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        notes.append("transparency composited onto white")
        return Image.alpha_composite(background, rgba).convert("RGB")
    notes.append(_CONVERSION_NOTES.get(mode, f"{mode} converted to RGB"))
    return img.convert("RGB")


def working_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Return (width, height) with the long side capped at ``max_side`` (None = full)."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / float(max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def load_image(
    data: bytes,
    *,
    max_side: int | None = DEFAULT_MAX_SIDE,
    name: str = "image",
) -> LoadedImage:
    """Decode image bytes into a :class:`LoadedImage` at its working size.

    Parameters
    ----------
    data : bytes
        The file's content (never written to disk).
    max_side : int or None
        Cap on the long side of the working image; None keeps full resolution.
    name : str
        A label for messages and downloads.

    Returns
    -------
    LoadedImage
        RGB uint8 pixels plus what was done to them and their SHA-256.

    Raises
    ------
    ImageLoadError
        With a message saying what is wrong and what to do.
    """
    if not data:
        raise ImageLoadError(f"'{name}' is empty (0 bytes). Choose the image file again, or pick a sample image.")
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that;
            # turn both into a refusal before any pixels are decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format or "image"
            n_frames = getattr(img, "n_frames", 1)
            if n_frames > 1:
                img.seek(0)
                notes.append(f"first frame of {n_frames} used")
            source_mode = img.mode
            if min(img.size) < MIN_SIDE:
                raise ImageLoadError(
                    f"'{name}' is {img.width} x {img.height} pixels, too small to "
                    f"segment. Use an image at least {MIN_SIDE} x {MIN_SIDE} pixels."
                )
            img.load()
            if _exif_orientation(img) != 1:
                img = ImageOps.exif_transpose(img)
                notes.append("EXIF orientation applied")
            original_size = img.size
            img = _to_rgb(img, notes, name)
    except ImageLoadError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageLoadError(
            f"'{name}' has more pixels than this app will decode "
            f"(limit {Image.MAX_IMAGE_PIXELS:,} pixels): it may be a decompression bomb. "
            "Reduce it in an image editor and upload it again."
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageLoadError(
            f"'{name}' is not an image this app can read. Use a PNG, JPEG, WebP, BMP, TIFF or GIF file."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error) as exc:
        # Pillow on damaged files: IndexError, struct.error counting a truncated GIF's frames;
        # TypeError ("Missing dimensions") for a TIFF whose size tags are broken
        raise ImageLoadError(
            f"'{name}' could not be decoded ({exc}); the file may be truncated or damaged. "
            "Export it again or try another image."
        ) from exc
    except MemoryError as exc:
        raise ImageLoadError(f"'{name}' is too large to decode in this app's memory. Reduce it and try again.") from exc

    w, h = working_size(img.width, img.height, max_side)
    reduced = (w, h) != img.size
    if reduced:
        img = img.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    rgb = np.ascontiguousarray(np.asarray(img, dtype=np.uint8))  # (H, W, 3): _to_rgb made it RGB
    rgb.setflags(write=False)
    return LoadedImage(rgb, array_sha256(rgb), original_size, reduced, f"{fmt} {source_mode}", name, notes)


def _exif_orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1 = upright); malformed EXIF counts as upright."""
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - bad EXIF is not worth refusing the image for
        return 1


def load_array(rgb: np.ndarray, *, name: str = "array") -> LoadedImage:
    """Wrap an in-memory RGB uint8 array (tests, samples) as a :class:`LoadedImage`."""
    arr = np.asarray(rgb)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise ImageLoadError(f"'{name}' must be an (H, W, 3) uint8 array, got {arr.shape} {arr.dtype}")
    arr = np.ascontiguousarray(arr)
    arr.setflags(write=False)
    return LoadedImage(arr, array_sha256(arr), (arr.shape[1], arr.shape[0]), False, "array RGB", name)
