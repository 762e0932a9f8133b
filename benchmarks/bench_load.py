"""Many visitors at once: S browser sessions against one server, each with its own image.

One real server (:mod:`benchmarks.server`, offline for the COCO weights: an empty
``TORCH_HOME`` and ``SEGCORE_MASKRCNN_URL`` a closed local port) and ONE
Chromium driven through Playwright's *async* API: every session is a browser
context of its own, all started together with ``asyncio.gather`` on one event
loop (one Playwright, one browser; the sync API cannot be shared by threads).
Each session, as a visitor would:

1. opens the app (``/``) and uploads its own image in the sidebar: a synthetic
   shapes picture (:func:`segcore.methods.maskrcnn.shapes.make_sample`, a seed of its
   own) resized to a size of its own (600 + 16 k x 450 + 12 k for visitor k,
   PNG), so that every visitor's working size, thresholds and results differ;
2. the thresholding page: the sidebar caption, the result caption ("... on W x H
   px"), the "Threshold" metric (the gray mean, the page's first method) and the
   Otsu tile ("Otsu: 0.xxxx") must be its own image's, computed here with segcore
   on the same working image (:func:`segcore.io.loading.load_image`, same max_side);
3. the Mask R-CNN page: the COCO weights cannot be had (offline: the page says
   so), so the visitor picks the small shapes model and a synthetic picture number
   of its own; the "Instances" metric and the class counts must be those this
   process computes for that picture;
4. the compare page (from the sidebar, so the upload stays: a new address would
   be a new session) with the page's default methods (Otsu, Multi-Otsu, Canny,
   k-means, Gaussian mixture, Mask R-CNN; Mask R-CNN runs the shapes model the
   visitor last used): one panel per method, the axes spanning its own working
   size, the Otsu panel's picture pixel for pixel its own image's Otsu labels and
   the Mask R-CNN panel's its own image's instances.

Any Streamlit exception, page error or wrong value is reported per session
(errors; "cross-talk" for a value that belongs to another image or none). Every
step is timed in this process (action to the run finished with the condition
met). The server's process-tree RSS is sampled every 0.1 s (peak per wave), read
with all S sessions open and idle ("held"), and after they close: Streamlit keeps
a disconnected session ``server.disconnectedSessionTTL`` seconds (120 by
default, at most 128 of them) for a reconnect and drops it lazily, at the next
disconnect after that; so the run waits the TTL out, opens and closes a probe
session twice (the drop, then a script run whose garbage collection frees what
was dropped) and polls until the RSS is steady ("settled"). Two more waves of S
sessions follow on the same server: wave 2 uploads wave 1's images again (new
sessions, the caches hit, nothing new to cache), so what a session leaves behind
once dropped shows as growth: its settled RSS must stay within 5 % of wave 1's;
wave 3 brings S new images, which the shared caches keep (each bounded: see the
cache audit row). Then (not with ``--quick``) six more waves of S new images
(upload, thresholding, compare) fill the caches to their bounds: the RSS must
level off (the growth per image in the second half of these waves at most a
quarter of the first's) and settle below wave 1's plus the caches' byte bounds.

Community Cloud budget: one more fresh server with a larger number of sessions
(16; not with ``--quick``); the peak RSS per added session, and the number of
concurrent sessions whose peak fits 2.7 GB (2.7e9 bytes, the server's process
tree only: the browser is not on the Cloud).

Run alone: ``.venv/bin/python benchmarks/bench_load.py [SESSIONS] [LARGER]``; in
the table: ``.venv/bin/python benchmarks/run.py --only load``.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import contextlib
import io
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

if __name__ == "__main__":  # run as a file: put the repository, not benchmarks/, first on the path
    _repo = str(Path(__file__).resolve().parents[1])
    if sys.path and Path(sys.path[0] or ".").resolve() == Path(_repo) / "benchmarks":
        sys.path[0] = _repo
    elif _repo not in sys.path:
        sys.path.insert(0, _repo)

import numpy as np  # noqa: E402

from benchmarks.common import REPO, Row, check, errored, mb, skipped  # noqa: E402
from benchmarks.server import CHROMIUM, CHROMIUM_ARGS, METRIC_TEXT_JS, RUN_COUNTER_JS  # noqa: E402

SECTION = "load"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
SESSIONS = 8
LARGER = 16
VIEWPORT = {"width": 1280, "height": 800}
STEP_TIMEOUT_MS = 300_000  # one step of one session, S sessions sharing 2 busy cores
TARGET_RETURNING = 0.05  # wave 2 (the same images, new sessions): settled RSS at most this much above wave 1's
CHURN_WAVES = 6  # waves of new images after wave 3 (not with --quick): the caches fill to their bounds
#: Once the caches are full and evicting, the growth per new image over the second half of the fill waves
#: is at most this share of the first fill wave's (the RSS is noisy, +-150 MB, as the heap is reused).
TARGET_PLATEAU_SHARE = 0.25
CLOUD_BYTES = 2.7e9  # Streamlit Community Cloud's memory (about 2.7 GB)
CLOUD_MB = CLOUD_BYTES / 2**20
SETTLE_POLL_S = 30.0
STEPS = ("open", "upload", "thresholding", "mask_rcnn", "compare")

APP = '[data-testid="stApp"]'
EXCEPTION = '[data-testid="stException"]'

# Counts finished script runs (transitions out of "running"), so that no wait misses a run.
INIT_SCRIPT = RUN_COUNTER_JS

# Helpers for the conditions below. Each condition is the app idle (no script running, connected) with
# content that only the awaited run can have put there: a fast run (a cached result) can go from
# "running" to "notRunning" within one React commit, so the DOM never shows it running and a count of
# finished runs misses it.
_JS = METRIC_TEXT_JS + """
const idle = (a) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED';
};
const picture = () => {
  const i = document.querySelector('[data-testid="stMain"] [data-testid="stImage"] img');
  return i ? i.getAttribute('src') : null;
};
const h1 = () => { const e = document.querySelector('[data-testid="stMain"] h1'); return e ? e.innerText.trim() : ''; };
const texts = (sel) => [...document.querySelectorAll(sel)].map(e => e.innerText.trim());
const gd = () => document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
"""


def _cond(body: str) -> str:
    """A wait condition: ``body``, or a finished run that shows a Streamlit exception (reported at once)."""
    return ("(a) => {" + _JS + "if (idle(a) && document.querySelector('[data-testid=\"stException\"]')) return true;"
            + body + "}")


HOME_JS = _cond("return idle(a) && h1().includes('Segmentation explorer');")
CAPTION_JS = _cond(
    "return idle(a) && texts('[data-testid=\"stSidebar\"] [data-testid=\"stImageCaption\"]').includes(a.caption);"
)
THRESHOLDING_JS = _cond("""
  if (!(idle(a) && h1() === 'Thresholding')) return false;
  const caps = texts('[data-testid="stMain"] [data-testid="stImageCaption"], [data-testid="stMain"] [data-testid="stCaptionContainer"]');
  return caps.some(t => /^Otsu: \\d\\.\\d{4}$/.test(t)) && caps.some(t => / labels on \\d+ x \\d+ px/.test(t))
    && metricText('Threshold') !== null;
""")
# What the page shows, for an error message.
STATE_JS = "() => {" + _JS + """
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  return {h1: h1(), state: app && app.getAttribute('data-test-script-state'),
          connection: app && app.getAttribute('data-test-connection-state'), runs: window.__stFinishedRuns,
          inputs: [...document.querySelectorAll('[data-testid="stMain"] input')].map(i => i.value).slice(0, 8),
          main: main ? main.innerText.slice(0, 400) : null};
}"""
THRESHOLDING_READ_JS = "() => {" + _JS + """
  const tiles = texts('[data-testid="stMain"] [data-testid="stImageCaption"]');
  const caps = texts('[data-testid="stMain"] [data-testid="stCaptionContainer"]');
  return {otsu: tiles.filter(t => /^Otsu: /.test(t)), result: caps.filter(t => / labels on \\d+ x \\d+ px/.test(t)),
          mean: metricText('Threshold'),
          sidebar: texts('[data-testid="stSidebar"] [data-testid="stImageCaption"]')};
}"""
# The page's first run: offline, the COCO weights are refused and it points at the offline model.
MASK_PAGE_JS = _cond("""
  const main = document.querySelector('[data-testid="stMain"]');
  return idle(a) && h1() === 'Mask R-CNN' && !!document.querySelector('[data-testid="stMain"] [data-testid="stSelectbox"]')
    && (metricText('Instances') !== null || (!!main && main.innerText.includes('choose Offline demo')));
""")
INSTANCES_JS = _cond("return idle(a) && h1() === 'Mask R-CNN' && metricText('Instances') !== null;")
# A new result: the instance picture (the first in the page's main area) is another one.
NEW_PICTURE_JS = _cond("return idle(a) && metricText('Instances') !== null && picture() !== null && picture() !== a.old;")
MASK_READ_JS = "() => {" + _JS + """
  const main = document.querySelector('[data-testid="stMain"]');
  return {instances: metricText('Instances'), text: main ? main.innerText : ''};
}"""
# The compare grid drawn with ``a.n`` panels, the subplot of every panel with a picture drawn (a method
# that cannot run here, Mask R-CNN without its weights, has a message and no picture, so no subplot).
COMPARE_JS = _cond("""
  if (!(idle(a) && h1() === 'Compare methods')) return false;
  const g = gd();
  if (!g || !g._fullLayout || !g._fullLayout.meta || !g._fullLayout.meta.panels || !g.data) return false;
  const pictures = new Set(g.data.map(d => d.xaxis || 'x')).size;
  return g._fullLayout.meta.panels.length === a.n && pictures > 0
    && g.querySelectorAll('.nsewdrag[data-subplot]').length === pictures;
""")
COMPARE_READ_JS = "(prefixes) => {" + _JS + """
  const g = gd();
  const L = g._fullLayout;
  const pictures = {};
  for (const d of g.data) for (const p of prefixes) if ((d.name || '').startsWith(p)) pictures[p] = d.source || '';
  return {panels: L.meta.panels, x: L.xaxis.range.slice(), y: L.yaxis.range.slice(), pictures: pictures,
          sidebar: texts('[data-testid="stSidebar"] [data-testid="stImageCaption"]')};
}"""

SHAPES_OPTION = "Offline demo: small model trained here on synthetic shapes"


# --------------------------------------------------------------------------- visitors


@dataclass
class Visitor:
    """One visitor's upload and what this process computed it must be shown."""

    index: int
    path: Path
    size: tuple[int, int]
    mean: str  # the gray mean (the thresholding page's first method), 4 decimals
    otsu: str  # Otsu's threshold, 4 decimals
    otsu_picture: np.ndarray  # colorize(otsu labels): the compare page's Otsu panel
    seed: int | None = None  # the Mask R-CNN page's synthetic picture number
    page_instances: int | None = None
    page_classes: str | None = None  # "circle: 2, triangle: 1", as the page writes them
    maskrcnn_labels: int | None = None  # Mask R-CNN (shapes) on the upload, on the compare page
    maskrcnn_picture: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def caption(self) -> str:
        return f"{self.name}: {self.size[0]} x {self.size[1]} px"


def visitor_size(k: int) -> tuple[int, int]:
    """Visitor ``k``'s image size: distinct for any 32 visitors in a row, all above segcore.fast.gray's kept-gray size."""
    return 600 + 16 * (k % 32), 450 + 12 * (k % 32)


def make_visitors(tmp: Path, first: int, count: int, *, maskrcnn: bool) -> list[Visitor]:
    """``count`` visitors numbered from ``first``: their PNG files in ``tmp`` and their expected results.

    Otsu thresholds are made pairwise distinct (a seed whose threshold another visitor
    already has is skipped), so a value shown in the wrong session cannot pass.
    ``maskrcnn``: also the shapes model's results (imports torch in this process).
    """
    from PIL import Image

    from segcore.io.loading import DEFAULT_MAX_SIDE, load_array, load_image
    from segcore.methods.maskrcnn.shapes import make_sample
    from segcore.registry import run_method
    from segcore.render import colorize

    visitors: list[Visitor] = []
    seen_otsu: set[str] = set()
    seed = 5000 + 97 * first
    for k in range(first, first + count):
        w, h = visitor_size(k)
        while True:
            seed += 1
            rgb, _, _ = make_sample(seed, size=256)
            buf = io.BytesIO()
            Image.fromarray(rgb).resize((w, h), Image.Resampling.BILINEAR).save(buf, format="PNG")
            data = buf.getvalue()
            name = f"visitor_{k:02d}.png"
            image = load_image(data, max_side=DEFAULT_MAX_SIDE, name=name)
            otsu_seg = run_method("otsu", image.rgb)
            otsu = f"{otsu_seg.extras['thresholds'][0]:.4f}"
            if otsu not in seen_otsu:
                break
        seen_otsu.add(otsu)
        path = tmp / name
        path.write_bytes(data)
        mean = f"{run_method('global_mean', image.rgb).extras['thresholds'][0]:.4f}"
        v = Visitor(k, path, image.size, mean, otsu, colorize(otsu_seg))
        if maskrcnn:
            # The compare page: the shapes model at its own size (min_size None), the page's other defaults.
            seg = run_method("maskrcnn", image.rgb, variant="shapes", score_threshold=0.5, mask_threshold=0.5,
                             min_size=None, max_instances=100, device="auto")
            v.maskrcnn_labels, v.maskrcnn_picture = seg.n_labels, colorize(seg)
            # The Mask R-CNN page: picture number 300000 + ..., one with at least one shape found.
            page_seed = 300_000 + 100 * k
            while True:
                page_seed += 1
                sample = load_array(make_sample(page_seed)[0], name=f"shapes_{page_seed}.png")
                found = run_method("maskrcnn", sample.rgb, variant="shapes", score_threshold=0.5, mask_threshold=0.5,
                                   max_instances=100, min_size=128, device="auto")
                if found.extras["instances"]:
                    break
            v.seed = page_seed
            v.page_instances = len(found.extras["instances"])
            v.page_classes = ", ".join(f"{c}: {n}" for c, n in found.extras["class_counts"].items())
        visitors.append(v)
    return visitors


# --------------------------------------------------------------------------- one session


@dataclass
class SessionResult:
    index: int
    steps_ms: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    crosstalk: list[str] = field(default_factory=list)
    checks: int = 0  # values compared with this visitor's own
    retries: int = 0  # key presses the page dropped (no run followed) and that were pressed again
    console: list[str] = field(default_factory=list)  # console errors (reported, not failed on)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.crosstalk

    @property
    def total_ms(self) -> float:
        return sum(self.steps_ms.values())


def _decode(uri: str) -> np.ndarray | None:
    from PIL import Image

    if not uri.startswith("data:image/"):
        return None
    raw = base64.b64decode(uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


class _Session:
    def __init__(self, context, base: str, visitor: Visitor, result: SessionResult, timeout_ms: int = STEP_TIMEOUT_MS):
        self.context, self.base, self.v, self.r = context, base, visitor, result
        self.timeout_ms = timeout_ms
        self.page = None

    async def start(self) -> None:
        self.page = await self.context.new_page()
        self.page.set_default_timeout(self.timeout_ms)
        await self.page.add_init_script(INIT_SCRIPT)
        self.page.on("pageerror", lambda exc: self.r.errors.append(f"page error: {exc}"[:300]))
        self.page.on("console", self._console)

    def _console(self, msg) -> None:
        if msg.type == "error" and len(self.r.console) < 20:
            self.r.console.append(msg.text[:200])

    async def finished(self) -> int:
        return int(await self.page.evaluate("window.__stFinishedRuns || 0"))

    async def until(self, js: str, since: int, what: str = "", **arg) -> None:
        try:
            await self.page.wait_for_function(js, arg={"since": since, **arg}, polling=100, timeout=self.timeout_ms)
        except Exception as exc:  # noqa: BLE001 - say what the page showed instead
            try:
                state = await self.page.evaluate(STATE_JS)
            except Exception as inner:  # noqa: BLE001
                state = f"(no state: {inner})"
            with contextlib.suppress(Exception):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                await self.page.screenshot(path=str(SCREENSHOTS / f"load-FAILED-{self.v.index:02d}-{what}.png"),
                                           full_page=True)
            raise RuntimeError(f"{type(exc).__name__} waiting for {what} (runs before: {since}); page: {state}") from exc
        await self.page.wait_for_timeout(150)  # the last elements of the run commit
        await self.clean()

    async def ran(self, old: str | None, timeout_ms: int = 5_000) -> bool:
        """Whether a run has started, or the page's first picture is another than ``old``, within ``timeout_ms``."""
        try:
            await self.page.wait_for_function(
                "(old) => {" + _JS + "return !!document.querySelector("
                "'[data-testid=\"stApp\"][data-test-script-state=\"running\"]') || picture() !== old; }",
                arg=old, polling=50, timeout=timeout_ms)
            return True
        except Exception:  # noqa: BLE001 - a timeout: nothing ran
            return False

    async def clean(self) -> None:
        exc = self.page.locator(EXCEPTION)
        if await exc.count():
            text = (await exc.first.inner_text()).strip().splitlines()
            raise RuntimeError("Streamlit exception: " + " | ".join(text[:3])[:300])

    def expect(self, what: str, shown, wanted) -> None:
        self.r.checks += 1
        if shown != wanted:
            self.r.crosstalk.append(f"{what}: shown {shown!r}, its own {wanted!r}"[:300])

    async def nav(self, title: str) -> int:
        since = await self.finished()
        link = self.page.locator('[data-testid="stSidebarNav"] a').filter(
            has=self.page.locator('[data-testid="stMarkdownContainer"]',
                                  has_text=re.compile(rf"^\s*{re.escape(title)}\s*$"))
        ).first
        await link.click()
        return since

    async def select(self, label: str, option: str) -> int:
        combo = self.page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').get_by_role(
            "combobox", name=label, exact=True)
        await combo.click()
        since = await self.finished()
        await self.page.get_by_role("option", name=option, exact=True).click()
        return since

    # ----------------------------------------------------------------- the steps

    async def open(self) -> None:
        await self.page.goto(self.base + "/", wait_until="domcontentloaded")
        await self.until(HOME_JS, 0, "home")

    async def upload(self) -> None:
        since = await self.finished()
        await self.page.locator('[data-testid="stSidebar"] [data-testid="stFileUploader"] input[type="file"]') \
            .set_input_files(str(self.v.path))
        await self.until(CAPTION_JS, since, "upload caption", caption=self.v.caption)

    async def thresholding(self) -> None:
        since = await self.nav("Thresholding")
        await self.until(THRESHOLDING_JS, since, "thresholding")
        got = await self.page.evaluate(THRESHOLDING_READ_JS)
        w, h = self.v.size
        self.expect("thresholding: sidebar caption", got["sidebar"], [self.v.caption])
        self.expect("thresholding: Otsu tile", got["otsu"], [f"Otsu: {self.v.otsu}"])
        self.expect("thresholding: 'Threshold' (gray mean)", got["mean"], self.v.mean)
        sizes = [m.group(0) for t in got["result"] for m in [re.search(r"on \d+ x \d+ px", t)] if m]
        self.expect("thresholding: result size", sizes, [f"on {w} x {h} px"])

    async def mask_rcnn(self) -> None:
        since = await self.nav("Mask R-CNN")
        await self.until(MASK_PAGE_JS, since, "mask page")  # offline: the COCO weights cannot be had; the page says so
        since = await self.select("Model", SHAPES_OPTION)
        await self.until(INSTANCES_JS, since, "shapes model result")
        box = self.page.locator('[data-testid="stMain"] [data-testid="stNumberInput"]').filter(
            has_text="Synthetic picture number").locator("input").first
        since = await self.finished()
        old = await self.page.evaluate("() => {" + _JS + "return picture(); }")
        await box.fill(str(self.v.seed))
        await box.press("Enter")
        for key in ("Enter", "Tab"):  # a press the page drops (typed, not committed: no run): again, then blur
            if await self.ran(old):
                break
            self.r.retries += 1
            await box.press(key)
        await self.until(NEW_PICTURE_JS, since, "picture number result", old=old)
        got = await self.page.evaluate(MASK_READ_JS)
        self.expect("mask r-cnn page: Instances", got["instances"], str(self.v.page_instances))
        shown = self.v.page_classes if self.v.page_classes in got["text"] else "(not on the page)"
        self.expect("mask r-cnn page: class counts", shown, self.v.page_classes)

    async def compare(self, methods: list[str], maskrcnn: bool) -> None:
        from segcore.registry import get_method

        since = await self.nav("Compare methods")
        await self.until(COMPARE_JS, since, "compare grid", n=len(methods))
        otsu_p, mr_p = f"<b>{get_method('otsu').title}</b>", f"<b>{get_method('maskrcnn').title}</b>"
        got = await self.page.evaluate(COMPARE_READ_JS, [otsu_p, mr_p])
        w, h = self.v.size
        titles = [re.match(r"<b>(.*?)</b>", t).group(1) if t.startswith("<b>") else t for t in got["panels"]]
        self.expect("compare: panels", titles, [get_method(m).title for m in methods])
        self.expect("compare: sidebar caption", got["sidebar"], [self.v.caption])
        self.expect("compare: x range (working width)", [round(v, 3) for v in got["x"]], [-0.5, w - 0.5])
        self.expect("compare: y range (working height)", [round(v, 3) for v in got["y"]], [h - 0.5, -0.5])
        differ = self._picture("compare: Otsu picture", got["pictures"].get(otsu_p, ""), self.v.otsu_picture)
        if differ is not None:
            self.expect("compare: Otsu picture, pixels not its own image's", int(differ.sum()), 0)
        if maskrcnn:
            title = next((t for t in got["panels"] if t.startswith(mr_p)), "")
            n = re.search(r"<br>(\d+) labels", title)
            self.expect("compare: Mask R-CNN labels", int(n.group(1)) if n else title, self.v.maskrcnn_labels)
            differ = self._picture("compare: Mask R-CNN picture", got["pictures"].get(mr_p, ""), self.v.maskrcnn_picture)
            if differ is not None:
                share = float(differ.mean())
                self.expect("compare: Mask R-CNN picture, share of pixels not its own (<= 1 %)", share <= 0.01, True)

    def _picture(self, what: str, uri: str, expected: np.ndarray) -> np.ndarray | None:
        """Where the panel's picture ``uri`` differs from ``expected`` (bool per pixel); None, with the
        mismatch recorded, when it is missing or of another shape."""
        got = _decode(uri)
        if got is None or got.shape != expected.shape:
            self.expect(f"{what} shape", None if got is None else got.shape, expected.shape)
            return None
        return np.any(got != expected, axis=2)


async def _visit(session: _Session, start: asyncio.Event, methods: list[str], maskrcnn: bool) -> None:
    await start.wait()
    plan = [("open", session.open), ("upload", session.upload), ("thresholding", session.thresholding)]
    if maskrcnn:
        plan.append(("mask_rcnn", session.mask_rcnn))
    plan.append(("compare", lambda: session.compare(methods, maskrcnn)))
    for step, action in plan:
        t0 = time.perf_counter()
        try:
            await action()
        except Exception as exc:  # noqa: BLE001 - the session's error; the other sessions go on
            session.r.errors.append(f"{step}: {type(exc).__name__}: {str(exc).splitlines()[0][:240]}")
            return
        finally:
            session.r.steps_ms[step] = (time.perf_counter() - t0) * 1000.0


@dataclass
class Wave:
    results: list[SessionResult]
    elapsed_s: float
    held_kb: int | None = None  # server RSS with every session open and idle


async def _wave(base: str, visitors: list[Visitor], *, maskrcnn: bool, methods: list[str],
                held=None, timeout_ms: int = STEP_TIMEOUT_MS) -> Wave:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            results = [SessionResult(v.index) for v in visitors]
            sessions = [_Session(await browser.new_context(viewport=VIEWPORT), base, v, r, timeout_ms)
                        for v, r in zip(visitors, results)]
            await asyncio.gather(*(s.start() for s in sessions))
            start = asyncio.Event()
            tasks = [asyncio.ensure_future(_visit(s, start, methods, maskrcnn)) for s in sessions]
            t0 = time.perf_counter()
            start.set()  # all together
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - t0
            held_kb = None
            if held is not None:  # every session still open, idle: what the server holds for S visitors
                await asyncio.sleep(3.0)
                held_kb = held()
            for s in sessions:
                await s.context.close()
            return Wave(results, elapsed, held_kb)
        finally:
            await browser.close()


def _in_thread(coro_fn, *args, **kwargs):
    """Run an asyncio coroutine function on a loop of its own in a new thread (safe beside a sync Playwright)."""
    out: dict = {}

    def target():
        try:
            out["value"] = asyncio.run(coro_fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            out["error"] = exc

    t = threading.Thread(target=target, name="load-sessions")
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def run_sessions(base: str, visitors: list[Visitor], *, maskrcnn: bool, methods: list[str] | None = None,
                 held=None, timeout_ms: int = STEP_TIMEOUT_MS) -> Wave:
    """All ``visitors`` at once against ``base``, one browser context each in one Chromium; the wave's results.

    ``methods``: what the compare page shows (its defaults when None); ``maskrcnn``: the
    Mask R-CNN page step (the shapes model) too; ``held``: called with every session open
    and idle after the steps (e.g. to read the server's RSS), its value in :attr:`Wave.held_kb`;
    ``timeout_ms``: the longest wait of one step of one session.
    """
    if methods is None:
        # The page's first-visit methods on this server, offline for the COCO weights: Mask R-CNN only
        # after the Mask R-CNN page has run the shapes model (the compare page starts from that setting).
        from pages._compare_controls import DEFAULT_METHODS
        from segcore.registry import compare_methods

        methods = [m for m in DEFAULT_METHODS if m in compare_methods() and (maskrcnn or m != "maskrcnn")]
    return _in_thread(_wave, base, visitors, maskrcnn=maskrcnn, methods=methods, held=held, timeout_ms=timeout_ms)


async def _probe(base: str) -> None:
    """One short visit (home page), closed at once."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport=VIEWPORT)
            page = await context.new_page()
            await page.add_init_script(INIT_SCRIPT)
            await page.goto(base + "/", wait_until="domcontentloaded")
            await page.wait_for_function(HOME_JS, arg={"since": 0}, polling=100, timeout=STEP_TIMEOUT_MS)
            await context.close()
        finally:
            await browser.close()


# --------------------------------------------------------------------------- memory


def settle(server, ttl_s: float, closed_at: float, log=print) -> tuple[int, list[int]]:
    """The server's RSS once the closed sessions are gone: wait the TTL out, probe twice, poll until steady."""
    wait = closed_at + ttl_s + 3.0 - time.monotonic()
    if wait > 0:
        log(f"    waiting {wait:.0f} s for the disconnected-session TTL ({ttl_s:.0f} s) ...")
        time.sleep(wait)
    for _ in range(2):  # the first disconnect drops the expired sessions, the next run's collection frees them
        _in_thread(_probe, server.url)
        time.sleep(1.0)
    series: list[int] = []
    deadline = time.monotonic() + SETTLE_POLL_S
    while time.monotonic() < deadline:
        series.append(server.rss.last_kb)
        tail = series[-6:]
        if len(tail) == 6 and (max(tail) - min(tail)) <= 0.01 * max(tail):
            break
        time.sleep(1.0)
    return series[-1], series


def metrics_text(base: str) -> str:
    import urllib.request

    try:
        with urllib.request.urlopen(base + "/_stcore/metrics", timeout=10) as resp:
            return resp.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"# unavailable: {exc}"


def cache_bytes(text: str) -> dict[str, int]:
    """Streamlit's ``cache_memory_bytes`` (st.cache_data / st.cache_resource / session state) by cache, from /_stcore/metrics."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("cache_memory_bytes{"):
            labels, _, value = line.rpartition(" ")
            m = re.search(r'cache_type="([^"]*)".*?cache="([^"]*)"', labels)
            key = f"{m.group(1)}:{m.group(2).rsplit('.', 1)[-1]}" if m else labels
            try:
                out[key] = out.get(key, 0) + int(float(value))
            except ValueError:
                pass
    return out


# --------------------------------------------------------------------------- cache audit


@dataclass
class CacheUse:
    """One ``st.cache_data`` / ``st.cache_resource`` in the app's source."""

    file: str
    function: str
    kind: str  # "cache_data" or "cache_resource"
    bounds: dict[str, str]  # max_entries / ttl / max_size as written
    args: list[str]  # the function's parameters (the cache key: those not starting with "_")

    def describe(self) -> str:
        bound = ", ".join(f"{k}={v}" for k, v in self.bounds.items()) or "no max_entries/ttl"
        key = ", ".join(a for a in self.args if not a.startswith("_")) or "no key: one object"
        return f"{self.file}:{self.function} ({self.kind}; {bound}; key: {key})"


def cache_audit(root: Path = REPO) -> list[CacheUse]:
    """Every ``@st.cache_data`` / ``@st.cache_resource`` in app.py and pages/*.py, read from the source."""
    uses: list[CacheUse] = []
    for path in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in node.decorator_list:
                call = dec if isinstance(dec, ast.Call) else None
                target = call.func if call else dec
                if isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource"):
                    bounds = {kw.arg: ast.unparse(kw.value) for kw in (call.keywords if call else [])
                              if kw.arg in ("max_entries", "ttl", "max_size")}
                    args = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
                    uses.append(CacheUse(str(path.relative_to(root)), node.name, target.attr, bounds, args))
    return uses


def cache_ceiling_mb() -> tuple[float, str]:
    """The byte bounds of the big shared caches (the result cache, the compare panels), in MB, and how they read."""
    from pages._result_view import RESULTS_MAX_BYTES

    parts = {"results": RESULTS_MAX_BYTES / 2**20}
    for use in cache_audit():
        size = use.bounds.get("max_size")
        if size:
            m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]?)B?", str(ast.literal_eval(size)).strip(), re.I)
            if m:
                parts[use.function.lstrip("_")] = float(m.group(1)) * {"": 2**-20, "K": 2**-10, "M": 1, "G": 1024}[
                    m.group(2).upper()]
    text = ", ".join(f"{k} {v:,.0f} MB" for k, v in parts.items()) + "; the rest by max_entries"
    return sum(parts.values()), text


# --------------------------------------------------------------------------- rows


def _median(values: list[float]) -> float:
    vals = [v for v in values if v == v]
    return statistics.median(vals) if vals else float("nan")


def _span(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f} ms" if values else ""


def _server_env(torch_home: Path, ttl_s: int | None) -> dict[str, str]:
    env = {
        "TORCH_HOME": str(torch_home),
        "SEGCORE_MASKRCNN_URL": "http://127.0.0.1:9/",  # a closed local port: no download, ever
        "SEGCORE_MASKRCNN_WEIGHTS": "", "SEGCORE_MASKRCNN_WEIGHTS_V1": "", "SEGCORE_MASKRCNN_WEIGHTS_V2": "",
    }
    if ttl_s is not None:
        env["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(ttl_s)
    return env


def _wave_summary(wave: Wave) -> tuple[bool, str]:
    bad = [r for r in wave.results if not r.ok]
    checks = sum(r.checks for r in wave.results)
    text = f"{len(wave.results) - len(bad)}/{len(wave.results)} sessions clean, {checks} values checked"
    retries = sum(r.retries for r in wave.results)
    if retries:
        text += f" ({retries} typed picture number(s) not committed by Enter, pressed again)"
    if bad:
        text += "; " + "; ".join(
            f"session {r.index}: " + "; ".join((r.errors + r.crosstalk)[:2]) for r in bad[:4])
    return not bad, text


def _log_size(server) -> int:
    try:
        return len(server.log_path.read_text(errors="replace"))
    except OSError:
        return 0


def _log_errors(server, start: int) -> tuple[int, str]:
    """Uncaught script exceptions in the server's log after offset ``start``, and the last one's message."""
    try:
        text = server.log_path.read_text(errors="replace")[start:]
    except OSError:
        return 0, ""
    last = [line for line in text.splitlines() if re.match(r"^[\w.]*(Error|Exception)\b", line)]
    return text.count("Uncaught app execution"), (last[-1][:200] if last else "")


def _judge(server, log_at: int, wave: Wave) -> tuple[bool, str]:
    """Clean sessions and a server log without uncaught exceptions; the summary for the notes."""
    ok, summary = _wave_summary(wave)
    uncaught, last = _log_errors(server, log_at)
    summary += f"; server log: {uncaught} uncaught exception(s)" + (f", the last {last!r}" if last else "")
    return ok and uncaught == 0, summary


def _step_rows(waves: list[tuple[str, Wave]], s: int) -> list[Row]:
    rows = []
    for step in STEPS:
        values = [r.steps_ms[step] for _, w in waves for r in w.results if step in r.steps_ms]
        if not values:
            continue
        per_wave = "; ".join(
            f"{label} median {_median([r.steps_ms[step] for r in w.results if step in r.steps_ms]):,.0f} ms"
            for label, w in waves)
        what = {
            "open": "navigation to the home page's run finished",
            "upload": "file chosen to the run showing it finished (sidebar caption)",
            "thresholding": "sidebar link to the page's run finished (8 thresholds, histogram, result)",
            "mask_rcnn": "sidebar link, the download refused (offline), the shapes model picked, a picture "
                         "number typed: to its result (torch import and model load in the first sessions' time)",
            "compare": "sidebar link to the grid drawn (6 default methods, Mask R-CNN shapes among them)",
        }[step]
        rows.append(Row(
            SECTION, f"per-session latency: {step.replace('_', ' ')}", size=f"{s} at once",
            ours_ms=_median(values), note=f"{what}; {per_wave}; all {_span(values)}",
            extra={"runs_ms": values},
        ))
    return rows


def _churn(server, tmp: Path, s: int, ttl_s: float, figures: dict, log) -> list[Row]:
    """Waves of new images (upload, thresholding, compare) until the shared caches are full: the RSS levels off."""
    ceiling_mb, ceiling = cache_ceiling_mb()
    points: list[tuple[int, int]] = [(2 * s, figures["wave 3 settled"])]  # (distinct images so far, RSS kB)
    bad: list[str] = []
    t0 = time.perf_counter()
    for c in range(CHURN_WAVES):
        first = 2 * s + c * s
        log(f"  cache fill {c + 1}/{CHURN_WAVES}: {s} sessions with new images ...")
        visitors = make_visitors(tmp, first, s, maskrcnn=False)
        try:
            wave = run_sessions(server.url, visitors, maskrcnn=False)
        except Exception as exc:  # noqa: BLE001
            return [errored(SECTION, "cache fill with new images", exc)]
        bad += [f"wave {c + 1} session {r.index}: " + "; ".join((r.errors + r.crosstalk)[:1])
                for r in wave.results if not r.ok]
        time.sleep(2.0)
        points.append((first + s, server.rss.last_kb))
        for v in visitors:
            v.path.unlink(missing_ok=True)
    settled, _ = settle(server, ttl_s, time.monotonic(), log)
    per_image = [(b - a) / 1024 / (n2 - n1) for (n1, a), (n2, b) in zip(points, points[1:])]
    late = statistics.mean(per_image[len(per_image) // 2:])
    cap_kb = figures["wave 1 settled"] + ceiling_mb * 1024
    ok = not bad and settled <= cap_kb and late <= TARGET_PLATEAU_SHARE * max(per_image[0], 0.0)
    unbounded_kb = points[1][1] + (points[-1][0] - points[1][0]) * max(per_image[0], 0.0) * 1024
    return [Row(
        SECTION, f"cache fill: {points[-1][0]} distinct images, the RSS levels off", size=f"{CHURN_WAVES} x {s} sessions",
        value=f"{mb(settled)} settled",
        target=f"<= {mb(cap_kb)}; late <= {TARGET_PLATEAU_SHARE:.0%} of first",
        status=check(ok),
        note=f"after wave 3, {CHURN_WAVES} more waves of {s} sessions each uploading a new image (upload, thresholding, "
        f"compare; {time.perf_counter() - t0:.0f} s); RSS after each wave: "
        + ", ".join(f"{n} images {mb(kb)}" for n, kb in points)
        + f"; growth per new image by wave: {', '.join(f'{x:+.1f}' for x in per_image)} MB (second half mean "
        f"{late:+.1f}); at the first wave's rate the last image would have found {mb(unbounded_kb)}; settled at "
        f"the end {mb(settled)}, at most wave 1's settled plus the big caches' bounds ({ceiling}) = {mb(cap_kb)}"
        + (f"; sessions with problems: {'; '.join(bad[:3])}" if bad else ""),
        extra={"points": points, "per_image_mb": per_image, "settled_kb": settled},
    )]


def run(n: int = 1, quick: bool = False, log=print, sessions: int = SESSIONS, larger: int | None = LARGER) -> list[Row]:
    """The load section's rows (``n`` is unused: one wave is one measurement)."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        return [skipped(SECTION, "load figures", f"the playwright package is not importable ({exc})")]
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return [skipped(SECTION, "load figures", f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")]

    from benchmarks.server import streamlit_server

    s = sessions
    ttl = 10 if quick else None  # quick: a 10 s disconnected-session TTL; else Streamlit's default (120 s)
    ttl_s = 10.0 if quick else 120.0
    rows: list[Row] = []
    tmp = Path(tempfile.mkdtemp(prefix="segbench-load-"))
    (tmp / "torch").mkdir()
    try:
        log(f"  images and expected results for {2 * s} visitors (torch in this process) ...")
        wave1_v = make_visitors(tmp, 0, s, maskrcnn=True)
        wave3_v = make_visitors(tmp, s, s, maskrcnn=True)
        sizes = f"{wave1_v[0].size[0]} x {wave1_v[0].size[1]} to {wave3_v[-1].size[0]} x {wave3_v[-1].size[1]}"
        waves: list[tuple[str, Wave]] = []
        log("  starting the server ...")
        with streamlit_server(env=_server_env(tmp / "torch", ttl)) as server:
            idle_kb = server.rss.last_kb
            figures: dict[str, int] = {"idle": idle_kb}
            plan = (("wave 1", wave1_v), ("wave 2", wave1_v), ("wave 3", wave3_v))
            for label, visitors in plan:
                log(f"  {label}: {s} sessions at once ...")
                server.rss.peak_kb = server.rss.last_kb
                log_at = _log_size(server)
                try:
                    wave = run_sessions(server.url, visitors, maskrcnn=True, held=lambda: server.rss.last_kb)
                except Exception as exc:  # noqa: BLE001
                    rows.append(errored(SECTION, f"{label}: {s} sessions", exc))
                    break
                closed = time.monotonic()
                peak = server.rss.peak_kb
                log(f"    {wave.elapsed_s:.0f} s; peak {mb(peak)}, held {mb(wave.held_kb or 0)}; settling ...")
                settled, series = settle(server, ttl_s, closed, log)
                figures[f"{label} peak"], figures[f"{label} held"], figures[f"{label} settled"] = \
                    peak, wave.held_kb or 0, settled
                caches = cache_bytes(metrics_text(server.url))
                ok, summary = _judge(server, log_at, wave)
                totals = [r.total_ms for r in wave.results]
                figures[f"{label} cache_data"] = sum(v for k, v in caches.items() if k.startswith("st_cache_data"))
                what = {"wave 1": "fresh server", "wave 2": "new sessions, wave 1's images again",
                        "wave 3": "new visitors, new images"}[label]
                rows.append(Row(
                    SECTION, f"{label} ({what}): {s} sessions at once, no error, no cross-talk", size=f"{s} sessions",
                    ours_ms=_median(totals), value=f"peak {mb(peak)}",
                    target="no error, own results", status=check(ok),
                    note=f"{summary}; per-session total (all steps) median, runs {_span(totals)}; wave {wave.elapsed_s:.0f} s; "
                    f"server RSS: peak {mb(peak)}, all {s} open and idle {mb(wave.held_kb or 0)}, settled "
                    f"{mb(settled)} (after the {ttl_s:.0f} s TTL and two probe visits; last samples "
                    f"{', '.join(mb(v) for v in series[-3:])}); Streamlit cache_memory_bytes: "
                    f"{', '.join(f'{k} {mb(v / 1024)}' for k, v in sorted(caches.items()) if v) or 'n/a'}"
                    + (f"; console errors: {sum(len(r.console) for r in wave.results)} "
                       f"(e.g. {next(c for r in wave.results for c in r.console)!r})"
                       if any(r.console for r in wave.results) else ""),
                    extra={"peak_kb": peak, "held_kb": wave.held_kb, "settled_kb": settled, "series_kb": series,
                           "sessions": [r.__dict__ for r in wave.results], "caches": caches},
                ))
                waves.append((label, wave))
            if len(waves) >= 2:
                s1, s2 = figures["wave 1 settled"], figures["wave 2 settled"]
                growth = (s2 - s1) / s1 if s1 else float("nan")
                rows.append(Row(
                    SECTION, "settled RSS after wave 2 against wave 1: nothing kept per session",
                    size=f"2 x {s} sessions", value=f"{growth * 100:+.1f} %",
                    target=f"<= +{TARGET_RETURNING * 100:.0f} %", status=check(growth <= TARGET_RETURNING),
                    note=f"idle server {mb(idle_kb)}; settled after wave 1 {mb(s1)}, after wave 2 {mb(s2)} "
                    f"({(s2 - s1) / 1024 / s:+.1f} MB per wave-2 session); wave 2: {s} new sessions uploading "
                    "wave 1's images, so the shared caches hit and nothing new is cached: what a session leaves "
                    "behind once Streamlit drops it (session state, its upload, its media files) would show here",
                    extra=dict(figures),
                ))
            if len(waves) == 3:
                s2, s3 = figures["wave 2 settled"], figures["wave 3 settled"]
                growth = (s3 - s2) / s2 if s2 else float("nan")
                data_mb = (figures["wave 3 cache_data"] - figures["wave 2 cache_data"]) / 2**20
                rows.append(Row(
                    SECTION, "settled RSS after wave 3 (new images) against wave 2", size=f"{s} new images",
                    value=f"{growth * 100:+.1f} %",
                    note=f"settled after wave 2 {mb(s2)}, after wave 3 {mb(s3)}: {(s3 - s2) / 1024 / s:+.1f} MB per "
                    f"new image ({sizes} px), held by the shared, bounded caches: st.cache_data {data_mb:+.1f} MB "
                    "(Streamlit's count), the rest mostly the result cache (about 17 MB of label maps and extras "
                    "per image of this size: 13 methods; bounded at 600 MB, least recently used out first); "
                    "these grow with each new image until their bounds, not with sessions",
                    extra=dict(figures),
                ))
            if len(waves) == 3 and not quick:
                rows += _churn(server, tmp, s, ttl_s, figures, log)
        rows += _step_rows(waves, s)

        if waves and larger and not quick and larger > s:
            log(f"  a fresh server, {larger} sessions at once (Community Cloud budget) ...")
            big_v = make_visitors(tmp, 0, larger, maskrcnn=True)
            try:
                with streamlit_server(env=_server_env(tmp / "torch", ttl)) as server:
                    big = run_sessions(server.url, big_v, maskrcnn=True, held=lambda: server.rss.last_kb)
                    big_peak = server.rss.peak_kb
                    ok, summary = _judge(server, 0, big)
                totals = [r.total_ms for r in big.results]
                rows.append(Row(
                    SECTION, f"{larger} sessions at once, no error, no cross-talk (fresh server)",
                    size=f"{larger} sessions", ours_ms=_median(totals), value=f"peak {mb(big_peak)}",
                    target="no error, own results", status=check(ok),
                    note=f"{summary}; per-session total median, runs {_span(totals)}; wave {big.elapsed_s:.0f} s; "
                    f"all {larger} open and idle {mb(big.held_kb or 0)}; steps (median): " + ", ".join(
                        f"{st} {_median([r.steps_ms[st] for r in big.results if st in r.steps_ms]):,.0f} ms"
                        for st in STEPS),
                    extra={"peak_kb": big_peak, "held_kb": big.held_kb, "sessions": [r.__dict__ for r in big.results]},
                ))
                p1 = figures["wave 1 peak"]
                per = (big_peak - p1) / (larger - s) / 1024  # MB per added session
                base = p1 / 1024 - s * per
                fit = int((CLOUD_MB - base) // per) if per > 0 else None
                ceiling_mb, ceiling = cache_ceiling_mb()
                fit_full = max(0, int((CLOUD_MB - base - ceiling_mb) // per)) if per > 0 else None
                held_per = ((big.held_kb or 0) - figures["wave 1 held"]) / (larger - s) / 1024
                rows.append(Row(
                    SECTION, "Community Cloud (2.7 GB): concurrent sessions that fit", size=f"{s} and {larger}",
                    value=f"{fit} sessions ({fit_full} with full caches)" if fit is not None else "unbounded by memory",
                    status="measured",
                    note=f"server process tree only; first-wave peak on a fresh server {mb(p1)} at {s} sessions, "
                    f"{mb(big_peak)} at {larger}: {per:.1f} MB per added session (open and idle: {held_per:.1f} MB), "
                    f"so about {base:,.0f} MB + {per:.1f} MB x sessions; {CLOUD_MB:,.0f} MB (2.7e9 bytes) holds "
                    f"{fit} at this rate, each visitor with its own upload ({sizes} px) through every page of the "
                    f"flow. The shared caches fill with distinct images up to their bounds ({ceiling}), not per "
                    f"session: with those full on top of this run's, {fit_full} sessions fit",
                    extra={"mb_per_session": per, "base_mb": base, "fit": fit, "fit_full_caches": fit_full,
                           "cache_ceiling_mb": ceiling_mb},
                ))
            except Exception as exc:  # noqa: BLE001
                rows.append(errored(SECTION, f"{larger} sessions (Community Cloud budget)", exc))
    except Exception as exc:  # noqa: BLE001
        rows.append(errored(SECTION, "load figures", exc))
    finally:
        for f in sorted(tmp.rglob("*"), reverse=True):
            f.rmdir() if f.is_dir() else f.unlink()
        tmp.rmdir()

    uses = cache_audit()
    unbounded = [u for u in uses if u.kind == "cache_data" and not ({"max_entries", "ttl"} & set(u.bounds))]
    rows.append(Row(
        SECTION, f"cache audit: {len(uses)} st.cache_data / st.cache_resource in app.py and pages/",
        value=f"{len(unbounded)} unbounded", target="every cache_data bounded", status=check(not unbounded),
        note="; ".join(u.describe() for u in uses) + ". Every cache_resource holds one object per key: the result "
        "cache (no key; bounded by its bytes) and the Mask R-CNN model (one per variant of the page's selectbox and "
        "device). Streamlit itself keeps a disconnected session 120 s (server.disconnectedSessionTTL), at most 128.",
        extra={"uses": [u.__dict__ for u in uses]},
    ))
    return rows


if __name__ == "__main__":
    from benchmarks.common import fmt_ms

    count = int(sys.argv[1]) if len(sys.argv) > 1 else SESSIONS
    more = int(sys.argv[2]) if len(sys.argv) > 2 else LARGER
    print(f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}; {count} sessions, then {more}")
    for row in run(1, sessions=count, larger=more):
        ms = f"{fmt_ms(row.ours_ms)} ms" if row.ours_ms is not None else ""
        print(f"{row.name:70s} {row.size:14s} {ms:>11s}  {row.value:18s} {row.target:22s} "
              f"{row.status}\n    {row.note}")
