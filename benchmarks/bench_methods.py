"""Speed and memory of every registered classic method, against its references.

Rows:

* every registered method of the threshold, edges and clustering families, with
  its defaults, on a real photo at the 1600 px working size (1600 x 1200):
  median wall time of the whole ``run_method`` call (gray conversion, the
  algorithm, the label map and its legend) after one warm-up, and the peak of
  numpy/Python allocations during one more run (``tracemalloc``);
* the article's own loop code (benchmarks/article_code.py) against our
  vectorised rule, both timed on the article's image size (263 x 192);
* scikit-learn's full k-means fit on every pixel (the article's call) against
  our fast default at 1 MP, with the inertia of both;
* segcore/fast/'s paths against the library calls they replace (Canny, the
  minimum threshold, the LoG), taking turns in the same rounds,
  and the Canny method read at the speed of the day its target was set
  (``skimage.feature.canny`` then took 54.7 ms);
* OpenCV where it does the same operation: ``cv2.filter2D`` against
  ``ndimage.convolve`` (3 x 3), ``cv2.threshold(THRESH_OTSU)`` against our Otsu,
  ``cv2.Canny`` against our Canny (comparable, not identical, algorithms).
"""

from __future__ import annotations

import statistics
import tracemalloc
import warnings

import numpy as np

from benchmarks.common import (
    PHOTO_SOURCE,
    Row,
    Timing,
    check,
    errored,
    photo,
    size_str,
    skipped,
    time_call,
)

SECTION = "methods"
WORK_SIZE = (1600, 1200)  # the default working size's long side, 4:3
ARTICLE_SIZE = (263, 192)  # the article's example image, 50,496 pixels
ONE_MP = (1155, 866)  # 1,000,230 pixels

#: Targets at the 1600 px working size, ms.
TARGET_CLASSIC_MS = 100.0
TARGET_KMEANS_MS = 150.0
#: Fast k-means against the full fit at 1 MP.
TARGET_KMEANS_SPEEDUP = 10.0
TARGET_INERTIA_PCT = 0.5


def _target_ms(name: str, family: str) -> float | None:
    if name == "kmeans_article":
        return None  # the article's full fit, kept as the exact option: shown, not targeted
    if family == "clustering":
        return TARGET_KMEANS_MS
    return TARGET_CLASSIC_MS


def _peak_alloc_mb(fn) -> float:
    """Peak of numpy/Python allocations while ``fn()`` runs, in MB (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def _inertia(pixels: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances of each pixel to the mean of its label (features as given)."""
    labels = labels.ravel()
    n = np.bincount(labels).astype(np.float64)
    total = float(np.einsum("ij,ij->", pixels, pixels))
    between = 0.0
    for c in range(pixels.shape[1]):
        s = np.bincount(labels, weights=pixels[:, c], minlength=n.size)
        nz = n > 0
        between += float(np.sum(s[nz] ** 2 / n[nz]))
    return total - between


# --------------------------------------------------------------------------- sections


def registered_methods(img: np.ndarray, n: int, memory: bool = True, quick: bool = False) -> list[Row]:
    """Every registered classic method, defaults, at the working size."""
    from segcore.registry import list_methods

    rows: list[Row] = []
    size = size_str(img)
    specs = [s for s in list_methods() if s.family in ("threshold", "edges", "clustering")]
    families = {s.family for s in specs}
    for fam in ("threshold", "edges", "clustering"):
        if fam not in families:
            rows.append(skipped(SECTION, f"{fam} family", "no method of this family is registered yet", size))
    for spec in specs:
        name = f"{spec.family}: {spec.name}"
        if quick and spec.name == "kmeans_article":
            rows.append(skipped(SECTION, name, "in --quick (the full fit takes seconds; the 1 MP full-fit row "
                                "below times the same call)", size))
            continue
        target = _target_ms(spec.name, spec.family)
        slow = spec.name == "kmeans_article"  # the full fit takes seconds, and has nothing to warm
        try:
            t = time_call(lambda: spec.run(img), 1 if slow else n, warmup=0 if slow else 1)
        except Exception as exc:  # noqa: BLE001 - one broken method must not stop the table
            rows.append(errored(SECTION, name, exc, size))
            continue
        row = Row(
            SECTION,
            name,
            size=size,
            ours_ms=t.median_ms,
            target=f"<= {target:.0f} ms" if target else "none (the article's full fit)",
            status=check(t.median_ms <= target) if target else "measured",
            note=f"runs {t.spread} ms" if t.spread else "",
            extra={"runs_ms": t.runs_ms, "method": spec.name, "family": spec.family},
        )
        if memory and not slow:
            try:
                peak = _peak_alloc_mb(lambda: spec.run(img))
                row.value = f"{peak:,.0f} MB alloc"
                row.extra["peak_alloc_mb"] = peak
            except Exception as exc:  # noqa: BLE001
                row.note += f"; memory run failed: {exc}"
        rows.append(row)
    return rows


def article_loops(n: int, ref_runs: int | None = None) -> list[Row]:
    """The article's per-pixel loops against our vectorised rules, at the article's size."""
    from benchmarks import article_code
    from segcore.registry import run_method

    img = photo(*ARTICLE_SIZE)
    size = size_str(img)
    rows = []
    pairs = [
        ("global_mean", article_code.article_global_threshold, "article loop: global threshold"),
        ("multilevel_article", article_code.article_multilevel_threshold, "article loop: multi-level"),
    ]
    for ours, ref, ref_name in pairs:
        name = f"article rule: {ours}"
        try:
            mine = time_call(lambda: run_method(ours, img), max(n, 5), warmup=1)
            # A pure-Python loop over 50k pixels: nothing to warm up; ~0.5 s a run.
            theirs = time_call(lambda: ref(img), ref_runs or n, warmup=0)
        except Exception as exc:  # noqa: BLE001
            rows.append(errored(SECTION, name, exc, size))
            continue
        agree = float(np.mean(mine.result.labels == theirs.result.astype(np.int32)))
        rows.append(
            Row(
                SECTION,
                name,
                size=size,
                ours_ms=mine.median_ms,
                ref_name=ref_name + " (mean recomputed per pixel)",
                ref_ms=theirs.median_ms,
                target=f"<= {TARGET_CLASSIC_MS:.0f} ms",
                status=check(mine.median_ms <= TARGET_CLASSIC_MS),
                note=f"labels equal on {100 * agree:.2f} % of pixels (the loop's mean drifts)",
            )
        )
    return rows


def kmeans_vs_full_fit(n: int, ref_runs: int | None = None) -> list[Row]:
    """Our fast default k-means against scikit-learn's full fit on all pixels, at 1 MP."""
    from segcore.registry import get_method

    img = photo(*ONE_MP)
    size = size_str(img)
    name = "kmeans (fast default) vs full fit, k=5"
    try:
        spec = get_method("kmeans")
    except KeyError:
        return [skipped(SECTION, name, "segcore.methods.clustering (method 'kmeans') is not registered yet", size)]
    from sklearn.cluster import KMeans

    pixels = (img / 255).reshape(-1, 3)
    k = int(spec.defaults.get("k", 5))
    try:
        # Interleaved (ours, full, ours, full...) so that both see the same
        # machine: on a shared 2-core host the speed drifts by tens of percent
        # from one minute to the next, and the ratio is what this row is for.
        spec.run(img)
        mine_runs, full_runs = [], []
        for i in range(max(n, ref_runs or n)):
            if i < n:
                mine_runs.append(time_call(lambda: spec.run(img), 1, warmup=0))
            if i < (ref_runs or n):
                full_runs.append(time_call(lambda: KMeans(n_clusters=5, random_state=0).fit(pixels), 1, warmup=0))
        mine = Timing(statistics.median(r.median_ms for r in mine_runs), [r.median_ms for r in mine_runs],
                      mine_runs[-1].result)
        # For information (the row's status uses the interleaved figure): our fit run back to back, not
        # right after a full fit (after one, our first call faults its ~9 MB of arrays in afresh).
        steady = time_call(lambda: spec.run(img), n, warmup=1)
        full = Timing(statistics.median(r.median_ms for r in full_runs), [r.median_ms for r in full_runs],
                      full_runs[-1].result)
    except Exception as exc:  # noqa: BLE001
        return [errored(SECTION, name, exc, size)]
    seg = mine.result
    ours_inertia = _inertia(pixels, seg.labels)
    full_inertia = float(full.result.inertia_)
    ratio = ours_inertia / full_inertia
    speedup = full.median_ms / mine.median_ms
    own = seg.extras.get("inertia")
    note = f"inertia ours/full = {ratio:.4f} (ours {ours_inertia:.2f}, full {full_inertia:.2f}"
    if own is not None:
        note += f"; the method's own figure {float(own):.2f}"
    note += (f"); speed-up {speedup:.1f}x; interleaved runs: ours {min(mine.runs_ms):,.0f}-{max(mine.runs_ms):,.0f} ms, "
             f"full {min(full.runs_ms):,.0f}-{max(full.runs_ms):,.0f} ms; ours back to back (not after a full fit): "
             f"{steady.median_ms:,.0f} ms, {full.median_ms / steady.median_ms:.1f}x")
    if k != 5:
        note += f"; NOTE our default k is {k}"
    # One-sided: a fast fit that finds a *lower* inertia than the full fit's single start is better, not worse.
    ok = speedup >= TARGET_KMEANS_SPEEDUP and (ratio - 1) * 100 <= TARGET_INERTIA_PCT
    return [
        Row(
            SECTION,
            name,
            size=size,
            ours_ms=mine.median_ms,
            ref_name="sklearn KMeans(n_clusters=5, random_state=0).fit(all pixels)",
            ref_ms=full.median_ms,
            value=f"inertia x{ratio:.4f}",
            target=f">= {TARGET_KMEANS_SPEEDUP:.0f}x faster, inertia within {TARGET_INERTIA_PCT} %",
            status=check(ok),
            note=note,
            extra={"inertia_ratio": ratio, "speedup": speedup},
        )
    ]


#: skimage.feature.canny alone at 1600 x 1200 on the day the Canny target was set (issue 20): the yardstick
#: that reads a Canny figure at that day's machine speed.
CANNY_YARDSTICK_MS = 54.7


def _interleaved(calls: dict, n: int) -> dict[str, Timing]:
    """Each of ``calls`` timed ``n`` times, taking turns (one warm-up each), so that all see the same machine."""
    for call in calls.values():
        call()
    runs: dict[str, list[float]] = {name: [] for name in calls}
    results = {}
    for r in range(max(1, n)):
        for name in (list(calls) if r % 2 == 0 else list(calls)[::-1]):
            t = time_call(calls[name], 1, warmup=0)
            runs[name] += t.runs_ms
            results[name] = t.result
    return {name: Timing(statistics.median(v), v, results[name]) for name, v in runs.items()}


def fast_paths(img: np.ndarray, n: int) -> list[Row]:
    """segcore/fast/'s hand-written paths against the library calls they replace, timed in the same rounds."""
    from scipy import ndimage as ndi
    from skimage import feature, filters
    from skimage.color import rgb2gray
    from skimage.exposure import histogram

    from segcore.fast.canny import canny as fast_canny
    from segcore.fast.minimum import threshold_minimum
    from segcore.registry import run_method

    rows: list[Row] = []
    size = size_str(img)
    gray = rgb2gray(img)
    gray32 = gray.astype(np.float32)
    name = "fast path: canny (segcore.fast.canny) vs skimage.feature.canny"
    try:
        t = _interleaved({
            "fast": lambda: fast_canny(gray32, 1.0, 0.05, 0.15, mode="reflect"),
            "skimage": lambda: feature.canny(gray32, 1.0, 0.05, 0.15, mode="reflect"),
            "method": lambda: run_method("canny", img),
        }, n)
        same = bool(np.array_equal(t["fast"].result, t["skimage"].result))
        rows.append(Row(
            SECTION, name, size=size, ours_ms=t["fast"].median_ms,
            ref_name="skimage.feature.canny(gray32, 1, 0.05, 0.15, mode='reflect')", ref_ms=t["skimage"].median_ms,
            value="edges equal" if same else "edges DIFFER", target="the same edges, faster",
            status=check(same and t["fast"].median_ms < t["skimage"].median_ms),
            note=f"row bands on every core; runs {t['fast'].spread} ms against {t['skimage'].spread} ms",
        ))
        scaled = t["method"].median_ms * CANNY_YARDSTICK_MS / t["skimage"].median_ms
        rows.append(Row(
            SECTION, "edges: canny at the target's machine speed", size=size, ours_ms=scaled,
            ref_name="skimage.feature.canny alone, as on the day the target was set", ref_ms=CANNY_YARDSTICK_MS,
            value=f"{t['method'].median_ms / t['skimage'].median_ms:.2f}x skimage.feature.canny",
            target=f"<= {TARGET_CLASSIC_MS:.0f} ms", status=check(scaled <= TARGET_CLASSIC_MS),
            note=f"the method {t['method'].median_ms:,.0f} ms x {CANNY_YARDSTICK_MS} ms / skimage.feature.canny's "
            f"{t['skimage'].median_ms:,.0f} ms in the same rounds: the method's time where the library call takes "
            "what it took when the target was set",
        ))
    except Exception as exc:  # noqa: BLE001
        rows.append(errored(SECTION, name, exc, size))

    name = "fast path: threshold_minimum (segcore.fast.minimum) vs scikit-image"
    try:
        hist = histogram(gray, 256, source_range="image")
        t = _interleaved({"fast": lambda: threshold_minimum(hist=hist),
                          "skimage": lambda: filters.threshold_minimum(hist=hist)}, n)
        same = t["fast"].result == t["skimage"].result
        rows.append(Row(
            SECTION, name, size=size, ours_ms=t["fast"].median_ms,
            ref_name="skimage.filters.threshold_minimum(hist=the gray's histogram)", ref_ms=t["skimage"].median_ms,
            value=f"threshold {float(t['fast'].result):.4f}" + ("" if same else " DIFFERS"),
            target="the same threshold, faster", status=check(same and t["fast"].median_ms < t["skimage"].median_ms),
        ))
    except Exception as exc:  # noqa: BLE001
        rows.append(errored(SECTION, name, exc, size))

    name = "fast path: LoG (segcore.fast.laplace) vs scipy.ndimage.gaussian_laplace"
    try:
        from segcore.fast.laplace import gaussian_laplace

        t = _interleaved({"fast": lambda: gaussian_laplace(gray32, 2.0, mode="reflect"),
                          "ndimage": lambda: ndi.gaussian_laplace(gray32, 2.0, mode="reflect")}, n)
        worst = float(np.abs(t["fast"].result - t["ndimage"].result).max() / np.abs(t["ndimage"].result).max())
        rows.append(Row(
            SECTION, name, size=size, ours_ms=t["fast"].median_ms,
            ref_name="scipy.ndimage.gaussian_laplace(gray32, 2, mode='reflect')", ref_ms=t["ndimage"].median_ms,
            value=f"max |diff| {worst:.1e} of the largest response",
            target="within 5e-6 of the largest response, faster",
            status=check(worst <= 5e-6 and t["fast"].median_ms < t["ndimage"].median_ms),
            note="cv2.sepFilter2D with ndimage's kernels, float32",
        ))
    except Exception as exc:  # noqa: BLE001
        rows.append(errored(SECTION, name, exc, size))
    return rows


def opencv_yardsticks(img: np.ndarray, n: int) -> list[Row]:
    """Where OpenCV does the same operation: convolution, Otsu, Canny."""
    size = size_str(img)
    try:
        import cv2
    except ImportError as exc:
        return [skipped(SECTION, "OpenCV yardsticks", f"opencv is not importable ({exc})", size)]
    from segcore.fast.gray import to_gray
    from segcore.methods.edges import SOBEL_VERTICAL, apply_kernel
    from segcore.registry import run_method

    rows = []
    gray = to_gray(img)  # float64, as the article's edge code convolves it

    # 1. 3 x 3 convolution. filter2D correlates: flip the kernel to convolve.
    name = "convolve 3x3 float64 (Sobel vertical, reflect)"
    try:
        flipped = np.ascontiguousarray(SOBEL_VERTICAL[::-1, ::-1])
        mine = time_call(lambda: apply_kernel(gray, SOBEL_VERTICAL), n, warmup=1)
        ref = time_call(lambda: cv2.filter2D(gray, cv2.CV_64F, flipped, borderType=cv2.BORDER_REFLECT), n, warmup=1)
        diff = float(np.max(np.abs(mine.result - ref.result)))
        same = diff < 1e-9
        rows.append(
            Row(
                SECTION, name, size=size, ours_ms=mine.median_ms,
                ref_name="cv2.filter2D(flipped kernel, BORDER_REFLECT)", ref_ms=ref.median_ms,
                value=f"max |diff| {diff:.1e}", target="same output",
                status=check(same),
                note="ndimage.convolve (ours, one thread) vs OpenCV; outputs " + ("agree" if same else "DIFFER"),
            )
        )
    except Exception as exc:  # noqa: BLE001
        rows.append(errored(SECTION, name, exc, size))

    # 2. Otsu: ours from RGB (rgb2gray, threshold_otsu, labels, legend) vs OpenCV from the same RGB.
    name = "otsu (method) vs cv2 Otsu"
    try:
        def cv_otsu():
            g8 = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
            return cv2.threshold(g8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)

        mine = time_call(lambda: run_method("otsu", img), n, warmup=1)
        ref = time_call(cv_otsu, n, warmup=1)
        t_ours = mine.result.extras["thresholds"][0]
        t_cv = ref.result[0] / 255.0
        fg_ours = float(mine.result.labels.mean())
        fg_cv = float((ref.result[1] > 0).mean())
        rows.append(
            Row(
                SECTION, name, size=size, ours_ms=mine.median_ms,
                ref_name="cv2.cvtColor + cv2.threshold(THRESH_OTSU), uint8", ref_ms=ref.median_ms,
                value=f"t {t_ours:.3f} vs {t_cv:.3f}", target="comparable",
                note=f"foreground {100 * fg_ours:.1f} % vs {100 * fg_cv:.1f} % "
                "(float gray, Rec.709 weights vs uint8 gray, Rec.601 weights)",
            )
        )
    except Exception as exc:  # noqa: BLE001
        rows.append(errored(SECTION, name, exc, size))

    # 3. Canny: skimage's (inside our method, with region labelling) vs OpenCV's.
    name = "canny (method) vs cv2.Canny"
    try:
        def cv_canny():
            g8 = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
            blur = cv2.GaussianBlur(g8, (0, 0), 1.0, borderType=cv2.BORDER_REFLECT)
            # skimage's thresholds are fractions of 1 on a float image: scale to uint8.
            return cv2.Canny(blur, 0.1 * 255, 0.2 * 255, L2gradient=True) > 0

        mine = time_call(lambda: run_method("canny", img), n, warmup=1)
        ref = time_call(cv_canny, n, warmup=1)
        a, b = np.asarray(mine.result.extras["edge_mask"], bool), ref.result
        dice = 2 * float(np.sum(a & b)) / max(1, int(a.sum() + b.sum()))
        rows.append(
            Row(
                SECTION, name, size=size, ours_ms=mine.median_ms,
                ref_name="cv2.GaussianBlur(sigma 1) + cv2.Canny(L2), uint8", ref_ms=ref.median_ms,
                value=f"edge Dice {dice:.2f}", target="comparable",
                note="comparable, not identical: ours also labels the regions between edges",
            )
        )
    except Exception as exc:  # noqa: BLE001
        rows.append(errored(SECTION, name, exc, size))
    return rows


def run(n: int, quick: bool = False, log=print) -> list[Row]:
    """All method rows; ``n`` timed runs each (after a warm-up)."""
    warnings.filterwarnings("ignore", category=UserWarning)
    img = photo(*WORK_SIZE)
    log(f"  test image: {PHOTO_SOURCE}; working size {size_str(img)}")
    rows: list[Row] = []
    log("  registered methods ...")
    rows += registered_methods(img, n, memory=not quick, quick=quick)
    log("  the article's loops ...")
    rows += article_loops(n, ref_runs=1 if quick else None)
    log("  k-means against the full fit ...")
    rows += kmeans_vs_full_fit(n, ref_runs=1 if quick else None)
    log("  fast paths against their library calls ...")
    rows += fast_paths(img, n)
    log("  OpenCV yardsticks ...")
    rows += opencv_yardsticks(img, n)
    return rows
