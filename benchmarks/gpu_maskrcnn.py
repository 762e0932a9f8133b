"""Mask R-CNN frames per second on a CUDA GPU, v1 and v2, at min_size 800.

Usage::

    .venv/bin/python benchmarks/gpu_maskrcnn.py [--frames 30] [--warmup 5] [--variants v1 v2]

Random weights (``weights=None, weights_backbone=None``: nothing to download)
are fine for timing: on the test photo they still give about 100 detections, so
the mask head and the mask pasting run as with real weights. The input is a
real photo (scikit-image's coffee) at 1067 x 800, which torchvision's transform
keeps at that size (min_size 800, max_size 1333). Each variant: warm-up
frames, then ``--frames`` single-image forward passes in
``torch.inference_mode()``, each ended by ``torch.cuda.synchronize()``; prints
the median and mean frames per second and the GPU's peak memory.

Without a CUDA GPU it prints ``no GPU: skipped`` and exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUILDERS = {"v1": "maskrcnn_resnet50_fpn", "v2": "maskrcnn_resnet50_fpn_v2"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Mask R-CNN frames per second on a CUDA GPU")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--variants", nargs="+", default=["v1", "v2"], choices=sorted(BUILDERS))
    ap.add_argument("--min-size", type=int, default=800)
    args = ap.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("no GPU: skipped (torch is not installed)")
        return 0
    if not torch.cuda.is_available():
        print("no GPU: skipped (torch.cuda.is_available() is False)")
        return 0

    from torchvision.models import detection

    from benchmarks.common import photo

    dev = torch.device("cuda")
    w = round(args.min_size * 4 / 3)
    rgb = photo(w, args.min_size)
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float().div(255.0).to(dev)
    print(f"GPU: {torch.cuda.get_device_name(dev)}; torch {torch.__version__}; "
          f"input {w} x {args.min_size} (coffee photo), min_size {args.min_size}, random weights")
    print(f"{'variant':8} {'fps (median)':>13} {'fps (mean)':>11} {'ms/frame':>9} {'detections':>11} {'peak GPU MB':>12}")
    for variant in args.variants:
        torch.manual_seed(0)
        model = getattr(detection, BUILDERS[variant])(weights=None, weights_backbone=None, min_size=args.min_size)
        model.eval().to(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        with torch.inference_mode():
            out = None
            for _ in range(args.warmup):
                out = model([x])[0]
            torch.cuda.synchronize()
            times = []
            t_all = time.perf_counter()
            for _ in range(args.frames):
                t0 = time.perf_counter()
                out = model([x])[0]
                torch.cuda.synchronize()
                times.append(time.perf_counter() - t0)
            total = time.perf_counter() - t_all
        med = statistics.median(times)
        peak = torch.cuda.max_memory_allocated(dev) / 1024 / 1024
        print(f"{variant:8} {1 / med:13.1f} {args.frames / total:11.1f} {1000 * med:9.1f} "
              f"{int(out['boxes'].shape[0]):11d} {peak:12.0f}")
        del model, out
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
