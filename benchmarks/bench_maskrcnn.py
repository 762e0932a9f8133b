"""Mask R-CNN on the CPU: inference, loading, memory. Runs in a child process.

``run()`` (called by benchmarks/run.py) starts ``python -m benchmarks.bench_maskrcnn``
so that torch stays out of the other sections' process and this process's peak
memory (VmHWM) is the Mask R-CNN's alone. The child, with random weights
(``maskrcnn_resnet50_fpn(weights=None, weights_backbone=None)``; nothing to
download), on the 1600 x 1200 photo the other sections use:

* ``import torch, torchvision``;
* v1 inference at min_size 800: torchvision's plain call, ``model([x])`` in
  ``torch.inference_mode()``, against the page's path,
  ``segcore.methods.maskrcnn.predict(load_model("v1", "cpu", path=...), rgb)`` with its
  defaults (score 0.5 inside the model, RPN top-n 500, masks pasted one patch
  at a time); with the peak RSS of each phase (VmHWM reset through
  /proc/self/clear_refs);
* random weights still give detections (about 100 above torchvision's 0.05 and
  some 50 above the page's 0.5 on the photo), so masks are computed and pasted:
  the timings include the mask head. A further row runs the page's path at
  torchvision's thresholds, to separate what the thresholds save from what the
  path saves;
* loading v1 from a local state-dict file: torchvision's way (build, then
  ``torch.load(weights_only=True)`` + ``load_state_dict``) against
  ``segcore.methods.maskrcnn.load_model(path=...)``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (
    REPO,
    Row,
    check,
    errored,
    mb,
    photo,
    proc_status,
    size_str,
    skipped,
)

SECTION = "maskrcnn"
#: The issue's targets: v1 at the page's defaults, and loading from a local file after the import.
TARGET_PAGE_S = 2.0
TARGET_LOAD_S = 3.0
#: The issue's figure for torchvision's plain v1 call on this machine: the 2.0 s target is against it.
ISSUE_PLAIN_S = 3.8
MIN_SIZE = 800


def _stage_times(model, call) -> dict[str, float]:
    """Milliseconds spent in the model's main stages during ``call()`` (forward hooks)."""
    stages = {
        "backbone": model.backbone.body,
        "FPN": model.backbone.fpn,
        "RPN": model.rpn,
        "box head": model.roi_heads.box_head,
        "mask head": model.roi_heads.mask_head,
        "mask predictor": model.roi_heads.mask_predictor,
    }
    spent = dict.fromkeys(stages, 0.0)
    handles = []
    for name, mod in stages.items():
        def pre(_m, _i, name=name):
            spent[name] -= time.perf_counter()

        def post(_m, _i, _o, name=name):
            spent[name] += time.perf_counter()

        handles += [mod.register_forward_pre_hook(pre), mod.register_forward_hook(post)]
    try:
        call()
    finally:
        for h in handles:
            h.remove()
    return {k: v * 1000 for k, v in spent.items()}


def _rss_kb() -> int:
    return proc_status().get("VmRSS", 0)


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def _peak_kb() -> int:
    return proc_status().get("VmHWM", 0)


def _timed(fn, n: int, warmup: int):
    """(median ms, runs, last result, peak RSS kB during the timed runs, RSS before kB)."""
    out = None
    for _ in range(warmup):
        out = fn()
    before = _rss_kb()
    _reset_peak()
    runs = []
    for _ in range(max(1, n)):
        t0 = time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs), runs, out, _peak_kb(), before


NO_INFERENCE = ("not run by --quick with other sections (a CPU inference takes seconds); "
                "run `benchmarks/run.py --quick --only maskrcnn` or without --quick")


def child(n: int, quick: bool, inference: bool = True) -> list[Row]:
    rows: list[Row] = []
    t0 = time.perf_counter()
    import torch
    import torchvision
    from torchvision.models.detection import maskrcnn_resnet50_fpn

    import_ms = (time.perf_counter() - t0) * 1000
    rows.append(Row(SECTION, "import torch, torchvision", ours_ms=import_ms, value=f"RSS {mb(_rss_kb())}",
                    note=f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
                    f"{torch.get_num_threads()} threads"))

    rgb = photo(1600, 1200)
    size = size_str(rgb)
    torch.manual_seed(0)
    t = time.perf_counter()
    plain = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None).eval()
    build_ms = (time.perf_counter() - t) * 1000
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float().div(255.0)

    def plain_call(model=plain):
        with torch.inference_mode():
            return model([x])[0]

    # 1. torchvision's plain call (min_size 800 is its default).
    if not inference:
        rows.append(skipped(SECTION, "v1 inference: torchvision plain call", NO_INFERENCE, size))
        plain_ms = n_det = None
    else:
        med, runs, out, peak, before = _timed(plain_call, n, warmup=0 if quick else 1)
        n_det = int(out["boxes"].shape[0])
        rows.append(Row(
            SECTION, "v1 inference: torchvision plain call", size=size, ours_ms=med,
            value=f"peak RSS {mb(peak)}",
            note=f"model([x]) at min_size 800 (input 1067 x 800), random weights, {n_det} detections; "
            f"runs {min(runs):,.0f}-{max(runs):,.0f} ms{' (quick: no warm-up)' if quick else ''}; "
            f"+{mb(peak - before)} over the {mb(before)} before",
            extra={"runs_ms": runs, "detections": n_det, "peak_kb": peak},
        ))
        plain_ms = med

    # A state-dict file of this model, for the load timings and the page's loader.
    tmp = Path(tempfile.mkdtemp(prefix="segbench-mrcnn-"))
    weights = tmp / "maskrcnn_resnet50_fpn_random.pth"
    torch.save(plain.state_dict(), weights)
    size_mb = weights.stat().st_size / 1024 / 1024

    try:
        from segcore.methods.maskrcnn import model as segmodel
    except Exception as exc:  # noqa: BLE001 - not written yet, or broken
        segmodel = None
        rows.append(skipped(SECTION, "v1 inference: page defaults (segcore.methods.maskrcnn.predict)",
                            f"segcore.methods.maskrcnn.model is not available yet ({exc})", size))

    page_model = None
    if segmodel is not None:
        # 2. loading from the file: the page's loader.
        try:
            def seg_load():
                return segmodel.load_model("v1", "cpu", path=weights, allow_download=False)

            med_l, runs_l, page_model, _, _ = _timed(seg_load, 1 if quick else max(1, n - 1), warmup=0)
            rows.append(Row(
                SECTION, "v1 load from a local state-dict file: segcore load_model", ours_ms=med_l,
                ref_name="torchvision: build + torch.load(weights_only) + load_state_dict",
                target=f"<= {TARGET_LOAD_S:.0f} s", status=check(med_l <= TARGET_LOAD_S * 1000),
                note=f"{size_mb:.0f} MB file (in the page cache); build on the meta device, assign the file's "
                "tensors, fold batch norms, channels-last",
            ))
            seg_load_row = rows[-1]
        except Exception as exc:  # noqa: BLE001
            seg_load_row = None
            rows.append(errored(SECTION, "v1 load: segcore load_model", exc))
    else:
        seg_load_row = None

    def tv_load():  # torchvision's way: random init, then the file's tensors over it
        m = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None)
        m.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        return m.eval()

    med_tl = None
    if not quick or seg_load_row is None:
        med_tl, _, _, _, _ = _timed(tv_load, max(1, n - 1), warmup=0)
    if seg_load_row is not None:
        seg_load_row.ref_ms = med_tl
        if med_tl is None:
            seg_load_row.ref_name = ""
            seg_load_row.note += " (quick: torchvision's load not timed)"
    else:
        rows.append(Row(SECTION, "v1 load from a local state-dict file: torchvision", ours_ms=med_tl,
                        note=f"{size_mb:.0f} MB file; build (random init {build_ms:,.0f} ms) + torch.load + load_state_dict"))

    # 3. the page's path with its defaults.
    if page_model is not None and not inference:
        rows.append(skipped(SECTION, "v1 inference: page defaults (segcore predict)", NO_INFERENCE, size))
    elif page_model is not None:
        try:
            med_p, runs_p, seg, peak_p, before_p = _timed(
                lambda: segmodel.predict(page_model, rgb), n, warmup=0)
            rows.append(Row(
                SECTION, "v1 inference: page defaults (segcore predict)", size=size, ours_ms=med_p,
                ref_name="torchvision plain call", ref_ms=plain_ms, value=f"peak RSS {mb(peak_p)}",
                target=f"<= {TARGET_PAGE_S:.1f} s", status=check(med_p <= TARGET_PAGE_S * 1000),
                note=f"score 0.5 inside the model, RPN top-n 500, min_size 800; {len(seg.extras.get('instances', []))} "
                f"instances; runs {min(runs_p):,.0f}-{max(runs_p):,.0f} ms; +{mb(peak_p - before_p)} over {mb(before_p)}",
                extra={"runs_ms": runs_p},
            ))
            if plain_ms:
                # The machine's speed drifts (the plain call has measured 3.8 to 8 s here), so the
                # target is also checked as what it means against the issue's own reference: the page
                # path at least 3.8 / 2.0 = 1.9 x faster than the plain call, both timed in this run.
                scaled = med_p * ISSUE_PLAIN_S * 1000 / plain_ms
                rows.append(Row(
                    SECTION, "v1 page defaults at the issue's machine speed", size=size, ours_ms=scaled,
                    ref_name="torchvision plain call, as the issue measured it", ref_ms=ISSUE_PLAIN_S * 1000,
                    value=f"{plain_ms / med_p:.2f}x the plain call",
                    target=f"<= {TARGET_PAGE_S:.1f} s (>= {ISSUE_PLAIN_S / TARGET_PAGE_S:.2f}x the plain call)",
                    status=check(scaled <= TARGET_PAGE_S * 1000),
                    note=f"ours {med_p:,.0f} ms x {ISSUE_PLAIN_S:.1f} s / the plain call's {plain_ms:,.0f} ms "
                    "in this run: the time the page path would take where the plain call takes the issue's 3.8 s",
                ))
            stages = _stage_times(page_model, lambda: segmodel.predict(page_model, rgb))
            rows.append(Row(
                SECTION, "v1 page defaults: where the time goes", size=size, ours_ms=sum(stages.values()),
                value=", ".join(f"{k} {v:,.0f}" for k, v in stages.items()),
                note="ms per stage in one predict call (forward hooks); the rest of the call is resizing, "
                "box decoding and mask pasting",
            ))
        except Exception as exc:  # noqa: BLE001
            rows.append(errored(SECTION, "v1 inference: page defaults", exc, size))

    # 4. the page's code path at torchvision's own thresholds (score 0.05, 100 instances):
    # separates what the thresholds save from what the path (RPN 500, patch pasting) saves.
    if not quick and inference and page_model is not None:
        try:
            med_q, _, seg_q, peak_q, before_q = _timed(
                lambda: segmodel.predict(page_model, rgb, score_threshold=0.05, max_instances=100), 1, warmup=0)
            rows.append(Row(
                SECTION, "v1 inference: segcore predict at torchvision's score 0.05", size=size, ours_ms=med_q,
                ref_name="torchvision plain call", ref_ms=plain_ms, value=f"peak RSS {mb(peak_q)}",
                note=f"score_threshold 0.05, max_instances 100: {len(seg_q.extras.get('instances', []))} instances "
                f"(plain call: {n_det}); one run; +{mb(peak_q - before_q)} over {mb(before_q)}",
            ))
        except Exception as exc:  # noqa: BLE001
            rows.append(errored(SECTION, "v1 inference: segcore predict at score 0.05", exc, size))

    overall = max(_overall_peak[0], _peak_kb())
    rows.append(Row(SECTION, "peak RSS of the Mask R-CNN process", value=mb(overall),
                    note="VmHWM over every phase above (the import, the models, any inference)",
                    extra={"peak_kb": overall}))
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    return rows


_overall_peak = [0]


def _track_peak() -> None:
    """Wrap _reset_peak so the process-wide peak survives the per-phase resets."""
    global _reset_peak
    inner = _reset_peak

    def reset() -> bool:
        _overall_peak[0] = max(_overall_peak[0], _peak_kb())
        return inner()

    _reset_peak = reset


def run(n: int, quick: bool = False, log=print, timeout_s: float = 900, inference: bool = True) -> list[Row]:
    """Run the child process and collect its rows."""
    try:
        import importlib.util

        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("torchvision") is None:
            return [skipped(SECTION, "Mask R-CNN", "torch / torchvision are not installed")]
    except ValueError:
        pass
    out = Path(tempfile.mkstemp(prefix="segbench-mrcnn-", suffix=".json")[1])
    cmd = [sys.executable, "-m", "benchmarks.bench_maskrcnn", "--n", str(n), "--json", str(out)]
    if quick:
        cmd.append("--quick")
    if not inference:
        cmd.append("--no-inference")
    log(f"  child: {' '.join(cmd[1:])}")
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout_s)
        if proc.returncode != 0:
            return [errored(SECTION, "Mask R-CNN", f"child exited {proc.returncode}: {proc.stderr.strip()[-400:]}")]
        return [Row.from_dict(d) for d in json.loads(out.read_text())]
    except subprocess.TimeoutExpired:
        return [errored(SECTION, "Mask R-CNN", f"child did not finish in {timeout_s:.0f} s")]
    finally:
        out.unlink(missing_ok=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-inference", action="store_true", help="import and load timings only")
    ap.add_argument("--json", help="write the rows here as JSON (else print them)")
    args = ap.parse_args(argv)
    _track_peak()
    try:
        rows = child(args.n, args.quick, inference=not args.no_inference)
    except Exception as exc:  # noqa: BLE001
        rows = [errored(SECTION, "Mask R-CNN", exc)]
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_dict() for r in rows], default=str))
    else:
        for r in rows:
            print(r)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    raise SystemExit(main())
