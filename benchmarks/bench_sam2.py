"""SAM 2.1 on the CPU: the image embedding once per image, then the cost of each click.

Usage::

    .venv/bin/python benchmarks/bench_sam2.py [--images 3] [--clicks 8] [--checkpoint tiny] [--device cpu] [--threads N]

Meta's weights cannot be downloaded here, so the model is the real
architecture with random weights: ``Sam2Config()`` is sam2.1-hiera-tiny's
(transformers' conversion script builds tiny from the default configs;
``--checkpoint small|base-plus|large`` builds those from the same script's
values). It is saved with ``save_pretrained`` to a temporary folder and loaded
the way the dashboard loads it (``$SEGCORE_SAM2_WEIGHTS`` ->
``segcore.methods.prompts.sam2.load_predictor``). Random weights cost the same
arithmetic as trained ones: the encoder and decoder do not branch on values
(``multimask=True``, the default, skips the stability test of the one-mask output).

The photo is scikit-image's coffee resized to 1600 x 1200 (the dashboard's
default working size); each "image" is that photo shifted by a few pixels,
so it has its own bytes and its own embedding. For each image: one first click
(three candidates, the image embedded), then ``--clicks`` further clicks on the
same image (the embedding reused), each through the registered ``sam2``
method, as the page calls it. Prints per image the embedding seconds and
per click the seconds (wall, and the process's CPU time: on a shared machine
the first runs long while the second holds), with the decoder and mask
resizing apart; then medians against the target of 0.3 s a click on the CPU.

The machine may be shared: run it when it is quiet, and read the spread.
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

#: Hiera encoders of the four checkpoints (transformers' convert_sam2_to_hf.get_config); tiny is the default.
ENCODERS = {
    "tiny": {},
    "small": dict(blocks_per_stage=[1, 2, 11, 2], global_attention_blocks=[7, 10, 13]),
    "base-plus": dict(hidden_size=112, embed_dim_per_stage=[112, 224, 448, 896],
                      num_attention_heads_per_stage=[2, 4, 8, 16], blocks_per_stage=[2, 3, 16, 3],
                      global_attention_blocks=[12, 16, 20], window_positional_embedding_background_size=[14, 14]),
    "large": dict(hidden_size=144, embed_dim_per_stage=[144, 288, 576, 1152],
                  num_attention_heads_per_stage=[2, 4, 8, 16], blocks_per_stage=[2, 6, 36, 4],
                  global_attention_blocks=[23, 33, 43], window_size_per_stage=[8, 4, 16, 8]),
}
TARGET_CLICK_S = 0.3


def build_checkpoint(size: str, folder: Path) -> int:
    """Save a random-weight SAM 2.1 ``size`` model and its processor into ``folder``; return its parameter count."""
    import torch
    from transformers import (
        Sam2Config,
        Sam2HieraDetConfig,
        Sam2ImageProcessor,
        Sam2Model,
        Sam2Processor,
        Sam2VisionConfig,
    )

    torch.manual_seed(0)
    backbone = Sam2HieraDetConfig(**ENCODERS[size])
    channels = list(reversed(backbone.embed_dim_per_stage))
    model = Sam2Model(Sam2Config(vision_config=Sam2VisionConfig(backbone_config=backbone,
                                                                 backbone_channel_list=channels)))
    model.save_pretrained(folder)
    Sam2Processor(image_processor=Sam2ImageProcessor()).save_pretrained(folder)
    return sum(p.numel() for p in model.parameters())


def photo(shift: int):
    """scikit-image's coffee at 1600 x 1200, rolled ``shift`` pixels to the right (new bytes, same content)."""
    import cv2
    import numpy as np
    from skimage import data

    img = cv2.resize(data.coffee(), (1600, 1200), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(np.roll(img, shift, axis=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--clicks", type=int, default=8, help="clicks after the first, per image")
    parser.add_argument("--checkpoint", choices=tuple(ENCODERS), default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    args = parser.parse_args(argv)

    import numpy as np

    from segcore.methods.prompts import sam2 as S
    from segcore.methods.prompts.sam2_weights import CHECKPOINTS, ENV_WEIGHTS
    from segcore.prompts import Click, Prompts

    t0 = time.perf_counter()
    import torch
    import transformers  # noqa: F401

    if args.threads:
        torch.set_num_threads(args.threads)

    print(f"import torch + transformers: {time.perf_counter() - t0:.1f} s; torch threads {torch.get_num_threads()}")
    repo = next(r for r, c in CHECKPOINTS.items() if c.size == args.checkpoint)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / repo.rsplit("/", 1)[-1]
        t0 = time.perf_counter()
        n_params = build_checkpoint(args.checkpoint, folder)
        size_mb = (folder / "model.safetensors").stat().st_size / 1e6
        print(f"built {repo} with random weights: {n_params / 1e6:.1f} M parameters, model.safetensors "
              f"{size_mb:.0f} MB ({time.perf_counter() - t0:.1f} s)")
        os.environ[ENV_WEIGHTS] = str(folder)
        t0 = time.perf_counter()
        predictor = S.get_predictor(repo, args.device)
        print(f"load_predictor ({predictor.source}) on {predictor.device}: {time.perf_counter() - t0:.1f} s")

        rng = np.random.default_rng(0)
        embeds, clicks, decodes, click_cpus = [], [], [], []
        for i in range(args.images):
            image = photo(3 * i + 1)
            h, w = image.shape[:2]
            prompts = Prompts(clicks=(Click(w // 2, h // 2),))
            t0, c0 = time.perf_counter(), time.process_time()
            seg = S.sam2(image, prompts, checkpoint=repo, device=args.device)
            first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
            embeds.append(seg.extras["embed_s"])
            print(f"image {i + 1}: first click {first:.2f} s (CPU time {first_cpu:.2f} s) = embedding "
                  f"{seg.extras['embed_s']:.2f} s + decoder and masks {seg.extras['decode_s']:.3f} s (3 candidates)")
            times, cpus = [], []
            for _ in range(args.clicks):
                x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
                prompts = prompts.add(Click(x, y, positive=bool(rng.integers(0, 2))))
                t0, c0 = time.perf_counter(), time.process_time()
                seg = S.sam2(image, prompts, checkpoint=repo, device=args.device)
                times.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
                decodes.append(seg.extras["decode_s"])
                assert seg.extras["embedding_cached"]
            clicks += times
            click_cpus += cpus
            print(f"  {args.clicks} later clicks (2 to {args.clicks + 1} points), s: "
                  + " ".join(f"{t:.3f}" for t in times) + "; CPU time: " + " ".join(f"{t:.3f}" for t in cpus))
        print(f"\nembedding once per image: median {statistics.median(embeds):.2f} s "
              f"(min {min(embeds):.2f}, max {max(embeds):.2f}) over {len(embeds)} images")
        med = statistics.median(clicks)
        print(f"a click after: median {med:.3f} s (min {min(clicks):.3f}, max {max(clicks):.3f}) over {len(clicks)}"
              f" clicks, of which decoder and mask resizing {statistics.median(decodes):.3f} s; "
              f"target <= {TARGET_CLICK_S} s: {'ok' if med <= TARGET_CLICK_S else 'FAIL'}; CPU time a click "
              f"median {statistics.median(click_cpus):.3f} s (all threads)")
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores: "
              "above the core count, other work shares them and wall times run long")
        print(f"embedded {predictor.embeddings_computed} times for {len(embeds) * (args.clicks + 1)} clicks")
        S.clear_predictors()
    return 0


if __name__ == "__main__":
    sys.exit(main())
