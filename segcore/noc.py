"""``python -m segcore noc``: promptable methods scored by the robot user, NoC@85/90 per image and method.

    python -m segcore noc photos/ --ground-truth masks/ -m grabcut,random_walker --csv noc.csv

Each image is matched with its object mask by file stem, as ``--ground-truth`` does for the
folder mode (:func:`segcore.batch.match_ground_truth`), and read with
:func:`segcore.io.ground_truth.load_object_mask` (GrabCut style: 255 object, 0 background, 128
unknown; or a binary mask; or a label map whose non-zero labels are the object). The robot user
of :mod:`segcore.scoring.interactive` then clicks up to ``--max-clicks`` times per method; the
CSV has one row per image and method (NoC@85, NoC@90, the IoU after each click, the ms per
click, the clicks themselves), and the run ends with each method's means. Images run here or
on Dask exactly as the folder mode's (:func:`segcore.batch.map_images`, ``--workers``,
``--scheduler``). Exits 0 when every image worked, 2 on a usage or input error.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segcore.batch import ImageTask, MethodRun, Rows, error_rows, params_json
from segcore.prompts import Prompts
from segcore.registry import MethodSpec, list_methods

#: The CSV's columns before the per-click ones (``error`` comes last, as in the scores CSV).
LEAD_COLUMNS = ("image", "method", "params", "width", "height", "ground_truth")
#: Prompt methods left out of the default set, and why: the robot user's clicks cannot start them.
NOT_FROM_CLICKS = {
    "pixel_classifier": "it needs an example of the background from the start (a negative click or scribble, or a "
    "box), and the robot user's first clicks are all positive (it clicks negative only on a false region), so it "
    "would refuse every click",
}


@dataclass(frozen=True)
class NocSettings:
    """What a worker needs besides the file paths (small, picklable).

    Attributes
    ----------
    methods : tuple of MethodRun
        Prompt-family methods, in the order their rows appear.
    max_clicks : int
        Clicks the robot user plays per image and method.
    max_side : int or None
        Cap on the working image's long side (None: full resolution); the mask follows it.
    ground_truth : str
        The ``--ground-truth`` argument as given, for messages.
    """

    methods: tuple[MethodRun, ...]
    max_clicks: int = 20
    max_side: int | None = None
    ground_truth: str = ""


def click_columns(max_clicks: int) -> list[str]:
    """The columns after :data:`LEAD_COLUMNS`: ``noc85, noc90, iou_1 .. iou_N, ms_per_click, clicks, refused, note``."""
    return ["noc85", "noc90", *(f"iou_{k}" for k in range(1, max_clicks + 1)), "ms_per_click", "clicks",
            "refused", "note"]


def noc_image(task: ImageTask, settings: NocSettings) -> Rows:
    """Play the robot user against every method on one image file; one row per method.

    Returns
    -------
    list of dict
        Keyed by :data:`LEAD_COLUMNS`, :func:`click_columns` and ``error`` (empty when it worked);
        ``trace`` holds the :class:`~segcore.scoring.interactive.ClickTrace` (not a CSV column).
        A file that cannot be read, a missing or bad mask, or a method that fails give rows with
        the message in ``error``, never an exception: one bad file stops nothing else.
    """
    from segcore.batch import _message
    from segcore.io.ground_truth import fit_object_mask, load_object_mask
    from segcore.io.loading import load_image
    from segcore.registry import get_method
    from segcore.scoring.interactive import simulate

    path = Path(task.path)
    if not task.ground_truth:
        return error_rows(task.label, settings, f"no object mask in {settings.ground_truth} for {path.name}: "
                                                f"expected {path.stem}.<ext> there (ext: an image type or npy)")
    if len(task.ground_truth) > 1:
        names = ", ".join(Path(p).name for p in task.ground_truth)
        return error_rows(task.label, settings, f"{len(task.ground_truth)} masks for {path.name} ({names}): "
                                                "noc scores one object per image; keep one file per stem")
    mask_path = Path(task.ground_truth[0])
    try:
        image = load_image(path.read_bytes(), max_side=settings.max_side, name=path.name)
    except Exception as exc:  # noqa: BLE001 - reported in the rows
        return error_rows(task.label, settings, _message(exc))
    try:
        truth, ignore = load_object_mask(mask_path.read_bytes(), name=mask_path.name)
        truth, ignore = fit_object_mask(truth, ignore, original_size=image.original_size, working_size=image.size)
    except Exception as exc:  # noqa: BLE001 - reported in the rows
        return error_rows(task.label, settings, f"object mask {mask_path}: {_message(exc)}")
    if not truth.any():
        return error_rows(task.label, settings, f"object mask {mask_path}: no object pixel left at the working size")

    rows: Rows = []
    for run in settings.methods:
        row: dict[str, Any] = {"image": task.label, "method": run.name, "params": params_json(run.params),
                               "width": image.size[0], "height": image.size[1], "ground_truth": mask_path.name,
                               "error": ""}
        rows.append(row)
        used: dict[str, Any] = {}
        try:
            answer = _answer(get_method(run.name), image.rgb, run.params, used)
            trace = simulate(answer, truth, ignore=ignore, max_clicks=settings.max_clicks)
        except Exception as exc:  # noqa: BLE001 - reported in the row
            row["error"] = _message(exc)
            continue
        row.update(trace=trace, noc85=trace.noc(0.85), noc90=trace.noc(0.90),
                   ms_per_click=round(float(trace.ms_per_click), 3),
                   clicks=Prompts(trace.clicks).to_text().get("clicks", ""),  # a link's text: "x,y+.x,y-"
                   refused="; ".join(trace.errors), note=used.get("note") or "")
        row.update({f"iou_{k}": round(float(v), 6) for k, v in enumerate(trace.ious, start=1)})
        if "params" in used:
            row["params"] = params_json(used["params"])
    return rows


def _answer(spec: MethodSpec, rgb, params: dict[str, Any], used: dict[str, Any]):
    """``answer(prompts) -> mask`` for :func:`~segcore.scoring.interactive.simulate`: ``spec`` run on ``rgb``.

    The mask is the result's label 1 (the object). ``used`` receives the settings the method
    recorded (``params``) and its first note (a crop, a reduced size) for the CSV.
    """

    def answer(prompts):
        seg = spec.run(rgb, prompts, **params)
        used["params"] = seg.params
        used.setdefault("note", (seg.extras or {}).get("note"))
        return seg.labels == 1

    return answer


# --------------------------------------------------------------------------- choosing methods


def _weights_check(spec: MethodSpec) -> Callable[..., bool] | None:
    """The ``weights_found`` function of ``spec``'s module or of its ``<module>_weights`` companion; None if neither.

    A prompt method that needs downloaded weights (SAM 2.1: ``segcore.methods.prompts.sam2`` and
    ``sam2_weights``) says whether they are here with such a function; one without needs nothing.
    """
    for name in (spec.func.__module__, f"{spec.func.__module__}_weights"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found = getattr(module, "weights_found", None)
        if callable(found):
            return found
    return None


def unavailable(spec: MethodSpec, params: Mapping[str, Any] | None = None) -> str | None:
    """Why ``spec`` cannot run here (None: it can): its ``weights_found()`` says its weights are missing.

    ``params`` (the ``-p`` settings) are passed on where that function takes them (SAM's
    ``checkpoint``), so the check is for the weights the run would load. Nothing is downloaded.
    """
    found = _weights_check(spec)
    if found is None:
        return None
    accepted = inspect.signature(found).parameters
    if not found(**{k: v for k, v in (params or {}).items() if k in accepted}):
        return f"{spec.name}: its weights are not found on this machine (see 'python -m segcore weights')"
    return None


def default_methods() -> tuple[list[MethodSpec], list[str]]:
    """Every registered prompt method that can run here from clicks; and a note per one left out."""
    chosen, notes = [], []
    for spec in list_methods("prompts"):
        why = unavailable(spec)
        if why is None and spec.name in NOT_FROM_CLICKS:
            why = f"{spec.name}: {NOT_FROM_CLICKS[spec.name]}"
        if why is None:
            chosen.append(spec)
        else:
            notes.append(f"left out {why}")
    return chosen, notes


# --------------------------------------------------------------------------- the command


def build_parser() -> argparse.ArgumentParser:
    from segcore.cli import parse_param, whole_number
    from segcore.io.loading import DEFAULT_MAX_SIDE

    parser = argparse.ArgumentParser(
        prog="python -m segcore noc",
        description="Score promptable methods with the robot user of interactive segmentation (Xu et al. 2016, "
        "RITM): clicks at the centre of the largest error, NoC@85/90 = the clicks needed to reach IoU 0.85/0.90.",
        epilog="object masks: photos/cat.jpg is matched with GT/cat.<ext> (an image type or .npy): 255 object, "
        "0 background, 128 unknown (GrabCut style), or a binary mask (larger value = object), or a label map "
        "(non-zero = object).\n\nprompt methods: " + ", ".join(s.name for s in list_methods("prompts")),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="IMAGES", help="image files and/or folders of images")
    parser.add_argument("--ground-truth", required=True, metavar="PATH",
                        help="the object masks: a folder matched by file stem, or one file for one image")
    parser.add_argument("-m", "--method", action="append", metavar="NAME[,NAME...]",
                        help="prompt method(s), comma-separated and/or repeated; default: every one that can "
                        "run here from clicks")
    parser.add_argument("-p", "--param", action="append", default=[], type=parse_param,
                        metavar="[METHOD.]KEY=VALUE", help="a method parameter, repeatable (as the folder mode's)")
    parser.add_argument("--max-clicks", type=whole_number(1), default=20, metavar="N",
                        help="clicks per image and method; default 20 (NoC counts N when never reached)")
    parser.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE,
                        help=f"cap on the long side in pixels, 0 for full resolution; default {DEFAULT_MAX_SIDE}")
    parser.add_argument("--csv", metavar="CSV", help="write one row per image and method here")
    par = parser.add_argument_group("parallel work")
    par.add_argument("--workers", type=whole_number(0), metavar="N",
                     help="Dask worker processes on this machine, 0 to run in this process (as the folder mode)")
    par.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask scheduler")
    return parser


def _chosen(parser: argparse.ArgumentParser, values: Sequence[str] | None) -> tuple[list[MethodSpec], list[str]]:
    """The ``-m`` methods (each a prompt method), or the default set (those that can run here); parser.error
    otherwise. Whether a named method's weights are here is checked with its settings, by :func:`run`."""
    from segcore.cli import UsageError, parse_methods

    if not values:
        specs, notes = default_methods()
        if not specs:
            parser.error("no prompt method can run here; " + "; ".join(notes or ["none is registered"]))
        return specs, notes
    try:
        specs = parse_methods(values)
    except UsageError as exc:
        parser.error(str(exc))
    prompts = [s.name for s in list_methods("prompts")]
    for spec in specs:
        if not spec.prompted:
            parser.error(f"{spec.name} is not a prompt method (it takes no clicks); choose from {', '.join(prompts)}")
    return specs, []


def summary_lines(rows: Rows, max_clicks: int) -> list[str]:
    """Per method: images, mean NoC@85 and NoC@90, failures (never IoU 0.90) and median ms per click, aligned."""
    from segcore.scoring.interactive import summarize

    table = [("method", "images", "NoC@85", "NoC@90", "failures", "ms/click")]  # ms: the median (ClickTrace)
    for method in dict.fromkeys(r["method"] for r in rows):
        traces = [r["trace"] for r in rows if r["method"] == method and "trace" in r]
        if traces:
            s = summarize(traces)
            ms = "" if math.isnan(s.ms_per_click) else f"{s.ms_per_click:.1f}"
            table.append((method, str(s.images), f"{s.noc85:.2f}", f"{s.noc90:.2f}", str(s.failures), ms))
    if len(table) == 1:
        return []
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    table.insert(1, tuple("-" * w for w in widths))
    head = (f"summary: mean clicks to reach IoU 0.85 / 0.90 ({max_clicks} when never); "
            "failures: images never reaching 0.90; ms/click: median")
    return [head] + ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
                     for line in table]


def run(argv: Sequence[str]) -> int:
    from segcore import batch
    from segcore.cli import UsageError, _workers, collect_images, map_reporting, route_params

    parser = build_parser()
    args = parser.parse_args(argv)
    specs, notes = _chosen(parser, args.method)
    try:
        params = route_params(args.param, specs)
    except UsageError as exc:
        parser.error(str(exc))
    if args.method:
        for spec in specs:
            why = unavailable(spec, params[spec.name])
            if why:
                parser.error(why)
    files, problems = collect_images(args.paths)
    gt_path = Path(args.ground_truth)
    if gt_path.is_dir():
        ground_truth = batch.match_ground_truth(files, gt_path)
    elif gt_path.is_file():
        if len(files) > 1:
            parser.error(f"--ground-truth {gt_path} is one file but there are {len(files)} images; "
                         "give a folder whose masks are named by image stem (cat.png for cat.jpg)")
        ground_truth = {f: [gt_path] for f in files}
    else:
        parser.error(f"--ground-truth {gt_path}: no such file or folder")
    if files and not any(ground_truth.get(f) for f in files):
        parser.error(f"--ground-truth {gt_path}: no object mask matches any image by stem "
                     f"(for {files[0].name}, expected {files[0].stem}.<ext> there)")
    if args.csv:
        try:
            Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
            with open(args.csv, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            parser.error(f"--csv {args.csv}: cannot write this file ({exc.strerror or exc}); choose another path")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)

    settings = NocSettings(tuple(MethodRun(s.name, params[s.name]) for s in specs), args.max_clicks,
                           args.max_side or None, args.ground_truth)
    tasks = [ImageTask(os.path.abspath(f), str(f), tuple(os.path.abspath(g) for g in ground_truth.get(f, ())))
             for f in files]

    def show(i: int, rows: Rows, echo: Callable) -> None:
        scored = [f"{r['method']} NoC@90 {r['noc90']}" for r in rows if "trace" in r]
        if scored:
            echo(f"{tasks[i].label}: " + ", ".join(scored))

    finished, failures, interrupted = map_reporting(tasks, settings, workers=_workers(args, len(tasks)),
                                                    scheduler=args.scheduler, show=show, work=noc_image)
    failures += len(problems)
    rows = [row for i in sorted(finished) for row in finished[i]]
    if args.csv:
        kept = f" (interrupted: {len(finished)} of {len(tasks)} images)" if interrupted else ""
        try:
            batch.write_csv(args.csv, rows, click_columns(args.max_clicks), lead=LEAD_COLUMNS)
            print(f"rows: {len(rows)} -> {args.csv}{kept}")
        except OSError as exc:  # it could be written at the start; the summary below still shows the means
            print(f"error: cannot write --csv {args.csv} ({exc.strerror or exc})", file=sys.stderr)
            failures += 1
    if interrupted:
        print(f"interrupted after {len(finished)} of {len(tasks)} images.", file=sys.stderr)
        return 130
    lines = summary_lines(rows, args.max_clicks)
    if lines:
        scored = len({r["image"] for r in rows if "trace" in r})
        print(f"\n{scored} of {len(tasks)} image(s) scored, {args.max_clicks} clicks each")
        print("\n".join(lines))
    if failures:
        print(f"{failures} problem(s); see the messages above.", file=sys.stderr)
        return 2
    return 0
