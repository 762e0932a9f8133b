"""Interleaved A/B timing of segcore methods: another checkout of the repo against this one.

On a shared 2-core machine the speed drifts by tens of percent from one
minute to the next, so two separate benchmark runs cannot show a 10 % change.
This imports both trees' ``segcore`` into one process and times the same
method on the same photo alternately (old, new, new, old, ...), then prints
each side's median and fastest run and whether their label maps are equal.

    git worktree add /tmp/old <commit>
    .venv/bin/python benchmarks/ab.py /tmp/old sobel,canny,kmeans --size 1600x1200 --rounds 11
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from benchmarks.common import photo  # noqa: E402


def _segcore_modules() -> dict[str, ModuleType]:
    return {m: mod for m, mod in sys.modules.items() if m == "segcore" or m.startswith("segcore.")}


class Side:
    """One tree's ``segcore``: its registry and the modules it imported, put back in place for each call.

    A method that imports part of segcore when it runs (``from segcore import components``) must
    find its own tree's modules in ``sys.modules``, not the other tree's.
    """

    def __init__(self, root: Path):
        for name in _segcore_modules():
            del sys.modules[name]
        sys.path.insert(0, str(root))
        try:
            import segcore.registry as registry

            registry.list_methods()  # imports every method module of this tree (their layout differs by commit)
        finally:
            sys.path.remove(str(root))
        self.registry = registry
        self.modules = _segcore_modules()

    def run(self, method: str, image: np.ndarray, params: dict):
        """``method``'s result on ``image`` by this tree's code."""
        for name in _segcore_modules():
            del sys.modules[name]
        sys.modules.update(self.modules)
        try:
            return self.registry.get_method(method).run(image, **params)
        finally:
            self.modules = _segcore_modules()  # with what the call imported


def _library_calls(image: np.ndarray) -> dict:
    """The plain library calls a figure is read against, on ``image``'s float32 gray (converted once)."""
    from scipy import ndimage as ndi
    from skimage import feature, filters
    from skimage.color import rgb2gray

    gray = rgb2gray(image)
    gray32 = gray.astype(np.float32)
    return {
        # the yardstick of the Canny target: 54.7 ms at 1600 x 1200 on the day the target was set
        "canny": lambda: feature.canny(gray32, 1.0, 0.05, 0.15, mode="reflect"),
        "gaussian_laplace": lambda: ndi.gaussian_laplace(gray32, 2.0, mode="reflect"),
        "threshold_minimum": lambda: filters.threshold_minimum(gray),
        "rgb2gray": lambda: rgb2gray(image),
    }


LIBRARY_CALLS = ("canny", "gaussian_laplace", "threshold_minimum", "rgb2gray")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="the other checkout (e.g. a git worktree of an older commit)")
    parser.add_argument("methods", help="comma-separated method names, e.g. sobel,canny,kmeans")
    parser.add_argument("--size", default="1600x1200", help="photo size WxH (default 1600x1200)")
    parser.add_argument("--rounds", type=int, default=11, help="timed runs of each side (default 11)")
    parser.add_argument("--frozen", action="store_true",
                        help="a read-only photo, as the app's working image (both trees may then keep its gray)")
    parser.add_argument("--library", default="",
                        help="plain library calls to time in the same rounds, as the machine's speed yardstick: "
                        f"comma-separated, of {', '.join(LIBRARY_CALLS)}")
    args = parser.parse_args(argv)
    if not (args.old / "segcore" / "registry.py").is_file():
        parser.error(f"{args.old} holds no segcore/registry.py")
    width, height = (int(v) for v in args.size.lower().split("x"))
    image = photo(width, height)
    if args.frozen:
        image.setflags(write=False)
    sides = {"old": Side(args.old.resolve()), "new": Side(HERE)}
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    times: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}  # CPU time of the process (all its threads), less hurt by others' load
    same: dict[str, bool] = {}
    # Both sides run with this tree's defaults, passed explicitly: a default changed on purpose
    # (Canny's thresholds) must not pass for a speed change.
    params = {m: sides["new"].registry.get_method(m).defaults for m in methods}
    for method in methods:  # warm-up, and the two sides' outputs compared
        a, b = (sides[s].run(method, image, params[method]) for s in ("old", "new"))
        same[method] = a.labels.shape == b.labels.shape and bool(np.array_equal(a.labels, b.labels))
    library = {name: call for name, call in _library_calls(image).items()
               if name in {n.strip() for n in args.library.split(",")}}
    for call in library.values():
        call()  # warm-up
    for r in range(args.rounds):
        for method in methods:
            for side in ("old", "new") if r % 2 == 0 else ("new", "old"):
                t, c = time.perf_counter(), time.process_time()
                sides[side].run(method, image, params[method])
                times.setdefault((method, side), []).append((time.perf_counter() - t) * 1000)
                cpu.setdefault((method, side), []).append((time.process_time() - c) * 1000)
        for name, call in library.items():
            t, c = time.perf_counter(), time.process_time()
            call()
            times.setdefault((name, "library"), []).append((time.perf_counter() - t) * 1000)
            cpu.setdefault((name, "library"), []).append((time.process_time() - c) * 1000)
    how = "read-only (the app's working image)" if args.frozen else "writable"
    print(f"{width} x {height} photo, {how}, {args.rounds} interleaved runs each; old = {args.old}")
    for method in methods:
        old, new = times[(method, "old")], times[(method, "new")]
        ratio = statistics.median(old) / statistics.median(new)
        print(
            f"{method:20s} old {statistics.median(old):7.1f} ms (fastest {min(old):6.1f})   "
            f"new {statistics.median(new):7.1f} ms (fastest {min(new):6.1f})   old/new {ratio:4.2f}   "
            f"labels {'equal' if same[method] else 'DIFFER'}   "
            f"CPU old {statistics.median(cpu[(method, 'old')]):6.1f} new {statistics.median(cpu[(method, 'new')]):6.1f} ms"
        )
    for name in library:
        runs = times[(name, "library")]
        print(f"library {name:12s} {statistics.median(runs):7.1f} ms (fastest {min(runs):6.1f}, "
              f"CPU {statistics.median(cpu[(name, 'library')]):6.1f}), timed in the same rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
