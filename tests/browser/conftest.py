"""Browser tests: the real app in a real Chromium, driven as a person would.

Fixtures
--------
``streamlit_server`` (session)
    ``sys.executable -m streamlit run app.py`` on a free 127.0.0.1 port, in its
    own process group; ready once ``/_stcore/health`` answers ``ok``; always
    stopped at the end (SIGTERM to the group, wait, SIGKILL), failing tests or not.
``browser`` (session)
    Debian's Chromium through the playwright package. Missing Chromium or
    playwright skips these tests with a loud reason, except under ``CI=true``,
    where it fails them.
``app`` (per test)
    A fresh 1280 x 800 page on the app plus helpers (:class:`App`). Every
    test fails if the page shows a Streamlit exception (``stException``) or the
    browser logs a console error or an uncaught page error (known-benign
    noise is listed, with its reason, in ``BENIGN_CONSOLE_ERRORS``).
``fresh_app`` (per test)
    The same on a server of the test's own, started for it (first-visit checks).

Screenshots land in ``artifacts/screenshots/`` (git-ignored); a failing test
leaves ``FAILED-<test>.png`` there, and the server's log is
``artifacts/streamlit-browser-tests.log``. ``CHROMIUM_PATH`` overrides
/usr/bin/chromium; ``BROWSER_TESTS_DEBUG=1`` prints how long each wait took.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from benchmarks.server import CHROMIUM, CHROMIUM_ARGS, RUN_COUNTER_JS, free_port, health

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect as _expect

    # expect() retries until this timeout: generous, the machine may be 2 busy cores.
    _expect.set_options(timeout=15_000)
except ImportError:  # reported by the ``browser`` fixture (skip, or fail under CI=true)
    PlaywrightTimeout = TimeoutError

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DOCS = REPO / "docs"
SERVER_LOG = ARTIFACTS / "streamlit-browser-tests.log"

VIEWPORT = {"width": 1280, "height": 800}
HEALTH_TIMEOUT_S = 60.0
RUN_TIMEOUT_MS = 60_000  # one script run, generous for a busy 2-core machine

APP_SELECTOR = '[data-testid="stApp"]'
NOT_RUNNING = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'

# Console errors that are not the app's fault. Each entry: (regex, reason).
# Keep this list short and explained; an unexplained error fails the test.
BENIGN_CONSOLE_ERRORS: list[tuple[str, str]] = [
    (
        r"^Failed to load resource: the server responded with a status of 404 .* @ "
        r"http://127\.0\.0\.1:\d+/[\w-]+/_stcore/(health|host-config)$",
        "Opening a page by its own URL (/thresholding, ...): Streamlit's frontend first probes "
        "<page>/_stcore/health and <page>/_stcore/host-config to discover a base path, gets 404, "
        "then uses /_stcore/...; the app works. Streamlit's behaviour, not the app's.",
    ),
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can see a failure."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _unavailable(reason: str) -> None:
    """Skip loudly; under CI=true fail instead (CI must run the browser tests)."""
    msg = f"BROWSER TESTS NOT RUN: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " (CI=true: missing browser tooling is a failure, not a skip)", pytrace=False)
    sys.stderr.write(f"\n*** {msg} ***\n")
    pytest.skip(msg)


# --------------------------------------------------------------------------- server


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the server's whole process group: SIGTERM, wait, SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    # Anything left in the group (children included) is killed outright.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@contextlib.contextmanager
def serve_app(log_path: Path = SERVER_LOG) -> Iterator[str]:
    """Run ``sys.executable -m streamlit run app.py`` on a free port in its own
    process group; yield the base URL once /_stcore/health says ok; always stop it."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - closed in finally
    proc = None
    try:
        # Offline by construction: Mask R-CNN weights are looked up in an empty cache and
        # "downloaded" from a closed port on this machine, never from the internet.
        env = {
            **os.environ,
            "TORCH_HOME": str(log_path.parent / "torch_home"),
            "SEGCORE_MASKRCNN_URL": "http://127.0.0.1:9/",
        }
        env.pop("SEGCORE_MASKRCNN_WEIGHTS", None)
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,  # its own process group: killpg reaches every child
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while health(f"{base}/_stcore/health") != "ok":
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                why = (
                    f"exited with code {proc.returncode}" if proc.poll() is not None
                    else f"not healthy after {HEALTH_TIMEOUT_S:.0f} s"
                )
                pytest.fail(
                    f"streamlit on {base} {why}:\n" + log_path.read_text(errors="replace")[-4000:], pytrace=False
                )
            time.sleep(0.25)
        yield base
    finally:
        if proc is not None:
            _stop(proc)
        log.close()


@pytest.fixture(scope="session")
def streamlit_server(browser) -> Iterator[str]:
    """The app for the whole session. Depends on ``browser`` so that no server is
    started when the browser tests cannot run."""
    with serve_app() as base:
        yield base


@pytest.fixture
def fresh_streamlit_server(browser) -> Iterator[str]:
    """A server of the test's own, whose first request the test makes."""
    with serve_app(ARTIFACTS / "streamlit-browser-tests-fresh.log") as base:
        yield base


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"the playwright Python package is not importable ({exc}); pip install -r requirements-dev.txt")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM}; install it with `apt-get install -y chromium` (or `make browser`)")
    for stale in SCREENSHOTS.glob("FAILED-*.png"):  # artefacts describe this run only
        stale.unlink(missing_ok=True)
    pw = sync_playwright().start()
    try:
        try:
            br = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - any launch failure means "cannot run here"
            _unavailable(f"Chromium at {CHROMIUM} failed to launch: {exc}")
        try:
            yield br
        finally:
            br.close()
    finally:
        pw.stop()


class App:
    """One browser page on the app, with the waits and checks the tests share."""

    # Counts finished script runs (transitions out of "running") in the page, so
    # that a wait after an interaction cannot miss a run that was already over.
    INIT_SCRIPT = RUN_COUNTER_JS

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.add_init_script(self.INIT_SCRIPT)

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        text = msg.text
        loc = msg.location or {}
        where = f" ({loc.get('url')}:{loc.get('lineNumber')})" if loc.get("url") else ""
        if any(re.search(pat, f"{text} @ {loc.get('url', '')}") for pat, _ in BENIGN_CONSOLE_ERRORS):
            return
        self.errors.append(f"console.error: {text}{where}")

    # ----------------------------------------------------------------- waiting

    def finished_runs(self) -> int:
        return int(self.page.evaluate("window.__stFinishedRuns || 0"))

    def wait(self, since: int | None = None, start_timeout_ms: int | None = None) -> None:
        """Wait until the app has settled: the script ran (if it was going to) and stopped.

        Streamlit starts a rerun a little after an interaction (widget debounce,
        a websocket round trip), so "notRunning" right after a click may still be
        the state from before it. First wait for the run to start (state
        ``running``) or, given ``since`` (``finished_runs()`` taken before the
        interaction), to have finished already; give up on that after a short
        timeout (not every interaction reruns). Then wait for ``notRunning``.
        """
        page = self.page
        page.wait_for_selector(APP_SELECTOR, state="attached", timeout=RUN_TIMEOUT_MS)
        if start_timeout_ms is None:
            start_timeout_ms = 5_000 if since is not None else 1_500
        t0 = time.monotonic()
        started = True
        try:
            page.wait_for_function(
                """(since) => {
                  const app = document.querySelector('[data-testid="stApp"]');
                  if (app && app.getAttribute('data-test-script-state') === 'running') return true;
                  return since !== null && (window.__stFinishedRuns || 0) > since;
                }""",
                arg=since,
                timeout=start_timeout_ms,
                polling=50,
            )
        except PlaywrightTimeout:
            started = False  # no run began: the interaction did not rerun, or it was missed
        t1 = time.monotonic()
        page.wait_for_selector(
            '[data-testid="stApp"][data-test-connection-state="CONNECTED"]', state="attached", timeout=RUN_TIMEOUT_MS
        )
        page.wait_for_selector(NOT_RUNNING, state="attached", timeout=RUN_TIMEOUT_MS)
        if os.environ.get("BROWSER_TESTS_DEBUG"):
            sys.stderr.write(
                f"wait(since={since}): run seen={started} after {t1 - t0:.2f} s, "
                f"done after {time.monotonic() - t0:.2f} s\n"
            )
        # Elements of the finished run can still be committing; a short settle.
        page.wait_for_timeout(150)
        self.assert_clean()

    @contextlib.contextmanager
    def rerun(self):
        """``with app.rerun(): <interaction>`` waits for the rerun it causes."""
        since = self.finished_runs()
        yield
        self.wait(since=since)

    # ----------------------------------------------------------------- checks

    def assert_clean(self) -> None:
        """No Streamlit exception on the page, no console or page error so far."""
        exc = self.page.locator(EXCEPTION)
        if exc.count():
            texts = [t.strip()[:1500] for t in exc.all_inner_texts()]
            pytest.fail(f"Streamlit exception on {self.page.url}:\n" + "\n---\n".join(texts), pytrace=False)
        if self.errors:
            pytest.fail(f"browser errors on {self.page.url}:\n" + "\n".join(self.errors), pytrace=False)

    # ----------------------------------------------------------------- actions

    def goto(self, path: str = "/") -> None:
        self.page.goto(self.base_url + path, wait_until="domcontentloaded")
        self.wait(since=0, start_timeout_ms=20_000)

    @property
    def sidebar(self):
        return self.page.locator('[data-testid="stSidebar"]')

    @property
    def main(self):
        return self.page.locator('[data-testid="stMain"]')

    def h1(self):
        return self.main.locator("h1").first

    def nav_to(self, title: str) -> None:
        """Follow the sidebar navigation link titled ``title`` (same session)."""
        link = self.sidebar.locator('[data-testid="stSidebarNav"] a').filter(
            has=self.page.locator('[data-testid="stMarkdownContainer"]', has_text=re.compile(rf"^\s*{re.escape(title)}\s*$"))
        ).first
        with self.rerun():
            link.click()

    def working_caption(self) -> str:
        """The sidebar caption under the working image: 'name: W x H px'."""
        cap = self.sidebar.get_by_text(re.compile(r": \d+ x \d+ px$")).first
        cap.wait_for(timeout=RUN_TIMEOUT_MS)
        return cap.inner_text().strip()

    def working_size(self) -> tuple[str, int, int]:
        m = re.fullmatch(r"(.+): (\d+) x (\d+) px", self.working_caption())
        assert m, self.working_caption()
        return m.group(1), int(m.group(2)), int(m.group(3))

    def upload(self, path: Path, *, via_chooser: bool = False) -> None:
        """Choose ``path`` in the sidebar's uploader: through the file chooser that its
        Upload button opens (``via_chooser``), or straight on its input[type=file]."""
        uploader = self.sidebar.locator('[data-testid="stFileUploader"]')
        with self.rerun():
            if via_chooser:
                with self.page.expect_file_chooser() as chooser:
                    uploader.get_by_role("button", name="Upload", exact=True).click()
                chooser.value.set_files(str(path))
            else:
                uploader.locator('input[type="file"]').set_input_files(str(path))

    def nav_titles(self) -> list[str]:
        """The page titles in the sidebar navigation, in order."""
        texts = self.sidebar.locator('[data-testid="stSidebarNav"] a [data-testid="stMarkdownContainer"]')
        return [t.strip() for t in texts.all_inner_texts()]

    def remove_upload(self, name: str) -> None:
        """Click the uploaded file's remove (x) button."""
        btn = self.sidebar.locator('[data-testid="stFileUploader"]').get_by_role("button", name=f"Remove {name}")
        with self.rerun():
            btn.click()

    def select(self, label: str, option: str, *, scope=None) -> None:
        """Pick ``option`` in the selectbox labelled ``label``."""
        scope = scope or self.page
        combo = scope.locator('[data-testid="stSelectbox"]').get_by_role("combobox", name=label, exact=True)
        combo.click()
        opt = self.page.get_by_role("option", name=option, exact=True)
        with self.rerun():
            opt.click()

    THUMB = '[role="slider"], input[type="range"]'  # role slider: an input[type=range] in Streamlit 1.67

    def slider(self, label: str, *, scope=None):
        """The st.slider labelled ``label``."""
        scope = scope or self.main
        return scope.locator('[data-testid="stSlider"]').filter(
            has=self.page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
        ).first

    def press_slider(self, label: str, key: str = "ArrowRight", times: int = 1, *, scope=None) -> None:
        """Focus the slider's thumb and press ``key`` ``times`` times, as a keyboard user
        would, letting each rerun finish before the next press.

        (Presses in quick succession interrupt reruns; Streamlit then drops the
        images of the superseded run while the browser still asks for them: 404s
        on /media/*.jpg and "Image source error" in the console. Streamlit's
        race, not the app's; the final run shows the right images.)
        """
        thumb = self.slider(label, scope=scope).locator(self.THUMB).first
        for _ in range(times):
            thumb.focus()
            with self.rerun():
                thumb.press(key)

    def metric(self, label: str):
        """The value element of the metric labelled ``label`` (exact label)."""
        m = self.main.locator('[data-testid="stMetric"]').filter(
            has=self.page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
        )
        return m.first.locator('[data-testid="stMetricValue"]')

    def image_with_caption(self, caption_start: str):
        """The <img> of the st.image whose caption starts with ``caption_start``."""
        el = self.main.locator('[data-testid="stImage"]').filter(
            has=self.page.get_by_text(re.compile("^" + re.escape(caption_start)))
        ).first
        return el.locator("img").first

    def fetch(self, src: str) -> bytes:
        """Bytes of an app URL (e.g. an image's src) with the page's cookies."""
        url = src if src.startswith("http") else self.base_url + src
        return self.page.request.get(url).body()

    def screenshot(self, name: str, *, full_page: bool = False, docs: str | None = None) -> Path:
        """Save a 1280 x 800 (or full-page) screenshot under artifacts/screenshots/.

        With ``UPDATE_DOCS_SCREENSHOTS=1`` in the environment, ``docs="home.png"``
        also copies it to docs/ for the README; otherwise test runs leave the
        tracked tree untouched."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if not full_page:
            self.page.screenshot(path=str(path))
        else:
            # Streamlit scrolls an inner container, so Playwright's full_page sees
            # only the viewport: grow the viewport to the content, shoot, restore.
            height = self.page.evaluate(
                """() => Math.max(...['stMain', 'stSidebarContent'].map(id => {
                     const el = document.querySelector(`[data-testid="${id}"]`);
                     return el ? el.scrollHeight : 0;
                   }), window.innerHeight)"""
            )
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 20, 8000)})
            try:
                self.page.wait_for_timeout(400)  # images re-lay out at the new size
                self.page.screenshot(path=str(path))
            finally:
                self.page.set_viewport_size(VIEWPORT)
        if docs and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
            DOCS.mkdir(exist_ok=True)
            shutil.copyfile(path, DOCS / docs)
        return path


@pytest.fixture
def app(request, browser, streamlit_server) -> Iterator[App]:
    yield from _app(request, browser, streamlit_server)


@pytest.fixture
def fresh_app(request, browser, fresh_streamlit_server) -> Iterator[App]:
    """Like ``app``, on a freshly started server that has served nobody yet."""
    yield from _app(request, browser, fresh_streamlit_server)


def _app(request, browser, base_url: str) -> Iterator[App]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    helper = App(page, base_url)
    try:
        yield helper
        # Every test: nothing broke on the page by the end either.
        call = getattr(request.node, "rep_call", None)
        if call is not None and call.passed:
            helper.assert_clean()
    finally:
        call = getattr(request.node, "rep_call", None)
        if call is not None and call.failed:
            with contextlib.suppress(Exception):
                helper.screenshot("FAILED-" + re.sub(r"[^\w.-]+", "_", request.node.name), full_page=True)
        context.close()


@pytest.fixture(scope="session")
def photo_file(tmp_path_factory) -> Path:
    """A real colour photo (scikit-image's coffee, 600 x 400) as a PNG file on disk."""
    from PIL import Image
    from skimage import data

    path = tmp_path_factory.mktemp("upload") / "my_coffee_photo.png"
    Image.fromarray(data.coffee()).save(path)
    return path


@pytest.fixture(scope="session")
def not_an_image(tmp_path_factory) -> Path:
    """A text file renamed .png, as a person might upload by mistake."""
    path = tmp_path_factory.mktemp("bad") / "notes.png"
    path.write_text("These are my meeting notes, not a picture.\n" * 20)
    return path

