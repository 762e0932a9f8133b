"""NoC@85/90 of the prompt methods on a development set, with the robot user of ``python -m segcore noc``.

Usage::

    .venv/bin/python benchmarks/bench_noc.py                          # print only
    .venv/bin/python benchmarks/bench_noc.py --doc docs/interactive.md  # and rewrite that page
    .venv/bin/python benchmarks/bench_noc.py --photos 10 -m grabcut     # fewer photos, one method

The development set, one object per image, written as PNG files (image and object mask, 255 =
object) into a temporary folder (``--keep DIR`` keeps them there), never into the repository:

- the shipped samples with a ground truth (:mod:`segcore.io.samples`): coffee (cup, saucer and
  spoon) and chelsea (the cat) as they are; coins' largest coin; the synthetic shapes scene's
  largest shape, the blobs scene's largest blob and the mosaic's largest cell;
- Berkeley photos (``../shared/data/bsds500-trainval``, train split, photo ids in sorted order):
  of the first human segmentation (``<id>.1.png``), the largest region that does not touch the
  photo's border, its largest connected part, when it covers at least :data:`MIN_SHARE` of the
  photo; the first ``--photos`` photos that have one.

Then the command line itself runs on that folder (``python -m segcore noc ... --workers N --csv``,
the same Dask path as the folder mode) and this script reads its CSV back: mean NoC@85/90, the
images never reaching 0.90, the mean IoU at clicks 1, 2, 3, 5, 10 and 20, and ms per click, for
every method, over all images and over the Berkeley photos alone.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data" / "bsds500-trainval"
#: Smallest object kept from a Berkeley segmentation, as a share of the photo's pixels. The GrabCut set's objects
#: are large; with 1 % every method failed all five regions under 4 % (animals of about 3,000 px with legs and
#: fur, outlined to a pixel or two: 0.90 IoU asks more than those outlines hold).
MIN_SHARE = 0.05
#: Clicks at which the IoU curve is tabulated.
CURVE = (1, 2, 3, 5, 10, 20)
#: Published NoC@90 on the GrabCut set (Xu et al. 2016's table; later tables differ a little).
PUBLISHED = "graph cut 10 to 11, random walker 12 to 14, geodesic star convexity 9.1, Xu et al.'s deep model 6.0"


def largest_part(mask: np.ndarray) -> np.ndarray:
    """The largest 4-connected part of ``mask`` (``ndimage.label``); ``mask`` itself when it is one part."""
    parts, n = ndimage.label(mask)
    if n <= 1:
        return mask
    sizes = np.bincount(parts.ravel())[1:]
    return parts == 1 + int(np.argmax(sizes))


def sample_objects() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, RGB, object mask) for the shipped samples with a ground truth: one object each."""
    from segcore.io.loading import load_image
    from segcore.io.samples import SAMPLES, sample_bytes, sample_ground_truth

    out = []
    for name in ("coffee", "chelsea", "coins", "shapes", "blobs", "mosaic"):
        if name not in SAMPLES:
            continue
        rgb = load_image(sample_bytes(name), max_side=None).rgb
        gt = sample_ground_truth(name).maps[0]
        if name in ("coffee", "chelsea"):
            obj = gt > 0  # binary: the object as drawn
        elif name == "blobs":
            obj = largest_part(gt > 0)  # six blobs: the largest
        else:  # instances or cells: the largest
            values, counts = np.unique(gt[gt > 0] if name != "mosaic" else gt, return_counts=True)
            obj = gt == values[int(np.argmax(counts))]
        out.append((f"sample-{name}", rgb, obj))
    return out


def bsds_objects(n: int, data: Path = DATA) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, RGB, object mask) for the first ``n`` Berkeley train photos with an object (see the module)."""
    out = []
    for photo in sorted((data / "images" / "train").glob("*.jpg"), key=lambda p: p.stem):
        if len(out) >= n:
            break
        labels = np.asarray(Image.open(data / "ground_truth" / "train" / f"{photo.stem}.1.png")).astype(np.int64)
        border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        values, counts = np.unique(labels, return_counts=True)
        inner = [(c, v) for v, c in zip(values, counts) if v not in border]
        if not inner:
            continue
        obj = largest_part(labels == max(inner)[1])
        if obj.sum() < MIN_SHARE * obj.size:
            continue
        out.append((f"bsds-{photo.stem}", np.asarray(Image.open(photo).convert("RGB")), obj))
    return out


def write_dev_set(folder: Path, n_photos: int) -> tuple[Path, Path, int]:
    """Write the development set's images and masks under ``folder``; return (images, masks, number of photos)."""
    images, masks = folder / "images", folder / "masks"
    images.mkdir(parents=True, exist_ok=True)
    masks.mkdir(parents=True, exist_ok=True)
    photos = bsds_objects(n_photos) if n_photos and DATA.is_dir() else []
    for name, rgb, obj in sample_objects() + photos:
        Image.fromarray(rgb).save(images / f"{name}.png")
        Image.fromarray(np.where(obj, 255, 0).astype(np.uint8)).save(masks / f"{name}.png")
    return images, masks, len(photos)


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def figures(rows: list[dict[str, str]], max_clicks: int) -> dict[str, float | int | list[float]]:
    """Mean NoC@85/90, failures, the mean IoU at :data:`CURVE` and ms per click of one method's CSV rows."""
    ok = [r for r in rows if not r["error"]]
    if not ok:
        return {}
    ious = np.array([[float(r[f"iou_{k}"]) for k in range(1, max_clicks + 1)] for r in ok])
    ms = float(np.median([float(r["ms_per_click"]) for r in ok]))  # each row's is its median click
    return {
        "images": len(ok),
        "noc85": float(np.mean([int(r["noc85"]) for r in ok])),
        "noc90": float(np.mean([int(r["noc90"]) for r in ok])),
        "failures": int((ious.max(axis=1) < 0.90).sum()),
        "curve": [float(ious[:, k - 1].mean()) for k in CURVE if k <= max_clicks],
        "ms": ms,
    }


def table(rows: list[dict[str, str]], methods: list[str], max_clicks: int, subset: str = "") -> list[str]:
    """Markdown table of :func:`figures` per method, over rows whose image name contains ``subset``."""
    ks = [k for k in CURVE if k <= max_clicks]
    head = ["method", "images", "NoC@85", "NoC@90", "failures (< 0.90)", *[f"IoU@{k}" for k in ks], "ms / click"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in methods:
        f = figures([r for r in rows if r["method"] == m and subset in Path(r["image"]).name], max_clicks)
        if not f:
            lines.append(f"| {m} | 0 | | | | " + " | " * len(ks) + " |")
            continue
        cells = [m, str(f["images"]), f"{f['noc85']:.2f}", f"{f['noc90']:.2f}", str(f["failures"]),
                 *[f"{v:.3f}" for v in f["curve"]], f"{f['ms']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=30, help="Berkeley photos (0: the samples only); default 30")
    parser.add_argument("-m", "--method", help="methods, comma-separated; default: noc's default set")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="[METHOD.]KEY=VALUE",
                        help="passed to noc as -p (repeatable)")
    parser.add_argument("--max-clicks", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (noc's --workers); default 2")
    parser.add_argument("--keep", metavar="DIR", help="write the development set and the CSV here and keep them")
    parser.add_argument("--doc", metavar="MD", help="write the results page here (docs/interactive.md)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        start = time.perf_counter()
        images, masks, n_photos = write_dev_set(folder, args.photos)
        csv_path = folder / "noc.csv"
        command = [sys.executable, "-m", "segcore", "noc", str(images), "--ground-truth", str(masks),
                   "--max-clicks", str(args.max_clicks), "--workers", str(args.workers), "--csv", str(csv_path)]
        if args.method:
            command += ["-m", args.method]
        for p in args.param:
            command += ["-p", p]
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        print("$ " + " ".join(command[1:]), file=sys.stderr, flush=True)
        run = subprocess.run(command, check=False, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
        print(run.stdout)
        if not csv_path.exists():
            print(f"noc wrote no CSV (exit {run.returncode})", file=sys.stderr)
            return 1
        rows = read_rows(csv_path)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    n_images = len({r["image"] for r in rows})
    everything = table(rows, methods, args.max_clicks)
    photos = table(rows, methods, args.max_clicks, subset="bsds-")
    samples = table(rows, methods, args.max_clicks, subset="sample-")
    print("\n".join(["all images", *everything, "", "Berkeley photos", *photos, "", "samples", *samples]))
    print(f"\n{n_images} images ({n_photos} Berkeley photos), {elapsed:.0f} s with {args.workers} worker(s)")
    if args.doc:
        write_doc(Path(args.doc), args, everything, photos, samples, n_images, n_photos, elapsed, run.stdout)
    return 0 if run.returncode == 0 else 1


def summary_only(stdout: str) -> str:
    """The end of noc's stdout from its ``N of M image(s) scored`` line: the per-method summary, not each image."""
    lines = stdout.strip().splitlines()
    start = next((i for i, line in enumerate(lines) if " image(s) scored" in line), 0)
    return "\n".join(lines[start:])


def write_doc(path: Path, args, everything, photos, samples, n_images, n_photos, elapsed, stdout) -> None:
    cmd = "PYTHONPATH=. .venv/bin/python benchmarks/bench_noc.py"
    if args.photos != 30:
        cmd += f" --photos {args.photos}"
    if args.method:
        cmd += f" -m {args.method}"
    cmd += "".join(f" -p {p}" for p in args.param)
    cmd += f" --workers {args.workers} --doc {path.as_posix()}"
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs visible, Python {platform.python_version()}"
    text = f"""# Interactive segmentation: clicks to a good mask (NoC@85/90)

Written by `benchmarks/bench_noc.py` ({time.strftime('%Y-%m-%d')}); rerun it to refresh this page:

```
{cmd}
```

## The protocol

The robot user of Xu et al. (CVPR 2016) as implemented in RITM (Sofiiuk et al. 2022), in
`segcore/scoring/interactive.py`: the first click is positive at the object pixel farthest from its
boundary (`ndimage.distance_transform_edt` on the mask padded by one pixel, so the image edge is a
boundary); each later click goes to the pixel farthest from the boundary of the current errors,
positive in a missed part of the object, negative in background taken, never twice on one pixel.
Pixels of unknown truth (128 in GrabCut-style masks) are neither errors nor counted in the IoU.
NoC@85 / NoC@90: the first click count whose IoU reaches 0.85 / 0.90, {args.max_clicks} when none
does; a failure is an image never reaching 0.90. Every method gets all {args.max_clicks} clicks (the
IoU curve needs them); a session stops only when the mask is exact, and carries 1.0 forward. A method
refusing a click (ValueError) scores an empty mask for it. The same figures for any folder:

```
python -m segcore noc IMAGES --ground-truth MASKS -m grabcut,random_walker --max-clicks 20 --csv noc.csv
```

## The development set

{n_images} images, one object each, written as PNG by the benchmark (never stored in the repository):
the shipped samples with a ground truth (coffee: cup, saucer and spoon; chelsea: the cat; coins: the
largest coin; the synthetic shapes scene's largest shape, the blobs scene's largest blob, the mosaic's
largest cell) and {n_photos} Berkeley photos (BSDS500 train, ids in sorted order): of the first
person's segmentation, the largest region not touching the border (its largest connected part),
when it covers at least {MIN_SHARE:.0%} of the photo. With 20 photos these are mostly animals and things
(bears, a tiger, horses, a cheetah, an eagle, boats, a flower, a church) and a few parts of a scene
(a bed of tulips, a sign among clogs); one person's outline, to a pixel or two, not masks drawn for
interactive segmentation. With a 1 % floor instead, five regions under 4 % of the photo (small
animals with legs and fur, about 3,000 px) came in, and every method failed every one of them.

## Results

Mean IoU after 1, 2, 3, 5, 10 and 20 clicks; ms per click is the time of one answer (the method's
whole run with every click so far): the median over images of each image's median click, so that the
first call in each worker process, which also pays for imports, does not count. Run with {args.workers} Dask worker(s) on {machine};
the 2 cores were shared with other work while it ran, so the times are indicative; {elapsed:.0f} s in all.

All {n_images} images:

{chr(10).join(everything)}

The {n_photos} Berkeley photos alone:

{chr(10).join(photos)}

The shipped samples alone:

{chr(10).join(samples)}

Published NoC@90 on the 50-image GrabCut set, for comparison ({PUBLISHED}; recent click-trained
models about 1.5 to 2). Those are another image set; the figures here are measured on this one.

Methods left out: the pixel classifier (`noc` leaves it out by default) needs an example of the
background before it answers, and the robot user's first clicks are all positive (it clicks negative
only in a false region), so it would refuse every click; SAM 2.1 runs only where its weights are found.

## Reading the figures

Measured apart on 2026-12-07 (not rerun by this script), on this development set:

- IoU@2 below IoU@1 for the random walker and the seeded watershed: with no box, both take the image
  border as background only while there is no negative click. The robot's second click is often
  negative (a false region larger than any miss); from then on the border is no longer background
  and the object's seeds flood far into it (the penguin, bsds-106025: IoU 0.91 after click 1, 0.08
  after click 2, a negative click).
  Keeping the border as background whenever there is no box gave NoC@90 9.58 for the random walker
  (10.08 with the border dropped) and 8.65 for the watershed (9.35), same images, same settings.
- Objects touching the border (chelsea's cat, the mosaic's cell) are what that rule costs: the
  random walker and the watershed never reach 0.90 on the cat; GrabCut, whose background is a colour
  model rather than the border, does.
- GrabCut at the full 481 px (`-p max_side=None`) instead of its default 240 px gave NoC@90 12.5
  against 12.75 on the first eight photos (2.7 s a click against 0.4 s, at different loads of the
  shared machine): its reduced size is not what holds it back.
- Flood fill grows from the clicked colour only: on photos it rarely passes 0.6, and a negative
  click's flood can take away much of the object.

The command's own summary:

```
{summary_only(stdout)}
```
"""
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
