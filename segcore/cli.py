"""Command line: run any method on image files or folders without the UI.

    python -m segcore PATH [PATH ...] --method otsu --out results/
    python -m segcore photos/ --method kmeans -p k=8 -p color_space=lab
    python -m segcore weights status | weights download --variant v1

Writes, per image, ``<stem>_<method>_labels.png`` (16-bit, value = label) and
``<stem>_<method>_overlay.png``. Exits 0 when every image worked, 2 on a usage
or input error, and says what went wrong on stderr.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import Any, Sequence

from segcore.loading import DEFAULT_MAX_SIDE, UPLOAD_TYPES, ImageLoadError, load_image
from segcore.registry import get_method, list_methods
from segcore.render import label_png, overlay, rgb_png

IMAGE_SUFFIXES = {f".{t}" for t in UPLOAD_TYPES}


def _methods_help() -> str:
    lines = ["methods (name: defaults):"]
    for spec in list_methods():
        defaults = ", ".join(f"{k}={v!r}" for k, v in spec.defaults.items()) or "no parameters"
        lines.append(f"  {spec.name:<20} [{spec.family}] {spec.title}; {defaults}")
    return "\n".join(lines)


def parse_param(text: str) -> tuple[str, Any]:
    """Parse ``key=value``; the value as a Python literal when it is one, else a string."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"parameter {text!r} is not key=value")
    key, raw = text.split("=", 1)
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return key.strip(), value


def collect_images(paths: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Expand folders to their image files (sorted); return (files, problems)."""
    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                problems.append(f"{p}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in this folder")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            problems.append(f"{p}: no such file or folder")
    return files, problems


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m segcore",
        description="Segment image files or folders with any method of the dashboard.",
        epilog=_methods_help()
        + "\n\nweights: 'python -m segcore weights status' or 'weights download --variant v1|v2' "
        "manage Mask R-CNN weights.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files and/or folders of images")
    parser.add_argument("-m", "--method", default="otsu", help="method name (see below); default otsu")
    parser.add_argument(
        "-p", "--param", action="append", default=[], type=parse_param, metavar="KEY=VALUE",
        help="a method parameter, repeatable, e.g. -p k=8 -p color_space=lab",
    )
    parser.add_argument("-o", "--out", default="segcore_out", help="output folder (created); default segcore_out")
    parser.add_argument(
        "--max-side", type=int, default=DEFAULT_MAX_SIDE,
        help=f"cap on the long side in pixels, 0 for full resolution; default {DEFAULT_MAX_SIDE}",
    )
    parser.add_argument("--alpha", type=float, default=0.5, help="overlay opacity 0..1; default 0.5")
    return parser


def run(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        spec = get_method(args.method)
    except KeyError as exc:
        parser.error(str(exc.args[0]))
    params = dict(args.param)
    unknown = set(params) - set(spec.defaults)
    if unknown:
        parser.error(f"{spec.name} has no parameter(s) {sorted(unknown)}; it takes {spec.defaults or 'none'}")
    files, problems = collect_images(args.paths)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failures = len(problems)
    for path in files:
        try:
            image = load_image(path.read_bytes(), max_side=args.max_side or None, name=path.name)
            seg = spec.run(image.rgb, **params)
        except (ImageLoadError, ValueError, OSError, RuntimeError) as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            failures += 1
            continue
        stem = f"{path.stem}_{spec.name}"
        (out / f"{stem}_labels.png").write_bytes(label_png(seg.labels))
        picture = overlay(image.rgb, seg, alpha=args.alpha, skip_zero=spec.family == "maskrcnn")
        (out / f"{stem}_overlay.png").write_bytes(rgb_png(picture))
        print(
            f"{path}: {seg.n_labels} labels, {image.size[0]}x{image.size[1]} px, "
            f"{seg.elapsed_s * 1000:.0f} ms -> {out / (stem + '_labels.png')}"
        )
    if failures:
        print(f"{failures} problem(s); see the messages above.", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "weights":
        from segcore.maskrcnn.weights_cli import main as weights_main  # noqa: PLC0415 - torch-free until used

        return weights_main(argv[1:])
    return run(argv)
