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

:func:`run` measures and returns two rows of benchmarks/run.py's ``prompts``
section (the embedding; a later click, against the target), and
``benchmarks/run.py --only prompts`` puts them in the table (1 image of 3
later clicks with ``--quick``, else 3 of 8); :func:`main` prints from them.
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

from benchmarks.common import Row, check, errored, skipped  # noqa: E402

SECTION = "prompts"
SIZE = "1600 x 1200"

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


def run(n: int = 0, quick: bool = False, log=print, *, images: int | None = None, clicks: int | None = None,
        checkpoint: str = "tiny", device: str = "cpu", threads: int = 0) -> list[Row]:
    """Two rows of benchmarks/run.py's ``prompts`` section: the embedding, and a later click (target 0.3 s).

    ``images`` images of ``clicks`` later clicks each (default 3 and 8, this
    script's defaults; with ``quick`` 1 and 3). ``n`` is not used: the counts
    are images and clicks. Says what it does through ``log`` as it goes (one
    line per image). Without torch or transformers (or a transformers without
    SAM 2): one ``skipped`` row; an error on the way: one ``error`` row.
    """
    images = images if images is not None else (1 if quick else 3)
    clicks = clicks if clicks is not None else (3 if quick else 8)
    label = f"SAM 2.1 {checkpoint}"
    t0 = time.perf_counter()
    try:
        import torch
        import transformers  # noqa: F401
        from transformers import Sam2Model  # noqa: F401 - SAM 2 came with transformers 4.56
    except (ImportError, OSError) as exc:
        return [skipped(SECTION, label, f"torch and transformers with Sam2Model are needed: "
                        f"{type(exc).__name__}: {exc}", SIZE)]
    log(f"import torch + transformers: {time.perf_counter() - t0:.1f} s; torch threads "
        f"{threads or torch.get_num_threads()}")
    try:
        return _measure(log, images=images, clicks=clicks, checkpoint=checkpoint, device=device, threads=threads)
    except Exception as exc:  # noqa: BLE001 - the classic rows of the section must survive
        return [errored(SECTION, label, exc, SIZE)]


def _measure(log, *, images: int, clicks: int, checkpoint: str, device: str, threads: int) -> list[Row]:
    import numpy as np
    import torch
    from transformers.utils import logging as hf_logging

    from segcore.methods.prompts import sam2 as S
    from segcore.methods.prompts.sam2_weights import CHECKPOINTS, ENV_WEIGHTS
    from segcore.prompts import Click, Prompts

    repo = next(r for r, c in CHECKPOINTS.items() if c.size == checkpoint)
    label = f"SAM 2.1 {checkpoint}"
    threads_before, env_before = torch.get_num_threads(), os.environ.get(ENV_WEIGHTS)
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # "Writing model shards", "Loading weights": noise in a table's log
    if threads:
        torch.set_num_threads(threads)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / repo.rsplit("/", 1)[-1]
            t0 = time.perf_counter()
            n_params = build_checkpoint(checkpoint, folder)
            size_mb = (folder / "model.safetensors").stat().st_size / 1e6
            log(f"built {repo} with random weights: {n_params / 1e6:.1f} M parameters, model.safetensors "
                f"{size_mb:.0f} MB ({time.perf_counter() - t0:.1f} s)")
            os.environ[ENV_WEIGHTS] = str(folder)
            t0 = time.perf_counter()
            predictor = S.get_predictor(repo, device)
            load_s = time.perf_counter() - t0
            log(f"load_predictor ({predictor.source}) on {predictor.device}: {load_s:.1f} s")

            rng = np.random.default_rng(0)
            embeds, firsts, first_cpus, times, decodes, cpus = [], [], [], [], [], []
            for i in range(images):
                image = photo(3 * i + 1)
                h, w = image.shape[:2]
                prompts = Prompts(clicks=(Click(w // 2, h // 2),))
                t0, c0 = time.perf_counter(), time.process_time()
                seg = S.sam2(image, prompts, checkpoint=repo, device=device)
                firsts.append(time.perf_counter() - t0)
                first_cpus.append(time.process_time() - c0)
                embeds.append(seg.extras["embed_s"])
                log(f"image {i + 1}: first click {firsts[-1]:.2f} s (CPU time {first_cpus[-1]:.2f} s) = embedding "
                    f"{seg.extras['embed_s']:.2f} s + decoder and masks {seg.extras['decode_s']:.3f} s (3 candidates)")
                these, these_cpu = [], []
                for _ in range(clicks):
                    x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
                    prompts = prompts.add(Click(x, y, positive=bool(rng.integers(0, 2))))
                    t0, c0 = time.perf_counter(), time.process_time()
                    seg = S.sam2(image, prompts, checkpoint=repo, device=device)
                    these.append(time.perf_counter() - t0)
                    these_cpu.append(time.process_time() - c0)
                    decodes.append(seg.extras["decode_s"])
                    if not seg.extras["embedding_cached"]:
                        raise RuntimeError(f"image {i + 1} was embedded again for a later click")
                times += these
                cpus += these_cpu
                log(f"  {clicks} later clicks (2 to {clicks + 1} points), s: " + " ".join(f"{t:.3f}" for t in these)
                    + "; CPU time: " + " ".join(f"{t:.3f}" for t in these_cpu))
            embedded = predictor.embeddings_computed
    finally:
        S.clear_predictors()
        if env_before is None:
            os.environ.pop(ENV_WEIGHTS, None)
        else:
            os.environ[ENV_WEIGHTS] = env_before
        torch.set_num_threads(threads_before)
        if bars:
            hf_logging.enable_progress_bar()

    setup = (f"random weights ({n_params / 1e6:.1f} M parameters) loaded as the app loads them in {load_s:.1f} s; "
             f"torch threads {threads or threads_before}; device {device}")
    rows: list[Row] = []
    if embeds:
        med = statistics.median(embeds)
        rows.append(Row(
            SECTION, f"{label}: embedding (once per image)", size=SIZE, ours_ms=med * 1000, status="measured",
            note=(f"{len(embeds)} images, runs {min(embeds) * 1000:,.0f}-{max(embeds) * 1000:,.0f} ms; "
                  if len(embeds) > 1 else "1 image; ")
            + f"the first click in all (embedding + 3 candidate masks) {statistics.median(firsts):.2f} s, its CPU "
            f"time {statistics.median(first_cpus):.2f} s (all threads); {setup}",
            extra={"kind": "embedding", "embed_s": embeds, "first_s": firsts, "first_cpu_s": first_cpus,
                   "embedded": embedded, "calls": len(embeds) * (clicks + 1), "checkpoint": checkpoint,
                   "parameters": n_params, "load_s": load_s},
        ))
    if times:
        med, dec, cpu = statistics.median(times), statistics.median(decodes), statistics.median(cpus)
        rows.append(Row(
            SECTION, f"{label}: a later click (image embedded)", size=SIZE, ours_ms=med * 1000,
            value=f"decoder {dec / med:.0%}", target=f"<= {TARGET_CLICK_S} s", status=check(med <= TARGET_CLICK_S),
            note=f"{len(times)} clicks on {len(embeds)} image{'s' if len(embeds) > 1 else ''} "
            f"(2 to {clicks + 1} points), runs {min(times) * 1000:,.0f}-{max(times) * 1000:,.0f} ms; "
            f"decoder and mask resizing {dec:.3f} s ({dec / med:.0%} of a click); CPU time {cpu:.3f} s (all threads)",
            extra={"kind": "click", "click_s": times, "decode_s": decodes, "cpu_s": cpus, "checkpoint": checkpoint},
        ))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--clicks", type=int, default=8, help="clicks after the first, per image")
    parser.add_argument("--checkpoint", choices=tuple(ENCODERS), default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    args = parser.parse_args(argv)

    rows = run(images=args.images, clicks=args.clicks, checkpoint=args.checkpoint, device=args.device,
               threads=args.threads, log=print)
    by_kind = {r.extra.get("kind"): r for r in rows}
    if not by_kind.keys() & {"embedding", "click"}:
        for r in rows:
            print(f"{r.name}: {r.note}")
        return 0
    if "embedding" in by_kind:
        embeds = by_kind["embedding"].extra["embed_s"]
        print(f"\nembedding once per image: median {statistics.median(embeds):.2f} s "
              f"(min {min(embeds):.2f}, max {max(embeds):.2f}) over {len(embeds)} images")
    if "click" in by_kind:
        row = by_kind["click"]
        clicks = row.extra["click_s"]
        decode = statistics.median(row.extra["decode_s"])
        print(f"a click after: median {row.ours_ms / 1000:.3f} s (min {min(clicks):.3f}, max {max(clicks):.3f}) over "
              f"{len(clicks)} clicks, of which decoder and mask resizing {decode:.3f} s; target <= {TARGET_CLICK_S} s: "
              f"{row.status}; CPU time a click median {statistics.median(row.extra['cpu_s']):.3f} s (all threads)")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores: "
          "above the core count, other work shares them and wall times run long")
    if "embedding" in by_kind:
        e = by_kind["embedding"].extra
        print(f"embedded {e['embedded']} times for {e['calls']} clicks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
