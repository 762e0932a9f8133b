"""The compare page as a person meets it: every classic method on an uploaded photo.

"Classic" is the article's methods (thresholds, edges, clustering: 20), the set the
targets below were set on; one more row (not in ``--quick``) times the first render with
the five region methods added (25), without a target.

Starts the real server (:mod:`benchmarks.server`) and drives Debian's Chromium
with Playwright, all times taken inside the page (``performance.now()``,
polled every animation frame):

* warm-up: ``/compare?sample=astronaut&methods=<every classic method>&view=labels``
  (:func:`classic_methods`), until
  the run finishes with one panel per method (imports, first runs);
* first render: in a new browser session each time (the page open on the
  astronaut sample), a 1600 x 1200 photo (:func:`benchmarks.common.photo`, saved as
  PNG; each run rolled by a different number of pixels so that no result is
  cached) chosen in the sidebar uploader's ``input[type=file]``; from its
  ``change`` event to the script run finishing (running -> notRunning) with the
  grid redrawn: the plotly figure's image traces hold new pictures and every
  subplot is drawn. Target 1.5 s;
* re-render after one method's control change: the settings expander, the
  k-means tab, focus the "Clusters (k)" thumb and press ArrowRight; from the
  keydown to the run finishing with the k-means panel's title changed.
  Target 0.5 s;
* the server's memory after these: peak of the summed VmRSS of its process tree.

Run alone: ``.venv/bin/python benchmarks/bench_compare.py [N]``; in the table:
``.venv/bin/python benchmarks/run.py --only compare``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __name__ == "__main__":  # run as a file: put the repository, not benchmarks/, first on the path
    _repo = str(Path(__file__).resolve().parents[1])
    if sys.path and Path(sys.path[0] or ".").resolve() == Path(_repo) / "benchmarks":
        sys.path[0] = _repo
    elif _repo not in sys.path:
        sys.path.insert(0, _repo)

from benchmarks.common import PHOTO_SOURCE, Row, check, errored, mb, photo, skipped  # noqa: E402
from benchmarks.server import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

SECTION = "compare"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 300_000  # twenty methods on 2 MP on a busy 2-core machine
TARGET_FIRST_S = 1.5
TARGET_RERENDER_S = 0.5
SIZE = (1600, 1200)

APP = '[data-testid="stApp"]'
NOT_RUNNING = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'

# Installed before any page script: counts finished script runs, stamps the last run's
# start and end, the last keydown and the last file chosen (performance.now(), ms).
INIT_SCRIPT = """
(() => {
  window.__bench = {finished: 0, keyAt: null, uploadAt: null, runStart: null, runEnd: null, doneAt: null};
  const obs = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type !== 'attributes') continue;
      const now = performance.now();
      const val = r.target.getAttribute('data-test-script-state');
      if (val === 'running' && r.oldValue !== 'running') {
        window.__bench.runStart = now;
        if (window.__bench.firstRunStart == null) window.__bench.firstRunStart = now;
      }
      if (r.oldValue === 'running' && val !== 'running') { window.__bench.finished += 1; window.__bench.runEnd = now; }
    }
  });
  const start = () => obs.observe(document.documentElement, {
    subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state'],
  });
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
  document.addEventListener('keydown', () => { window.__bench.keyAt = performance.now(); }, true);
  document.addEventListener('change', (e) => {
    if (e.target && e.target.type === 'file') window.__bench.uploadAt = performance.now();
  }, true);
})();
"""

# The grid as drawn: panel titles, a short signature of every image trace's picture
# (length and a slice from the middle of its data URI), subplots drawn, bytes of pictures.
_JS_HELPERS = """
const grid = () => {
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd.data) return null;
  const panels = (gd._fullLayout.meta && gd._fullLayout.meta.panels) || [];
  const sig = gd.data.map(d => {
    const s = d.source || '';
    const mid = Math.floor(s.length / 2);
    return s.length + ':' + s.slice(mid, mid + 48);
  }).join('|');
  const bytes = gd.data.reduce((n, d) => n + (d.source || '').length, 0);
  return {panels: panels, sig: sig, bytes: bytes, drawn: gd.querySelectorAll('.nsewdrag[data-subplot]').length};
};
const notRunning = () => !!document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]');
"""

THUMB_VALUE_JS = "e => e.value || e.getAttribute('aria-valuenow')"
SNAPSHOT_JS = "() => {" + _JS_HELPERS + "return {grid: grid(), finished: window.__bench.finished}; }"

# True once a run after ``a.since`` has finished and the grid shows ``a.n`` panels, all drawn,
# whose pictures are none of ``a.avoid`` (signatures; empty: any), with the sidebar caption
# starting with ``a.caption`` (when given) and the ``a.prefix`` panel's title (when given)
# other than ``a.old``; stamps the first such moment. Notes in ``sawSample`` whether the
# grid showed ``a.sample`` (the sample's pictures) on the way. Given ``a.thumb`` (a slider's
# input) and ``a.value`` (its value before a key press): also true, with ``lost`` set, once a
# run has finished, 1.5 s have passed without another, and the slider holds ``a.value`` again.
DONE_JS = "(a) => {" + _JS_HELPERS + """
  const b = window.__bench;
  if (b.doneAt != null) return true;
  const g = grid();
  if (g && a.sample !== null && g.sig === a.sample) b.sawSample = true;
  if (!(b.finished > a.since && notRunning())) return false;
  const now = a.thumb ? String(a.thumb.value || a.thumb.getAttribute('aria-valuenow')) : null;
  if (a.thumb && now === String(a.value) && performance.now() - b.runEnd > 1500) {
    b.lost = true;  // a run finished, the page went quiet, and the slider is back where it was
    return true;
  }
  if (!g || g.panels.length !== a.n || g.drawn !== a.n) return false;
  if (a.avoid.includes(g.sig)) return false;
  if (a.caption !== null) {
    const c = document.querySelector('[data-testid="stSidebar"] [data-testid="stImageCaption"]');
    if (!c || !c.innerText.trim().startsWith(a.caption)) return false;
  }
  if (a.prefix !== null) {
    const t = g.panels.find(p => p.startsWith(a.prefix));
    if (t === undefined || t === a.old) return false;
  }
  b.doneAt = performance.now();
  b.runsToDone = b.finished - a.since;
  return true;
}"""


def classic_methods() -> list[str]:
    """The article's methods (thresholds, edges, clustering): the set issue 13's targets were set on."""
    from segcore.registry import compare_methods, get_method

    return [m for m in compare_methods() if get_method(m).family in ("threshold", "edges", "clustering")]


def all_but_maskrcnn() -> list[str]:
    """Every method the page offers but Mask R-CNN: the article's and the region methods."""
    from segcore.registry import compare_methods

    return [m for m in compare_methods() if m != "maskrcnn"]


def _median(values: list[float]) -> float:
    vals = [v for v in values if v == v]  # drop NaN
    return statistics.median(vals) if vals else float("nan")


def _span(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f} ms" if values else ""


class _Page:
    def __init__(self, browser, base_url: str):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.add_init_script(INIT_SCRIPT)
        self.base = base_url
        self.sample_sig: str | None = None
        self.lost_urls: list[str] = []  # the address when a key press was dropped

    def close(self) -> None:
        self.context.close()

    def check(self) -> None:
        exc = self.page.locator(EXCEPTION)
        if exc.count():
            text = exc.first.inner_text().strip().splitlines()
            raise RuntimeError("the page shows a Streamlit exception: " + " | ".join(text[:3])[:240])

    def quiet(self, ms: int = 600) -> None:
        """Wait until no script run has started or ended for ``ms`` and none is running."""
        self.page.wait_for_function(
            "(ms) => { const b = window.__bench; const last = Math.max(b.runStart || 0, b.runEnd || 0);"
            " return performance.now() - last > ms && !!document.querySelector("
            "'[data-testid=\"stApp\"][data-test-script-state=\"notRunning\"]'); }",
            arg=ms, polling=100, timeout=TIMEOUT_MS,
        )

    def snapshot(self) -> dict:
        return self.page.evaluate(SNAPSHOT_JS)

    def reset(self) -> None:
        self.page.evaluate(
            "() => { const b = window.__bench; b.doneAt = null; b.keyAt = null; b.uploadAt = null;"
            " b.sawSample = false; b.firstRunStart = null;"
            " b.lost = false; }"
        )

    def wait_done(self, *, since: int, n: int, avoid: list[str] = (), caption: str | None = None,
                  prefix: str | None = None, old: str | None = None, sample: str | None = None,
                  thumb=None, value=None) -> dict:
        self.page.wait_for_function(
            DONE_JS,
            arg={"since": since, "n": n, "avoid": list(avoid), "caption": caption, "prefix": prefix, "old": old,
                 "sample": sample, "thumb": thumb, "value": value},
            polling="raf", timeout=TIMEOUT_MS,
        )
        self.check()
        return self.page.evaluate("window.__bench")

    def warm_up(self, methods: list[str]) -> float:
        """Open the compare page with ``methods`` on the astronaut; ms from navigation start to the grid."""
        self.page.goto(f"{self.base}/compare?sample=astronaut&methods={','.join(methods)}&view=labels",
                       wait_until="commit")
        self.page.wait_for_selector(APP, state="attached")
        b = self.wait_done(since=0, n=len(methods))
        self.quiet()
        self.sample_sig = self.snapshot()["grid"]["sig"]
        return float(b["doneAt"])

    def upload(self, path: Path, n: int) -> dict[str, float]:
        """Choose ``path`` in the sidebar uploader; times (ms) from the file's change event."""
        snap = self.snapshot()
        self.reset()
        uploader = self.page.locator('[data-testid="stSidebar"] [data-testid="stFileUploader"]')
        uploader.locator('input[type="file"]').set_input_files(str(path))
        # Done: the run that shows the new file (the sidebar names it) has finished and the grid holds
        # pictures that are neither the previous ones nor the sample's. (Replacing the file of a
        # single-file uploader first reruns the page with no file, i.e. on the sample: not "done".)
        b = self.wait_done(since=snap["finished"], n=n, avoid=[snap["grid"]["sig"], self.sample_sig],
                           caption=path.name + ":",
                           sample=None if snap["grid"]["sig"] == self.sample_sig else self.sample_sig)
        t0 = b["uploadAt"]
        after = self.snapshot()["grid"]
        out = {
            "done_ms": b["doneAt"] - t0,
            "first_run_start_ms": (b["firstRunStart"] - t0) if b.get("firstRunStart") else float("nan"),
            "last_run_ms": (b["runEnd"] - b["runStart"]) if b.get("runStart") and b["runStart"] >= t0 else float("nan"),
            "drawn_after_run_ms": b["doneAt"] - b["runEnd"],
            "picture_mb": after["bytes"] / 1e6,
            "runs": b["runsToDone"],
            "saw_sample": bool(b.get("sawSample")),
        }
        self.quiet()
        return out

    def open_kmeans_tab(self):
        """Open the settings expander and the k-means tab; return the 'Clusters (k)' thumb."""
        from segcore.registry import get_method

        main = self.page.locator('[data-testid="stMain"]')
        expander = main.locator('[data-testid="stExpander"]').filter(has_text="Settings of each method").first
        if not expander.evaluate("e => { const d = e.querySelector('details'); return !!(d && d.open); }"):
            expander.locator("summary").first.click()  # reruns the page, which draws the open tab's controls
            self.quiet()
        main.get_by_role("tab", name=get_method("kmeans").title, exact=True).click()  # reruns, drawing k-means'
        self.quiet()
        panel = main.locator('[role="tabpanel"]:visible').first
        slider = panel.locator('[data-testid="stSlider"]').filter(has_text="Clusters (k)").first
        return slider.get_by_role("slider").first  # [role="slider"], or Streamlit 1.67's <input type="range">

    def rerender(self, thumb, n: int) -> dict[str, float]:
        """Press ArrowRight on ``thumb``; times (ms) from the keydown to the k-means panel retitled.

        A press the page drops (a run follows it but the slider springs back, see
        ``lost`` in DONE_JS) is counted in ``lost`` and pressed again; the time is the
        press that took.
        """
        from segcore.registry import get_method

        prefix = f"<b>{get_method('kmeans').title}</b>"
        lost = 0
        for _attempt in range(3):
            thumb.focus()
            snap = self.snapshot()
            old = next((t for t in snap["grid"]["panels"] if t.startswith(prefix)), None)
            if old is None:
                raise RuntimeError("no k-means panel in the grid")
            value = thumb.evaluate(THUMB_VALUE_JS)
            url = self.page.url
            self.reset()
            thumb.press("ArrowRight")
            handle = thumb.element_handle()
            try:
                b = self.wait_done(since=snap["finished"], n=n, prefix=prefix, old=old, thumb=handle, value=value)
            except Exception as exc:  # noqa: BLE001 - say what the page showed instead
                state = self.page.evaluate("window.__bench")
                now = self.snapshot()["grid"] or {}
                raise RuntimeError(
                    f"{type(exc).__name__} after ArrowRight on 'Clusters (k)' = {value}: thumb now "
                    f"{thumb.evaluate(THUMB_VALUE_JS)}, runs finished {state['finished']} (before: "
                    f"{snap['finished']}), k-means title "
                    f"{next((t for t in now.get('panels', []) if t.startswith(prefix)), None)!r} (before: {old!r})"
                ) from exc
            finally:
                handle.dispose()
            if not b.get("lost"):
                break
            lost += 1
            self.lost_urls.append(url)
            self.quiet()
        else:
            raise RuntimeError(f"three ArrowRight presses on 'Clusters (k)' = {value} were all dropped")
        key = b["keyAt"]
        out = {
            "done_ms": b["doneAt"] - key,
            "run_start_ms": (b["runStart"] - key) if b.get("runStart") and b["runStart"] >= key else float("nan"),
            "run_ms": (b["runEnd"] - b["runStart"]) if b.get("runStart") and b["runStart"] >= key else float("nan"),
            "drawn_after_run_ms": b["doneAt"] - b["runEnd"],
            "lost": lost,
        }
        self.quiet()  # let the last elements settle before the next press
        return out


def _photos(tmp: Path, n: int) -> list[Path]:
    """``n`` different 1600 x 1200 PNG photos: the same photo rolled sideways by 7, 14, ... pixels."""
    import numpy as np
    from PIL import Image

    base = photo(*SIZE)
    paths = []
    for i in range(n):
        path = tmp / f"photo_{SIZE[0]}x{SIZE[1]}_{i + 1}.png"
        Image.fromarray(np.ascontiguousarray(np.roll(base, 7 * (i + 1), axis=1))).save(path)
        paths.append(path)
    return paths


def run(n: int, quick: bool = False, log=print) -> list[Row]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        return [skipped(SECTION, "compare figures", f"the playwright package is not importable ({exc})")]
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return [skipped(SECTION, "compare figures", f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")]

    from benchmarks.server import streamlit_server

    methods = classic_methods()
    m = len(methods)
    size = f"{SIZE[0]} x {SIZE[1]}"
    rows: list[Row] = []
    tmp = Path(tempfile.mkdtemp(prefix="segbench-compare-"))
    pw = sync_playwright().start()
    try:
        photos = _photos(tmp, n)
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001
            return [skipped(SECTION, "compare figures", f"Chromium failed to launch: {exc}")]
        try:
            log("  starting the server ...")
            with streamlit_server() as server:
                p = _Page(browser, server.url)
                try:
                    log(f"  warm-up: astronaut, {m} classic methods ...")
                    warm = p.warm_up(methods)
                    rows.append(Row(
                        SECTION, f"warm-up: compare page, astronaut, {m} classic methods", size="512 x 512",
                        ours_ms=warm, note="first visit after the server started: navigation start to the grid "
                        "drawn with every panel and the run finished (imports and first runs included)",
                    ))
                    def first_renders(chosen: list[str], what: str, target_s: float | None) -> None:
                        nonlocal p
                        k = len(chosen)
                        name = f"first render: upload, {k} {what}"
                        try:
                            uploads = []
                            for i, path in enumerate(photos):
                                # Each photo in a session of its own, as a visitor uploads a first photo: a
                                # replaced upload adds a run without the file first (Streamlit's uploader).
                                log(f"  first render {i + 1}/{n} ({k} methods): a new session, upload {path.name} ...")
                                p.close()
                                p = _Page(browser, server.url)
                                p.warm_up(chosen)
                                uploads.append(p.upload(path, k))
                            med = _median([u["done_ms"] for u in uploads])
                            start = _median([u["first_run_start_ms"] for u in uploads])
                            last = _median([u["last_run_ms"] for u in uploads])
                            drawn = _median([u["drawn_after_run_ms"] for u in uploads])
                            rows.append(Row(
                                SECTION, name, size=size, ours_ms=med,
                                value=f"pictures {_median([u['picture_mb'] for u in uploads]):.1f} MB",
                                target=f"<= {target_s} s" if target_s else "",
                                status=check(med <= target_s * 1000) if target_s else "measured",
                                note=f"file chosen (change event) to the run finished and the grid redrawn with the "
                                f"new pictures; each the first upload of a new browser session (the page open on the "
                                f"astronaut sample), a different photo each time (rolled 7 px more), nothing cached; "
                                f"file chosen to first run start {start:,.0f} ms, the run showing the file "
                                f"{last:,.0f} ms, its end to the grid redrawn {drawn:,.0f} ms; script runs per upload "
                                f"{[u['runs'] for u in uploads]}; median of {n}, runs "
                                f"{_span([u['done_ms'] for u in uploads])}; 'pictures': the figure's image data URIs",
                                extra={"runs": uploads, "methods": chosen},
                            ))
                        except Exception as exc:  # noqa: BLE001 - report, go on
                            rows.append(errored(SECTION, name, exc, size))

                    first_renders(methods, "classic methods (the article's)", TARGET_FIRST_S)
                    name = f"re-render: k-means 'Clusters (k)' +1, {m} classic methods"
                    try:
                        log(f"  re-render: k-means 'Clusters (k)' x {n} ...")
                        thumb = p.open_kmeans_tab()
                        times = [p.rerender(thumb, m) for _ in range(n)]
                        med = _median([t["done_ms"] for t in times])
                        lost = sum(t["lost"] for t in times)
                        stale = sum("sample=" in u for u in p.lost_urls)
                        dropped = (
                            f"; {lost} press(es) dropped by the page and pressed again ({stale} of them with a "
                            "'sample=' left in the address after replacing an upload)" if lost else ""
                        )
                        rows.append(Row(
                            SECTION, name, size=size, ours_ms=med,
                            target=f"<= {TARGET_RERENDER_S} s", status=check(med <= TARGET_RERENDER_S * 1000),
                            note=f"settings expander, k-means tab, ArrowRight on the thumb (k 5 -> {5 + n}): "
                            f"keydown to the run finished with the k-means panel's title changed; keydown to run "
                            f"start {_median([t['run_start_ms'] for t in times]):,.0f} ms, script run "
                            f"{_median([t['run_ms'] for t in times]):,.0f} ms, its end to the grid redrawn "
                            f"{_median([t['drawn_after_run_ms'] for t in times]):,.0f} ms; median of {n}, runs "
                            f"{_span([t['done_ms'] for t in times])}{dropped}",
                            extra={"runs": times, "lost_urls": p.lost_urls},
                        ))
                    except Exception as exc:  # noqa: BLE001
                        rows.append(errored(SECTION, name, exc, size))
                    if not quick:
                        first_renders(all_but_maskrcnn(), "methods (the article's and the region methods)", None)
                finally:
                    p.close()
                time.sleep(0.3)
                peak, hwm = server.rss.peak_kb, server.rss.tree_hwm_kb()
                rows.append(Row(
                    SECTION, "server peak RSS (process tree)", value=mb(max(peak, 1)),
                    note=f"sampled VmRSS peak {mb(peak)}; sum of VmHWM {mb(hwm)}; after the runs above "
                    f"({n} uploads of {size} with {m} methods each)",
                    extra={"peak_rss_kb": peak, "hwm_kb": hwm},
                ))
        except Exception as exc:  # noqa: BLE001
            rows.append(errored(SECTION, "compare figures", exc))
        finally:
            browser.close()
    finally:
        pw.stop()
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    log(f"  (uploaded photos: {PHOTO_SOURCE}, {size}, rolled sideways)")
    return rows


if __name__ == "__main__":
    from benchmarks.common import fmt_ms

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}; N = {count}")
    for row in run(count):
        ms = f"{fmt_ms(row.ours_ms)} ms" if row.ours_ms is not None else ""
        print(f"{row.name:60s} {row.size:12s} {ms:>11s}  {row.value:16s} {row.target:10s} "
              f"{row.status}\n    {row.note}")
