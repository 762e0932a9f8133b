"""Batch work for the command line: segment, save and score image files, here or on Dask.

The unit of work is one image file: :func:`process_image` reads it (and its
ground truth) itself, runs every chosen method, writes the label and overlay
PNGs and returns one row per method. Workers therefore receive an
:class:`ImageTask` (file paths) and a small :class:`BatchSettings`, never
arrays. :func:`map_images` runs the images in this process (``workers=0``) or
on ``dask.distributed``: a ``LocalCluster`` of single-threaded worker
processes, or an existing scheduler. ``dask`` is imported only on that path,
so the plain command line and the app never load it.

The rest turns rows into what a person reads: :func:`write_csv` (the
``--metrics`` file), :func:`summary_table` (means and medians per method) and
:class:`Progress` (a progress line on stderr).
"""

from __future__ import annotations

import contextlib
import csv
import filecmp
import json
import logging
import math
import os
import re
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

#: Columns of the scores CSV before the score columns, and the last one.
LEAD_COLUMNS = ("image", "method", "params", "width", "height", "time_ms", "ground_truth", "kind")
ERROR_COLUMN = "error"
#: Environment of each LocalCluster worker process: one thread for numpy/BLAS, torch and segcore's bands.
WORKER_ENV = dict.fromkeys(
    ("SEGCORE_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "SEGCORE_TORCH_THREADS"), "1"
)
#: One image's rows, one per method.
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class MethodRun:
    """One method to run on every image: its registry name and the parameters given for it."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchSettings:
    """Everything a worker needs besides the file paths (small, picklable).

    Attributes
    ----------
    methods : tuple of MethodRun
        Methods in the order their rows appear.
    out : str or None
        Folder for ``<stem>_<method>_labels.png`` / ``_overlay.png``; None writes nothing.
    max_side : int or None
        Cap on the working image's long side (None: full resolution).
    alpha : float
        Overlay opacity.
    ground_truth : str or None
        The ``--ground-truth`` argument as given (for messages); None: no scoring.
    ground_truth_kind : str
        ``load_ground_truth``'s ``kind`` ("auto", "binary", "labels", "instances").
    tolerance : int
        Boundary F1 tolerance in pixels, passed to ``metrics.score``.
    """

    methods: tuple[MethodRun, ...]
    out: str | None = None
    max_side: int | None = None
    alpha: float = 0.5
    ground_truth: str | None = None
    ground_truth_kind: str = "auto"
    tolerance: int = 2


@dataclass(frozen=True)
class ImageTask:
    """One image to process, as file paths: a worker reads the files itself.

    Attributes
    ----------
    path : str
        The image file.
    label : str
        What the ``image`` column and the messages call the file.
    ground_truth : tuple of str
        The image's ground-truth files (several: one map each, BSDS style). Empty while
        ``BatchSettings.ground_truth`` is set means none was found: the rows say so.
    out_stem : str
        What the output files' names start with (empty: the file's stem; see :func:`output_stems`).
    """

    path: str
    label: str
    ground_truth: tuple[str, ...] = ()
    out_stem: str = ""


# --------------------------------------------------------------------------- the work


def _json_default(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else str(value)  # numpy scalars and arrays


def params_json(params: Mapping[str, Any]) -> str:
    """The parameters as compact JSON with sorted keys (tuples become lists), for the CSV."""
    return json.dumps(dict(params), sort_keys=True, default=_json_default, separators=(", ", ": "))


def _message(exc: BaseException) -> str:
    """An exception as one line for a person: its own text, with the type for unexpected ones."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    expected = (ValueError, OSError, RuntimeError)
    return text if isinstance(exc, expected) else f"{type(exc).__name__}: {text}"


def _row(label: str, run: MethodRun, **cells: Any) -> dict[str, Any]:
    """A row for ``run`` on image ``label``: every cell empty but those in ``cells``."""
    row = {
        "image": label, "method": run.name, "params": params_json(run.params), "width": None,
        "height": None, "time_ms": None, "ground_truth": "", "kind": "", ERROR_COLUMN: "", "n_labels": None,
    }
    row.update(cells)
    return row


def error_rows(label: str, settings: BatchSettings, message: str) -> Rows:
    """One row per method for an image whose work failed as a whole, ``message`` in its error column."""
    return [_row(label, run, error=message) for run in settings.methods]


def _load_ground_truth(paths: Sequence[str | os.PathLike], image, settings: BatchSettings):
    """Read, decode and fit the image's ground truth files; return (GroundTruth, "") or (None, message)."""
    # only when scoring
    from segcore.io.ground_truth import fit_ground_truth, load_ground_truth

    try:
        blobs = [Path(p).read_bytes() for p in paths]
        name = "; ".join(Path(p).name for p in paths)
        gt = load_ground_truth(blobs if len(blobs) > 1 else blobs[0], name=name, kind=settings.ground_truth_kind)
        return fit_ground_truth(gt, original_size=image.original_size, working_size=image.size), ""
    except Exception as exc:  # noqa: BLE001 - a bad ground truth costs this image its scores, nothing more
        return None, f"ground truth {'; '.join(map(str, paths))}: {_message(exc)}"


def write_together(files: Mapping[Path, bytes]) -> None:
    """Write each file under a temporary name beside it, then rename them all into place.

    An interrupted or failed run leaves no half-written file and no label map without its
    overlay under the final names (a ``.partial`` file at most, removed when it can be).
    """
    temporary = {path: path.with_name(f".{path.name}.{os.getpid()}.partial") for path in files}
    try:
        for path, data in files.items():
            temporary[path].write_bytes(data)
        for path, tmp in temporary.items():
            os.replace(tmp, path)
    finally:
        for tmp in temporary.values():
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def process_image(task: ImageTask, settings: BatchSettings) -> Rows:
    """Segment one image file with every method, save the PNGs and score each result.

    Parameters
    ----------
    task : ImageTask
        The image file, its ground truth, and what the rows and the output files call it.
    settings : BatchSettings
        Methods, output folder, working size and scoring options.

    Returns
    -------
    list of dict
        One row per method, in ``settings.methods`` order, keyed by :data:`LEAD_COLUMNS`, the
        score columns (when scored: every ``metrics.COLUMNS`` key), ``error`` (empty when the
        row worked) and ``n_labels`` (labels in the result; not a CSV column). Failures are
        caught and reported in the rows, never raised, so one bad file stops nothing else.
    """
    from segcore.io.loading import load_image  # keep the worker's first import small
    from segcore.registry import get_method
    from segcore.render import label_png, overlay, rgb_png

    path, label, ground_truth = Path(task.path), task.label, task.ground_truth
    try:
        image = load_image(path.read_bytes(), max_side=settings.max_side, name=path.name)
    except Exception as exc:  # noqa: BLE001 - reported in the rows
        return error_rows(label, settings, _message(exc))

    gt, gt_error, gt_names = None, "", ""
    if settings.ground_truth is not None:
        if ground_truth:
            gt_names = ";".join(Path(p).name for p in ground_truth)
            gt, gt_error = _load_ground_truth(ground_truth, image, settings)
        else:
            gt_error = (
                f"no ground truth in {settings.ground_truth} for {path.name}: expected "
                f"{path.stem}.<ext> or {path.stem}.<n>.<ext> there (ext: an image type or npy)"
            )
    if gt is not None:
        from segcore.scoring.metrics import score  # only when scoring

    out = Path(settings.out) if settings.out is not None else None
    rows = []
    for run in settings.methods:
        row = _row(label, run, width=image.size[0], height=image.size[1], ground_truth=gt_names,
                   kind=gt.kind if gt is not None else "", error=gt_error)
        rows.append(row)
        try:
            spec = get_method(run.name)
            seg = spec.run(image.rgb, **run.params)
        except Exception as exc:  # noqa: BLE001 - reported in the row
            row[ERROR_COLUMN] = _message(exc)
            continue
        row.update(params=params_json(seg.params), time_ms=round(seg.elapsed_s * 1000.0, 3), n_labels=seg.n_labels)
        if out is not None:
            stem = f"{task.out_stem or path.stem}_{spec.name}"
            try:
                # zlib level 1: at Pillow's default level, encoding the PNGs takes most of a batch's time
                picture = overlay(image.rgb, seg, alpha=settings.alpha, skip_zero=spec.family == "maskrcnn")
                write_together({out / f"{stem}_labels.png": label_png(seg.labels, compress_level=1),
                                out / f"{stem}_overlay.png": rgb_png(picture, compress_level=1)})
            except OSError as exc:
                row[ERROR_COLUMN] = f"cannot write to {out}: {_message(exc)}"
                continue
        if gt is not None:
            try:
                row.update({k: float(v) if isinstance(v, (int, float)) else v
                            for k, v in score(seg, gt, tolerance=settings.tolerance).items()})
            except Exception as exc:  # noqa: BLE001 - reported in the row
                row[ERROR_COLUMN] = f"scoring: {_message(exc)}"
    return rows


def _worker_task(task: ImageTask, settings: Any, work: Callable[[Any, Any], Rows] = process_image) -> Rows:
    """``work(task, settings)`` on a Dask worker: numpy, BLAS and segcore's bands on one thread."""
    from threadpoolctl import threadpool_limits

    os.environ.setdefault("SEGCORE_THREADS", "1")  # a worker of someone else's cluster too
    with threadpool_limits(1):
        return work(task, settings)


# --------------------------------------------------------------------------- mapping


def output_stems(paths: Sequence[str | os.PathLike]) -> list[str]:
    """The name each image's output files start with, so that no output replaces another's.

    An image's file stem (``cat`` for ``cat.jpg``), or its whole file name where
    another input has the same stem (``a.gif`` and ``a.webp`` give
    ``a.gif_otsu_labels.png`` and ``a.webp_otsu_labels.png``, where both would have
    written ``a_otsu_labels.png``), numbered where even those are equal (the same
    name in two folders). Compared ignoring case, as some file systems do.
    """
    paths = [Path(p) for p in paths]
    stems = Counter(p.stem.lower() for p in paths)
    names = [p.stem if stems[p.stem.lower()] == 1 else p.name for p in paths]
    repeated = Counter(n.lower() for n in names)
    seen: Counter = Counter()
    out = []
    for name in names:
        if repeated[name.lower()] > 1:
            seen[name.lower()] += 1
            name = f"{name}.{seen[name.lower()]}"
        out.append(name)
    return out


def map_images(
    tasks: Sequence[ImageTask],
    settings: Any,
    *,
    work: Callable[[Any, Any], Rows] = process_image,
    workers: int = 0,
    scheduler: str | None = None,
    on_done: Callable[[int, Rows], None] | None = None,
    on_start: Callable[[str], None] | None = None,
) -> list[Rows]:
    """Run :func:`process_image` (or ``work``) on every task, in this process or on Dask.

    Parameters
    ----------
    tasks : sequence of ImageTask
    settings : BatchSettings
        Or whatever ``work`` takes; small and picklable, with ``methods`` (a tuple of
        :class:`MethodRun`, for the error rows of an image whose worker failed).
    work : callable
        ``work(task, settings) -> rows`` for one image, a module-level function (Dask sends it
        by name); :func:`process_image` by default, :func:`segcore.noc.noc_image` for ``noc``.
    workers : int
        0: in this process, one image after the other, without importing dask. N > 0:
        a ``LocalCluster`` of N single-threaded worker processes (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); its workers must see
        the same files and have segcore installed.
    on_done : callable, optional
        ``on_done(index, rows)`` as each image finishes, in completion order (progress, messages).
    on_start : callable, optional
        Receives one line saying where the work runs, once the cluster is up.

    Returns
    -------
    list of list of dict
        Each task's rows, in the order of ``tasks`` whatever order they finished in.
    """
    results: list[Rows] = [[] for _ in tasks]

    def done(i: int, rows: Rows) -> None:
        results[i] = rows
        if on_done is not None:
            on_done(i, rows)

    if scheduler is None and workers <= 0:
        for i, task in enumerate(tasks):
            done(i, work(task, settings))
    else:
        _map_dask(tasks, settings, work, workers, scheduler, done, on_start)
    return results


@contextlib.contextmanager
def _environ_kept() -> Iterator[None]:
    """Undo what the Nanny writes into this process's environment before spawning workers."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update(saved)


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, run in each LocalCluster worker process as it starts (``preload=["segcore.batch"]``).

    Dask passes the worker; it is not needed. Ctrl-C in a terminal reaches every process
    of the group; a worker ignores it and leaves the shutdown to the command line, which
    closes the client and the cluster (otherwise each worker prints a KeyboardInterrupt
    traceback). Returns nothing.
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler``, else on a new single-threaded LocalCluster.

    Yields the client; the client and the cluster are closed on leaving, on an error and on Ctrl-C.
    Dask's and distributed's loggers are kept at WARNING: their INFO chatter is not for a terminal.
    """
    from distributed import Client, LocalCluster  # Dask only on this path

    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if scheduler is not None:
        with Client(scheduler, timeout="20s") as client:
            yield client
        return
    with _environ_kept(), LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
        env=dict(WORKER_ENV), preload=["segcore.batch"],
    ) as cluster, Client(cluster) as client:
        yield client


def _map_dask(tasks, settings, work, workers, scheduler, done, on_start) -> None:
    from distributed import as_completed  # Dask only on this path

    with dask_client(workers, scheduler) as client:
        if on_start is not None:
            n = len(client.scheduler_info(n_workers=-1).get("workers", {})) if scheduler else workers
            where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
            on_start(f"{len(tasks)} images on {n} worker(s) of {where}")
        futures = client.map(_worker_task, list(tasks), settings=settings, work=work, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                i = index[future.key]
                try:
                    rows = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died, a task that raised
                    rows = error_rows(tasks[i].label, settings, f"on a Dask worker: {_message(exc)}")
                future.release()
                done(i, rows)
        except KeyboardInterrupt:
            if scheduler is None:  # our own workers: closing them mid-task is the point, not news
                with contextlib.suppress(Exception):
                    client.run(_mute_worker_logs)
            raise
        finally:
            client.cancel([f for f in futures if not f.done()])


def _mute_worker_logs() -> None:
    """In a worker about to be closed: its state machine's warnings about cancelled tasks are expected."""
    logging.getLogger("distributed").setLevel(logging.ERROR)


# --------------------------------------------------------------------------- ground truth files


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def match_ground_truth(images: Sequence[Path], folder: Path) -> dict[Path, list[Path]]:
    """Each image's ground-truth files in ``folder``, matched by file stem.

    For ``photos/cat.jpg`` the ground truth is ``folder/cat.<ext>``; several of one image
    are ``folder/cat.<anything>.<ext>`` (``cat.1.png``, ``cat.2.png``: BSDS style), where
    ``<ext>`` is an image type the loader reads or ``npy``. A file that fits two images'
    stems (``cat`` and ``cat.1``) goes to the longer one. An image never counts as its own
    ground truth, also where the inputs are links to it or copies of it (the Berkeley
    folders hold each photo beside its ``<stem>.<k>.png`` segmentations): a file that
    resolves to the image, or holds the same bytes, is left out.

    Returns
    -------
    dict
        Image path -> its ground-truth files in natural order (``cat.2`` before ``cat.10``);
        an image without any maps to an empty list.
    """
    from segcore.io.loading import UPLOAD_TYPES

    suffixes = {f".{t}" for t in UPLOAD_TYPES} | {".npy"}
    candidates = sorted(
        (f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in suffixes),
        key=lambda f: _natural(f.name),
    )
    stems = {img.stem for img in images}
    by_stem: dict[str, list[Path]] = {s: [] for s in stems}
    for f in candidates:
        fits = [s for s in stems if f.name.startswith(s + ".")]
        if fits:
            by_stem[max(fits, key=len)].append(f)
    return {img: [f for f in by_stem[img.stem] if not _same_file(f, img)] for img in images}


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` is ``b``: the same file after links, or a copy of it byte for byte."""
    try:
        return os.path.samefile(a, b) or filecmp.cmp(a, b, shallow=False)  # cmp looks at the sizes first
    except OSError:  # b missing or unreadable: nothing to be the same as
        return False


# --------------------------------------------------------------------------- output


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def write_csv(
    target: str | os.PathLike | TextIO, rows: Sequence[Mapping[str, Any]], score_keys: Sequence[str],
    lead: Sequence[str] = LEAD_COLUMNS,
) -> None:
    """Write ``rows`` as the scores CSV: the ``lead`` columns (:data:`LEAD_COLUMNS`), the score keys, then ``error``.

    NaN and missing values are empty cells; floats round-trip exact. ``target`` is a path
    (its folder is created) or an open text stream.
    """
    columns = [*lead, *score_keys, ERROR_COLUMN]
    if not hasattr(target, "write"):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="") as fh:
            _write_rows(fh, rows, columns)
    else:
        _write_rows(target, rows, columns)


def _write_rows(target: TextIO, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return None if math.isnan(value) else value


def summarize(rows: Sequence[Mapping[str, Any]], score_keys: Sequence[str]) -> list[tuple[str, str, int, float, float]]:
    """Per method and column (``time_ms``, then each score key) with values: (method, column, n, mean, median).

    Methods in the order they first appear in ``rows``; rows whose cell is empty or NaN do not count.
    """
    out = []
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        for key in ("time_ms", *score_keys):
            values = [v for v in (_number(r.get(key)) for r in mine) if v is not None]
            if values:
                out.append((method, key, len(values), statistics.mean(values), statistics.median(values)))
    return out


def _fmt(key: str, value: float) -> str:
    return f"{value:.1f}" if key == "time_ms" else f"{value:.4f}"


def summary_table(rows: Sequence[Mapping[str, Any]], score_keys: Sequence[str]) -> str:
    """:func:`summarize` as aligned text: one line per method and column, numbers right-aligned.

    ``time_ms`` to 0.1 ms, scores to 4 decimals; empty string when nothing has a value.
    """
    lines = [("method", "column", "n", "mean", "median")]
    lines += [(m, k, str(n), _fmt(k, mean), _fmt(k, med)) for m, k, n, mean, med in summarize(rows, score_keys)]
    if len(lines) == 1:
        return ""
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    lines.insert(1, tuple("-" * w for w in widths))
    return "\n".join(
        "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))).rstrip()
        for line in lines
    )


# --------------------------------------------------------------------------- progress


def _duration(seconds: float) -> str:
    h, rest = divmod(max(0, round(seconds)), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Images done / total, rate and ETA on a terminal stream (stderr by default).

    On a TTY one line is redrawn in place with ``\\r``; elsewhere (a log, a pipe) a plain
    line is printed at most every ``interval`` seconds and once at the end. Lines meant
    for stdout go through :meth:`echo`, which lifts the bar out of their way.
    """

    def __init__(self, total: int, *, stream: TextIO | None = None, tty: bool | None = None,
                 interval: float = 10.0) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self.interval = interval
        self.done = 0
        self.start = time.perf_counter()
        self._last_print = self.start
        self._drawn = False

    def restart_clock(self) -> None:
        """Count the rate from now (after a cluster has started, say)."""
        self.start = self._last_print = time.perf_counter()

    def text(self) -> str:
        """The progress line: ``12/200 images (6%), 3.1 images/s, ETA 1:01``."""
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        pct = 100.0 * self.done / self.total if self.total else 100.0
        line = f"{self.done}/{self.total} images ({pct:.0f}%), {rate:.2f} images/s"
        if self.done >= self.total:
            return line + f", {_duration(elapsed)} elapsed"
        return line + f", ETA {_duration((self.total - self.done) / rate) if rate > 0 else '?'}"

    def _bar(self) -> str:
        text = self.text()
        width = shutil.get_terminal_size((80, 20)).columns - len(text) - 4
        if width >= 10:
            width = min(width, 40)
            filled = int(width * self.done / self.total) if self.total else width
            text = "[" + "#" * filled + "." * (width - filled) + "] " + text
        return text

    def _write(self, text: str, drawn: bool) -> None:
        self.stream.write(text)
        self.stream.flush()
        self._drawn = drawn

    def update(self) -> None:
        """Count one more image done and show it."""
        self.done += 1
        if self.tty:
            sys.stdout.flush()
            self._write("\r\033[K" + self._bar(), drawn=True)
            return
        now = time.perf_counter()
        if self.done >= self.total or now - self._last_print >= self.interval:
            self._last_print = now
            sys.stdout.flush()  # what went to stdout so far comes first where both reach one log
            print(self.text(), file=self.stream, flush=True)

    def echo(self, line: str, stream: TextIO | None = None) -> None:
        """Print ``line`` (to stdout by default) without tearing the bar; the bar returns at the next update."""
        if self.tty and self._drawn:
            self._write("\r\033[K", drawn=False)
        print(line, file=stream if stream is not None else sys.stdout, flush=True)

    def close(self) -> None:
        """End the bar's line on a TTY (the last state stays visible)."""
        if self.tty and self._drawn:
            self._write("\n", drawn=False)
