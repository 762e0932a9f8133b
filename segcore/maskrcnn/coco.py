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
        From :func:`segcore.maskrcnn.predict` (needs ``extras['instances']``
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
