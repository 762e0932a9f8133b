"""Speed of the classic prompt methods (segcore.methods.prompts.classic) at the 1600 x 1200 working size.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_prompts.py            # coffee, N = 5
    PYTHONPATH=. .venv/bin/python benchmarks/bench_prompts.py --photo chelsea -n 3 --full
    PYTHONPATH=. .venv/bin/python benchmarks/run.py --only prompts   # these rows (coffee) and SAM 2.1's in the table

The photo is a shipped sample with its ground-truth mask (coffee: cup, saucer and
spoon; chelsea: the cat), centre-cropped to 4:3 and resized to 1600 x 1200 (the
photo LANCZOS, the mask nearest). Prompts are placed on the mask as a user would:

* ``box + 3 clicks``: the mask's bounding box, two positive clicks at the
  object pixels farthest from its edge (the second away from the first) and one
  negative click at the background pixel inside the box farthest from the object;
* ``3 clicks``: the same clicks without the box (the whole image is worked on);
* ``2 scribbles`` (the pixel classifier's usual input): a positive stroke through
  the object's deepest point and a negative one through the background's, 9 px wide.

Each row: the median wall time of ``run_method`` with the page's defaults over N
runs after one warm-up (target 500 ms), the median CPU time of the process (all
threads: over the wall time where a method uses both cores; steadier than the wall
time on a machine shared with other work), the IoU against the mask (a sanity figure
for these prompts, not a quality benchmark: that is the robot user's NoC), and the
note the user reads. ``--full`` adds one run at ``max_side=None`` for each method
whose estimate at full size is under 20 s. The exit status is 0 even when a target
is missed: these are measurements, not tests.

:func:`run` measures and returns the rows of benchmarks/run.py's ``prompts``
section (benchmarks/bench_sam2.py adds SAM 2.1's); :func:`main` prints them as
this table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import Row, check, errored  # noqa: E402

SECTION = "prompts"

WORK_SIZE = (1600, 1200)
TARGET_MS = 500.0
METHODS = ("flood", "seeded_watershed", "random_walker", "grabcut", "pixel_classifier")


def photo_and_mask(name: str, width: int = WORK_SIZE[0], height: int = WORK_SIZE[1]) -> tuple[np.ndarray, np.ndarray]:
    """The sample ``name`` and its ground-truth object mask, centre-cropped to the aspect and resized."""
    from PIL import Image

    from segcore.io.samples import SAMPLES, sample_ground_truth

    rgb = np.asarray(SAMPLES[name].load())
    mask = np.asarray(sample_ground_truth(name).maps[0]) > 0
    h, w = mask.shape
    if w / h > width / height:
        cw = round(h * width / height)
        box = ((w - cw) // 2, 0, (w - cw) // 2 + cw, h)
    else:
        ch = round(w * height / width)
        box = (0, (h - ch) // 2, w, (h - ch) // 2 + ch)
    img = Image.fromarray(rgb).crop(box).resize((width, height), Image.Resampling.LANCZOS)
    m = Image.fromarray(mask.astype(np.uint8) * 255).crop(box).resize((width, height), Image.Resampling.NEAREST)
    return np.array(img, np.uint8), np.asarray(m) > 127


def user_prompts(mask: np.ndarray):
    """(box + 3 clicks, 3 clicks, 2 scribbles) placed on ``mask`` as described in the module's docstring."""
    from scipy import ndimage

    from segcore.prompts import Click, Prompts, Stroke

    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
    inside = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    y1, x1 = np.unravel_index(np.argmax(inside), mask.shape)
    far = inside * (np.hypot(*np.mgrid[0:mask.shape[0], 0:mask.shape[1]] - np.array([y1, x1])[:, None, None]) > 0.25
                    * max(box[2] - box[0], box[3] - box[1]))
    y2, x2 = np.unravel_index(np.argmax(far), mask.shape)
    outside = ndimage.distance_transform_edt(~mask)
    in_box = np.zeros_like(mask)
    in_box[box[1]:box[3] + 1, box[0]:box[2] + 1] = True
    y3, x3 = np.unravel_index(np.argmax(np.where(in_box, outside, 0)), mask.shape)
    clicks = (Click(int(x1), int(y1)), Click(int(x2), int(y2)), Click(int(x3), int(y3), False))
    yb, xb = np.unravel_index(np.argmax(outside), mask.shape)
    w = mask.shape[1]

    def stroke(y: int, x: int, depth: float, positive: bool) -> Stroke:
        half = int(max(5, min(0.8 * depth, 0.15 * w)))
        return Stroke(((max(0, x - half), y), (min(w - 1, x + half), y)), positive, 9)

    scribbles = (stroke(int(y1), int(x1), inside[y1, x1], True), stroke(int(yb), int(xb), outside[yb, xb], False))
    return Prompts(clicks, box), Prompts(clicks), Prompts(strokes=scribbles)


def _iou(seg, mask: np.ndarray) -> float:
    got = seg.labels == 1
    return float((got & mask).sum() / max(1, (got | mask).sum()))


def run(n: int, quick: bool = False, log=print, *, photo: str = "coffee", full: bool = False) -> list[Row]:
    """One row per method and prompt case (the module's docstring), ``n`` timed runs each after a warm-up.

    ``quick``: at most 2 runs. ``full``: a row more per method, one run at
    ``max_side=None`` (skipped where the estimate is over 20 s). Each row's
    ``extra`` keeps the figures ``main`` prints (runs, CPU time, IoU, the
    method's note, the prompts).
    """
    from segcore.cost import estimate
    from segcore.fast.parallel import cpu_budget
    from segcore.registry import get_method, run_method

    if quick:
        n = min(n, 2)
    size = f"{WORK_SIZE[0]} x {WORK_SIZE[1]}"
    image, mask = photo_and_mask(photo)
    image.setflags(write=False)  # as the app's working image
    boxed, clicks, scribbles = user_prompts(mask)
    cases = {m: [("box + 3 clicks", boxed), ("3 clicks", clicks)] for m in METHODS}
    cases["pixel_classifier"] = [("2 scribbles", scribbles), ("box + 3 clicks", boxed)]
    common = {"photo": photo, "n": max(1, n), "cpus": cpu_budget(), "box": boxed.box,
              "clicks": [(c.x, c.y, "+" if c.positive else "-") for c in boxed.clicks]}
    log(f"  {photo} at {size}, {common['cpus']} CPUs, N = {common['n']}; box {boxed.box}; clicks {common['clicks']}")
    rows: list[Row] = []
    for name in METHODS:
        for label, prompts in cases[name]:
            row_name = f"prompt: {name}, {label}"
            extra = {**common, "method": name, "prompts": label}
            try:
                run_method(name, image, prompts)  # warm-up
                runs, cpu = [], []
                for _ in range(max(1, n)):
                    t0, c0 = time.perf_counter(), time.process_time()
                    seg = run_method(name, image, prompts)
                    runs.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.process_time() - c0) * 1000)
            except ValueError as exc:  # the method refuses these prompts
                rows.append(Row(SECTION, row_name, size=size, status="skipped", note=f"refused: {exc}",
                                extra={**extra, "refused": str(exc)}))
                continue
            except Exception as exc:  # noqa: BLE001 - one broken method must not stop the table
                row = errored(SECTION, row_name, exc, size)
                row.extra = extra
                rows.append(row)
                continue
            ms, cpu_ms, iou = statistics.median(runs), statistics.median(cpu), _iou(seg, mask)
            own = seg.extras["note"] or ""
            rows.append(Row(
                SECTION, row_name, size=size, ours_ms=ms, value=f"IoU {iou:.2f}", target=f"<= {TARGET_MS:.0f} ms",
                status=check(ms <= TARGET_MS),
                note=f"runs {min(runs):.0f}-{max(runs):.0f} ms; CPU {cpu_ms:.0f} ms (all threads); IoU {iou:.2f}"
                + (f"; {own}" if own else ""),
                extra={**extra, "runs_ms": runs, "cpu_runs_ms": cpu, "cpu_ms": cpu_ms, "iou": iou, "method_note": own},
            ))
            log(f"  {name}, {label}: {ms:.0f} ms")
        if full:
            if get_method(name).settings["max_side"] is None:
                continue
            label, prompts = cases[name][0]
            guess = estimate(name, image.shape, {**get_method(name).settings, "max_side": None})
            extra = {**common, "method": name, "prompts": "full size", "full_prompts": label, "estimate_s": guess}
            row_name = f"prompt: {name}, {label}, full size"
            if guess > 20:
                rows.append(Row(SECTION, row_name, size=size, status="skipped",
                                note=f"skipped: estimated {guess:.0f} s at max_side=None", extra=extra))
                continue
            t0 = time.perf_counter()
            seg = run_method(name, image, prompts, max_side=None)
            ms, iou = (time.perf_counter() - t0) * 1000, _iou(seg, mask)
            rows.append(Row(SECTION, row_name, size=size, ours_ms=ms, value=f"IoU {iou:.2f}", status="measured",
                            note=f"one run at max_side=None (estimated {guess:.1f} s); IoU {iou:.2f}",
                            extra={**extra, "iou": iou}))
            log(f"  {name}, full size: {ms:.0f} ms")
    return rows


def table_line(row: Row) -> str:
    """``row`` (from :func:`run`) as a line of this script's table."""
    e = row.extra
    head = f"{e['method']:18s} {e['prompts']:15s}"
    if "refused" in e:
        return f"{head} refused: {e['refused']}"
    if row.status == "error":
        return f"{head} {row.note}"
    if "full_prompts" in e:
        if row.status == "skipped":
            return f"{head} skipped: estimated {e['estimate_s']:.0f} s"
        return (f"{head} {row.ours_ms:9.0f} {'(1 run)':>13s} {'':>7s} {'':>6s} {e['iou']:5.2f}  "
                f"{e['full_prompts']}, max_side=None (estimated {e['estimate_s']:.1f} s)")
    runs = e["runs_ms"]
    return (f"{head} {row.ours_ms:9.0f} {min(runs):6.0f}-{max(runs):<6.0f} {e['cpu_ms']:7.0f} {row.status:>6s} "
            f"{e['iou']:5.2f}  {e['method_note']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photo", default="coffee", choices=("coffee", "chelsea"))
    parser.add_argument("-n", type=int, default=5, help="timed runs per row (after one warm-up)")
    parser.add_argument("--full", action="store_true", help="one run of each method at max_side=None too")
    args = parser.parse_args(argv)

    rows = run(args.n, log=lambda msg: None, photo=args.photo, full=args.full)
    e = rows[0].extra
    print(f"# bench_prompts: {args.photo} at {WORK_SIZE[0]} x {WORK_SIZE[1]}, {e['cpus']} CPUs, "
          f"N = {args.n}, target {TARGET_MS:.0f} ms an answer")
    print(f"# box {e['box']}; clicks {e['clicks']}")
    print(f"{'method':18s} {'prompts':15s} {'median ms':>9s} {'runs ms':>13s} {'cpu ms':>7s} {'target':>6s} {'IoU':>5s}"
          "  note")
    for row in rows:
        print(table_line(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
