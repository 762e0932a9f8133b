"""Instance results in COCO's results format, and back.

COCO's detection results format (what ``COCOeval`` reads and what other
tools exchange) is a JSON list with one object per instance::

    {"image_id": 1, "category_id": 18, "bbox": [x, y, w, h], "score": 0.98,
     "segmentation": {"size": [H, W], "counts": "<RLE as text>"}}

Masks are run-length encoded with ``pycocotools.mask`` (the reference
implementation). For v1/v2 the category ids are COCO's own: torchvision's
label index equals the COCO ``category_id``.

All functions are pure; pycocotools is imported inside them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from segcore.result import Segmentation


def encode_mask(mask: np.ndarray) -> dict[str, Any]:
    """COCO RLE of a boolean (H, W) mask, with ``counts`` as text (JSON-ready).

    ``pycocotools.mask.encode`` wants a Fortran-ordered uint8 array and gives
    ``counts`` as bytes; the bytes are ASCII and are decoded to ``str``.
    """
    from pycocotools import mask as mask_utils

    arr = np.asfortranarray(np.asarray(mask, dtype=bool).astype(np.uint8))
    if arr.ndim != 2:
        raise ValueError(f"a mask is 2-D, got shape {arr.shape}")
    return _jsonable(mask_utils.encode(arr))


def decode_rle(rle: Mapping[str, Any]) -> np.ndarray:
    """The boolean (H, W) mask of a COCO RLE dict (``counts`` as str or bytes)."""
    from pycocotools import mask as mask_utils

    counts = rle["counts"]
    if isinstance(counts, list):  # uncompressed RLE, as in some ground-truth files
        h, w = rle["size"]
        rle = mask_utils.frPyObjects(dict(rle), h, w)
    elif isinstance(counts, str):
        rle = {"size": list(rle["size"]), "counts": counts.encode("ascii")}
    return mask_utils.decode(rle).astype(bool)


def rle_counts(rle: Mapping[str, Any]) -> np.ndarray:
    """The run lengths of a COCO RLE as int64: 0s, 1s, 0s, ... down the columns.

    ``counts`` may be a list (uncompressed RLE) or pycocotools' compressed
    text (str or bytes), which is decoded here as ``rleFrString`` does, but
    vectorised: each value is 5-bit groups, least significant first, in
    characters offset by 48, with 0x20 marking "more groups follow" and 0x10
    in the last group giving the sign; from the fourth value on, each is
    stored as its difference from the value two places before it.
    """
    counts = rle["counts"]
    if isinstance(counts, list | tuple | np.ndarray):
        return np.asarray(counts, dtype=np.int64)
    raw = counts.encode("ascii") if isinstance(counts, str) else bytes(counts)
    if not raw:
        return np.zeros(0, np.int64)
    c = np.frombuffer(raw, np.uint8).astype(np.int64) - 48
    last = np.flatnonzero((c & 0x20) == 0)  # the final character of each value
    starts = np.concatenate(([0], last[:-1] + 1))
    group = np.arange(len(c)) - np.repeat(starts, last - starts + 1)  # k-th 5-bit group of its value
    values = np.add.reduceat((c & 0x1F) << (5 * group), starts)
    negative = (c[last] & 0x10) != 0
    values[negative] -= np.int64(1) << (5 * (group[last[negative]] + 1))
    values[3::2] = np.cumsum(values[1::2])[1:]  # odd places: running sums from place 1
    values[4::2] = np.cumsum(values[2::2])[1:]  # even places: running sums from place 2
    return values


def decode_rle_patch(rle: Mapping[str, Any]) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The mask of a COCO RLE cut to its bounding box: ``(patch, (y0, y1, x0, x1))``.

    ``patch`` is boolean, shape ``(y1 - y0, x1 - x0)``, equal to
    ``decode_rle(rle)[y0:y1, x0:x1]``, and the mask is empty outside it; an
    empty mask gives a (0, 0) patch at (0, 0, 0, 0). The work and memory grow
    with the box, not the image.
    """
    h = int(rle["size"][0])
    ends = np.cumsum(rle_counts(rle))
    ones_from, ones_to = ends[0:-1:2], ends[1::2]  # each run of 1s: [from, to) in column-major order
    filled = ones_to > ones_from
    ones_from, ones_to = ones_from[filled], ones_to[filled]
    if not len(ones_from):
        return np.zeros((0, 0), bool), (0, 0, 0, 0)
    # a run that goes on past the bottom of a column continues at the top of the next: split it
    first_col, last_col = ones_from // h, (ones_to - 1) // h
    pieces = last_col - first_col + 1
    run = np.repeat(np.arange(len(pieces)), pieces)
    col = first_col[run] + np.arange(len(run)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    top = np.maximum(ones_from[run], col * h) - col * h
    bottom = np.minimum(ones_to[run], (col + 1) * h) - col * h
    x0, x1, y0, y1 = int(col[0]), int(col[-1]) + 1, int(top.min()), int(bottom.max())
    bh, bw = y1 - y0, x1 - x0
    base = (col - x0) * bh - y0
    step = np.zeros(bh * bw + 1, np.int32)
    step[base + top] += 1  # the pieces are disjoint: no place is named twice among the tops,
    step[base + bottom] -= 1  # nor among the bottoms (a top may meet the bottom before it)
    patch = np.cumsum(step[:-1]).reshape(bw, bh).T > 0
    return patch, (y0, y1, x0, x1)


def _jsonable(rle: Mapping[str, Any]) -> dict[str, Any]:
    counts = rle["counts"]
    return {
        "size": [int(v) for v in rle["size"]],
        "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts,
    }


def to_coco_results(seg: Segmentation, image_id: int = 1) -> list[dict[str, Any]]:
    """One COCO result dict per instance of a Mask R-CNN :class:`Segmentation`.

    Parameters
    ----------
    seg : Segmentation
        From :func:`segcore.methods.maskrcnn.predict` (needs ``extras['instances']``
        and ``extras['masks']``).
    image_id : int
        The ``image_id`` written into every result.

    Returns
    -------
    list of dict
        ``image_id``, ``category_id``, ``bbox`` [x, y, w, h] (floats, COCO's
        box format: top-left corner, width, height), ``score``,
        ``segmentation`` (RLE with text ``counts``) -- in the instances' order,
        best score first. The mask is each instance's own mask, overlaps
        included, as COCO expects (the label map gives each pixel to one
        instance only).
    """
    instances = seg.extras.get("instances")
    rles = seg.extras.get("masks")
    if instances is None or rles is None:
        raise ValueError(f"{seg.method!r} result has no instances/masks; COCO results come from Mask R-CNN")
    out = []
    for inst, rle in zip(instances, rles):
        x0, y0, x1, y1 = (float(v) for v in inst["box"])
        out.append(
            {
                "image_id": int(image_id),
                "category_id": int(inst["category_id"]),
                "bbox": [x0, y0, x1 - x0, y1 - y0],
                "score": float(inst["score"]),
                "segmentation": _jsonable(rle),
            }
        )
    return out


def coco_json(seg: Segmentation, image_id: int = 1, *, indent: int | None = None) -> str:
    """:func:`to_coco_results` as a JSON string (for a download button)."""
    return json.dumps(to_coco_results(seg, image_id=image_id), indent=indent)


def from_coco_results(results: str | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Read COCO results (a list or its JSON text) back: the round trip of :func:`to_coco_results`.

    Returns
    -------
    list of dict
        The input fields plus ``box`` [x0, y0, x1, y1] and ``mask`` (bool (H, W)).
    """
    items = json.loads(results) if isinstance(results, str) else list(results)
    out = []
    for r in items:
        x, y, bw, bh = (float(v) for v in r["bbox"])
        out.append({**r, "box": [x, y, x + bw, y + bh], "mask": decode_rle(r["segmentation"])})
    return out


def rle_from_patch(patch: np.ndarray, origin: tuple[int, int], image_shape: tuple[int, int]) -> dict[str, Any]:
    """COCO RLE of an (H, W) mask that is zero outside ``patch`` placed at ``origin`` (y0, x0).

    Gives what ``pycocotools.mask.encode`` gives for the full mask, but reads
    only the patch, not H x W bytes per instance. COCO runs go down columns,
    alternating 0s and 1s, starting with 0s.

    Returns
    -------
    dict
        ``{"size": [H, W], "counts": bytes}`` (pycocotools' compressed form).
    """
    from pycocotools import mask as mask_utils

    h, w = int(image_shape[0]), int(image_shape[1])
    y0, x0 = int(origin[0]), int(origin[1])
    ph, pw = patch.shape
    if patch.size == 0 or not patch.any():
        counts = np.array([h * w])
    else:
        # where a run of 1s starts or ends, read in the patch's own row-major order (no
        # transposed copy): between two rows that differ, and at the top and bottom rows
        # where they hold 1s (the pixels outside the patch are 0s)
        row, col = np.divmod(np.flatnonzero(patch[1:] != patch[:-1]), pw)
        top, bottom = np.flatnonzero(patch[0]), np.flatnonzero(patch[-1])
        col = np.concatenate((col, top, bottom))
        row = np.concatenate((row + 1, np.zeros_like(top), np.full_like(bottom, ph)))
        position = np.sort((x0 + col) * h + y0 + row)  # the same places in the image, column-major
        # a run ending at the image's bottom edge and one starting at the next column's top touch:
        # drop that pair, as pycocotools does not write empty runs there
        touch = np.flatnonzero(position[1:] == position[:-1])
        if touch.size:
            position = np.delete(position, np.concatenate((touch, touch + 1)))
        counts = np.diff(np.concatenate(([0], position, [h * w])))
        if counts[-1] == 0:  # a mask reaching the last pixel ends on its run of 1s
            counts = counts[:-1]
    return mask_utils.frPyObjects({"size": [h, w], "counts": counts.astype(np.uint64)}, h, w)
