"""Every speed and memory measurement of the dashboard, as one table.

Usage::

    .venv/bin/python benchmarks/run.py                   # everything, N = 5
    .venv/bin/python benchmarks/run.py --quick           # N = 2, fewer cases: well under a minute
                                                         # (no Mask R-CNN inference unless --only maskrcnn)
    .venv/bin/python benchmarks/run.py --only methods    # or regions, app, compare, load, batch, maskrcnn, prompts
                                                         # (repeatable)
    .venv/bin/python benchmarks/run.py --out docs/benchmarks.md

Sections:

methods   every registered classic method at the 1600 px working size, against
          the article's loops, scikit-learn's full k-means fit and OpenCV
          (benchmarks/bench_methods.py);
regions   the region methods at 1600 px: each one's time with its default size,
          at full size, and the largest size under 1 s (benchmarks/bench_regions.py);
app       the real server in Chromium: first paint, control re-render, server
          memory (benchmarks/bench_app.py);
compare   the compare page in Chromium with every classic method: first render
          of a 1600 x 1200 upload, re-render after one k-means control, server
          memory (benchmarks/bench_compare.py);
load      many visitors at once: 8 browser sessions on one server, each uploading
          its own image through the thresholding, Mask R-CNN (shapes model) and
          compare pages, checked for errors and cross-talk; server memory per wave
          (peak, held, settled) over three waves and while six more waves of new
          images fill the caches, then 16 sessions on a fresh server for the
          Community Cloud budget (those two not with --quick)
          (benchmarks/bench_load.py);
batch     the command line's folder mode on 200 synthetic images with ground truth,
          in one process and on a two-worker Dask LocalCluster
          (benchmarks/bench_batch.py);
maskrcnn  Mask R-CNN v1 on the CPU: inference, loading, memory, in a child
          process (benchmarks/bench_maskrcnn.py). GPU frames per second:
          benchmarks/gpu_maskrcnn.py;
prompts   the prompt methods: each classic one (flood, seeded watershed, random
          walker, GrabCut, pixel classifier) answering a box and clicks, clicks
          alone or scribbles on a 1600 x 1200 photo, target 500 ms an answer
          (benchmarks/bench_prompts.py); SAM 2.1 tiny with random weights on the
          CPU: the embedding once per image, then each later click, target 0.3 s
          (benchmarks/bench_sam2.py; 1 image of 3 later clicks with --quick, else
          3 of 8; a skipped row without torch and transformers). On a GPU:
          benchmarks/gpu_sam2.py.

Times are medians of N runs after a warm-up (the article's pure-Python loops
and the full k-means fit have nothing to warm and run without one). The exit
status is 0 even when a target is missed: these are measurements, not tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a file, Python puts benchmarks/ first on the path: put the repository there
# instead, so `benchmarks.*` and `segcore` import and no module here shadows another.
if sys.path and Path(sys.path[0] or ".").resolve() == REPO / "benchmarks":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import PHOTO_SOURCE, Row, fmt_ms, machine_info, versions  # noqa: E402

SECTIONS = ("methods", "regions", "app", "compare", "load", "batch", "maskrcnn", "prompts")
TITLES = {
    "methods": "Classic methods (in process)",
    "regions": "Region methods (in process, 1600 x 1200)",
    "app": "The app in a browser (Streamlit server + Chromium)",
    "compare": "The compare page in a browser (every classic method, 1600 x 1200 uploads)",
    "load": "Many visitors at once (browser sessions on one server: errors, cross-talk, memory)",
    "batch": "Batch scoring from the command line (200 images, one process against two Dask workers)",
    "maskrcnn": "Mask R-CNN on the CPU (child process)",
    "prompts": "Prompt methods: one answer at 1600 x 1200 (classic) and SAM 2.1 tiny on the CPU",
}


def _ratio(row: Row) -> str:
    r = row.ratio
    if r is None:
        return ""
    return f"{r:,.0f}x" if r >= 100 else f"{r:.1f}x" if r >= 1 else f"{r:.2f}x"


def _cells(row: Row) -> list[str]:
    return [
        row.name,
        row.size,
        fmt_ms(row.ours_ms),
        row.ref_name,
        fmt_ms(row.ref_ms),
        _ratio(row),
        row.value,
        row.target,
        row.status,
    ]


HEADER = ["benchmark", "size", "ours ms", "reference", "ref ms", "ref/ours", "other", "target", "status"]


def text_table(rows: list[Row]) -> str:
    """A plain-text table per section, each row's note on the line below it."""
    out: list[str] = []
    for section in SECTIONS:
        sec = [r for r in rows if r.section == section]
        if not sec:
            continue
        out.append(f"\n== {TITLES[section]} ==")
        cells = [HEADER] + [_cells(r) for r in sec]
        # Long reference names would stretch every line: cap the column.
        cells = [[c if i != 3 or len(c) <= 48 else c[:45] + "..." for i, c in enumerate(line)] for line in cells]
        widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
        right = {2, 4, 5}
        for j, line in enumerate(cells):
            out.append("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))).rstrip())
            if j == 0:
                out.append("  ".join("-" * w for w in widths))
            elif sec[j - 1].note:
                out.append("      " + sec[j - 1].note)
    return "\n".join(out)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(rows: list[Row], *, command: str, info: dict, vers: dict, elapsed_s: float, n: int, quick: bool,
             mrcnn_n: int) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Speed and memory of the dashboard, measured by `benchmarks/run.py` (regenerate with the command below).",
        "",
        f"- **Command:** `{command}`",
        f"- **Date:** {info['date']}; the run took {elapsed_s:.0f} s",
        f"- **Machine:** {info['cpu']}; {info['cores']} cores; {info['memory']} memory; {info['os']}; "
        f"Python {info['python']}",
        f"- **Load average at the start (1 / 5 / 15 min):** {info['load']}"
        + (f"; at the end: {info['load_end']}" if info.get("load_end") else "")
        + " (above the core count, the machine was shared and the times are inflated)",
        "- **Versions:** " + ", ".join(f"{k} {v}" for k, v in vers.items()),
        f"- **Runs:** median of {n} after a warm-up{' (--quick)' if quick else ''}; Mask R-CNN: median of "
        f"{mrcnn_n}. Test photo: {PHOTO_SOURCE}.",
        "- **ref/ours:** the reference's time over ours (above 1: ours is faster). **status:** ok (target met), "
        "FAIL (target missed), measured (no target), skipped or error.",
        "",
    ]
    for section in SECTIONS:
        sec = [r for r in rows if r.section == section]
        if not sec:
            continue
        lines += [f"## {TITLES[section]}", ""]
        lines.append("| " + " | ".join(HEADER + ["notes"]) + " |")
        lines.append("|" + "|".join(["---"] * (len(HEADER) + 1)) + "|")
        for r in sec:
            cells = [_md(c) for c in _cells(r)] + [_md(r.note)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    fails = [r for r in rows if r.status in ("FAIL", "error")]
    if fails:
        lines += ["## Targets missed and errors", ""]
        lines += [f"- **{r.section}: {_md(r.name)}** ({r.status}): {fmt_ms(r.ours_ms) + ' ms; ' if r.ours_ms else ''}"
                  f"target {_md(r.target) or 'n/a'}. {_md(r.note)}" for r in fails]
        lines.append("")
    lines += [
        "GPU frames per second (v1, v2): `.venv/bin/python benchmarks/gpu_maskrcnn.py` on a machine with CUDA "
        "(prints `no GPU: skipped` elsewhere); the last figures measured are in docs/gpu_maskrcnn.md.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Speed and memory of the segmentation dashboard, as one table.")
    ap.add_argument("--quick", action="store_true", help="N = 2 and fewer cases (well under a minute)")
    ap.add_argument("--only", action="append", choices=SECTIONS, help="run only this section (repeatable)")
    ap.add_argument("--n", type=int, help="timed runs per measurement (default 5, --quick 2)")
    ap.add_argument("--out", help="also write the table as Markdown to this file (e.g. docs/benchmarks.md)")
    ap.add_argument("--json", help="also write the rows as JSON to this file")
    args = ap.parse_args(argv)

    n = args.n or (2 if args.quick else 5)
    mrcnn_n = 1 if args.quick else min(n, 3)  # a CPU inference takes seconds
    sections = args.only or list(SECTIONS)
    command = "python benchmarks/run.py" + (" " + " ".join(sys.argv[1:]) if argv is None and sys.argv[1:] else "")
    if argv is not None:
        command = "python benchmarks/run.py " + " ".join(argv)
    info = machine_info()
    print(f"{info['cpu']}; {info['cores']} cores; {info['memory']}; load {info['load']}")
    print(f"sections: {', '.join(sections)}; N = {n}{' (quick)' if args.quick else ''}")

    t_start = time.perf_counter()
    rows: list[Row] = []
    for section in sections:
        t0 = time.perf_counter()
        print(f"[{section}]", flush=True)
        log = lambda msg: print(msg, flush=True)  # noqa: E731
        try:
            if section == "methods":
                from benchmarks import bench_methods

                rows += bench_methods.run(n, quick=args.quick, log=log)
            elif section == "regions":
                from benchmarks import bench_regions

                rows += bench_regions.run(n, quick=args.quick, log=log)
            elif section == "app":
                from benchmarks import bench_app

                rows += bench_app.run(n, quick=args.quick, log=log)
            elif section == "compare":
                from benchmarks import bench_compare

                rows += bench_compare.run(n, quick=args.quick, log=log)
            elif section == "load":
                from benchmarks import bench_load

                rows += bench_load.run(n, quick=args.quick, log=log)
            elif section == "batch":
                from benchmarks import bench_batch

                rows += bench_batch.run(1, quick=args.quick, log=log)
            elif section == "maskrcnn":
                from benchmarks import bench_maskrcnn

                # --quick with other sections: import and load only; inference on its own.
                inference = not args.quick or sections == ["maskrcnn"]
                rows += bench_maskrcnn.run(mrcnn_n, quick=args.quick, log=log, inference=inference)
            elif section == "prompts":
                from benchmarks import bench_prompts, bench_sam2

                rows += bench_prompts.run(n, quick=args.quick, log=log)
                rows += bench_sam2.run(n, quick=args.quick, log=lambda msg: log("  " + msg))
        except Exception as exc:  # noqa: BLE001 - a broken section must not lose the others
            rows.append(Row(section, f"{section} section", status="error", note=f"error: {type(exc).__name__}: {exc}"))
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    elapsed = time.perf_counter() - t_start
    info["load_end"] = machine_info()["load"]

    print(text_table(rows))
    fails = [r for r in rows if r.status == "FAIL"]
    errors = [r for r in rows if r.status == "error"]
    skips = [r for r in rows if r.status == "skipped"]
    print(f"\n{len(rows)} rows in {elapsed:.0f} s; targets missed: {len(fails)}; errors: {len(errors)}; "
          f"skipped: {len(skips)}; load average now {info['load_end']}")

    if args.out:
        out = Path(args.out)
        if not out.is_absolute():
            out = Path.cwd() / out
        out.parent.mkdir(parents=True, exist_ok=True)
        vers = versions(with_torch=True)
        out.write_text(markdown(rows, command=command, info=info, vers=vers, elapsed_s=elapsed, n=n, quick=args.quick,
                                 mrcnn_n=mrcnn_n))
        print(f"wrote {out}")
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_dict() for r in rows], indent=1, default=str))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
