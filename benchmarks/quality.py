"""Every method's scores on the shipped ground-truth samples, as docs/quality.md.

Usage::

    .venv/bin/python benchmarks/quality.py                 # print the tables
    .venv/bin/python benchmarks/quality.py --out docs/quality.md

Writing ``--out`` keeps the file's section written by ``benchmarks/bsds_defaults.py`` (the
defaults chosen on BSDS500, between its HTML comment markers) after the new tables.

Each method runs with its page's defaults (segcore.spec) on each sample
that ships a ground truth, at the sample's own size, and is scored by
segcore.scoring.metrics, the same formulas as the compare page and the CLI:

* every sample: the partition scores (VoI, PRI, ARI) against the ground truth
  read as a partition (a binary mask is a two-region partition: object and
  background), which penalise both splitting and merging;
* binary and instance samples: IoU and boundary F1 of the method's own
  foreground where it has one (a one-threshold result's label 1, Mask R-CNN's
  instances), else of the labels the ground truth picks by the majority rule:
  an oracle score, marked *, which favours methods with many small regions
  (they can assemble any shape), so the region count is listed beside it;
* the best of each column in bold by the compare page's rule
  (segcore.scoring.ranking): never an oracle score, and for the partition
  scores only among results with half to twice the truth's region count;
* Mask R-CNN: the small shapes model (shipped) on the shapes sample, with its
  COCO AP; the COCO models need weights that this machine cannot download.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == REPO / "benchmarks":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

FAMILY_NAMES = {"threshold": "thresholds", "edges": "edges", "clustering": "clustering", "regions": "regions",
                "maskrcnn": "Mask R-CNN"}


def _cases(sample: str) -> list[tuple[str, dict]]:
    from segcore.registry import compare_methods, get_method

    cases = [(m, get_method(m).settings) for m in compare_methods() if m != "maskrcnn"]
    if sample == "shapes":
        # as the compare page runs it: the small model at its own training size (min_size None)
        cases.append(("maskrcnn", {**get_method("maskrcnn").settings, "variant": "shapes", "min_size": None}))
    return cases


def _partition(sample: str) -> np.ndarray:
    """The sample's ground truth read as a partition: a binary mask is two regions, object and background."""
    from segcore.io.samples import sample_ground_truth

    gt = sample_ground_truth(sample)
    return gt.maps[0] if gt.kind != "binary" else (gt.maps[0] > 0).astype(np.int32)


def score_sample(sample: str, log=print) -> list[dict]:
    """One row per method on ``sample``: family, regions, time, and the scores that apply."""
    from segcore.io.loading import load_image
    from segcore.io.samples import sample_bytes, sample_ground_truth
    from segcore.registry import get_method
    from segcore.scoring import metrics

    image = load_image(sample_bytes(sample), name=f"{sample}.png", max_side=None)
    gt = sample_ground_truth(sample)
    partition = _partition(sample)
    rows = []
    for method, params in _cases(sample):
        spec = get_method(method)
        try:
            seg = spec.run(image.rgb, **params)
        except (ValueError, RuntimeError, OSError) as exc:  # a method that refuses this image: say why
            rows.append({"method": method, "title": spec.title, "family": spec.family, "error": str(exc)})
            continue
        row = {"method": method, "title": spec.title, "family": spec.family, "regions": seg.n_labels,
               "ms": seg.elapsed_s * 1000, **metrics.label_scores(seg.labels, [partition])}
        if gt.kind in ("binary", "instances"):
            full = metrics.score(seg, gt)
            row.update(iou=full["iou"], boundary_f1=full["boundary_f1"], ap=full["ap"], oracle=full["oracle"])
        rows.append(row)
    log(f"  {sample}: {len(rows)} methods")
    return rows


def _f(value, digits: int = 3) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def sample_table(sample: str, kind: str, rows: list[dict]) -> list[str]:
    cols = [("VoI (bits)", "voi", False), ("PRI", "pri", True), ("ARI", "ari", True)]
    if kind in ("binary", "instances"):
        cols += [("IoU", "iou", True), ("Boundary F1", "boundary_f1", True)]
    if any(not math.isnan(r.get("ap", math.nan)) for r in rows if "error" not in r):
        cols.append(("AP", "ap", True))
    from segcore.scoring.ranking import BINARY_KEYS, best_rows, region_range

    ok = sorted((r for r in rows if "error" not in r), key=lambda r: -r["ari"])
    regions = region_range([_partition(sample)])
    best = {key: set(best_rows(key, [{**r, "n_labels": r["regions"]} for r in ok], regions)) for _, key, _ in cols}
    lines = ["| method | family | regions | ms | " + " | ".join(c[0] for c in cols) + " |",
             "|---|---|---:|---:|" + "---:|" * len(cols)]
    for i, r in enumerate(ok):
        cells = []
        for _, key, _ in cols:
            text = _f(r.get(key)) + (" *" if key in BINARY_KEYS and r.get("oracle") == 1.0 else "")
            cells.append(f"**{text}**" if i in best[key] else text)
        lines.append(f"| {r['title']} | {FAMILY_NAMES[r['family']]} | {r['regions']:,} | {r['ms']:.0f} | "
                     + " | ".join(cells) + " |")
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['title']} | {FAMILY_NAMES[r['family']]} | – | – | refused: {r['error']} |"
                         + " |" * (len(cols) - 1))
    return lines


def family_summary(results: dict[str, tuple[str, list[dict]]]) -> list[str]:
    """Per sample: each family's best ARI (and its method), the winner in bold."""
    families = [f for f in FAMILY_NAMES if any(r["family"] == f for _, rows in results.values() for r in rows)]
    lines = ["| sample (ground truth) | " + " | ".join(FAMILY_NAMES[f] for f in families) + " |",
             "|---|" + "---|" * len(families)]
    for sample, (kind, rows) in results.items():
        best = {}
        for f in families:
            ok = [r for r in rows if r["family"] == f and "error" not in r]
            if ok:
                best[f] = max(ok, key=lambda r: r["ari"])
        top = max(b["ari"] for b in best.values())
        cells = []
        for f in families:
            if f not in best:
                cells.append("–")
                continue
            text = f"{best[f]['ari']:.2f} ({best[f]['method']})"
            cells.append(f"**{text}**" if best[f]["ari"] == top else text)
        lines.append(f"| {sample} ({kind}) | " + " | ".join(cells) + " |")
    return lines


def markdown(results: dict[str, tuple[str, list[dict]]], versions: dict[str, str]) -> str:
    from segcore.io.samples import SAMPLES

    lines = [
        "# Quality on the shipped ground truth",
        "",
        "Every method with its page's default settings, scored against the ground truth of each sample "
        "that ships one, by `segcore.scoring.metrics` (the compare page's and the CLI's formulas). Regenerate with "
        "`.venv/bin/python benchmarks/quality.py --out docs/quality.md` (deterministic: every method is "
        "seeded; times vary with the machine).",
        "",
        "- **VoI, PRI, ARI** compare the label map with the ground truth read as a partition (a binary mask "
        "is two regions, object and background). They penalise splitting as well as merging; ARI is "
        "corrected for chance (0: no better than random, 1: identical). Rows are sorted by ARI.",
        "- **IoU and boundary F1** (binary and instance samples) score the method's own foreground where it has "
        "one (a one-threshold result's label 1, Mask R-CNN's instances), else the labels the ground truth picks "
        "by the majority rule (a label is foreground when most of its pixels are): an oracle score, marked *, "
        "which favours methods with many small regions (they can assemble any shape), so read them with the "
        "region count.",
        "- **Bold**: each column's best by the compare page's rule: never an oracle score, and for VoI, PRI and "
        "ARI only among results with half to twice as many labels as the ground truth has regions (VoI favours "
        "few regions, PRI many).",
        "- **AP**: COCO mask AP (0.50:0.95) of Mask R-CNN's instances: the small shapes model on the shapes "
        "sample. The COCO models need their weights, which this machine cannot download.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        "",
        "## Which family wins where (best ARI per family, and the method)",
        "",
        *family_summary(results),
        "",
    ]
    for sample, (kind, rows) in results.items():
        lines += [f"## {SAMPLES[sample].title}: {SAMPLES[sample].description}", "",
                  *sample_table(sample, kind, rows), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import BSDS_SECTION, block_body, replace_block, versions
    from segcore.io.samples import SAMPLES, sample_ground_truth

    ap = argparse.ArgumentParser(description="Every method's scores on the shipped ground-truth samples.")
    ap.add_argument("--out", help="write the tables as Markdown to this file (e.g. docs/quality.md)")
    args = ap.parse_args(argv)
    results = {}
    for name in SAMPLES:
        gt = sample_ground_truth(name)
        if gt is not None:
            results[name] = (gt.kind, score_sample(name))
    text = markdown(results, versions(with_torch=True))
    print(text)
    if args.out:
        out = Path(args.out)
        kept = block_body(out.read_text(), BSDS_SECTION) if out.exists() else None
        Path(args.out).write_text(text if kept is None else replace_block(text, BSDS_SECTION, kept))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
