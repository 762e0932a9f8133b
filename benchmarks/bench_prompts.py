"""Speed of the classic prompt methods (segcore.methods.prompts.classic) at the 1600 x 1200 working size.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_prompts.py            # coffee, N = 5
    PYTHONPATH=. .venv/bin/python benchmarks/bench_prompts.py --photo chelsea -n 3 --full

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photo", default="coffee", choices=("coffee", "chelsea"))
    parser.add_argument("-n", type=int, default=5, help="timed runs per row (after one warm-up)")
    parser.add_argument("--full", action="store_true", help="one run of each method at max_side=None too")
    args = parser.parse_args(argv)

    from segcore.cost import estimate
    from segcore.fast.parallel import cpu_budget
    from segcore.registry import get_method, run_method

    image, mask = photo_and_mask(args.photo)
    image.setflags(write=False)  # as the app's working image
    boxed, clicks, scribbles = user_prompts(mask)
    cases = {m: [("box + 3 clicks", boxed), ("3 clicks", clicks)] for m in METHODS}
    cases["pixel_classifier"] = [("2 scribbles", scribbles), ("box + 3 clicks", boxed)]
    print(f"# bench_prompts: {args.photo} at {WORK_SIZE[0]} x {WORK_SIZE[1]}, {cpu_budget()} CPUs, "
          f"N = {args.n}, target {TARGET_MS:.0f} ms an answer")
    print(f"# box {boxed.box}; clicks {[(c.x, c.y, '+' if c.positive else '-') for c in boxed.clicks]}")
    print(f"{'method':18s} {'prompts':15s} {'median ms':>9s} {'runs ms':>13s} {'cpu ms':>7s} {'target':>6s} {'IoU':>5s}"
          "  note")
    for name in METHODS:
        for label, prompts in cases[name]:
            try:
                run_method(name, image, prompts)  # warm-up
                runs, cpu = [], []
                for _ in range(max(1, args.n)):
                    t0, c0 = time.perf_counter(), time.process_time()
                    seg = run_method(name, image, prompts)
                    runs.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.process_time() - c0) * 1000)
            except ValueError as exc:
                print(f"{name:18s} {label:15s} refused: {exc}")
                continue
            ms = statistics.median(runs)
            got = seg.labels == 1
            iou = (got & mask).sum() / max(1, (got | mask).sum())
            print(f"{name:18s} {label:15s} {ms:9.0f} {min(runs):6.0f}-{max(runs):<6.0f} {statistics.median(cpu):7.0f} "
                  f"{'ok' if ms <= TARGET_MS else 'FAIL':>6s} {iou:5.2f}  {seg.extras['note'] or ''}", flush=True)
        if args.full:
            full = {**get_method(name).settings, "max_side": None}
            guess = estimate(name, image.shape, full)
            prompts = cases[name][0][1]
            if get_method(name).settings["max_side"] is None:
                continue
            if guess > 20:
                print(f"{name:18s} {'full size':15s} skipped: estimated {guess:.0f} s")
                continue
            t0 = time.perf_counter()
            seg = run_method(name, image, prompts, max_side=None)
            got = seg.labels == 1
            iou = (got & mask).sum() / max(1, (got | mask).sum())
            print(f"{name:18s} {'full size':15s} {(time.perf_counter() - t0) * 1000:9.0f} {'(1 run)':>13s} "
                  f"{'':>7s} {'':>6s} {iou:5.2f}  {cases[name][0][0]}, max_side=None (estimated {guess:.1f} s)",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
