"""Shared pieces of the benchmark suite: rows, timing, memory, test images, machine info.

Nothing here imports torch or streamlit; the sections that need them import them
themselves (the Mask R-CNN section runs in a child process of its own).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- rows


@dataclass
class Row:
    """One line of the results table.

    ``ours_ms``/``ref_ms`` are medians in milliseconds (None when not measured);
    ``value`` is for a row whose figure is not a time (MB, a ratio, fps).
    ``status`` is "ok" (target met), "FAIL" (target missed), "measured" (no
    target), "skipped" or "error";
    ``target`` says what was aimed at ("<= 100 ms", "< 0.5 s"...).
    """

    section: str
    name: str
    size: str = ""
    ours_ms: float | None = None
    ref_name: str = ""
    ref_ms: float | None = None
    value: str = ""
    target: str = ""
    status: str = "measured"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """Reference time / our time (> 1: ours is faster)."""
        if self.ours_ms and self.ref_ms:
            return self.ref_ms / self.ours_ms
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Row":
        return cls(**d)


def skipped(section: str, name: str, reason: str, size: str = "") -> Row:
    return Row(section, name, size=size, status="skipped", note=f"skipped: {reason}")


def errored(section: str, name: str, exc: BaseException | str, size: str = "") -> Row:
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return Row(section, name, size=size, status="error", note=f"error: {text}"[:300])


def check(ok: bool) -> str:
    return "ok" if ok else "FAIL"


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    median_ms: float
    runs_ms: list[float]
    result: Any = None

    @property
    def spread(self) -> str:
        if len(self.runs_ms) < 2:
            return ""
        return f"{min(self.runs_ms):.0f}-{max(self.runs_ms):.0f}"


def time_call(fn: Callable[[], Any], n: int, warmup: int = 1) -> Timing:
    """Median wall time of ``fn()`` over ``n`` runs after ``warmup`` untimed runs."""
    result = None
    for _ in range(warmup):
        result = fn()
    runs = []
    for _ in range(max(1, n)):
        t0 = time.perf_counter()
        result = fn()
        runs.append((time.perf_counter() - t0) * 1000.0)
    return Timing(statistics.median(runs), runs, result)


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return ""
    if ms < 0.1:
        return f"{ms:.3f}"
    if ms < 10:
        return f"{ms:.2f}"
    if ms < 1000:
        return f"{ms:.0f}"
    return f"{ms:,.0f}"


# --------------------------------------------------------------------------- memory


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS / VmHWM (and friends) of a process from /proc, in kB; {} when gone."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("Vm"):
                    key, _, rest = line.partition(":")
                    out[key] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        pass
    return out


def children(pid: int) -> list[int]:
    """Every descendant pid of ``pid`` (from /proc/*/stat's parent field)."""
    parent_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parent_of[int(entry)] = ppid
    found, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent_of.items() if pp == p]
        found.extend(kids)
        frontier.extend(kids)
    return found


def tree_rss_kb(pid: int) -> tuple[int, int]:
    """(sum of VmRSS, sum of VmHWM) over ``pid`` and its descendants, in kB."""
    rss = hwm = 0
    for p in [pid, *children(pid)]:
        st = proc_status(p)
        rss += st.get("VmRSS", 0)
        hwm += st.get("VmHWM", 0)
    return rss, hwm


def mb(kb: float) -> str:
    return f"{kb / 1024:,.0f} MB"


# --------------------------------------------------------------------------- images

#: What the test photo is, for the table's caption.
PHOTO_SOURCE = "skimage.data.coffee() (600 x 400 photo), centre-cropped to 4:3 and resized with PIL LANCZOS"


def photo(width: int, height: int) -> np.ndarray:
    """A real photo at ``width`` x ``height`` (RGB uint8): coffee, cropped to the aspect, LANCZOS."""
    from PIL import Image
    from skimage import data

    src = Image.fromarray(data.coffee())
    sw, sh = src.size
    aspect = width / height
    if sw / sh > aspect:  # too wide: crop the sides
        cw = round(sh * aspect)
        box = ((sw - cw) // 2, 0, (sw - cw) // 2 + cw, sh)
    else:
        ch = round(sw / aspect)
        box = (0, (sh - ch) // 2, sw, (sh - ch) // 2 + ch)
    img = src.crop(box).resize((width, height), Image.Resampling.LANCZOS)
    # A writable copy: segcore.fast.gray keeps the gray of a read-only image (the app's working image)
    # for the next method, and every timed run must pay for its own conversion.
    return np.array(img, dtype=np.uint8)


def size_str(arr_or_wh) -> str:
    if isinstance(arr_or_wh, np.ndarray):
        h, w = arr_or_wh.shape[:2]
    else:
        w, h = arr_or_wh
    return f"{w} x {h}"


# --------------------------------------------------------------------------- machine


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 0
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    try:
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        load = "?"
    return {
        "cpu": cpu,
        "cores": f"{usable} usable ({os.cpu_count()} online)",
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "load": load,
        "date": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def versions(with_torch: bool = True) -> dict[str, str]:
    from importlib import metadata

    names = ["numpy", "scipy", "scikit-learn", "scikit-image", "opencv-python-headless", "streamlit"]
    if with_torch:
        names += ["torch", "torchvision"]
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# --------------------------------------------------------------------------- generated Markdown blocks

#: The block of docs/quality.md that benchmarks/bsds_defaults.py writes and benchmarks/quality.py keeps.
BSDS_SECTION = "bsds-defaults"


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- begin {name} -->\n", f"<!-- end {name} -->\n"


def wrap_block(name: str, body: str) -> str:
    """``body`` between the HTML comments that mark block ``name`` (invisible in rendered Markdown)."""
    begin, end = _markers(name)
    return begin + body.rstrip("\n") + "\n" + end


def block_body(text: str, name: str) -> str | None:
    """What lies between block ``name``'s markers in ``text``; None when it has no such block."""
    begin, end = _markers(name)
    start = text.find(begin)
    stop = text.find(end, start + len(begin)) if start >= 0 else -1
    return None if stop < 0 else text[start + len(begin):stop]


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with block ``name`` holding ``body``: replaced where it is, else appended after a blank line.

    Lets two generators share one file: each rewrites its own block and keeps the rest.
    """
    old = block_body(text, name)
    if old is None:
        return (text.rstrip("\n") + "\n\n" if text.strip() else "") + wrap_block(name, body)
    begin, _ = _markers(name)
    start = text.find(begin)
    return text[:start] + wrap_block(name, body) + text[start + len(begin) + len(old) + len(_markers(name)[1]):]
