"""Command line: run methods on image files or folders without the UI, and score them.

    python -m segcore PATH [PATH ...] --method otsu --out results/
    python -m segcore photos/ --method kmeans -p k=8 -p color_space=lab
    python -m segcore photos/ -m otsu,kmeans,sobel -p kmeans.k=8 --ground-truth gt/ --metrics scores.csv
    python -m segcore weights status | weights download --variant v1 | weights download sam2
    python -m segcore noc photos/ --ground-truth masks/ -m grabcut --csv noc.csv   (see segcore.noc)

Writes, per image and method, ``<stem>_<method>_labels.png`` (16-bit, value =
label) and ``<stem>_<method>_overlay.png``. With ``--ground-truth`` each result
is scored (:func:`segcore.scoring.metrics.score`, as on the compare page); ``--metrics``
writes one CSV row per image and method, and a summary of the scores per method
ends the run. Several images run on a local Dask cluster (``--workers``) or an
existing scheduler (``--scheduler``); see :mod:`segcore.batch`. Exits 0 when
every image worked, 2 on a usage or input error (a bad file, a missing ground
truth), and says what went wrong on stderr.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from segcore.io.loading import DEFAULT_MAX_SIDE, UPLOAD_TYPES
from segcore.registry import MethodSpec, get_method, list_methods

IMAGE_SUFFIXES = {f".{t}" for t in UPLOAD_TYPES}
#: With no --workers, a folder of at least this many images runs on a local Dask cluster
#: (starting one costs a few seconds, more than a handful of images take on their own).
AUTO_CLUSTER_MIN_IMAGES = 8
#: Ground-truth kinds ``--gt-kind`` accepts (segcore.io.ground_truth.KINDS and "auto").
GT_KINDS = ("auto", "binary", "labels", "instances")


class UsageError(ValueError):
    """A command line that cannot run; ``str()`` says why (shown by ``parser.error``)."""


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


def parse_methods(values: Sequence[str] | None) -> list[MethodSpec]:
    """The ``-m`` values (comma-separated and/or repeated) as specs, in order, each once.

    Returns ``[otsu]`` when none is given; raises :class:`UsageError` for an unknown name.
    """
    names = [n.strip() for v in (values or ["otsu"]) for n in v.split(",") if n.strip()]
    if not names:
        raise UsageError("-m/--method names no method; give one or more, e.g. -m otsu,kmeans")
    specs: list[MethodSpec] = []
    for name in dict.fromkeys(names):
        try:
            specs.append(get_method(name))
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
    return specs


def _no_such(spec: MethodSpec, names: list[str]) -> UsageError:
    return UsageError(f"{spec.name} has no parameter(s) {names}; it takes {spec.defaults or 'none'}")


def route_params(pairs: Sequence[tuple[str, Any]], specs: Sequence[MethodSpec]) -> dict[str, dict[str, Any]]:
    """Give each chosen method the ``-p`` parameters meant for it.

    ``key=value`` goes to every chosen method that has ``key``; ``method.key=value`` to
    that method only, and wins over a plain ``key`` whatever the order on the line.

    Returns
    -------
    dict
        Method name -> its parameters (every chosen method present, maybe with none).

    Raises
    ------
    UsageError
        For a parameter no chosen method takes, or ``method.key`` naming a method not
        chosen or a parameter it lacks; the message lists what each method takes.
    """
    chosen = {s.name: s for s in specs}
    plain: dict[str, Any] = {}
    scoped: dict[str, dict[str, Any]] = {name: {} for name in chosen}
    for key, value in pairs:
        if "." in key:
            method, _, name = key.partition(".")
            if method not in chosen:
                raise UsageError(
                    f"-p {key}: {method!r} is not one of the chosen methods ({', '.join(chosen)}); "
                    f"add it with -m or drop the parameter"
                )
            if name not in chosen[method].defaults:
                raise _no_such(chosen[method], [name])
            scoped[method][name] = value
        else:
            plain[key] = value
    unknown = sorted(k for k in plain if not any(k in s.defaults for s in specs))
    if unknown:
        if len(specs) == 1:
            raise _no_such(specs[0], unknown)
        takes = "; ".join(f"{s.name} takes {sorted(s.defaults) or 'none'}" for s in specs)
        raise UsageError(f"no chosen method has parameter(s) {unknown}: {takes}")
    return {
        name: {**{k: v for k, v in plain.items() if k in spec.defaults}, **scoped[name]}
        for name, spec in chosen.items()
    }


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


def whole_number(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``least``, refused with what to give otherwise."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is {'negative' if value < 0 else 'too small'}; "
                                             f"give {least} or more")
        return value

    return parse


_non_negative = whole_number(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m segcore",
        description="Segment image files or folders with any method of the dashboard, "
        "and score the results against ground truth.",
        epilog=_methods_help()
        + "\n\nground truth: with --ground-truth FOLDER, photos/cat.jpg is scored against FOLDER/cat.<ext> "
        "(an image type or .npy), or against several, FOLDER/cat.<anything>.<ext> (cat.1.png, cat.2.png)."
        "\n\nweights: 'python -m segcore weights status', 'weights download --variant v1|v2' (Mask R-CNN) "
        "or 'weights download sam2 [--checkpoint ...]' (SAM 2.1) manage model weights."
        "\n\ninteractive: 'python -m segcore noc IMAGES --ground-truth MASKS -m grabcut' scores prompt methods "
        "with the robot user (NoC@85/90); see 'python -m segcore noc --help'.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files and/or folders of images")
    parser.add_argument(
        "-m", "--method", action="append", metavar="NAME[,NAME...]",
        help="method name(s) (see below), comma-separated and/or repeated; default otsu",
    )
    parser.add_argument(
        "-p", "--param", action="append", default=[], type=parse_param, metavar="[METHOD.]KEY=VALUE",
        help="a method parameter, repeatable: k=8 for every chosen method that has k, kmeans.k=8 for one",
    )
    parser.add_argument("-o", "--out", default="segcore_out", help="output folder (created); default segcore_out")
    parser.add_argument(
        "--max-side", type=int, default=DEFAULT_MAX_SIDE,
        help=f"cap on the long side in pixels, 0 for full resolution; default {DEFAULT_MAX_SIDE}",
    )
    parser.add_argument("--alpha", type=float, default=0.5, help="overlay opacity 0..1; default 0.5")
    score = parser.add_argument_group("scoring")
    score.add_argument(
        "--ground-truth", metavar="PATH",
        help="ground truth to score against: a file (one input image) or a folder matched by file stem",
    )
    score.add_argument(
        "--gt-kind", choices=GT_KINDS, default="auto",
        help="how to read the ground truth: binary mask, region labels or object instances; default auto",
    )
    score.add_argument("--metrics", metavar="CSV", help="write one row per image and method, with every score, here")
    score.add_argument(
        "--tolerance", type=_non_negative, default=2, metavar="PX",
        help="boundary F1 tolerance in pixels; default 2",
    )
    par = parser.add_argument_group("parallel work")
    par.add_argument(
        "--workers", type=_non_negative, metavar="N",
        help="Dask worker processes on this machine, 0 to run in this process; default: one per usable CPU "
        f"for {AUTO_CLUSTER_MIN_IMAGES} images or more, else in this process",
    )
    par.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="run on an existing Dask scheduler (e.g. tcp://10.0.0.5:8786); its workers must see the same files",
    )
    return parser


def _workers(args: argparse.Namespace, n_images: int) -> int:
    """Worker processes for ``n_images`` (0: in this process); see ``--workers``."""
    if n_images <= 1:
        return 0
    if args.workers is not None:
        return args.workers
    from segcore.fast.parallel import cpu_budget

    n = cpu_budget()
    return n if n > 1 and n_images >= AUTO_CLUSTER_MIN_IMAGES else 0


def _score_keys(args: argparse.Namespace) -> list[str] | None:
    """The score columns (metrics.COLUMNS) when scores are asked for; None when not."""
    if not (args.metrics or args.ground_truth):
        return None
    from segcore.scoring import metrics  # only when scoring

    if args.ground_truth:
        import segcore.io.ground_truth  # noqa: F401 - fail here, not once per image

    return list(metrics.COLUMNS)


def _unwritable(out: Path, metrics: str | None) -> list[str]:
    """Why the output folder or the ``--metrics`` file cannot be written (empty: both can); creates the folder."""
    problems = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        problems.append(f"--out {out}: cannot write there ({exc.strerror or exc}); choose another folder")
    if metrics:
        target = Path(metrics)
        try:  # a folder, or a path under a file, fails here too
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "a", encoding="utf-8"):  # appends nothing: an existing file is kept as it is
                pass
        except OSError as exc:
            problems.append(f"--metrics {metrics}: cannot write this file ({exc.strerror or exc}); choose another path")
    return problems


def budget_warnings(files: Sequence[Path], settings) -> list[str]:
    """One warning per method that some image would take longer than the dashboard's time budget with.

    The command line runs exactly what was asked; the warning names the
    estimate (:func:`segcore.cost.over_budget`, on the image's working size
    read from its header) and how many images are over. Files that cannot be
    read are left to the run, which reports them.
    """
    from PIL import Image

    from segcore.cost import over_budget
    from segcore.io.loading import working_size

    shapes = []
    for f in files:
        try:
            with Image.open(f) as img:
                w, h = working_size(img.width, img.height, settings.max_side)
            shapes.append((f, (h, w)))
        except Exception:  # noqa: BLE001,S112 - the run reports the file
            continue
    warnings = []
    for run in settings.methods:
        over = [(f, text) for f, shape in shapes if (text := over_budget(run.name, shape, run.params))]
        if over:
            more = f" ({len(over) - 1} more image(s) over it too)" if len(over) > 1 else ""
            warnings.append(f"{over[0][0]}: {over[0][1]}{more}")
    return warnings


def report_errors(label: str, rows: Sequence[dict], echo: Callable) -> int:
    """Print one image's errors to stderr, each message once with the methods it hit (all: the image alone named);
    return how many messages were printed."""
    errors: dict[str, list[str]] = {}
    for row in rows:
        if row["error"]:
            errors.setdefault(row["error"], []).append(row["method"])
    for message, methods in errors.items():
        where = label if len(methods) == len(rows) else f"{label}: {', '.join(methods)}"
        echo(f"error: {where}: {message}", sys.stderr)
    return len(errors)


def map_reporting(tasks: Sequence, settings: Any, *, workers: int, scheduler: str | None,
                  show: Callable[[int, list[dict[str, Any]], Callable], None],
                  work: Callable | None = None) -> tuple[dict[int, list[dict[str, Any]]], int, bool]:
    """Run ``tasks`` through ``batch.map_images`` (``work`` per image, its default without), reporting each image
    as it finishes: ``show(i, rows, echo)`` prints what it made and :func:`report_errors` its errors, above a
    progress bar where more than one image runs or Dask does.

    Returns the rows by task index, how many error messages were printed, and whether Ctrl+C stopped the run
    (the images finished by then are kept). The folder run and ``noc`` share it.
    """
    from segcore import batch  # imports no dask

    use_dask = bool(tasks) and (workers > 0 or scheduler is not None)
    progress = batch.Progress(len(tasks)) if len(tasks) > 1 or use_dask else None
    finished: dict[int, list[dict[str, Any]]] = {}
    failures = 0

    def report(i: int, rows: list[dict[str, Any]]) -> None:
        nonlocal failures
        finished[i] = rows
        echo = progress.echo if progress is not None else lambda line, stream=None: print(line, file=stream)
        show(i, rows, echo)
        failures += report_errors(tasks[i].label, rows, echo)
        if progress is not None:
            progress.update()

    def started(line: str) -> None:
        print(line, file=sys.stderr, flush=True)
        if progress is not None:
            progress.restart_clock()

    interrupted = False
    try:
        batch.map_images(tasks, settings, workers=workers, scheduler=scheduler, on_done=report, on_start=started,
                         **({} if work is None else {"work": work}))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if progress is not None:
            progress.close()
    return finished, failures, interrupted


def run(argv: Sequence[str]) -> int:
    from segcore import batch  # imports no dask

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        specs = parse_methods(args.method)
        prompted = [s.name for s in specs if s.prompted]
        if prompted:  # they answer a user's clicks: the robot user gives them some
            raise UsageError(f"{', '.join(prompted)} answer(s) prompts (clicks, a box, scribbles), which a folder run "
                             "has none of: score them with 'python -m segcore noc IMAGES --ground-truth MASKS "
                             f"-m {','.join(prompted)}', or try them on the dashboard's Point and click page")
        params = route_params(args.param, specs)
    except UsageError as exc:
        parser.error(str(exc))
    files, problems = collect_images(args.paths)

    ground_truth: dict[Path, list[Path]] = {}
    if args.ground_truth:
        gt_path = Path(args.ground_truth)
        if gt_path.is_dir():
            ground_truth = batch.match_ground_truth(files, gt_path)
        elif gt_path.is_file():
            if len(files) > 1:
                parser.error(
                    f"--ground-truth {gt_path} is one file but there are {len(files)} images; "
                    "give a folder whose files are named by image stem (cat.png for cat.jpg)"
                )
            ground_truth = {f: [gt_path] for f in files}
        else:
            parser.error(f"--ground-truth {gt_path}: no such file or folder")
    try:
        score_keys = _score_keys(args)
    except ImportError as exc:
        print(f"error: scoring is not available here: {exc}", file=sys.stderr)
        return 2

    out = Path(args.out)
    unwritable = _unwritable(out, args.metrics)
    if unwritable:  # said before any work: none of it could be kept
        parser.error("; ".join(unwritable))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    settings = batch.BatchSettings(
        methods=tuple(batch.MethodRun(s.name, params[s.name]) for s in specs),
        out=os.path.abspath(out),
        max_side=args.max_side or None,
        alpha=args.alpha,
        ground_truth=args.ground_truth or None,
        ground_truth_kind=args.gt_kind,
        tolerance=args.tolerance,
    )
    stems = batch.output_stems(files)
    for f, stem in zip(files, stems):
        if stem != f.stem:
            print(f"note: {f} shares its name with another input; its outputs are named {stem}_<method>_...",
                  file=sys.stderr)
    for warning in budget_warnings(files, settings):
        print(f"warning: {warning}", file=sys.stderr)
    tasks = [
        batch.ImageTask(os.path.abspath(f), str(f), tuple(os.path.abspath(g) for g in ground_truth.get(f, ())), stem)
        for f, stem in zip(files, stems)
    ]
    def show(i: int, rows: list[dict[str, Any]], echo: Callable) -> None:
        for row in rows:
            if row["n_labels"] is not None:
                labels = out / f"{tasks[i].out_stem}_{row['method']}_labels.png"
                echo(f"{row['image']}: {row['n_labels']} labels, {row['width']}x{row['height']} px, "
                     f"{row['time_ms']:.0f} ms -> {labels}")

    finished, failures, interrupted = map_reporting(tasks, settings, workers=_workers(args, len(tasks)),
                                                    scheduler=args.scheduler, show=show)
    failures += len(problems)
    rows = [row for i in sorted(finished) for row in finished[i]]
    if args.metrics:
        kept = f" (interrupted: {len(finished)} of {len(tasks)} images)" if interrupted else ""
        try:
            batch.write_csv(args.metrics, rows, score_keys or [])
            print(f"scores: {len(rows)} rows -> {args.metrics}{kept}")
        except OSError as exc:  # it could be written at the start: keep the rows in the output folder
            spare = out / f"metrics-{time.strftime('%Y%m%d-%H%M%S')}.csv"
            batch.write_csv(spare, rows, score_keys or [])
            print(f"error: cannot write --metrics {args.metrics} ({exc.strerror or exc}); the {len(rows)} rows"
                  f" are in {spare}{kept}", file=sys.stderr)
            failures += 1
    if interrupted:
        print(f"interrupted after {len(finished)} of {len(tasks)} images.", file=sys.stderr)
        return 130
    if score_keys is not None or len(specs) > 1:
        table = batch.summary_table(rows, score_keys or [])
        if table:
            print(f"\nsummary over {len(finished)} image(s): mean and median per method (empty scores left out)")
            print(table)
    if failures:
        print(f"{failures} problem(s); see the messages above.", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "weights":
        # torch-free until used
        from segcore.weights_cli import main as weights_main

        return weights_main(argv[1:])
    if argv and argv[0] == "noc":
        from segcore.noc import run as noc_run

        return noc_run(argv[1:])
    return run(argv)
