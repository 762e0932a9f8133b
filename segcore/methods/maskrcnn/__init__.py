"""Instance segmentation with Mask R-CNN (torchvision), as one registered method.

``maskrcnn(image, ...)`` detects objects of the 80 COCO classes (variants
``"v1"``, ``"v2"``) -- or the synthetic shapes of the small model trained here
(``"shapes"``) -- and returns an instance label map: 0 background, ``i`` the
``i``-th best-scoring instance. Boxes, scores, per-instance masks (COCO RLE),
a semantic map of category ids and class counts are in ``extras``.

Pieces, for the page and the command line:

- :mod:`.weights`: :func:`resolve_weights`, :func:`download_weights`,
  :func:`weights_status`, :class:`WeightsUnavailable`;
- :mod:`.model`: :func:`load_model`, :func:`get_model`, :func:`predict`,
  :func:`pick_device`, :data:`INFERENCE_LOCK`, :class:`ModelOutOfMemory`,
  :func:`is_out_of_memory`;
- :mod:`.coco`: :func:`to_coco_results`, :func:`coco_json`, :func:`from_coco_results`.

Importing this package does not import torch (3 s); the functions do, when called.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from segcore.io.coco import (
    coco_json,
    decode_rle,
    encode_mask,
    from_coco_results,
    to_coco_results,
)
from segcore.methods.maskrcnn.model import (
    INFERENCE_LOCK,
    ModelOutOfMemory,
    clear_models,
    detections_to_segmentation,
    get_model,
    is_out_of_memory,
    load_model,
    pick_device,
    predict,
)
from segcore.methods.maskrcnn.weights import (
    DOWNLOAD_COMMAND,
    ENV_URL,
    ENV_WEIGHTS,
    VARIANTS,
    DownloadError,
    WeightsFileError,
    WeightsUnavailable,
    cache_dir,
    categories,
    certainly_missing,
    download_weights,
    file_name,
    host_advice,
    resolve_weights,
    weights_status,
)
from segcore.registry import register
from segcore.result import Segmentation
from segcore.spec import Cost, Param

__all__ = [
    "DOWNLOAD_COMMAND",
    "ENV_URL",
    "ENV_WEIGHTS",
    "INFERENCE_LOCK",
    "VARIANTS",
    "DownloadError",
    "ModelOutOfMemory",
    "WeightsFileError",
    "WeightsUnavailable",
    "cache_dir",
    "categories",
    "certainly_missing",
    "class_names",
    "clear_models",
    "coco_json",
    "decode_rle",
    "detections_to_segmentation",
    "download_weights",
    "encode_mask",
    "file_name",
    "from_coco_results",
    "get_model",
    "host_advice",
    "is_out_of_memory",
    "load_model",
    "maskrcnn",
    "pick_device",
    "predict",
    "resolve_weights",
    "to_coco_results",
    "weights_status",
]


def class_names(variant: str = "v1") -> list[str]:
    """The class names a user can filter on (no background, no ``"N/A"`` placeholders)."""
    return [c for c in categories(variant)[1:] if c != "N/A"]


#: The inference sizes the dashboard offers (the shorter side, px).
MIN_SIZES = (320, 480, 512, 640, 800, 1024)


def _seconds(shape: tuple[int, int], p: dict) -> float:
    """On a CPU, 6 s a megapixel of the size the model sees (v1 at 800 px on 1600 x 1200: 4.6 s for 1067 x 800 in
    docs/benchmarks.md), v2 2.5 times that; the shapes model (128 px) and a GPU well under a second."""
    if p["variant"] == "shapes" or pick_device(p["device"]) != "cpu":
        return 0.5
    short = p["min_size"] or 800
    scale = min(short / min(shape), 1333 / max(shape))  # torchvision's resize: short side to min_size, long <= 1333
    return 0.5 + 6.0 * (2.5 if p["variant"] == "v2" else 1.0) * shape[0] * shape[1] * scale**2 / 1e6


@register(
    "maskrcnn", family="maskrcnn", title="Mask R-CNN",
    params=(
        Param("variant", "Model", "choice", choices=tuple(VARIANTS),
              labels=("v1 (COCO, mask AP 34.6)", "v2 (COCO, mask AP 41.8, slower)", "Offline demo (shapes)"),
              help="v1: ResNet-50 FPN, COCO box AP 37.9, mask AP 34.6. v2: ResNet-50 FPN v2, box AP 47.4, mask AP "
                   "41.8, about 2.5 x the compute. Offline demo: a small model trained in this project on synthetic "
                   "circles, squares and triangles; it needs no download."),
        Param("score_threshold", "Score threshold", "float", 0.05, 0.95, 0.05,
              help="Boxes scoring below this are dropped inside the model, before masks are computed."),
        Param("mask_threshold", "Mask probability threshold", "float", 0.05, 0.95, 0.05),
        Param("min_size", "Inference size (shorter side, px)", "choice", choices=MIN_SIZES,
              help="torchvision's min_size: the image is resized so its shorter side is this. Smaller is faster "
              "and misses small objects. The small shapes model always runs at 128 px, its training size."),
    ),
    cost=Cost(_seconds, knob="min_size", steps=tuple(sorted(MIN_SIZES, reverse=True)),
              says=lambda value, shape: f"at an inference size of {value} px"),
)
def maskrcnn(
    image: np.ndarray,
    *,
    variant: str = "v1",
    score_threshold: float = 0.5,
    mask_threshold: float = 0.5,
    max_instances: int = 100,
    min_size: int | None = 800,
    classes: Iterable[str] = (),
    device: str = "auto",
) -> Segmentation:
    """Mask R-CNN instance segmentation: one label per detected object, best score first.

    Returns an int32 label map (0 background, ``i`` = ``i``-th instance by
    score; overlaps go to the better score) whose legend reads
    ``"person 0.98"``. ``extras`` holds ``instances`` (class, COCO
    ``category_id``, score, box, mask area), ``masks`` (COCO RLE), ``semantic``
    (category id per pixel), ``semantic_names``, ``class_counts``, ``device``,
    ``variant`` and ``inference_s``.

    Parameters
    ----------
    variant : {"v1", "v2", "shapes"}
        v1: torchvision's R50-FPN (COCO box AP 37.9, mask AP 34.6); v2: 47.4 /
        41.8 at about 2.5x the compute; shapes: a small model trained on
        synthetic shapes, shipped with the project.
    score_threshold : float
        Keep instances scoring above this (applied inside the model).
    mask_threshold : float
        Mask probability above which a pixel belongs to the instance.
    max_instances : int
        Keep at most this many instances (after the class filter).
    min_size : int or None
        Shorter image side the COCO models see, in pixels (torchvision's
        800); 512 is about twice as fast and misses small objects. None: the
        variant's own. The shapes model always runs at its own, 128 px, the
        size it was trained at.
    classes : iterable of str
        Keep only these class names; empty keeps all.
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` uses a CUDA GPU when there is one.

    The model (weights resolved as :func:`resolve_weights` describes) is
    loaded once per variant and device and shared; raises
    :class:`WeightsUnavailable` with instructions when there are no weights.
    """
    model = get_model(variant, device)
    if variant == "shapes":
        min_size = None  # its training size
    return predict(
        model,
        image,
        score_threshold=score_threshold,
        mask_threshold=mask_threshold,
        max_instances=max_instances,
        min_size=min_size,
        classes=classes,
        variant=variant,
    )
