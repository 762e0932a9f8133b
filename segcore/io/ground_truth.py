"""Ground truth for scoring: label-map files in, checked integer maps out.

A ground truth is what a segmentation is scored against: a binary mask
(foreground / background), a label map (one value per region, as the Berkeley
segmentation benchmark's human segmentations) or an instance map (0 = background,
1..N = one object each). :func:`load_ground_truth` decodes one or several files
of one image and refuses anything that is not a clean label map with a
:class:`GroundTruthError` whose message says what is wrong and what to do.
:func:`fit_ground_truth` brings a ground truth made at the image's own size to
the working size of the dashboard.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, UnidentifiedImageError

#: The kinds of ground truth: a foreground mask, a partition into regions, objects.
KINDS = ("binary", "labels", "instances")

#: Most distinct labels one map may hold (16-bit PNG's range).
MAX_LABELS = 65535
#: A colour image with more distinct colours than this is a photo, not a label map.
MAX_COLOURS = 4096
#: ... or one where more than this share of pixels carry a colour no other pixel has.
MAX_UNIQUE_SHARE = 0.05
#: ... or (with more than ``_FLAT_MIN_VALUES`` values) where more than this share of
#: neighbouring pixels differ: label maps are flat regions with thin boundaries.
MAX_EDGE_SHARE = 0.5
_FLAT_MIN_VALUES = 32

_NPY_MAGIC = b"\x93NUMPY"
_BYTES = (bytes, bytearray, memoryview)
_LOSSLESS = "Save it as PNG (8- or 16-bit grayscale, palette or flat RGB colours), or as a NumPy .npy array."


class GroundTruthError(ValueError):
    """A file that cannot become a ground truth; ``str()`` says what is wrong and what to do."""


@dataclass(frozen=True)
class GroundTruth:
    """One image's ground truth: one or more integer maps of the same size.

    Attributes
    ----------
    kind : str
        ``"binary"`` (0/1, 1 = foreground), ``"labels"`` (non-negative
        integers, one value per region) or ``"instances"`` (0 = background,
        1..N = one object each).
    maps : tuple of ndarray of int32, shape (H, W)
        At least one map; several are several people's segmentations of the
        same image (scores are averaged over them). The arrays are read-only.
    name : str
        A label for the page and for messages.
    categories : dict of int to str, optional
        Instances only: instance value -> class name (``"circle"``...).
    source : str
        One line shown on the page: how the ground truth was made and its licence,
        or, for a file, how it was read.
    """

    kind: str
    maps: tuple[np.ndarray, ...]
    name: str = "ground truth"
    categories: dict[int, str] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        maps = tuple(np.asarray(m) for m in self.maps)
        if not maps:
            raise ValueError("a ground truth needs at least one map")
        if any(m.ndim != 2 for m in maps):
            raise ValueError(f"ground-truth maps are 2-D; got shapes {[m.shape for m in maps]}")
        if len({m.shape for m in maps}) != 1:
            raise ValueError(f"ground-truth maps must share one shape; got {[m.shape for m in maps]}")
        maps = tuple(np.ascontiguousarray(m, dtype=np.int32) for m in maps)  # no copy when already so
        for m in maps:
            m.setflags(write=False)
        object.__setattr__(self, "maps", maps)
        if self.categories is not None and self.kind != "instances":
            raise ValueError("categories belong to instance ground truths only")

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of every map."""
        return tuple(self.maps[0].shape)  # type: ignore[return-value]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as :attr:`segcore.io.loading.LoadedImage.size`."""
        h, w = self.shape
        return (w, h)


def _webp_is_lossy(data: bytes) -> bool:
    """True when a WebP file holds a lossy (VP8) image rather than a lossless (VP8L) one."""
    pos = 12  # after "RIFF" <size> "WEBP"
    while pos + 8 <= len(data):
        chunk = data[pos : pos + 4]
        if chunk == b"VP8 ":
            return True
        if chunk == b"VP8L":
            return False
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        pos += 8 + size + (size & 1)
    return False


def _lossy_refusal(name: str, what: str) -> GroundTruthError:
    return GroundTruthError(
        f"'{name}' is {what}: lossy compression blurs the edges of regions into new values, "
        f"so label maps must be saved lossless. {_LOSSLESS}"
    )


def _decode_npy(data: bytes, name: str) -> tuple[np.ndarray, str]:
    """Load a ``.npy`` file without pickles; return the array and a description."""
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        if isinstance(exc, ValueError) and "pickle" in str(exc).lower():
            raise GroundTruthError(
                f"'{name}' is a NumPy file of Python objects, which this app does not load "
                "(loading it could run code). Save the label map as an integer array: "
                "np.save(path, labels.astype(np.int32))."
            ) from exc
        raise GroundTruthError(
            f"'{name}' could not be read as a NumPy .npy file ({exc}); it may be truncated or "
            "damaged. Save it again with np.save."
        ) from exc
    if arr.dtype.kind not in "biuf":
        raise GroundTruthError(
            f"'{name}' holds {arr.dtype} values; a label map holds integers. "
            "Save it as an integer array: np.save(path, labels.astype(np.int32))."
        )
    squeezed = np.squeeze(arr) if arr.ndim > 2 else arr
    if squeezed.ndim != 2:
        advice = (
            "Save a stack of masks as one label map (0 = background, 1..N = each object), "
            "or save each map as its own file and give them all."
            if arr.ndim >= 3
            else "Save the label map with np.save(path, labels)."
        )
        raise GroundTruthError(
            f"'{name}' is a {arr.ndim}-D array of shape {arr.shape}; a ground truth is one 2-D "
            f"map (height x width). {advice}"
        )
    if squeezed.size > Image.MAX_IMAGE_PIXELS:
        raise _too_large(name, squeezed.shape[1], squeezed.shape[0])
    return squeezed, f"NumPy {arr.dtype} array"


def _too_large(name: str, w: int | None = None, h: int | None = None) -> GroundTruthError:
    size = f" ({w} x {h} px)" if w is not None else ""
    return GroundTruthError(
        f"'{name}'{size} has more pixels than this app will decode (limit "
        f"{Image.MAX_IMAGE_PIXELS:,} pixels). Reduce the image and its ground truth together "
        "(nearest-neighbour resampling for the ground truth) and try again."
    )


def _decode_image(data: bytes, name: str) -> tuple[np.ndarray, str]:
    """Decode a lossless image file into a 2-D array of label values (int64 or float)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and _webp_is_lossy(data):
        raise _lossy_refusal(name, "a lossy WebP")
    try:
        with warnings.catch_warnings():
            # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that:
            # both become a refusal before any pixels are decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format or "image"
            if fmt in ("JPEG", "MPO", "JPEG2000"):
                raise _lossy_refusal(name, f"a {fmt} file" if fmt != "JPEG" else "a JPEG")
            if fmt == "TIFF" and str(img.info.get("compression", "")).lower() in ("jpeg", "tiff_jpeg"):
                raise _lossy_refusal(name, "a JPEG-compressed TIFF")
            n_frames = getattr(img, "n_frames", 1)
            if n_frames > 1:
                raise GroundTruthError(
                    f"'{name}' has {n_frames} frames (pages); a ground-truth file holds one label map. "
                    "Save each ground truth as its own single-frame PNG and give them all together."
                )
            img.load()
    except GroundTruthError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError, MemoryError) as exc:
        raise _too_large(name) from exc
    except UnidentifiedImageError as exc:
        raise GroundTruthError(
            f"'{name}' is not an image or NumPy array this app can read. Give the ground truth "
            "as a PNG (recommended), TIFF, BMP, GIF or lossless WebP label map, or a NumPy .npy file."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise GroundTruthError(
            f"'{name}' could not be decoded ({exc}); the file may be truncated or damaged. "
            "Export the ground truth again."
        ) from exc

    mode = img.mode
    desc = f"{fmt} {mode}"
    if mode in ("1", "L", "P", "I") or mode.startswith("I;16"):
        return np.asarray(img).astype(np.int64), desc + (" (palette index = label)" if mode == "P" else "")
    if mode == "F":
        return np.asarray(img, dtype=np.float64), desc
    # Gray with alpha, or colour-coded label images (RGB, RGBA and the other multi-channel modes).
    if mode in ("LA", "PA", "La"):
        arr = np.asarray(img.convert("LA") if mode == "La" else img)
    else:
        arr = np.asarray(img if mode in ("RGB", "RGBA") else img.convert("RGBA" if "A" in mode else "RGB"))
    if arr.shape[2] in (2, 4):  # the alpha is the label when it is the only channel that varies
        colour, alpha = arr[..., :-1], arr[..., -1]
        if not _varies(colour) and _varies(alpha):
            return alpha.astype(np.int64), desc + " (alpha = label: the only channel that varies)"
        arr = colour
        desc += " (alpha ignored)"
    if arr.shape[2] == 1:
        return arr[..., 0].astype(np.int64), desc
    if np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 0], arr[..., 2]):
        return arr[..., 0].astype(np.int64), desc + " (gray: value = label)"
    return _colours_to_labels(arr, name), desc + " (one label per colour, black = 0)"


def _varies(a: np.ndarray) -> bool:
    """True when some pixel of ``a`` (H, W) or (H, W, C) differs from the first."""
    return a.size > 0 and bool((a != a[0, 0]).any())


def _colours_to_labels(rgb: np.ndarray, name: str) -> np.ndarray:
    """One label per distinct colour: black -> 0, the others 1..N in increasing packed value."""
    packed = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    colours, inverse, counts = np.unique(packed.ravel(), return_inverse=True, return_counts=True)
    unique_share = float((counts == 1).sum()) / packed.size
    if len(colours) > MAX_COLOURS or (len(colours) > 2 and unique_share > MAX_UNIQUE_SHARE):
        raise _photo_refusal(name, f"{len(colours):,} distinct colours")
    labels = inverse.reshape(packed.shape).astype(np.int64)
    if colours[0] != 0:  # no black: the first colour gets 1, so black alone ever means 0
        labels += 1
    return labels


def _photo_refusal(name: str, what: str) -> GroundTruthError:
    return GroundTruthError(
        f"'{name}' looks like a photo, not a label map ({what}): each region must be one flat "
        "value or colour. Give the mask or label map drawn for this image (for example exported "
        "from an annotation tool), not the image itself, exported without smoothed "
        f"(anti-aliased) edges. {_LOSSLESS}"
    )


def _check_values(arr: np.ndarray, name: str) -> np.ndarray:
    """Refuse maps that are not whole non-negative numbers in range; return int64."""
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise GroundTruthError(
                f"'{name}' contains NaN or infinite values; a label map holds whole numbers "
                "(0, 1, 2...). Replace them (e.g. with 0 for background) and save it again."
            )
        frac = arr != np.floor(arr)
        if frac.any():
            example = float(arr[frac].flat[0])
            raise GroundTruthError(
                f"'{name}' contains non-integer values (for example {example:g}); a label map holds "
                "whole numbers (0, 1, 2...), one per region. Round or relabel it and save it again."
            )
    if arr.size and arr.min() < 0:
        raise GroundTruthError(
            f"'{name}' contains negative values (down to {arr.min():g}); labels must be 0 or more "
            "(0 = background). Shift or relabel the map and save it again."
        )
    if arr.size and arr.max() > np.iinfo(np.int32).max:
        raise GroundTruthError(
            f"'{name}' has values up to {arr.max():,.0f}; labels must stay below 2,147,483,648. "
            "Number the regions 1, 2, 3... and save it again."
        )
    return arr.astype(np.int64)


def _looks_like_photo(arr: np.ndarray, n_values: int, counts: np.ndarray) -> str | None:
    """Why a single-channel map looks like a photo (or None): label maps are flat regions."""
    if n_values <= _FLAT_MIN_VALUES:
        return None
    unique_share = float((counts == 1).sum()) / arr.size
    if unique_share > MAX_UNIQUE_SHARE:
        return f"{unique_share:.0%} of the pixels each have a value no other pixel has"
    h, w = arr.shape
    diff = np.count_nonzero(arr[:, 1:] != arr[:, :-1]) + np.count_nonzero(arr[1:] != arr[:-1])
    edge_share = diff / (h * (w - 1) + (h - 1) * w)  # more than 32 values: more than one pixel
    if edge_share > MAX_EDGE_SHARE:
        return f"{n_values:,} values and {edge_share:.0%} of neighbouring pixels differ"
    return None


def _decode_one(data: bytes, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Bytes of one file -> checked int64 map (H, W), its values, their counts and how it was read."""
    if not isinstance(data, _BYTES):
        raise GroundTruthError(f"'{name}' is {type(data).__name__}, not file bytes. Give the file's content.")
    data = bytes(data)
    if not data:
        raise GroundTruthError(f"'{name}' is empty (0 bytes). Choose the ground-truth file again.")
    arr, desc = (_decode_npy if data.startswith(_NPY_MAGIC) else _decode_image)(data, name)
    arr = _check_values(arr, name)
    values, counts = np.unique(arr, return_counts=True)
    if len(values) > MAX_LABELS:
        raise GroundTruthError(
            f"'{name}' has {len(values):,} distinct values; this app takes up to "
            f"{MAX_LABELS:,} labels per map. Merge small regions, or check that the file is a "
            "label map and not an image."
        )
    why = _looks_like_photo(arr, len(values), counts)
    if why:
        raise _photo_refusal(name, why)
    if len(values) < 2:
        raise GroundTruthError(
            f"'{name}' has one value only ({int(values[0])} everywhere), so it marks no region. "
            "A mask needs foreground and background pixels; a label map at least two regions. "
            "Check that the right file was exported (a mask saved as 0/1 in an 8-bit file can "
            "look black but is fine)."
        )
    return arr, values, counts, desc


def load_ground_truth(
    data: bytes | Sequence[bytes],
    *,
    name: str = "ground truth",
    kind: str = "auto",
) -> GroundTruth:
    """Decode one or several ground-truth files of one image into a :class:`GroundTruth`.

    Parameters
    ----------
    data : bytes or sequence of bytes
        The content of one file, or of several files that are each a ground
        truth of the same image (several people's segmentations, as in the
        Berkeley benchmark). Accepted: PNG, TIFF, BMP, GIF, lossless WebP
        (grayscale 1/8/16/32-bit, float with whole values, palette = index,
        colour-coded RGB/RGBA = one label per colour with black = 0) and NumPy
        ``.npy`` (loaded without pickles). JPEG and lossy WebP are refused:
        lossy compression invents values along every boundary.
    name : str
        The file name, for messages.
    kind : {"auto", "binary", "labels", "instances"}
        ``"auto"``: maps with exactly two values are binary (the larger value
        becomes the foreground, 1), more values make a label map.
        ``"binary"`` requires two values; ``"labels"`` and ``"instances"`` keep
        the values (for instances 0 is the background).

    Returns
    -------
    GroundTruth
        The maps as read-only int32 arrays, all of one shape, with ``source``
        saying how the file was read.

    Raises
    ------
    GroundTruthError
        For an empty or damaged file, something that is not an image, a lossy
        file, a photo rather than a label map, a multi-frame file or a 3-D
        stack, a map with a single value (it marks no region), negative or
        non-integer values, more than 65,535 labels, too many pixels, or maps
        of different sizes; the message says what to do.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> buf = io.BytesIO()
    >>> np.save(buf, np.array([[0, 0, 1], [2, 2, 1]], dtype=np.uint8))
    >>> gt = load_ground_truth(buf.getvalue(), name="regions.npy")
    >>> gt.kind, gt.maps[0].tolist()
    ('labels', [[0, 0, 1], [2, 2, 1]])
    """
    if kind not in ("auto", *KINDS):
        raise ValueError(f"kind must be 'auto' or one of {', '.join(KINDS)}; got {kind!r}")
    if isinstance(data, _BYTES):
        items = [data]
    else:
        items = list(data)
        if not items:
            raise GroundTruthError(f"No ground-truth file was given for '{name}'. Choose one or more files.")
    n = len(items)
    names = [name] if n == 1 else [f"{name} ({i + 1} of {n})" for i in range(n)]
    maps, value_sets, value_counts, descs = zip(*map(_decode_one, items, names))
    if len({m.shape for m in maps}) > 1:
        sizes = ", ".join(f"{m.shape[1]} x {m.shape[0]}" for m in maps)
        raise GroundTruthError(
            f"The {n} ground truths of '{name}' have different sizes ({sizes} px); several ground "
            "truths of one image must all be that image's size. Give files made for the same image."
        )

    if kind == "auto":
        kind = "binary" if all(len(v) == 2 for v in value_sets) else "labels"
    if kind == "binary":
        for item_name, values, counts in zip(names, value_sets, value_counts):
            if len(values) > 2:
                raise GroundTruthError(_binary_refusal(item_name, values, counts))
        maps = [(m == m.max()).astype(np.int32) for m in maps]  # the larger value is the foreground
        what = "binary mask (larger value = foreground)"
    elif kind == "labels":
        what = f"label map ({', '.join(str(len(v)) for v in value_sets)} labels)"
    else:
        n_inst = [int((v > 0).sum()) for v in value_sets]
        what = f"instance map ({', '.join(map(str, n_inst))} objects, 0 = background)"
    files = descs[0] if n == 1 else f"{n} files, {descs[0]}"
    return GroundTruth(kind, tuple(maps), name=name, source=f"read from '{name}': {files}; {what}")


def _binary_refusal(name: str, values: np.ndarray, counts: np.ndarray) -> str:
    """Why a map of ``values`` (``counts`` pixels each) is not a binary mask, and what to do."""
    msg = (
        f"'{name}' has {len(values)} values; a binary mask has two (background and foreground). "
        "If each value is a region, choose 'label map' (or 'instances' for one value per object) instead."
    )
    top = np.argsort(counts)[::-1][:2]
    if counts[top].sum() >= 0.95 * counts.sum():
        a, b = sorted(int(values[i]) for i in top)
        msg += (
            f" Most pixels are {a} or {b}: the other values look like smoothed (anti-aliased) or "
            "lossy edges; export the mask again without smoothing."
        )
    return msg


def _nearest(m: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resampling by index arithmetic: every value is one of ``m``'s."""
    h, w = m.shape
    rows = np.minimum(((np.arange(height) + 0.5) * h / height).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * w / width).astype(np.intp), w - 1)
    return m[rows[:, None], cols[None, :]]


def fit_ground_truth(
    gt: GroundTruth,
    *,
    original_size: tuple[int, int],
    working_size: tuple[int, int],
) -> GroundTruth:
    """Bring ``gt`` to the working image's size.

    Parameters
    ----------
    gt : GroundTruth
        A ground truth of the image at its working size or at its original size.
    original_size, working_size : (width, height)
        As :attr:`segcore.io.loading.LoadedImage.original_size` and ``.size``.

    Returns
    -------
    GroundTruth
        ``gt`` itself when it already has the working size; otherwise every
        map resampled to the working size by nearest neighbour (pixel centres
        ``floor((i + 0.5) * H / h)``), so no new values appear: labels are
        names, not quantities to interpolate. Objects smaller than a working
        pixel may vanish; their categories are dropped with them.

    Raises
    ------
    GroundTruthError
        When ``gt`` has neither size: it belongs to another image, or was
        reduced differently.

    Examples
    --------
    >>> gt = GroundTruth("labels", (np.array([[0, 1], [2, 3]]),))
    >>> fit_ground_truth(gt, original_size=(2, 2), working_size=(4, 4)).maps[0].tolist()[0]
    [0, 0, 1, 1]
    """
    h, w = gt.shape
    ww, wh = (int(v) for v in working_size)
    if (w, h) == (ww, wh):
        return gt
    ow, oh = (int(v) for v in original_size)
    if (w, h) != (ow, oh):
        raise GroundTruthError(
            f"The ground truth is {w} x {h} px but the image is {ow} x {oh} px: they must be the "
            "same size (the ground truth of this very image, before any reduction)."
        )
    maps = tuple(_nearest(m, wh, ww) for m in gt.maps)
    categories = gt.categories
    if categories is not None:
        present = set(np.unique(np.stack(maps)).tolist())
        categories = {k: v for k, v in categories.items() if k in present}
    source = gt.source + ("; " if gt.source else "") + f"resized from {w} x {h} to {ww} x {wh} px (nearest neighbour)"
    return replace(gt, maps=maps, categories=categories, source=source)


#: The value marking pixels of unknown truth in a GrabCut-style object mask (0 background, 255 object).
UNKNOWN = 128


def load_object_mask(data: bytes, *, name: str = "object mask") -> tuple[np.ndarray, np.ndarray]:
    """Decode one object's mask for interactive scoring: the object, and the pixels of unknown truth.

    Parameters
    ----------
    data : bytes
        One file, any format :func:`load_ground_truth` reads. Understood as:
        a GrabCut-style mask (values among 0, 128 and 255 with both 128 and 255
        present: 255 the object, 0 background, 128 unknown, as in the GrabCut
        and Berkeley interactive sets); a binary mask (two values: the larger is
        the object); or a label map (more values: every non-zero label is the object).
    name : str
        The file name, for messages.

    Returns
    -------
    truth, ignore : bool (H, W)
        The object's pixels, and those whose truth is unknown (left out of the
        errors and the IoU); ``ignore`` is all False but for GrabCut-style masks.

    Raises
    ------
    GroundTruthError
        As :func:`load_ground_truth` for files that are no label map; also for a
        label map without 0 (no background) and for a mask with no object pixel.
    """
    arr, values, _, _ = _decode_one(data, name)
    present = set(values.tolist())
    if present <= {0, UNKNOWN, 255} and {UNKNOWN, 255} <= present:
        truth, ignore = arr == 255, arr == UNKNOWN
    elif len(values) == 2:
        truth, ignore = arr == values[1], np.zeros(arr.shape, bool)
    elif values[0] != 0:
        raise GroundTruthError(
            f"'{name}' has {len(values)} values and none is 0, so no pixel is background; an object "
            "mask is 0 for background and non-zero (255) for the object, 128 where unknown."
        )
    else:
        truth, ignore = arr != 0, np.zeros(arr.shape, bool)
    if not truth.any():
        raise GroundTruthError(f"'{name}' marks no object pixel (255, or the larger of two values).")
    return truth, ignore


def fit_object_mask(
    truth: np.ndarray, ignore: np.ndarray, *, original_size: tuple[int, int], working_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`load_object_mask`'s masks brought to the working image's size, as :func:`fit_ground_truth`.

    Returns the masks themselves at the working size, else both resampled by nearest neighbour;
    GroundTruthError when they have neither size.
    """
    codes = np.where(ignore, 2, truth).astype(np.int32)  # 0 background, 1 object, 2 unknown
    fitted = fit_ground_truth(
        GroundTruth("labels", (codes,)), original_size=original_size, working_size=working_size
    ).maps[0]
    return fitted == 1, fitted == 2
