"""Speed of the region methods (segcore.methods.regions) at the 1600 px working size.

Rows:

* every region method with its page defaults on a real photo at 1600 x 1200:
  median wall time of ``run_method`` (reduction to the method's ``max_side``,
  the scikit-image call, the label map scaled back, its legend), target 1 s;
  SLIC's two merges too;
* each method at the full working size (``max_side=None``), one run: what the
  default reduction saves;
* the largest of the page's sizes (``MAX_SIDES``) at which the method stays
  under 1 s, found by running it at each size from the smallest up;
* the edge methods' watershed option (Sobel, Canny) at 1600 x 1200;
* scikit-image's ``rag_mean_color`` against segcore.fast.adjacency's on SLIC's
  superpixels at 1000 px (the graph SLIC's merging is built on).
"""

from __future__ import annotations

import time

from benchmarks.common import Row, check, errored, photo, size_str, time_call

SECTION = "regions"
WORK_SIZE = (1600, 1200)
TARGET_MS = 1000.0
#: Stop growing the size once one run takes this long (larger sizes only take longer).
SCAN_STOP_MS = 3000.0


def _once_ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _largest_under(spec, img, sizes, log) -> tuple[int | None, list[str]]:
    """The largest size in ``sizes`` (ascending) whose run takes under 1 s, and each run's time as text."""
    best, seen = None, []
    for side in sizes:
        ms = _once_ms(lambda: spec.run(img, max_side=side))
        seen.append(f"{side}: {ms:,.0f}")
        if ms <= TARGET_MS:
            best = side
        if ms > SCAN_STOP_MS:
            break
    log(f"  {spec.name}: " + ", ".join(seen))
    return best, seen


def run(n: int, quick: bool = False, log=print) -> list[Row]:
    from segcore.methods.regions import MAX_SIDES
    from segcore.registry import get_method, list_methods

    img = photo(*WORK_SIZE)
    img.setflags(write=False)  # as the app's working image
    size = size_str(img)
    rows: list[Row] = []
    sizes = [s for s in MAX_SIDES if s is not None and s <= max(WORK_SIZE)]
    cases = [(spec.name, spec, get_method(spec.name).settings) for spec in list_methods("regions")]
    cases += [(f"slic, merge={m}", get_method("slic"), {**get_method("slic").settings, "merge": m})
              for m in ("threshold", "hierarchical")]
    for name, spec, params in cases:
        label = f"regions: {name}"
        try:
            t = time_call(lambda: spec.run(img, **params), n)
        except Exception as exc:  # noqa: BLE001 - one broken method must not stop the table
            rows.append(errored(SECTION, label, exc, size))
            continue
        rows.append(Row(
            SECTION, label, size=size, ours_ms=t.median_ms, target=f"<= {TARGET_MS:.0f} ms",
            status=check(t.median_ms <= TARGET_MS),
            note=(f"runs at most at {params['max_side']} px (the page's default)" if params["max_side"]
                  else "runs at the working size (the page's default)") + f"; runs {t.spread} ms",
            extra={"runs_ms": t.runs_ms, "method": spec.name, "params": params},
        ))
    for spec in list_methods("regions"):
        default = get_method(spec.name).settings["max_side"] or max(WORK_SIZE)  # None: the working size itself
        try:
            best, seen = _largest_under(spec, img, sizes, log)
            full_ms = None if quick else _once_ms(lambda: spec.run(img, max_side=None))
        except Exception as exc:  # noqa: BLE001
            rows.append(errored(SECTION, f"regions: {spec.name}, size scan", exc, size))
            continue
        rows.append(Row(
            SECTION, f"regions: {spec.name}, largest size under 1 s", size=size, ours_ms=full_ms,
            value=f"{best} px" if best else f"none from {sizes[0]} px",
            target=f"default {default} px <= it", status=check(best is not None and default <= best),
            note=("ours ms: one run at the full 1600 px. " if full_ms else "") + "One run per long side (px: ms): "
            + ", ".join(seen),
        ))
    for method in ("sobel", "canny"):
        spec = get_method(method)
        try:
            base = time_call(lambda: spec.run(img), n)
            flood = time_call(lambda: spec.run(img, regions="watershed"), n)
        except Exception as exc:  # noqa: BLE001
            rows.append(errored(SECTION, f"edges to regions: {method}", exc, size))
            continue
        rows.append(Row(
            SECTION, f"edges to regions: {method}, watershed", size=size, ours_ms=flood.median_ms,
            ref_name=f"{method}, connected components", ref_ms=base.median_ms, status="measured",
            note=f"runs {flood.spread} ms; the watershed floods every pixel of the 1600 px image",
        ))
    rows.append(_rag_row(n))
    return rows


def _rag_row(n: int) -> Row:
    from skimage import color, graph, segmentation

    from segcore.fast.adjacency import rag_mean_color
    from segcore.methods.regions import reduce_to

    small = reduce_to(photo(*WORK_SIZE), 1000)
    lab = color.rgb2lab(small)
    superpixels = segmentation.slic(small, n_segments=300, compactness=10, start_label=1)
    try:
        ours = time_call(lambda: rag_mean_color(lab, superpixels), n)
        ref = time_call(lambda: graph.rag_mean_color(lab, superpixels), 1, warmup=0)
    except Exception as exc:  # noqa: BLE001
        return errored(SECTION, "region adjacency graph", exc, size_str(small))
    return Row(
        SECTION, "region adjacency graph of mean colours (SLIC's merge)", size=size_str(small),
        ours_ms=ours.median_ms, ref_name="skimage.graph.rag_mean_color", ref_ms=ref.median_ms, status="measured",
        note=f"{int(superpixels.max())} superpixels; the same graph (tests/test_regions.py)",
    )
