"""SAM 2.1 on a CUDA GPU: the image embedding once per image, then each click (as benchmarks/bench_sam2.py on the CPU).

Usage::

    .venv/bin/python benchmarks/gpu_sam2.py [--images 5] [--clicks 20] [--checkpoint tiny|small|base-plus|large]

The same random-weight model of the real architecture, the same 1600 x 1200
photo and the same path through the registered ``sam2`` method as
bench_sam2.py, on ``cuda``, with one warm-up image first (CUDA kernels and
cuDNN choices are made on the first call). Each timed call ends with
``torch.cuda.synchronize()`` (the method copies the masks to the CPU, which
waits for the GPU anyway). Prints the medians and the GPU's peak memory.

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

from benchmarks.bench_sam2 import ENCODERS, TARGET_CLICK_S, build_checkpoint, photo  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=20, help="clicks after the first, per image")
    parser.add_argument("--checkpoint", choices=tuple(ENCODERS), default="tiny")
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print("no GPU: skipped")
        return 0
    import numpy as np

    from segcore.methods.prompts import sam2 as S
    from segcore.methods.prompts.sam2_weights import CHECKPOINTS, ENV_WEIGHTS
    from segcore.prompts import Click, Prompts

    repo = next(r for r, c in CHECKPOINTS.items() if c.size == args.checkpoint)
    print(f"{torch.cuda.get_device_name(0)}; torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / repo.rsplit("/", 1)[-1]
        n_params = build_checkpoint(args.checkpoint, folder)
        os.environ[ENV_WEIGHTS] = str(folder)
        t0 = time.perf_counter()
        S.get_predictor(repo, "cuda")
        print(f"{repo}, random weights, {n_params / 1e6:.1f} M parameters; loaded on cuda in "
              f"{time.perf_counter() - t0:.1f} s")
        rng = np.random.default_rng(0)

        def click_run(image, prompts):
            t0 = time.perf_counter()
            seg = S.sam2(image, prompts, checkpoint=repo, device="cuda")
            torch.cuda.synchronize()
            return time.perf_counter() - t0, seg

        warm = photo(0)
        click_run(warm, Prompts(clicks=(Click(800, 600),)))
        click_run(warm, Prompts(clicks=(Click(800, 600), Click(10, 10))))
        torch.cuda.reset_peak_memory_stats()
        embeds, clicks = [], []
        for i in range(args.images):
            image = photo(3 * i + 1)
            prompts = Prompts(clicks=(Click(800, 600),))
            _, seg = click_run(image, prompts)
            embeds.append(seg.extras["embed_s"])
            for _ in range(args.clicks):
                prompts = prompts.add(Click(int(rng.integers(0, 1600)), int(rng.integers(0, 1200)),
                                            positive=bool(rng.integers(0, 2))))
                dt, seg = click_run(image, prompts)
                assert seg.extras["embedding_cached"]
                clicks.append(dt)
        med = statistics.median(clicks)
        print(f"embedding once per image: median {statistics.median(embeds) * 1000:.0f} ms over {len(embeds)} images")
        print(f"a click after: median {med * 1000:.1f} ms (min {min(clicks) * 1000:.1f}, max "
              f"{max(clicks) * 1000:.1f}) over {len(clicks)} clicks; CPU target {TARGET_CLICK_S} s: "
              f"{'ok' if med <= TARGET_CLICK_S else 'FAIL'}")
        print(f"GPU peak memory {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB")
        S.clear_predictors()
    return 0


if __name__ == "__main__":
    sys.exit(main())
