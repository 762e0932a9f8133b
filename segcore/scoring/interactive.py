"""Interactive segmentation scored the standard way: a robot user clicks, NoC@85/90 counts the clicks.

The robot user is the one of Xu et al. (CVPR 2016) as implemented in RITM (Sofiiuk et al.,
2022), the protocol behind every published NoC table: the first click goes, positive, to the
object pixel farthest from the object's boundary; each later click goes to the pixel farthest
from the boundary of the current errors, positive where the object was missed, negative where
background was taken. :func:`simulate` plays that user against any ``answer(prompts) -> mask``
callable (so scoring imports no method), :func:`noc` counts the clicks a trace needed to reach
an IoU, and :func:`summarize` gives the figures the papers report: mean NoC@85 and NoC@90, the
images that never reach 0.90, the mean IoU after each click.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from segcore.prompts import Click, Prompts

#: The IoU levels NoC is counted at.
THRESHOLDS = (0.85, 0.90)
#: Clicks the protocol plays; an image not reaching a level within them counts this many.
MAX_CLICKS = 20


def _as_masks(truth, mask, ignore) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``truth``, ``mask`` (all False for None) and the counted pixels, as bool (H, W); ValueError on shapes."""
    truth = np.asarray(truth, dtype=bool)
    if truth.ndim != 2:
        raise ValueError(f"the object mask must be 2-D (H, W); got shape {truth.shape}")
    mask = np.zeros_like(truth) if mask is None else np.asarray(mask, dtype=bool)
    counted = np.ones_like(truth) if ignore is None else ~np.asarray(ignore, dtype=bool)
    for what, a in (("answer", mask), ("ignore mask", counted)):
        if a.shape != truth.shape:
            raise ValueError(f"the {what} has shape {a.shape}; the object mask {truth.shape}")
    return truth, mask, counted


def iou(truth: np.ndarray, mask: np.ndarray | None, ignore: np.ndarray | None = None) -> float:
    """Intersection over union of ``mask`` with the object ``truth``, ``ignore`` pixels left out.

    Returns
    -------
    float
        ``|truth & mask| / |truth | mask|`` over the pixels not ignored, in 0..1; 1.0 when both
        are empty there (nothing to find, nothing found). ``mask=None`` is an empty answer.
    """
    truth, mask, counted = _as_masks(truth, mask, ignore)
    union = np.count_nonzero((truth | mask) & counted)
    return 1.0 if union == 0 else float(np.count_nonzero(truth & mask & counted) / union)


def _farthest(region: np.ndarray, blocked: np.ndarray | None) -> tuple[float, int, int]:
    """(distance, row, column) of the ``region`` pixel farthest from its boundary; (0, -1, -1) if none.

    The distance is ``ndimage.distance_transform_edt`` of the region padded by one pixel of
    background, so the image's edge counts as a boundary. ``blocked`` pixels (clicked already) are
    not chosen. Among equally far pixels the first in raster order (top row, then left column).
    """
    dist = ndimage.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
    if blocked is not None:
        dist[blocked] = 0.0
    flat = int(np.argmax(dist))  # the first maximum in raster order
    best = float(dist.flat[flat])
    if best <= 0.0:
        return 0.0, -1, -1
    row, col = divmod(flat, dist.shape[1])
    return best, row, col


def next_click(
    truth: np.ndarray,
    mask: np.ndarray | None = None,
    ignore: np.ndarray | None = None,
    *,
    clicked: Sequence[Click] = (),
) -> Click | None:
    """The robot user's next click on the object ``truth`` given the current answer ``mask``.

    Parameters
    ----------
    truth : bool (H, W)
        The object.
    mask : bool (H, W), optional
        The current answer; None (no answer yet) or an empty mask makes the first click.
    ignore : bool (H, W), optional
        Pixels of unknown truth (128 in GrabCut-style masks): neither errors nor clicked.
    clicked : sequence of Click
        Clicks made already: their pixels are not clicked again (as in RITM's clicker), so a
        method that ignores a click gets the next-best one rather than the same again.

    Returns
    -------
    Click or None
        With no answer, a positive click at the object pixel farthest from its boundary. Else
        the false-negative pixels (object missed) and false-positive pixels (background taken)
        are each distance-transformed and the click goes to the larger maximum: positive in a
        missed region, negative in a false one (a tie goes to the false region, as RITM's
        ``fn_max > fp_max``; within one, the first pixel in raster order). None when the
        answer has no error left (nothing to click).
    """
    truth, mask, counted = _as_masks(truth, mask, ignore)
    blocked = None
    if clicked:
        blocked = np.zeros(truth.shape, bool)
        for c in clicked:
            if 0 <= c.y < truth.shape[0] and 0 <= c.x < truth.shape[1]:
                blocked[c.y, c.x] = True
    fn_dist, fn_row, fn_col = _farthest(truth & ~mask & counted, blocked)
    fp_dist, fp_row, fp_col = _farthest(~truth & mask & counted, blocked)
    if fn_dist == 0.0 and fp_dist == 0.0:
        return None
    if fn_dist > fp_dist:
        return Click(fn_col, fn_row, True)
    return Click(fp_col, fp_row, False)


@dataclass(frozen=True)
class ClickTrace:
    """One robot session on one image.

    Attributes
    ----------
    clicks : tuple of Click
        The clicks made, in order (fewer than ``max_clicks`` when the answer became exact).
    ious : tuple of float
        IoU after click 1, 2, ... ``max_clicks`` (always that many): once an answer is exact
        (IoU 1.0, nothing left to click) the session stops and 1.0 is carried forward.
    ms : tuple of float
        Milliseconds the answer took at each click made.
    errors : tuple of str
        ``"click k: message"`` for each click the method refused (ValueError): that click's
        answer counted as empty (IoU 0).
    """

    clicks: tuple[Click, ...]
    ious: tuple[float, ...]
    ms: tuple[float, ...]
    errors: tuple[str, ...] = ()

    @property
    def ms_per_click(self) -> float:
        """Median milliseconds of an answered click (NaN when none was made).

        The median, not the mean: a process's first call of a method also pays its one-time
        costs (imports, a library's first initialisation), which a user clicking on pays once.
        """
        return float(np.median(self.ms)) if self.ms else float("nan")

    def noc(self, threshold: float) -> int:
        """Clicks needed to reach IoU ``threshold`` (``len(ious)`` when never); see :func:`noc`."""
        return noc(self.ious, threshold)


def simulate(
    answer: Callable[[Prompts], np.ndarray],
    truth: np.ndarray,
    *,
    ignore: np.ndarray | None = None,
    max_clicks: int = MAX_CLICKS,
    first: Click | None = None,
) -> ClickTrace:
    """Play the robot user against ``answer`` for up to ``max_clicks`` clicks.

    Parameters
    ----------
    answer : callable
        ``answer(prompts) -> bool (H, W)``: the method's mask for the clicks so far (all of
        them, each time: :class:`~segcore.prompts.Prompts` holding clicks only). A ValueError
        (a prompt the method cannot use) counts as an empty mask for that click, not a crash;
        any other exception propagates.
    truth : bool (H, W)
        The object.
    ignore : bool (H, W), optional
        Unknown pixels, left out of the errors and of the IoU.
    max_clicks : int
        Clicks to play (the protocol's 20).
    first : Click, optional
        The first click, in place of the robot's (a user's own, or to test another start).

    Returns
    -------
    ClickTrace
        The clicks, the IoU after each of the ``max_clicks`` clicks, the time of each answer
        and the refusals. The session stops early only when an answer is exact (no error pixel
        left for the robot to click); its IoU of 1.0 is carried to the remaining clicks.
    """
    if max_clicks < 1:
        raise ValueError(f"max_clicks must be 1 or more; got {max_clicks}")
    truth, _, counted = _as_masks(truth, None, ignore)
    ignore = ~counted
    prompts = Prompts()
    mask = None
    ious: list[float] = []
    ms: list[float] = []
    errors: list[str] = []
    for k in range(1, max_clicks + 1):
        click = first if (k == 1 and first is not None) else next_click(truth, mask, ignore, clicked=prompts.clicks)
        if click is None:  # exact: nothing left to click
            ious += [ious[-1] if ious else 1.0] * (max_clicks - len(ious))
            break
        prompts = prompts.add(click)
        start = time.perf_counter()
        try:
            mask = np.asarray(answer(prompts), dtype=bool)
        except ValueError as exc:
            mask = np.zeros_like(truth)
            errors.append(f"click {k}: {' '.join(str(exc).split()) or type(exc).__name__}")
        ms.append((time.perf_counter() - start) * 1000.0)
        ious.append(iou(truth, mask, ignore))
    return ClickTrace(prompts.clicks, tuple(ious), tuple(ms), tuple(errors))


def noc(ious: Sequence[float], threshold: float, max_clicks: int | None = None) -> int:
    """Number of clicks: the first click count whose IoU reaches ``threshold``.

    Returns
    -------
    int
        ``k`` (1-based) for the first ``ious[k - 1] >= threshold``; ``max_clicks`` (by default
        ``len(ious)``) when no click reaches it: the protocol's count for a failure.
    """
    for k, value in enumerate(ious, start=1):
        if value >= threshold:
            return k
    return len(ious) if max_clicks is None else max_clicks


@dataclass(frozen=True)
class NocSummary:
    """One method's figures over a set of images, as the papers report them.

    Attributes
    ----------
    images : int
    noc85, noc90 : float
        Mean NoC@85 and NoC@90.
    failures : int
        Images never reaching IoU 0.90 within the clicks played.
    mean_iou : tuple of float
        Mean IoU after click 1, 2, ... (the mIoU curve).
    ms_per_click : float
        The median over images of each image's :attr:`ClickTrace.ms_per_click` (a median itself).
    """

    images: int
    noc85: float
    noc90: float
    failures: int
    mean_iou: tuple[float, ...]
    ms_per_click: float


def summarize(traces: Sequence[ClickTrace]) -> NocSummary:
    """The figures of :class:`NocSummary` over ``traces`` (one per image; all played to the same count).

    Returns NaN figures for no trace.
    """
    if not traces:
        return NocSummary(0, float("nan"), float("nan"), 0, (), float("nan"))
    n = min(len(t.ious) for t in traces)
    table = np.array([t.ious[:n] for t in traces], dtype=np.float64)
    ms = [t.ms_per_click for t in traces if t.ms]
    return NocSummary(
        images=len(traces),
        noc85=float(np.mean([noc(t.ious, 0.85) for t in traces])),
        noc90=float(np.mean([noc(t.ious, 0.90) for t in traces])),
        failures=sum(1 for t in traces if max(t.ious) < 0.90),
        mean_iou=tuple(float(v) for v in table.mean(axis=0)),
        ms_per_click=float(np.median(ms)) if ms else float("nan"),
    )
