"""SAM 2.1 (Segment Anything 2.1) through Hugging Face transformers, as the promptable method ``sam2``.

SAM runs in two parts: an image encoder that turns the image (resized to
1024 x 1024) into embeddings, the costly part (seconds on a CPU), and a prompt
encoder and mask decoder that turn clicks and a box into masks in a fraction
of that. :class:`Sam2Predictor` keeps the embeddings of the last few images
(keyed on the image's bytes and the checkpoint), so each new click on the
same image runs the decoder alone, passing them as ``image_embeddings`` to
``Sam2Model.forward``.

The model is held once per process (:func:`get_predictor`, which the
dashboard wraps in ``st.cache_resource``), on the GPU when
``torch.cuda.is_available()``; loading and every prediction share one lock
(:data:`LOCK`). Weights are found as :mod:`.sam2_weights` describes.

Importing this module imports neither torch nor transformers (about 10 s
together here); the functions do, when first called.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from segcore.methods.prompts.sam2_weights import (
    CHECKPOINTS,
    DEFAULT_CHECKPOINT,
    ProgressCallback,
    WeightsFileError,
    checkpoint_info,
    resolve_weights,
)
from segcore.prompts import Prompts
from segcore.registry import register
from segcore.result import Segmentation, build_legend
from segcore.spec import Cost, Param

#: One lock for loading the model and for every prediction: the model and its caches are shared by all sessions.
LOCK = threading.RLock()
#: Images whose embeddings are kept (each about 17 MB for every checkpoint: 256 channels at 64 x 64, plus two finer maps).
EMBEDDINGS_KEPT = 4
#: Points sampled along each scribble, evenly by length, its two ends included.
STROKE_POINTS = 5
#: A mask's logits above this are the object (SAM's own threshold).
MASK_THRESHOLD = 0.0
#: Seconds to embed one image on this project's 2-core server, per checkpoint, set high (benchmarks/bench_sam2.py:
#: the encoder's CPU time on one thread was 7.2, 8.9, 17.5 and 38.1 s for tiny, small, base-plus and large).
EMBED_S_CPU = {"tiny": 4.0, "small": 5.0, "base-plus": 9.5, "large": 21.0}
#: Seconds a click takes once the image is embedded (decoder and resizing the masks).
CLICK_S_CPU = 0.3

NAMES = {0: "background", 1: "object"}


def pick_device(device: str = "auto") -> str:
    """``"cuda"`` when ``device`` is ``"auto"`` and a CUDA GPU is there, else ``device`` (imports torch)."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def image_key(image: np.ndarray) -> str:
    """SHA-256 of the image's shape and bytes: two images share a key only when every pixel is equal."""
    h = hashlib.sha256(str(image.shape).encode())
    h.update(np.ascontiguousarray(image).data)
    return h.hexdigest()


# --- prompts -> SAM's inputs ----------------------------------------------------------------


def stroke_points(path: tuple[tuple[int, int], ...], n: int = STROKE_POINTS) -> list[tuple[int, int]]:
    """``n`` points spread evenly along a scribble by length (its ends included), rounded to pixels, each once."""
    pts = np.asarray(path, dtype=float).reshape(-1, 2)
    steps = np.hypot(*np.diff(pts, axis=0).T) if len(pts) > 1 else np.zeros(0)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] == 0:
        return [(int(pts[0, 0]), int(pts[0, 1]))]
    at = np.linspace(0.0, along[-1], n)
    xs, ys = np.interp(at, along, pts[:, 0]), np.interp(at, along, pts[:, 1])
    return list(dict.fromkeys((int(round(x)), int(round(y))) for x, y in zip(xs, ys)))


def sam_inputs(prompts: Prompts) -> tuple[list[list[int]], list[int], list[int] | None]:
    """The prompts as SAM takes them: points ``[[x, y], ...]``, their labels (1 object, 0 background), a box.

    Clicks come first, in the order made, then :data:`STROKE_POINTS` points
    sampled along each scribble (labelled as the scribble); the box is
    ``[x0, y0, x1, y1]`` in the image's pixels, or None. The processor scales
    all of them to the model's 1024 x 1024 input.
    """
    points = [[c.x, c.y] for c in prompts.clicks]
    labels = [1 if c.positive else 0 for c in prompts.clicks]
    for s in prompts.strokes:
        for x, y in stroke_points(s.path):
            points.append([x, y])
            labels.append(1 if s.positive else 0)
    return points, labels, (list(prompts.box) if prompts.box is not None else None)


def is_first_prompt(prompts: Prompts) -> bool:
    """True for one click alone, or a box alone: one thing pointed at, which SAM reads three ways (part, whole, group)."""
    return not prompts.strokes and (
        (len(prompts.clicks) == 1 and prompts.box is None) or (not prompts.clicks and prompts.box is not None)
    )


# --- the model, held once -------------------------------------------------------------------


class Sam2Predictor:
    """A loaded SAM 2.1 model and processor, with the embeddings of the last :data:`EMBEDDINGS_KEPT` images.

    ``embeddings_computed`` and ``decoder_runs`` count the encoder and decoder
    passes since loading (for the page's notes and the tests).
    """

    def __init__(self, model, processor, *, checkpoint: str, device: str, folder: Path, source: str, load_s: float):
        self.model, self.processor = model, processor
        self.checkpoint, self.device, self.folder, self.source, self.load_s = checkpoint, device, folder, source, load_s
        self._embeddings: OrderedDict[tuple, tuple[list, Any]] = OrderedDict()
        self.embeddings_computed = 0
        self.decoder_runs = 0

    def embed(self, image: np.ndarray) -> tuple[list, Any, bool, float]:
        """The image's embeddings and original size, whether they were cached, and the seconds spent here.

        Computed with ``Sam2Processor(images=...)`` and
        ``Sam2Model.get_image_embeddings`` the first time an image is seen,
        then taken from the cache (least recently used dropped first).
        """
        import torch

        key = (image_key(image), self.checkpoint, self.device)
        t0 = time.perf_counter()
        with LOCK:
            if key in self._embeddings:
                self._embeddings.move_to_end(key)
                emb, sizes = self._embeddings[key]
                return emb, sizes, True, time.perf_counter() - t0
            inputs = self.processor(images=image, return_tensors="pt")
            with torch.inference_mode():
                emb = self.model.get_image_embeddings(inputs["pixel_values"].to(self.device))
            sizes = inputs["original_sizes"]
            self.embeddings_computed += 1
            self._embeddings[key] = (emb, sizes)
            while len(self._embeddings) > EMBEDDINGS_KEPT:
                self._embeddings.popitem(last=False)
            return emb, sizes, False, time.perf_counter() - t0

    def decode(self, image: np.ndarray, prompts: Prompts, *, multimask: bool, all_masks: bool = True
               ) -> dict[str, Any]:
        """Masks for ``prompts`` on ``image`` (embedded once, see :meth:`embed`).

        Returns a dict: ``masks`` (a list of K (H, W) bool masks at the image's size), ``scores``
        (K,) predicted IoU, ``best`` (index of the highest score), ``points``,
        ``labels`` and ``box`` as SAM received them, ``cached`` (whether the
        embedding was reused), ``embed_s`` and ``decode_s``. K is 3 with
        ``multimask`` (SAM's three candidate masks) and 1 without (SAM 2's
        single-mask output: its first mask token, or the best of the three by
        predicted IoU where that is unstable). Without ``all_masks`` only the
        best mask is resized to the image (the others stay None): resizing a
        mask to 1600 x 1200 costs about as much as a tenth of the decoder.
        """
        import torch

        emb, sizes, cached, embed_s = self.embed(image)
        points, labels, box = sam_inputs(prompts)
        t0 = time.perf_counter()
        with LOCK:
            inputs = self.processor(
                input_points=[[points]] if points else None,
                input_labels=[[labels]] if points else None,
                input_boxes=[[box]] if box is not None else None,
                original_sizes=sizes,
                return_tensors="pt",
            )
            extra = {k: inputs[k].to(self.device) for k in ("input_points", "input_labels", "input_boxes") if k in inputs}
            with torch.inference_mode():
                out = self.model(image_embeddings=emb, multimask_output=multimask, **extra)
            self.decoder_runs += 1
            scores = out.iou_scores[0, 0].float().clamp(0, 1).cpu().numpy()
            best = int(np.argmax(scores))
            keep = slice(None) if all_masks else slice(best, best + 1)
            low_res = out.pred_masks[:, :, keep].float().cpu()
            resized = self.processor.post_process_masks(low_res, sizes, mask_threshold=MASK_THRESHOLD)[0][0].numpy()
        masks = list(resized) if all_masks else [resized[0] if k == best else None for k in range(len(scores))]
        return {"masks": masks, "scores": scores, "best": best, "points": points,
                "labels": labels, "box": box, "cached": cached, "embed_s": embed_s,
                "decode_s": time.perf_counter() - t0}


_held: dict[tuple[str, str], Sam2Predictor] = {}


def load_predictor(
    checkpoint: str = DEFAULT_CHECKPOINT,
    device: str = "auto",
    *,
    allow_download: bool = True,
    progress: ProgressCallback | None = None,
) -> Sam2Predictor:
    """Load ``checkpoint`` (found, or downloaded with ``progress``) with ``Sam2Model`` / ``Sam2Processor.from_pretrained``.

    Returns a new :class:`Sam2Predictor` in eval mode on ``device`` (``"auto"``:
    the GPU when there is one). Raises
    :class:`~segcore.methods.prompts.sam2_weights.WeightsUnavailable` with what
    is missing and the download command, or :class:`WeightsFileError` naming
    a folder transformers cannot read.
    """
    checkpoint_info(checkpoint)
    dev = pick_device(device)
    folder, source = resolve_weights(checkpoint, allow_download=allow_download, progress=progress)
    t0 = time.perf_counter()
    from safetensors import SafetensorError  # transformers' own dependency: the weights file format
    from transformers import Sam2Model, Sam2Processor

    try:
        model = Sam2Model.from_pretrained(folder).to(dev).eval()
        processor = Sam2Processor.from_pretrained(folder)
    except (OSError, ValueError, KeyError, SafetensorError) as exc:  # a damaged, partial or foreign checkpoint
        first = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise WeightsFileError(
            f"SAM 2.1: transformers cannot load {folder} (from {source}): {type(exc).__name__}: {first}. "
            f"Delete the folder and download it again, or point the variable at a complete checkpoint."
        ) from exc
    return Sam2Predictor(model, processor, checkpoint=checkpoint, device=dev, folder=Path(folder), source=source,
                         load_s=time.perf_counter() - t0)


def get_predictor(
    checkpoint: str = DEFAULT_CHECKPOINT,
    device: str = "auto",
    *,
    allow_download: bool = True,
    progress: ProgressCallback | None = None,
) -> Sam2Predictor:
    """The process's :class:`Sam2Predictor` for ``checkpoint``, loaded on first use (:func:`load_predictor`).

    One model is held at a time (the four weigh 156 MB to 898 MB, and the
    hosted dashboard has 2.7 GB): choosing another checkpoint or device
    releases the one held. Thread-safe under :data:`LOCK`; a load that fails is
    not kept, so the next call tries again.
    """
    key = (checkpoint, pick_device(device))
    with LOCK:
        if key not in _held:
            _held.clear()
            _held[key] = load_predictor(checkpoint, key[1], allow_download=allow_download, progress=progress)
        return _held[key]


def clear_predictors() -> None:
    """Forget the held model and its embeddings (its memory is freed once no one else holds it)."""
    with LOCK:
        _held.clear()


# --- the registered method ------------------------------------------------------------------


def _seconds(shape: tuple[int, int], p: dict) -> float:
    """A new image on the CPU: the encoder (:data:`EMBED_S_CPU`) and a click; on a GPU well under a second.

    The image size hardly matters: SAM always sees 1024 x 1024. A click on an
    image already embedded costs :data:`CLICK_S_CPU`; the estimate cannot know
    the cache, so it is the first click's.
    """
    if pick_device(p.get("device", "auto")) != "cpu":
        return 0.5
    return EMBED_S_CPU[checkpoint_info(p["checkpoint"]).size] + CLICK_S_CPU


@register(
    "sam2", family="prompts", title="SAM 2.1", compare=False,
    params=(
        Param("checkpoint", "Model", "choice", choices=tuple(CHECKPOINTS),
              labels=tuple(c.label for c in CHECKPOINTS.values()),
              help="Meta's SAM 2.1 in four sizes, downloaded once from the Hugging Face Hub: tiny (38.9 M "
                   "parameters, 156 MB), small (46 M, 184 MB), base-plus (80.8 M, 323 MB), large (224.4 M, 898 MB). "
                   "Larger is more accurate and slower: on a 2-core CPU the tiny one takes a few seconds to read "
                   "a new image, then a fraction of a second per click."),
        Param("multimask", "Three candidates on the first click", "bool",
              help="SAM answers one click (or a box alone) with three masks -- a part, the object, a group -- and "
                   "its predicted IoU for each; the best is kept and you may pick another. Later clicks keep the "
                   "best of three by predicted IoU. Off: SAM 2's single-mask answer throughout."),
    ),
    cost=Cost(_seconds),
)
def sam2(
    image: np.ndarray,
    prompts: Prompts,
    *,
    checkpoint: str = DEFAULT_CHECKPOINT,
    multimask: bool = True,
    device: str = "auto",
) -> Segmentation:
    """SAM 2.1: the object the clicks, box and scribbles point at, as a two-label mask.

    Returns a :class:`~segcore.result.Segmentation` whose labels are 0
    (background) and 1 (the object), the mask SAM predicts at the image's size
    (its 256 x 256 logits resized by ``Sam2Processor.post_process_masks`` and
    thresholded at 0). ``extras``: ``confidence`` (the kept mask's predicted
    IoU, 0..1), ``candidates`` (on the first prompt with ``multimask``: a list
    of three ``{"mask": (H, W) bool, "score": float}`` in SAM's order, else
    None), ``chosen`` (index of the kept candidate), ``note`` (None: SAM always
    works on the whole image), ``checkpoint``, ``device``, ``weights``
    (folder), ``embedding_cached``, ``embed_s``, ``decode_s``, and
    ``sam_points`` / ``sam_labels`` / ``sam_box`` (what SAM received).

    What the prompts become: each click a point (positive 1, negative 0) in
    the image's pixel coordinates; the box ``input_boxes``; each scribble
    :data:`STROKE_POINTS` points sampled evenly along it, labelled as the
    scribble (SAM takes points and boxes, not strokes).

    "First prompt" (:func:`is_first_prompt`) means one click alone, or a box
    alone: one thing pointed at, which SAM reads three ways, so the three
    candidates are offered. Several prompts at once -- two clicks, a box and a
    click, any scribble (it is several points) -- count as later clicks: the
    best of the three by predicted IoU is kept and no candidates are offered.

    Parameters
    ----------
    checkpoint : str
        A Hub repository of :data:`~.sam2_weights.CHECKPOINTS`.
    multimask : bool
        Ask SAM for its three candidate masks (kept: the best); False asks for
        its single mask.
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` uses a CUDA GPU when there is one.

    The image is embedded once and kept (:class:`Sam2Predictor`), so a new
    click on the same image costs only the decoder. Raises ValueError for no
    prompts or prompts outside the image, and
    :class:`~.sam2_weights.WeightsUnavailable` (what is missing, the command
    that fetches it) when the weights are not there and cannot be downloaded.
    """
    t0 = time.perf_counter()
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"SAM 2.1 takes an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
    if not prompts:
        raise ValueError("SAM 2.1 needs a click, a box or a scribble to know which object to segment")
    prompts.check(image.shape[:2])
    predictor = get_predictor(checkpoint, device)
    offer = multimask and is_first_prompt(prompts)
    found = predictor.decode(image, prompts, multimask=multimask, all_masks=offer)
    best = found["best"]
    labels = found["masks"][best].astype(np.int32)
    candidates = None
    if offer:
        candidates = [{"mask": m, "score": float(s)} for m, s in zip(found["masks"], found["scores"])]
    extras = {
        "confidence": float(found["scores"][best]),
        "candidates": candidates,
        "chosen": best,
        "note": None,
        "checkpoint": checkpoint,
        "device": predictor.device,
        "weights": str(predictor.folder),
        "embedding_cached": found["cached"],
        "embed_s": found["embed_s"],
        "decode_s": found["decode_s"],
        "sam_points": found["points"],
        "sam_labels": found["labels"],
        "sam_box": found["box"],
    }
    return Segmentation(
        method="sam2",
        labels=labels,
        legend=build_legend(labels, names=NAMES),
        params={"checkpoint": checkpoint, "multimask": multimask, "device": device},
        elapsed_s=time.perf_counter() - t0,
        extras=extras,
    )
