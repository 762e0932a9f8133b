"""Mask R-CNN frames per second on a CUDA GPU, v1 and v2: torchvision's plain call and the page's path.

Usage::

    .venv/bin/python benchmarks/gpu_maskrcnn.py [--frames 30] [--warmup 5] [--variants v1 v2]

Random weights (``weights=None, weights_backbone=None``: nothing to download)
are fine for timing: on the test photo they still give many detections, so
the mask head and the mask pasting run as with real weights.

Two rows per variant:

- ``torchvision``: the article's comparison. The model as torchvision builds
  it, called on a real photo (scikit-image's coffee) at 1067 x 800, which its
  transform keeps at that size (min_size 800, max_size 1333); torchvision's
  own score threshold (0.05) and full-image mask pasting.
- ``segcore``: what the Mask R-CNN page runs. The same random weights saved to
  a file and loaded by ``segcore.methods.maskrcnn.model.load_model`` (batch norms
  folded, weights channels-last), then ``predict`` at the page's defaults
  (score 0.5, mask 0.5, 100 instances, min_size 800) on the photo at the
  page's default working size, 1600 x 1200, ending with the label maps and
  COCO run-length encodings on the CPU. ``segcore, contiguous`` is the same
  with the weights put back in PyTorch's default layout, to show which layout
  suits the GPU.

Each row: warm-up frames, then ``--frames`` single-image calls in
``torch.inference_mode()``, each ended by ``torch.cuda.synchronize()``; prints
the median and mean frames per second, instances found and the GPU's peak memory.

Without a CUDA GPU it prints ``no GPU: skipped`` and exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUILDERS = {"v1": "maskrcnn_resnet50_fpn", "v2": "maskrcnn_resnet50_fpn_v2"}


def _time(call, frames: int, warmup: int, sync) -> tuple[list[float], float, object]:
    """Run ``call`` ``warmup`` times, then ``frames`` timed times; return (per-call s, total s, last output)."""
    out = None
    for _ in range(warmup):
        out = call()
    sync()
    times = []
    t_all = time.perf_counter()
    for _ in range(frames):
        t0 = time.perf_counter()
        out = call()
        sync()
        times.append(time.perf_counter() - t0)
    return times, time.perf_counter() - t_all, out


def _stages(model, image, frames: int, min_size: int, torch) -> None:
    """Print the page path's two halves: the forward pass, and the masks' paste into label maps and RLE.

    The second half is timed twice: with the 28 x 28 masks left on the GPU
    (what ``predict`` does) and with them moved to the CPU first.
    """
    from segcore.methods.maskrcnn import model as M

    heads, tr = model.roi_heads, model.transform
    saved = heads.score_thresh, tr.min_size, tr.max_size
    heads.score_thresh, tr.min_size, tr.max_size = 0.5, (min_size,), round(min_size * M.MAX_SIZE_RATIO)
    try:
        with torch.inference_mode():
            fwd, _, raw = _time(lambda: M.run_model(model, image), frames, 2, torch.cuda.synchronize)
    finally:
        heads.score_thresh, tr.min_size, tr.max_size = saved
    kw = dict(image_shape=image.shape[:2], categories=model.segcore["categories"], score_threshold=0.5)
    on_gpu = {k: v if k == "mask_probs" else v.cpu() for k, v in raw.items()}
    on_cpu = {k: v.cpu() for k, v in raw.items()}
    gpu, _, seg = _time(lambda: M.detections_to_segmentation(on_gpu, **kw), frames, 2, torch.cuda.synchronize)
    cpu, _, _ = _time(lambda: M.detections_to_segmentation(on_cpu, **kw), frames, 2, torch.cuda.synchronize)
    med = statistics.median
    print(f"{'':8} stages: forward {1000 * med(fwd):.1f} ms; masks to label maps and RLE "
          f"({len(seg.extras['instances'])} instances): {1000 * med(gpu):.1f} ms pasted on the GPU, "
          f"{1000 * med(cpu):.1f} ms on the CPU", flush=True)


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

    import torchvision

    from benchmarks.common import photo
    from segcore.methods.maskrcnn import model as M
    from segcore.methods.maskrcnn import weights as W

    dev = torch.device("cuda")
    w = round(args.min_size * 4 / 3)
    x = torch.from_numpy(photo(w, args.min_size).copy()).permute(2, 0, 1).float().div(255.0).to(dev)
    page_image = photo(1600, 1200)
    print(f"GPU: {torch.cuda.get_device_name(dev)}; torch {torch.__version__}, torchvision {torchvision.__version__}; "
          f"min_size {args.min_size}; random weights; {args.frames} frames after {args.warmup} warm-up")
    print(f"{'variant':8} {'path':22} {'input':>11} {'fps (median)':>13} {'fps (mean)':>11} {'ms/frame':>9} "
          f"{'instances':>10} {'peak GPU MB':>12}")

    def row(variant, path, size, call):
        torch.cuda.reset_peak_memory_stats(dev)
        with torch.inference_mode():
            times, total, out = _time(call, args.frames, args.warmup, torch.cuda.synchronize)
        n = len(out.extras["instances"]) if hasattr(out, "extras") else int(out["boxes"].shape[0])
        med = statistics.median(times)
        peak = torch.cuda.max_memory_allocated(dev) / 1024 / 1024
        print(f"{variant:8} {path:22} {size:>11} {1 / med:13.1f} {args.frames / total:11.1f} {1000 * med:9.1f} "
              f"{n:10d} {peak:12.0f}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants:
            torch.manual_seed(0)
            plain = M.build_model(variant, min_size=args.min_size, rpn_pre_nms_top_n_test=1000,
                                  rpn_post_nms_top_n_test=1000).eval()  # torchvision's own defaults
            file = Path(tmp) / f"{variant}.pth"
            torch.save(plain.state_dict(), file)
            plain.to(dev)
            row(variant, "torchvision", f"{w} x {args.min_size}", lambda m=plain: m([x])[0])
            del plain
            torch.cuda.empty_cache()

            os.environ[W.ENV_WEIGHTS] = str(file)
            model = M.load_model(variant, "cuda")
            page = dict(score_threshold=0.5, mask_threshold=0.5, max_instances=100, min_size=args.min_size)
            row(variant, "segcore (page)", "1600 x 1200", lambda m=model, kw=page: M.predict(m, page_image, **kw))
            _stages(model, page_image, args.frames, args.min_size, torch)
            model.to(memory_format=torch.contiguous_format)
            row(variant, "segcore, contiguous", "1600 x 1200", lambda m=model, kw=page: M.predict(m, page_image, **kw))
            del model
            torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
