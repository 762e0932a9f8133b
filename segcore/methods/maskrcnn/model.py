"""Building, loading and running the Mask R-CNN models.

One model per (variant, device) is enough for every session: the settings a
user can change (score threshold, instance limit, input size, class filter)
are set on the model for each call, under :data:`INFERENCE_LOCK`, because
torchvision's detection models keep them -- and other state -- on the module.

Speed and memory on the CPU, where the dashboard is hosted:

* the score threshold is applied *inside* the model (``roi_heads.score_thresh``),
  so the mask head -- about 1 GFLOP per box, more than the backbone at 100
  boxes -- only runs on boxes that will be shown; the class filter is applied
  there too, before the instance limit;
* the region proposal network keeps :data:`RPN_PRE_NMS_TOP_N` boxes per level
  before NMS and :data:`RPN_POST_NMS_TOP_N` after (torchvision: 1000 / 1000);
* masks are *not* pasted at full resolution for all instances at once, as
  torchvision's ``forward`` does (N x H x W floats: 4.8 GB for 100 instances on
  12 MP). :func:`predict` runs the model's stages itself, takes the 28 x 28
  mask probabilities, and pastes one box-sized patch at a time
  (:func:`paste_mask_patch`, equal to torchvision's ``paste_masks_in_image``)
  straight into the label map and a COCO RLE;
* torch's CPU threads are capped at the CPUs this process may use (cgroup
  quota), not the host's count, which oversubscribes a 2-CPU container;
* once loaded, every batch norm that follows a convolution is folded into it
  (:func:`fold_batch_norms`) and the weights are stored channels-last, the
  layout oneDNN's CPU convolutions run fastest in, for the same detections.

torch is imported inside functions only: ``import segcore.methods.maskrcnn`` stays cheap.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from segcore.fast.parallel import cpu_budget
from segcore.io.coco import rle_from_patch
from segcore.methods.maskrcnn import shapes
from segcore.methods.maskrcnn import weights as W
from segcore.methods.maskrcnn.instances import instances_to_segmentation
from segcore.methods.maskrcnn.memory import (  # noqa: F401
    ModelOutOfMemory,
    is_out_of_memory,
    release_memory,
)
from segcore.result import Segmentation

#: Serialises every forward pass: a shared model is mutated per call.
INFERENCE_LOCK = threading.Lock()

#: Proposals kept per FPN level before the RPN's NMS, at test time (torchvision: 1000).
RPN_PRE_NMS_TOP_N = 500
#: Proposals kept after the RPN's NMS, at test time (torchvision: 1000).
RPN_POST_NMS_TOP_N = 500
#: torchvision's default ratio of the longer-side cap to the shorter side (1333 / 800).
MAX_SIZE_RATIO = 1333 / 800
#: Environment variable fixing torch's CPU thread count (default: the CPUs this process may use).
ENV_THREADS = "SEGCORE_TORCH_THREADS"
#: Smallest and largest accepted ``min_size``.
MIN_SIZE_RANGE = (128, 2048)

_models: dict[tuple, Any] = {}  # only models that loaded: a failed load is never kept
_models_lock = threading.Lock()
_threads_set = False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- devices and threads ---------------------------------------------------------------


def pick_device(device: str = "auto") -> str:
    """Return the torch device to run on.

    ``"auto"`` gives ``"cuda"`` when a CUDA GPU is usable, else ``"cpu"``.
    ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` are checked and returned as given.
    """
    import torch

    device = str(device or "auto").strip().lower()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return "cpu"
    if device == "cuda" or device.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} asked for, but no CUDA GPU is available here; use 'cpu' or 'auto'")
        return device
    raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu' or 'cuda'")


def limit_threads() -> int:
    """Lower torch's intra-op threads to :func:`cpu_budget` (never raise them); return the count.

    ``$SEGCORE_TORCH_THREADS`` sets the count outright. One thread can beat
    two where another process keeps one of two CPUs busy: torch's threads
    wait for each other, and a 0.13 s backbone pass was measured at 2.0 s.
    """
    global _threads_set
    import torch

    if not _threads_set:
        wanted = os.environ.get(ENV_THREADS, "").strip()
        if wanted.isdigit() and int(wanted) > 0:
            torch.set_num_threads(int(wanted))
        else:
            budget = cpu_budget()
            if torch.get_num_threads() > budget:
                torch.set_num_threads(budget)
        _threads_set = True
    return torch.get_num_threads()


# --- building and loading ----------------------------------------------------------------


def build_model(variant: str = "v1", *, device: str = "cpu", **kwargs: Any):
    """Build the architecture of ``variant`` without any pretrained weights.

    torchvision's builder is called with ``weights=None, weights_backbone=None``
    (random initialisation, no download); the shapes model with
    ``build_shapes_model``. On ``device="meta"`` no memory is allocated and no
    random numbers drawn: :func:`load_model` builds there and assigns the
    file's tensors.

    ``kwargs`` go to torchvision's ``MaskRCNN`` (``box_score_thresh``,
    ``min_size``, ``box_detections_per_img``, ``rpn_pre_nms_top_n_test``...).
    The COCO variants get this module's test-time defaults unless overridden.

    Returns
    -------
    torchvision.models.detection.MaskRCNN
        In training mode, as torchvision returns it; call ``.eval()``.
    """
    import torch

    v = W._variant(variant)
    if not v.coco:
        builder: Callable = shapes.build_shapes_model
    else:
        from torchvision.models import get_model_builder

        builder = get_model_builder(v.builder)
        kwargs = {
            "weights": None,
            "weights_backbone": None,
            "rpn_pre_nms_top_n_test": RPN_PRE_NMS_TOP_N,
            "rpn_post_nms_top_n_test": RPN_POST_NMS_TOP_N,
            **kwargs,
        }
    with torch.device(device):
        return builder(**kwargs)


def load_model(
    variant: str = "v1",
    device: str = "auto",
    *,
    path: str | os.PathLike | None = None,
    progress: W.ProgressCallback | None = None,
    allow_download: bool = True,
    url: str | None = None,
):
    """Return a ready model: weights resolved, checked, loaded; ``eval()``; on ``device``.

    Weights come from :func:`segcore.methods.maskrcnn.weights.resolve_weights` (file,
    cache, download with ``progress``). The model is built on the meta device
    and the file's tensors are assigned to it, so the weights are held once and
    no time goes into a random initialisation that would be overwritten.

    For v1 the backbone's batch-norm ``eps`` is set to 0, as torchvision does
    when it loads these weights (they were trained with that value).

    The model carries ``model.segcore``: a dict with ``variant``,
    ``categories`` (names by label index), ``device``, ``weights`` (the file),
    ``load_s`` and ``native_min_size``.

    Raises
    ------
    WeightsUnavailable / WeightsFileError
        No weights, or a file that is not a state dict of this model.
    ModelOutOfMemory
        Memory ran out while loading (reading the file, moving it to a GPU);
        what the attempt held is given back first, so a later call can work.
    """
    dev = pick_device(device)
    if dev == "cpu":
        limit_threads()
    t0 = time.perf_counter()
    explicit = W.explicit_weights(variant, path)
    file = W.resolve_weights(variant, path=path, allow_download=allow_download, progress=progress, url=url)
    failed = None
    try:
        return _load(variant, dev, file, explicit, t0)
    except Exception as exc:  # noqa: BLE001 - only running out of memory is translated
        if not is_out_of_memory(exc):
            raise
        failed = _first_line(exc)
    release_memory(dev)  # out of the except block: the half-built model is unreachable now
    raise ModelOutOfMemory(
        f"Mask R-CNN {variant} ran out of memory while loading {file.name} onto {dev} ({failed})."
        f"{' Other work on the GPU may hold its memory; or run on the CPU.' if dev.startswith('cuda') else ''}"
        " Nothing was kept: the next try loads it again."
    )


def _load(variant: str, dev: str, file, explicit, t0: float):
    """:func:`load_model` once the weights file is known: build on the meta device, assign, fold, move."""
    import torch

    model = build_model(variant, device="meta")
    try:
        W.load_state_dict_file(model, file, variant=variant, origin=explicit[1] if explicit else "")
    except W.WeightsFileError as exc:
        if explicit is None and W._variant(variant).coco:  # a bad file in the cache
            raise W.WeightsFileError(
                f"{exc}\nThe file in torch hub's cache is damaged: delete {file} and run"
                f" `{W.DOWNLOAD_COMMAND.format(variant=variant)}` to fetch it again."
            ) from exc
        raise
    leftover = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if leftover:  # cannot happen after a strict load; guard against builder changes
        raise W.WeightsFileError(f"{file}: tensors left without values after loading: {leftover[:3]}")
    if variant == "v1":
        for m in model.backbone.body.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eps = 0.0
    model.eval()
    fold_batch_norms(model)
    model.to(device=dev, memory_format=torch.channels_last)
    _install_class_filter(model.roi_heads)
    model.segcore = {
        "variant": variant,
        "categories": W.categories(variant),
        "device": dev,
        "weights": file,
        "load_s": time.perf_counter() - t0,
        "native_min_size": int(model.transform.min_size[0]),
        "native_max_size": int(model.transform.max_size),
    }
    return model


def fold_batch_norms(model) -> int:
    """Fold each eval-mode batch norm into the convolution it directly follows; return how many.

    ``conv -> bn`` is one affine map per channel after another, so the pair
    is the single convolution ``torch.nn.utils.fusion.fuse_conv_bn_eval``
    returns (weights scaled, a bias added), and the batch norm becomes an
    identity: one pass over each activation map fewer (ResNet-50 has 53 of
    them). Only pairs known to run one after the other are merged
    (:func:`_conv_norm_pairs`): neighbours in an ``nn.Sequential``, and in
    torchvision's ResNet blocks and trunk the ``convN`` / ``bnN`` pairs their
    ``forward`` chains; a convolution registered next to a batch norm it does
    not feed is never merged. The outputs change by float rounding only (tested).
    """
    import torch
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    from torchvision.ops.misc import FrozenBatchNorm2d

    norms = (torch.nn.BatchNorm2d, FrozenBatchNorm2d)
    folded = 0
    for parent in list(model.modules()):
        if parent.training:
            continue
        for a, b in _conv_norm_pairs(parent):
            conv, bn = getattr(parent, a), getattr(parent, b)
            if isinstance(conv, torch.nn.Conv2d) and isinstance(bn, norms) and not bn.training:
                setattr(parent, a, fuse_conv_bn_eval(conv, bn))
                setattr(parent, b, torch.nn.Identity())
                folded += 1
    return folded


def _conv_norm_pairs(parent) -> list[tuple[str, str]]:
    """Names of the (convolution, batch norm) children of ``parent`` where the first feeds the second.

    * ``nn.Sequential`` (torchvision's ``Conv2dNormActivation``, ResNet
      downsamples, v2's heads): each child feeds the next;
    * torchvision's ResNet blocks (``BasicBlock``, ``Bottleneck``) and ResNet
      trunks -- a ``ResNet``, or the detection backbone's ``body``, which
      holds the ResNet's stem and stages and runs them in order: told apart
      by their ``conv1``, ``bn1`` and ``layer1`` -- chain ``convN`` into ``bnN``.
    """
    import torch
    from torchvision.models.resnet import BasicBlock, Bottleneck

    names = [name for name, _ in parent.named_children()]
    if isinstance(parent, torch.nn.Sequential):
        return list(pairwise(names))
    trunk = {"conv1", "bn1", "layer1"} <= set(names)
    if isinstance(parent, (BasicBlock, Bottleneck)) or trunk:
        return [(n, "bn" + n[4:]) for n in names if n.startswith("conv") and "bn" + n[4:] in names]
    return []


def get_model(
    variant: str = "v1",
    device: str = "auto",
    *,
    path: str | os.PathLike | None = None,
    progress: W.ProgressCallback | None = None,
):
    """:func:`load_model`, cached: one model per (variant, device, weights file named).

    Thread-safe; a second caller waits for the first load instead of loading
    again. A load that fails (no weights, a damaged file, out of memory) is
    not kept: the next call tries again. This is the cache the registered
    ``maskrcnn`` method uses; a page that calls it too shares the same model
    (no second copy in memory).
    """
    dev = pick_device(device)
    explicit = W.explicit_weights(variant, path)
    key = (variant, dev, str(explicit[0]) if explicit else None)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            model = load_model(variant, dev, path=path, progress=progress)
            _models[key] = model
        return model


def clear_models() -> None:
    """Forget the cached models (frees their memory once no one else holds them)."""
    with _models_lock:
        _models.clear()


def _install_class_filter(roi_heads) -> None:
    """Make ``roi_heads`` drop classes outside ``roi_heads.segcore_keep`` before its top-k.

    torchvision keeps the ``detections_per_img`` best boxes, then computes
    their masks. Filtering classes afterwards would compute masks for boxes
    that are thrown away and could leave fewer than the limit; here the limit
    is lifted for the call, the filter applied (NMS is per class, so it is
    unaffected), and the limit applied to what remains.
    """
    if getattr(roi_heads, "segcore_keep", "missing") != "missing":
        return
    original = type(roi_heads).postprocess_detections
    roi_heads.segcore_keep = None

    def postprocess_detections(class_logits, box_regression, proposals, image_shapes):
        keep = roi_heads.segcore_keep
        if keep is None:
            return original(roi_heads, class_logits, box_regression, proposals, image_shapes)
        import torch

        limit = roi_heads.detections_per_img
        roi_heads.detections_per_img = class_logits.shape[0] * class_logits.shape[1]
        try:
            boxes, scores, labels = original(roi_heads, class_logits, box_regression, proposals, image_shapes)
        finally:
            roi_heads.detections_per_img = limit
        out_b, out_s, out_l = [], [], []
        for b, s, lab in zip(boxes, scores, labels):
            sel = torch.isin(lab, keep.to(lab.device)).nonzero().flatten()[:limit]
            out_b.append(b[sel])
            out_s.append(s[sel])
            out_l.append(lab[sel])
        return out_b, out_s, out_l

    roi_heads.postprocess_detections = postprocess_detections


# --- running ---------------------------------------------------------------------------


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.dtype} {image.shape}")
    if min(image.shape[:2]) < 2:
        raise ValueError(f"image {image.shape[:2]} is too small")
    return image


def _class_names(classes: Iterable[str] | str | None) -> tuple[str, ...]:
    """``classes`` as a tuple of names (a single string is one name, not its letters)."""
    if classes is None:
        return ()
    if isinstance(classes, str):
        return (classes,) if classes else ()
    return tuple(str(c) for c in classes)


def _class_ids(classes: Iterable[str], categories: Sequence[str]) -> list[int]:
    """Label indices of the class names in ``classes`` (empty: no filter)."""
    names = _class_names(classes)
    index = {n: i for i, n in enumerate(categories) if i > 0 and n != "N/A"}
    unknown = [n for n in names if n not in index]
    if unknown:
        some = ", ".join(list(index)[:12])
        raise ValueError(f"unknown class name(s) {unknown}; this model knows {len(index)} classes: {some}, ...")
    return sorted({index[n] for n in names})


def run_model(model, image: np.ndarray) -> dict[str, Any]:
    """One forward pass of ``model`` on ``image``; masks are left at 28 x 28.

    The same stages as torchvision's ``GeneralizedRCNN.forward`` (transform,
    backbone, RPN, ROI heads, boxes rescaled to the input), minus the final
    paste of every mask at full resolution. Call it under
    :data:`INFERENCE_LOCK` and ``torch.inference_mode()``.

    Returns
    -------
    dict of Tensor (on the model's device)
        ``boxes`` (N, 4) x0 y0 x1 y1 in input pixels, ``labels`` (N,),
        ``scores`` (N,) best first, ``mask_probs`` (N, 1, 28, 28).
    """
    import torch
    from torchvision.models.detection.transform import resize_boxes

    device = next(model.parameters()).device
    with warnings.catch_warnings():  # a read-only array (Streamlit's caches) is only read here
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        src = torch.from_numpy(np.ascontiguousarray(image))
    x = src.to(device).permute(2, 0, 1).float()  # .float() copies: the array is never written
    original = (int(x.shape[-2]), int(x.shape[-1]))
    images = prepare_image(model.transform, x)
    del x
    features = model.backbone(images.tensors)
    if isinstance(features, torch.Tensor):
        features = OrderedDict([("0", features)])
    proposals, _ = model.rpn(images, features)
    detections, _ = model.roi_heads(features, proposals, images.image_sizes)
    det = detections[0]
    return {
        "boxes": resize_boxes(det["boxes"], images.image_sizes[0], original),
        "labels": det["labels"],
        "scores": det["scores"],
        "mask_probs": det["masks"],
    }


def prepare_image(transform, x):
    """What ``transform([x / 255])`` gives for one image, resized before it is normalised.

    ``transform`` is the model's ``GeneralizedRCNNTransform``; ``x`` a (3, H, W)
    float tensor of 0..255 values. torchvision normalises the image at its full
    size, then resizes it to ``min_size``; both steps are linear, so resizing
    first and then scaling and normalising in one pass over the smaller image
    gives the same values up to float rounding (tested), without two
    full-size float copies: 34 -> 11 ms (and about 45 MB less) at 1600 x 1200,
    320 -> 90 ms (about 290 MB less) on a 12 MP photo at full resolution.

    Returns
    -------
    torchvision.models.detection.image_list.ImageList
        The batch of one, padded as the model expects, and its size after the resize.
    """
    import torch
    from torchvision.models.detection.image_list import ImageList

    image, _ = transform.resize(x)
    if image is x:  # never written in place: x may be the caller's
        image = image.clone()
    mean = torch.as_tensor(transform.image_mean, dtype=image.dtype, device=image.device)
    std = torch.as_tensor(transform.image_std, dtype=image.dtype, device=image.device)
    image.mul_((1.0 / (255.0 * std))[:, None, None]).sub_((mean / std)[:, None, None])
    batch = transform.batch_images([image], size_divisible=transform.size_divisible)
    return ImageList(batch, [(int(image.shape[-2]), int(image.shape[-1]))])


def predict(
    model,
    image: np.ndarray,
    *,
    score_threshold: float = 0.5,
    mask_threshold: float = 0.5,
    max_instances: int = 100,
    min_size: int | None = 800,
    classes: Iterable[str] = (),
    variant: str | None = None,
) -> Segmentation:
    """Run a loaded Mask R-CNN on ``image`` and return an instance :class:`Segmentation`.

    Parameters
    ----------
    model
        From :func:`load_model` / :func:`get_model`.
    image : (H, W, 3) uint8 RGB
    score_threshold : float
        Instances scoring at or below this are dropped -- inside the model, so
        their masks are never computed.
    mask_threshold : float
        A pixel belongs to an instance where its mask probability is above this.
    max_instances : int
        At most this many instances (the best scoring), counted after the class filter.
    min_size : int or None
        The image is scaled so its shorter side is ``min_size`` pixels (longer
        side at most ``min_size * 1333 / 800``), as torchvision does; smaller
        is faster and misses small objects. None: the model's own setting.
    classes : iterable of str
        Keep only these class names; empty keeps all.
    variant : str, optional
        Recorded in the result; defaults to the model's.

    Returns
    -------
    Segmentation
        See :func:`detections_to_segmentation`; ``extras`` adds ``device``,
        ``variant`` and ``inference_s`` (the forward pass alone).

    Raises
    ------
    ModelOutOfMemory
        The pass ran out of memory (``torch.OutOfMemoryError``, a CPU
        allocation failure, ``MemoryError``). The model's settings are
        restored and what the pass held is given back, so the next call
        (e.g. at a smaller ``min_size``) starts clean.
    """
    import torch

    image = _check_image(image)
    classes = _class_names(classes)
    meta = getattr(model, "segcore", None) or {}
    categories = meta.get("categories") or W.categories(variant or "v1")
    variant = variant or meta.get("variant", "v1")
    score_threshold = float(score_threshold)
    if not 0.0 <= score_threshold < 1.0:
        raise ValueError("score_threshold is between 0 and 1 (1 excluded)")
    if not 0.0 <= float(mask_threshold) < 1.0:
        raise ValueError("mask_threshold is between 0 and 1 (1 excluded)")
    max_instances = int(max_instances)
    if max_instances < 1:
        raise ValueError("max_instances is at least 1")
    if min_size is None:
        min_size = int(meta.get("native_min_size", model.transform.min_size[0]))
        max_size = int(meta.get("native_max_size", model.transform.max_size))
    else:
        min_size = int(min_size)
        if not MIN_SIZE_RANGE[0] <= min_size <= MIN_SIZE_RANGE[1]:
            raise ValueError(f"min_size is between {MIN_SIZE_RANGE[0]} and {MIN_SIZE_RANGE[1]} pixels")
        max_size = max(min_size, round(min_size * MAX_SIZE_RATIO))
    keep_ids = _class_ids(classes, categories)
    t0 = time.perf_counter()
    with INFERENCE_LOCK, torch.inference_mode():
        model.eval()
        heads = model.roi_heads
        saved = (heads.score_thresh, heads.detections_per_img, model.transform.min_size, model.transform.max_size)
        _install_class_filter(heads)
        heads.score_thresh = score_threshold
        heads.detections_per_img = max_instances
        heads.segcore_keep = torch.tensor(keep_ids, dtype=torch.int64) if keep_ids else None
        model.transform.min_size = (min_size,)
        model.transform.max_size = max_size
        failed = None
        try:
            t1 = time.perf_counter()
            raw = run_model(model, image)
            raw = {k: v if k == "mask_probs" else v.to("cpu") for k, v in raw.items()}  # masks: pasted on the device
            inference_s = time.perf_counter() - t1
        except Exception as exc:  # noqa: BLE001 - only running out of memory is translated
            if not is_out_of_memory(exc):
                raise
            failed = _first_line(exc)
        finally:
            heads.score_thresh, heads.detections_per_img, model.transform.min_size, model.transform.max_size = saved
            heads.segcore_keep = None
    device = meta.get("device", str(next(model.parameters()).device))
    if failed is not None:
        raise _out_of_memory(variant, device, image, min_size, failed)
    params = {
        "variant": variant,
        "score_threshold": score_threshold,
        "mask_threshold": float(mask_threshold),
        "max_instances": max_instances,
        "min_size": min_size,
        "classes": classes,
        "device": device,
    }
    try:
        seg = detections_to_segmentation(  # pastes the masks on the model's device: may run out of memory too
            raw,
            image_shape=image.shape[:2],
            categories=categories,
            score_threshold=score_threshold,
            mask_threshold=mask_threshold,
            max_instances=max_instances,
            classes=params["classes"],
            params=params,
        )
    except Exception as exc:  # noqa: BLE001 - only running out of memory is translated
        if not is_out_of_memory(exc):
            raise
        failed = _first_line(exc)
    if failed is not None:
        del raw
        raise _out_of_memory(variant, device, image, min_size, failed)
    seg.extras.update(device=params["device"], variant=variant, inference_s=inference_s)
    seg.elapsed_s = time.perf_counter() - t0
    return seg


def _out_of_memory(variant: str, device: str, image: np.ndarray, min_size: int, detail: str) -> ModelOutOfMemory:
    """The error :func:`predict` raises when memory ran out, after giving back what the pass held."""
    release_memory(device)
    h, w = image.shape[:2]
    gpu = " Other work on the GPU may hold its memory; or run on the CPU." if str(device).startswith("cuda") else ""
    return ModelOutOfMemory(
        f"Mask R-CNN {variant} ran out of memory on {device} on a {w} x {h} px image at inference size"
        f" {min_size} px ({detail}). A smaller inference size or a smaller image needs less.{gpu}"
        " Nothing was kept: the next try runs it again."
    )


# --- from detections to a label map ---------------------------------------------------------


def paste_mask_patch(mask_prob, box, image_shape: tuple[int, int], *, padding: int = 1):
    """Paste one 28 x 28 mask into its box; return the box-sized patch and where it goes.

    Exactly the arithmetic of torchvision's ``paste_masks_in_image`` (pad by
    one pixel, grow the box to match, bilinear resize to the integer box,
    clip to the image), but only the box-sized region is produced: memory
    grows with the box, not with the image.

    Parameters
    ----------
    mask_prob : Tensor (M, M) or (1, M, M)
    box : Tensor (4,) x0 y0 x1 y1 in image pixels
    image_shape : (H, W)

    Returns
    -------
    (patch, (y0, y1, x0, x1))
        ``patch`` is a float Tensor of shape (y1 - y0, x1 - x0) holding the
        probabilities that torchvision's full-size mask has at
        ``[y0:y1, x0:x1]`` (zero elsewhere). Empty when the box is off the image.
    """
    masks, boxes = _expand(mask_prob.reshape(1, mask_prob.shape[-2], mask_prob.shape[-1]), box.reshape(1, 4), padding)
    return _paste_expanded(masks[0], boxes[0], image_shape)


def _expand(mask_probs, boxes, padding: int = 1):
    """Pad (N, M, M) masks by ``padding`` and grow their (N, 4) boxes to match, as torchvision does.

    Returns ``(masks, boxes)``: float (N, 1, M + 2p, M + 2p) masks on their own
    device, and the grown boxes as a list of integer [x0, y0, x1, y1] (one
    transfer for all of them, not one per instance).
    """
    import torch
    from torchvision.models.detection.roi_heads import expand_boxes, expand_masks

    m = mask_probs.reshape(len(mask_probs), 1, mask_probs.shape[-2], mask_probs.shape[-1]).float()
    m, scale = expand_masks(m, padding=padding)
    grown = expand_boxes(boxes.reshape(-1, 4).float().to("cpu"), scale).to(dtype=torch.int64)
    return m, grown.tolist()


def _paste_expanded(mask, box: Sequence[int], image_shape: tuple[int, int]):
    """:func:`paste_mask_patch` for a mask and box already through :func:`_expand`."""
    import torch.nn.functional as F

    im_h, im_w = int(image_shape[0]), int(image_shape[1])
    w = max(int(box[2] - box[0] + 1), 1)
    h = max(int(box[3] - box[1] + 1), 1)
    x0, x1 = max(box[0], 0), min(box[2] + 1, im_w)
    y0, y1 = max(box[1], 0), min(box[3] + 1, im_h)
    if x1 <= x0 or y1 <= y0:
        return mask.new_zeros((0, 0)), (0, 0, 0, 0)
    resized = F.interpolate(mask[None], size=(h, w), mode="bilinear", align_corners=False)[0, 0]
    return resized[y0 - box[1] : y1 - box[1], x0 - box[0] : x1 - box[0]], (y0, y1, x0, x1)


def _patches(outputs: Mapping[str, Any], order: Sequence[int], image_shape: tuple[int, int], mask_threshold: float):
    """Yield (bool patch as ndarray, (y0, y1, x0, x1)) for the detections in ``order``, one at a time.

    The masks are pasted and thresholded where they are (on the GPU after a
    GPU forward pass); only each instance's boolean patch comes to the CPU.
    """
    if not len(order):
        return
    if "mask_probs" in outputs:
        import torch

        probs = outputs["mask_probs"]
        index = torch.as_tensor(list(order), dtype=torch.int64)
        masks, boxes = _expand(probs.index_select(0, index.to(probs.device)), outputs["boxes"].index_select(0, index))
        for mask, box in zip(masks, boxes):
            patch, where = _paste_expanded(mask, box, image_shape)
            yield (patch > mask_threshold).cpu().numpy(), where
    else:  # torchvision's forward output: (N, 1, H, W) probabilities at image size
        masks = outputs["masks"]
        for i in order:
            on = masks[i].reshape(masks.shape[-2], masks.shape[-1]) > mask_threshold
            ys = on.any(dim=1).nonzero().flatten()
            xs = on.any(dim=0).nonzero().flatten()
            if len(ys) == 0:
                yield np.zeros((0, 0), bool), (0, 0, 0, 0)
                continue
            y0, y1, x0, x1 = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
            yield on[y0:y1, x0:x1].cpu().numpy(), (y0, y1, x0, x1)


def detections_to_segmentation(
    outputs: Mapping[str, Any],
    *,
    image_shape: tuple[int, int],
    categories: Sequence[str],
    score_threshold: float = 0.5,
    mask_threshold: float = 0.5,
    max_instances: int = 100,
    classes: Iterable[str] = (),
    params: dict[str, Any] | None = None,
    method: str = "maskrcnn",
) -> Segmentation:
    """Turn one image's detections into an instance label map and its extras.

    Parameters
    ----------
    outputs : mapping of Tensor
        ``boxes`` (N, 4) x0 y0 x1 y1, ``labels`` (N,) label indices into
        ``categories``, ``scores`` (N,), and either ``mask_probs``
        (N, 1, M, M) as :func:`run_model` gives, or ``masks`` (N, 1, H, W)
        probabilities at image size as torchvision's ``forward`` gives.
    image_shape : (H, W)
    categories : list of str
        Names by label index; index ``i`` is also the category id (COCO's for v1/v2).
    score_threshold, mask_threshold, max_instances, classes
        As in :func:`predict`; applied here again so that any detections
        (also ones not filtered by the model) give the same result.

    Returns
    -------
    Segmentation
        ``labels``: int32 (H, W), 0 background, ``i`` instance ``i``;
        instances are numbered by score, best first, and where masks
        overlap the better-scoring instance owns the pixel. Legend names read
        ``"person 0.98"``. ``extras``:

        - ``instances``: list of dicts ``id``, ``class``, ``category_id``,
          ``score``, ``box`` [x0, y0, x1, y1], ``mask_area`` (pixels of the
          instance's own mask), ``mask_share`` (that, in % of the image),
          ``visible_area`` (pixels it owns in ``labels``);
        - ``masks``: the instances' own masks as COCO RLE dicts (pycocotools;
          decode with :func:`segcore.io.coco.decode_rle`) -- full boolean
          masks would be N x H x W bytes (1.2 GB for 100 on 12 MP);
        - ``semantic``: int32 (H, W) of category ids (0 background), from ``labels``;
        - ``semantic_names``: {category_id: name} for the ids present (0 included);
        - ``class_counts``: {class name: number of instances}, most frequent first.
    """
    h, w = int(image_shape[0]), int(image_shape[1])
    boxes = outputs["boxes"].detach().to("cpu").float()
    outputs = {  # the masks stay where they are: they are pasted there (see _patches)
        k: (v.detach() if k in ("mask_probs", "masks") else v.detach().to("cpu")) if hasattr(v, "detach") else v
        for k, v in outputs.items()
    }
    scores = outputs["scores"].float().numpy()
    label_ids = outputs["labels"].numpy().astype(np.int64)
    names = _class_names(classes)
    allowed = set(_class_ids(names, categories)) if names else None
    keep = [
        i
        for i in np.argsort(-scores, kind="stable")
        if scores[i] > score_threshold and (allowed is None or int(label_ids[i]) in allowed)
    ][: int(max_instances)]

    labels = np.zeros((h, w), np.int32)
    instances, rles = [], []
    worst_first = keep[::-1]  # a better-scoring instance paints over a worse one
    patches = _patches({**outputs, "boxes": boxes}, worst_first, (h, w), float(mask_threshold))
    for k, i, (patch, (y0, y1, x0, x1)) in zip(range(len(keep) - 1, -1, -1), worst_first, patches):
        np.copyto(labels[y0:y1, x0:x1], k + 1, where=patch)
        rles.append(rle_from_patch(patch, (y0, x0), (h, w)))
        area = int(np.count_nonzero(patch))
        cid = int(label_ids[i])
        instances.append(
            {
                "id": k + 1,
                "class": categories[cid] if 0 <= cid < len(categories) else f"class {cid}",
                "category_id": cid,
                "score": float(scores[i]),
                "box": [float(v) for v in boxes[i].tolist()],
                "mask_area": area,
                "mask_share": 100.0 * area / float(h * w),
            }
        )
    instances.reverse()
    rles.reverse()
    params = (
        dict(params)
        if params is not None
        else {
            "score_threshold": float(score_threshold),
            "mask_threshold": float(mask_threshold),
            "max_instances": int(max_instances),
            "classes": names,
        }
    )
    return instances_to_segmentation(labels, instances, rles, method=method, params=params)
