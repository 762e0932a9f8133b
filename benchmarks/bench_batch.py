"""Throughput of the command line's folder mode, in one process and on a two-worker Dask cluster.

Usage::

    .venv/bin/python benchmarks/bench_batch.py            # 200 images, each mode once
    .venv/bin/python benchmarks/bench_batch.py --quick    # 40 images
    .venv/bin/python benchmarks/bench_batch.py --n 3      # median of 3 runs per mode

It writes a folder of synthetic 640 x 480 scenes (coloured ellipses and
rectangles on a shaded, noisy background) and their binary ground-truth masks
into a temporary folder, then runs ``python -m segcore FOLDER -m otsu,kmeans,sobel
--ground-truth GT --metrics CSV`` as a user would (a fresh process each time, so
the imports and, for Dask, the cluster start count): with ``--workers 0`` (one
image after the other in this process) and with ``--workers 2`` (a LocalCluster
of two single-threaded worker processes). Rows: wall time and images per second
of each, their ratio, what starting and closing the cluster alone costs, and
whether both scores CSVs agree on every column but ``time_ms``.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a file, Python puts benchmarks/ first on the path: put the repository there instead.
if sys.path and Path(sys.path[0] or ".").resolve() == REPO / "benchmarks":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from benchmarks.common import Row, check, errored, fmt_ms  # noqa: E402

SECTION = "batch"
SIZE = (640, 480)
METHODS = "otsu,kmeans,sobel"
N_IMAGES = 200
N_IMAGES_QUICK = 40


def scene(seed: int, width: int = SIZE[0], height: int = SIZE[1]) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic photo-like scene (RGB uint8) and its foreground mask (bool), from ``seed``.

    One to four ellipses and rectangles in saturated colours over a shaded, noisy
    background; the mask is their union.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    shade = (xx / width * rng.uniform(-40, 40) + yy / height * rng.uniform(-40, 40))[..., None]
    base = rng.uniform(30, 110, 3)
    rgb = base + shade + rng.normal(0, 10, (height, width, 3))
    mask = np.zeros((height, width), bool)
    for _ in range(int(rng.integers(1, 5))):
        cx, cy = rng.uniform(0.15, 0.85) * width, rng.uniform(0.15, 0.85) * height
        rx, ry = rng.uniform(0.05, 0.2) * width, rng.uniform(0.05, 0.2) * height
        if rng.random() < 0.5:
            shape = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1
        else:
            shape = (np.abs(xx - cx) < rx) & (np.abs(yy - cy) < ry)
        colour = rng.uniform(150, 255, 3) * rng.permutation([1.0, 0.8, 0.3])
        rgb[shape] = colour + rng.normal(0, 10, (int(shape.sum()), 3))
        mask |= shape
    return np.clip(rgb, 0, 255).astype(np.uint8), mask


def make_folder(root: Path, n: int) -> tuple[Path, Path]:
    """Write ``n`` scenes to ``root/photos/scene_XXX.png`` and masks to ``root/gt/scene_XXX.png``."""
    from PIL import Image  # noqa: PLC0415

    photos, gt = root / "photos", root / "gt"
    photos.mkdir(parents=True, exist_ok=True)
    gt.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        rgb, mask = scene(i)
        Image.fromarray(rgb).save(photos / f"scene_{i:03d}.png", compress_level=1)
        Image.fromarray((mask * 255).astype(np.uint8)).save(gt / f"scene_{i:03d}.png")
    return photos, gt


def _cli(photos: Path, gt: Path, out: Path, csv_path: Path, workers: int, timeout_s: float) -> float:
    """Run the command line once in a fresh process; return its wall time in ms (raises on failure)."""
    cmd = [sys.executable, "-m", "segcore", str(photos), "-m", METHODS, "--ground-truth", str(gt),
           "--metrics", str(csv_path), "-o", str(out), "--workers", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout_s)
    wall = (time.perf_counter() - t0) * 1000.0
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return wall


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return [{k: v for k, v in row.items() if k != "time_ms"} for row in csv.DictReader(fh)]


def cluster_start_ms(workers: int = 2) -> float:
    """Wall time to start a LocalCluster of ``workers`` processes, connect a client and close both."""
    from segcore.batch import dask_client  # noqa: PLC0415

    t0 = time.perf_counter()
    with dask_client(workers) as client:
        client.wait_for_workers(workers)
    return (time.perf_counter() - t0) * 1000.0


def run(n: int = 1, quick: bool = False, log=print, timeout_s: float = 1800) -> list[Row]:
    """The batch rows: each mode ``n`` times (median), on 200 images (40 with ``quick``)."""
    count = N_IMAGES_QUICK if quick else N_IMAGES
    size = f"{count} x {SIZE[0]} x {SIZE[1]}"
    rows: list[Row] = []
    tmp = Path(tempfile.mkdtemp(prefix="segbench-batch-"))
    try:
        log(f"  writing {count} synthetic scenes and masks ...")
        photos, gt = make_folder(tmp, count)
        walls: dict[int, list[float]] = {0: [], 2: []}
        for i in range(max(1, n)):
            for workers in (0, 2):  # alternate, so a busy spell on a shared machine hits both
                log(f"  run {i + 1}: --workers {workers} ...")
                walls[workers].append(_cli(photos, gt, tmp / f"out{workers}", tmp / f"scores{workers}.csv",
                                           workers, timeout_s))
        single, dual = statistics.median(walls[0]), statistics.median(walls[2])
        spread = lambda w: f"; runs {', '.join(fmt_ms(x) for x in w)} ms" if len(w) > 1 else ""  # noqa: E731
        cmd = f"python -m segcore FOLDER -m {METHODS} --ground-truth GT --metrics CSV"
        rows.append(Row(SECTION, "folder, --workers 0 (in process)", size=size, ours_ms=single,
                        value=f"{count / single * 1000:.1f} images/s",
                        note=f"{cmd} --workers 0; a fresh process, imports included{spread(walls[0])}"))
        rows.append(Row(SECTION, "folder, --workers 2 (LocalCluster)", size=size, ours_ms=dual,
                        ref_name="--workers 0", ref_ms=single, value=f"{count / dual * 1000:.1f} images/s",
                        target="not slower than --workers 0", status=check(dual <= single),
                        note=f"{cmd} --workers 2; cluster start included; ref/ours = the speed-up"
                             f"{spread(walls[2])}"))
        try:
            rows.append(Row(SECTION, "LocalCluster(2) start + close", ours_ms=cluster_start_ms(2),
                            note="dask_client(2): two worker processes up, a client connected, both closed"))
        except Exception as exc:  # noqa: BLE001
            rows.append(errored(SECTION, "LocalCluster(2) start + close", exc))
        a, b = _csv_rows(tmp / "scores0.csv"), _csv_rows(tmp / "scores2.csv")
        same = a == b and len(a) == count * len(METHODS.split(","))
        rows.append(Row(SECTION, "scores CSVs agree", size=f"{len(a)} rows", value=str(same).lower(),
                        target="identical but time_ms", status=check(same),
                        note="every column of every row but time_ms, --workers 0 against --workers 2"))
    except Exception as exc:  # noqa: BLE001
        rows.append(errored(SECTION, "folder mode", exc, size))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1, help="runs per mode (median); default 1")
    ap.add_argument("--quick", action="store_true", help=f"{N_IMAGES_QUICK} images instead of {N_IMAGES}")
    args = ap.parse_args(argv)
    rows = run(args.n, quick=args.quick)
    cells = [["benchmark", "size", "ms", "ref", "ref ms", "ref/ours", "other", "status"]]
    for r in rows:
        cells.append([r.name, r.size, fmt_ms(r.ours_ms), r.ref_name, fmt_ms(r.ref_ms),
                      f"{r.ratio:.2f}x" if r.ratio else "", r.value, r.status])
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    for j, line in enumerate(cells):
        print("  ".join(c.rjust(w) if i in (2, 4, 5) else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))
        elif rows[j - 1].note:
            print("      " + rows[j - 1].note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
