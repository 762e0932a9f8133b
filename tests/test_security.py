"""Security: what the app does with what it does not trust -- uploads, file names, link values, weights files.

docs/security.md lists each point with the test that shows it. Three kinds of test:

- the app in AppTest (which runs the pages in this process) while the file
  system is watched, or with hostile file names;
- Streamlit's own upload parsing (starlette) on a large upload;
- static checks over the source of pages/ and segcore/ (every torch.load,
  every unsafe_allow_html, every place user text reaches markdown, every
  st.cache_data), each with a control that shows the check can fail.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import concurrent.futures
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path

import numpy as np
import pytest
from conftest import encode, gt_uploader
from PIL import Image, PngImagePlugin
from streamlit.testing.v1 import AppTest

from pages._image_input import WORD_JOINER, plain

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = ["pages/thresholding.py", "pages/edges.py", "pages/clustering.py", "pages/regions.py",
         "pages/mask_rcnn.py", "pages/compare.py", "pages/explainer.py"]
SOURCES = sorted([*ROOT.glob("pages/*.py"), ROOT / "app.py"])


def reads_as(shown: str) -> str:
    """What Streamlit's markdown displays for ``shown`` made by plain(): the escapes and word joiners gone."""
    return re.sub(r"\\(.)", r"\1", shown).replace(WORD_JOINER, "").replace("\u00a0", " ")


# ============================================================================= nothing uploaded reaches the disk


def marked_png(token: str) -> tuple[bytes, list[bytes]]:
    """A PNG carrying ``token`` in its bytes (a text chunk) and in its pixels; (file, byte patterns to look for).

    The patterns: the token (a copy of the file, or of its name), and each
    row of pixels as the decoder gives them (RGB: every byte three times), so
    the decoded image saved raw (``np.save``, ``tofile``) is found too.
    """
    row = np.frombuffer(token.encode() * 3, np.uint8)
    gray = np.tile(row, (64, 1))
    info = PngImagePlugin.PngInfo()
    info.add_text("segcore-test", token)
    buf = io.BytesIO()
    Image.fromarray(np.stack([gray] * 3, axis=2)).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue(), [token.encode(), np.repeat(row, 3).tobytes()[:48]]


class DiskWatch:
    """Everything written to disk while it is on: paths opened for writing, and files new or changed since.

    Two independent records. (1) ``builtins.open``, ``io.open`` and
    ``os.open`` (``tempfile`` goes through it) are wrapped and every path
    opened to write is noted. (2) After the run, ``tempfile.gettempdir()``,
    ``$HOME``, the repository and the working folder are walked for files whose
    change time is after the start (less a margin for the file system's coarse
    clock), catching writes from C code or another process that (1) cannot see.
    """

    def __enter__(self):
        self.opened: list[str] = []
        self.start_ns = time.time_ns() - 2_000_000_000
        self._patch = monkeypatch = pytest.MonkeyPatch()
        real_open, real_os_open = builtins.open, os.open

        def watched_open(file, mode="r", *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wax+"):
                self.opened.append(os.fsdecode(os.fspath(file)))
            return real_open(file, mode, *args, **kwargs)

        def watched_os_open(path, flags, *args, **kwargs):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND):
                self.opened.append(os.fsdecode(os.fspath(path)))
            return real_os_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", watched_open)
        monkeypatch.setattr(io, "open", watched_open)
        monkeypatch.setattr(os, "open", watched_os_open)
        return self

    def __exit__(self, *exc):
        self._patch.undo()

    def changed_files(self) -> list[Path]:
        roots = {Path(tempfile.gettempdir()), Path.home(), ROOT, Path.cwd()}
        found, stack, seen = [], [r for r in roots if r.is_dir()], set()
        while stack:
            folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.path not in seen:
                            seen.add(entry.path)
                            stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        if max(st.st_mtime_ns, st.st_ctime_ns) >= self.start_ns:
                            found.append(Path(entry.path))
                except OSError:
                    continue
        return sorted(set(found))

    def leaks(self, names: list[str], patterns: list[bytes]) -> list[str]:
        """Paths written that carry one of ``names``, or files written that hold one of ``patterns``."""
        out = [f"opened for writing: {p}" for p in self.opened if any(n in p for n in names)]
        for path in self.changed_files():
            if any(n in path.name for n in names):
                out.append(f"new or changed file named after the upload: {path}")
                continue
            if _holds(path, patterns):
                out.append(f"new or changed file holding the upload's bytes: {path}")
        return out


def _holds(path: Path, patterns: list[bytes], chunk: int = 1 << 22) -> bool:
    overlap = max(len(p) for p in patterns)
    try:
        with path.open("rb") as fh:
            tail = b""
            while block := fh.read(chunk):
                data = tail + block
                if any(p in data for p in patterns):
                    return True
                tail = data[-overlap:]
    except OSError:
        return False
    return False


def upload_and_visit(token: str, pages: list[str]) -> AppTest:
    """Upload a marked PNG, visit ``pages`` with it, upload a marked ground truth on the compare page."""
    data, _ = marked_png(token)
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    at.sidebar.file_uploader[0].upload(f"upload_{token}.png", data, "image/png")
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["segcore_image"].name == f"upload_{token}.png"
    for page in pages:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        if page == "pages/compare.py":
            at.multiselect(key="cmp_methods").set_value(["otsu", "kmeans"]).run()
            at.radio(key="cmp_gt_source").set_value("upload").run()
            truth = np.zeros((64, len(token) * 3), np.uint8)
            truth[16:48, 20:70] = 255
            gt_uploader(at).upload(f"truth_{token}.png", encode(truth), "image/png")
            at.run()
            assert not at.exception, at.exception
            assert at.dataframe, "scored against the uploaded ground truth"
    return at


def test_no_upload_is_written_to_disk_on_any_page(offline):
    token = f"segcore-upload-{uuid.uuid4().hex}"
    _, patterns = marked_png(token)
    with DiskWatch() as watch:
        upload_and_visit(token, PAGES)
    leaks = watch.leaks([token], patterns)
    assert not leaks, leaks
    # And nothing of the app's own is written meanwhile either (outside pytest's folders).
    others = [p for p in watch.opened if "pytest-of-" not in p and p != os.devnull]
    assert not others, others


def _leak_with_open(data: bytes, name: str, into: Path) -> Path:
    path = Path(tempfile.gettempdir()) / name
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _leak_from_another_process(data: bytes, name: str, into: Path) -> Path:
    path = into / f"innocent-{uuid.uuid4().hex}.bin"  # no trace of the upload in the name
    subprocess.run(["tee", str(path)], input=data, stdout=subprocess.DEVNULL, check=True)
    return path


@pytest.mark.parametrize("leak", [_leak_with_open, _leak_from_another_process], ids=["open", "another_process"])
def test_the_watch_sees_an_upload_written_to_disk(leak, offline, monkeypatch, tmp_path):
    """The control: the same upload and watch, with a sidebar that writes the upload to disk, is caught."""
    import pages._image_input as image_input

    token = f"segcore-upload-{uuid.uuid4().hex}"
    _, patterns = marked_png(token)
    written: list[Path] = []
    real_decode = image_input._decode

    def leaky_decode(digest, max_side, name, data):
        written.append(leak(data, name, Path.home()))
        return real_decode(digest, max_side, name, data)

    monkeypatch.setattr(image_input, "_decode", leaky_decode)
    try:
        with DiskWatch() as watch:
            upload_and_visit(token, [])
        leaks = watch.leaks([token], patterns)
    finally:
        for path in written:
            path.unlink(missing_ok=True)
    assert len(written) == 2  # the default sample first, then the upload
    assert any(str(written[-1]) in line for line in leaks), leaks


def _multipart(data: bytes, filename: str) -> tuple[bytes, str]:
    boundary = "segcoreboundary" + uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _parse_like_streamlit(body: bytes, content_type: str, monkeypatch) -> tuple[bytes, int]:
    """Parse an upload request as Streamlit's upload route does (starlette's Request.form()); (file bytes, temp files made)."""
    from starlette.requests import Request

    made = []
    real = tempfile.TemporaryFile
    monkeypatch.setattr(tempfile, "TemporaryFile", lambda *a, **k: made.append(1) or real(*a, **k))
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]

    async def receive():
        return {"type": "http.request", "body": chunks.pop(0) if chunks else b"", "more_body": bool(chunks)}

    async def parse():
        scope = {"type": "http", "method": "PUT", "path": "/", "query_string": b"",
                 "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]}
        form = await Request(scope, receive).form()
        upload = form["file"]
        try:
            return await upload.read()
        finally:
            await form.close()

    # In a thread of its own: after the browser tests, Playwright's loop may be running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        data = pool.submit(asyncio.run, parse()).result()
    monkeypatch.setattr(tempfile, "TemporaryFile", real)
    return data, len(made)


def test_streamlits_upload_route_keeps_a_large_upload_in_memory(monkeypatch):
    """Starlette spools a file part over 1 MB to a temporary file; pages._image_input raises that above the limit."""
    from starlette.formparsers import MultiPartParser

    import pages._image_input as image_input

    assert image_input.keep_uploads_in_memory() >= (50 + 1) * 2**20  # the limit plus the request's framing
    data = np.random.default_rng(0).bytes(5 * 2**20)
    body, ctype = _multipart(data, "big.png")
    got, temp_files = _parse_like_streamlit(body, ctype, monkeypatch)
    assert got == data and temp_files == 0
    # The control: with starlette's own threshold the same upload goes through a file on disk.
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 1024 * 1024)
    got, temp_files = _parse_like_streamlit(body, ctype, monkeypatch)
    assert got == data and temp_files == 1


# ============================================================================= user text is shown literally

HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>_**bold**_.png",
    "*_[]()#.png",
    "1. [click](https:evil.example) :smile: `code` $x$ ~~s~~ www.evil.example me@evil.example.png",
]
TRICKY_TEXT = HOSTILE_NAMES + [
    "photo_2.png", "__init__.png", "# heading", "- item", "> quote", "12) twelve", "    indented", "a\nb\r\nc\td",
    "&lt;b&gt; &amp;", "a|b|c", "\\*not bold\\*", ":material/home: :streamlit:", "x_ y _z", "日本_語_.png",
    "rtl\u202egnp.exe", "zero\u200bwidth", "",
]


@pytest.mark.parametrize("text", TRICKY_TEXT)
def test_plain_escapes_every_markdown_special_and_reads_back_as_typed(text):
    shown = plain(text, 300)
    expected = re.sub(r"[\x00-\x1f\u200b\u202e]", " ", text)
    assert reads_as(shown) == expected
    unescaped = re.sub(r"\\.", "", shown)  # what is left once every escaped character is taken out
    assert not set(unescaped) & set("\\`*~[]<>&$|:@"), shown  # no inline special left bare
    assert not re.search(r"(^|[^\w])_|_($|[^\w])", unescaped), shown  # no "_" that could emphasise
    assert not re.match(r"[#\-+>=]|\d+[.)]| {4}", unescaped), shown  # no block marker at the start
    assert "www." not in unescaped.lower() and "\n" not in shown
    # No shortcode Streamlit turns into a picture after the escapes are read (checked in Chromium): an icon's "/"
    # is escaped, the logo's word split by a word joiner; nothing else gets one.
    assert "material/" not in shown and "\\:streamlit\\:" not in shown, shown
    assert (WORD_JOINER in shown) == (":streamlit:" in text), shown


def _sidebar_caption(at: AppTest) -> str:
    return next(el.proto.imgs[0].caption for el in at.sidebar if getattr(el, "type", None) == "image")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_an_uploaded_files_name_is_shown_literally(name, offline):
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    at.sidebar.file_uploader[0].upload(name, encode(np.random.default_rng(1).integers(0, 255, (64, 96, 3), np.uint8)),
                                       "image/png")
    at.run()
    assert not at.exception, at.exception
    caption = _sidebar_caption(at)
    assert caption == f"{plain(name, 120)}: 96 x 64 px"
    assert reads_as(caption) == f"{name}: 96 x 64 px"
    assert not set(re.sub(r"\\.", "", caption)) & set("`*~[]<>&$|@"), caption  # every special escaped


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_refused_files_name_is_shown_literally_in_the_messages(name, offline):
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    at.sidebar.file_uploader[0].upload(name, b"no image here, just text", "image/png")
    at.run()
    assert not at.exception, at.exception
    at.switch_page("pages/thresholding.py").run()
    assert not at.exception, at.exception
    for shown in (" ".join(e.value for e in at.sidebar.error), " ".join(e.value for e in at.main.error)):
        assert f"'{name}' is not an image this app can read" in reads_as(shown), shown
        assert not set(re.sub(r"\\.", "", shown)) & set("`*~[]<>&$|@"), shown  # every special escaped


def test_a_links_values_are_shown_literally():
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["sample"] = "<b>no</b>_*such*_"
    at.query_params["kmeans.k"] = "[x](javascript:alert(1))"
    at.query_params["methods"] = "kmeans"
    at.switch_page("pages/compare.py").run()  # the link opens the compare page: its notices stand there
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "<b>" not in warnings and "](" not in warnings.replace("\\](", "") and "*such*" not in warnings
    shown = reads_as(warnings)
    assert "sample=<b>no</b>_*such*_: no such sample" in shown and "kmeans.k=[x](javascript:alert(1))" in shown


# ----------------------------------------------------------------------------- the call sites, statically

#: Calls that render their text arguments as markdown (or show them to the user at all).
DISPLAY = {"markdown", "caption", "error", "warning", "info", "success", "write", "title", "header", "subheader",
           "toast", "exception", "image", "status", "spinner", "expander", "metric", "button", "download_button",
           "link_button", "page_link", "selectbox", "multiselect", "radio", "slider", "select_slider", "number_input",
           "text_input", "toggle", "checkbox", "file_uploader", "tabs", "popover", "badge", "progress", "update"}
#: Keyword arguments that are not shown as text.
NOT_SHOWN = {"key", "data", "mime", "file_name", "on_click", "width", "output_format", "type", "value", "options",
             "index", "disabled", "use_container_width", "expanded", "state", "args", "kwargs"}
#: What holds text a user chose: names of uploads and files, link values, errors that quote them.
USER_OBJECTS = {"image", "_image", "upload", "f", "file", "files"}
USER_NAMES = {"gt_files", "wanted", "err"}
QUOTING_ERRORS = {"ImageLoadError", "GroundTruthError"}


def _user_text(node: ast.AST, quoting: set[str]) -> bool:
    """Whether ``node`` is (directly) text a user chose."""
    if isinstance(node, ast.Attribute) and node.attr == "name" and isinstance(node.value, ast.Name):
        return node.value.id in USER_OBJECTS
    if isinstance(node, ast.Name):
        return node.id in USER_NAMES or node.id in quoting
    if isinstance(node, ast.Attribute) and node.attr == "query_params":
        return True
    return False


def unescaped_user_text(source: str) -> tuple[list[str], int]:
    """Display calls in ``source`` that show user text without plain(); and how many pass it through plain()."""
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    bad, escaped = [], 0
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in DISPLAY):
            continue
        quoting, node = set(), call  # the names of caught errors that quote user text, around this call
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.ExceptHandler) and node.name and node.type is not None:
                caught = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                if caught & QUOTING_ERRORS:
                    quoting.add(node.name)
        shown = [*call.args, *(k.value for k in call.keywords if k.arg not in NOT_SHOWN)]
        for arg in shown:
            for inner in ast.walk(arg):
                if not _user_text(inner, quoting):
                    continue
                up, wrapped = inner, False
                while up is not arg and up in parents:
                    up = parents[up]
                    if isinstance(up, ast.Call) and isinstance(up.func, ast.Name) and up.func.id == "plain":
                        wrapped = True
                        break
                if wrapped:
                    escaped += 1
                else:
                    bad.append(f"line {call.lineno}: {ast.unparse(call)[:160]}")
    return bad, escaped


def test_user_text_reaches_markdown_only_through_plain():
    found, escaped = [], 0
    for path in SOURCES:
        bad, ok = unescaped_user_text(path.read_text())
        found += [f"{path.relative_to(ROOT)} {b}" for b in bad]
        escaped += ok
    assert not found, "\n".join(found)
    # the sidebar's caption and error, the page's copy of that error, the explainer's heading, the compare page's
    # ground-truth error and caption: the check sees them all (it is not looking at nothing)
    assert escaped >= 6, escaped


@pytest.mark.parametrize("snippet", [
    'st.sidebar.caption(f"{image.name}: {w} px")',
    "try:\n    x()\nexcept ImageLoadError as exc:\n    st.error(str(exc))",
    'st.markdown(f"on **{upload.name}**")',
    'st.warning(st.query_params["sample"])',
])
def test_the_call_site_check_catches_user_text_shown_raw(snippet):
    bad, _ = unescaped_user_text(snippet)
    assert bad, snippet
    assert not unescaped_user_text(snippet.replace("image.name", "plain(image.name)").replace("str(exc)", "plain(str(exc))")
                                   .replace("upload.name", "plain(upload.name)")
                                   .replace('st.query_params["sample"]', 'plain(st.query_params["sample"])'))[0]


#: Every unsafe_allow_html=True in the app, reviewed: (file, what it renders). None carries user text.
UNSAFE_HTML = [
    ("pages/clustering.py", r"f'<div class=\"swatches\">\{swatches\}</div>'"),  # colours, shares, html.escape(names)
    ("pages/compare.py", r"[\"']<style>.*</style>[\"']"),  # the presentation mode's fixed CSS
    ("pages/edges.py", r"matrix_html\(KERNELS\[name\], name=name\)"),  # numbers of the fixed kernels
    ("pages/edges.py", r"matrix_html\(step\.window, .*\)"),  # numbers of the convolution walk-through
    ("pages/edges.py", r"matrix_html\(step\.kernel, .*\)"),
    ("pages/edges.py", r"matrix_html\(step\.products, .*\)"),
    ("pages/edges.py", r"matrix_html\(np\.nan_to_num\(outputs\), .*\)"),
]


def _html_sites() -> list[tuple[str, str, ast.Call]]:
    sites = []
    for path in SOURCES:
        for call in ast.walk(ast.parse(path.read_text())):
            if not isinstance(call, ast.Call):
                continue
            for kw in call.keywords:
                if kw.arg == "unsafe_allow_html":
                    assert isinstance(kw.value, ast.Constant), f"{path}: unsafe_allow_html must be a literal"
                    if kw.value.value:
                        sites.append((str(path.relative_to(ROOT)), ast.unparse(call.args[0]), call))
    return sorted(sites, key=lambda s: (s[0], s[1]))


def test_every_unsafe_allow_html_is_reviewed_and_carries_no_user_text():
    sites = _html_sites()
    assert len(sites) == len(UNSAFE_HTML), [s[:2] for s in sites]
    for (path, text, call), (want_path, pattern) in zip(sites, sorted(UNSAFE_HTML)):
        assert path == want_path and re.fullmatch(pattern, text, re.S), (path, text[:120], pattern)
        assert not any(_user_text(n, set()) for n in ast.walk(call)), (path, text[:120])
    # no other way into raw HTML
    for path in SOURCES:
        source = path.read_text()
        assert not re.search(r"\bst\.html\(|components\.v1|components\.html", source), path


def test_the_clustering_swatches_escape_the_cluster_names():
    text = next(t for p, t, _ in _html_sites() if p == "pages/clustering.py")
    source = (ROOT / "pages/clustering.py").read_text()
    assert "swatches" in text and "html.escape(lab.name)" in source


# ============================================================================= weights files are data, never code


def _calls(root: Path, dotted: str):
    module, _, func = dotted.rpartition(".")
    for path in sorted(root.rglob("*.py")):
        for call in ast.walk(ast.parse(path.read_text())):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == func
                    and isinstance(call.func.value, ast.Name) and call.func.value.id == module):
                yield path, call


def test_every_torch_load_passes_weights_only_true():
    calls = [(p, c) for root in (ROOT / "segcore", ROOT / "pages") for p, c in _calls(root, "torch.load")]
    assert calls, "no torch.load found: the check would pass on nothing"
    for path, call in calls:
        kw = {k.arg: k.value for k in call.keywords}
        assert "weights_only" in kw and isinstance(kw["weights_only"], ast.Constant) and kw["weights_only"].value is True, \
            f"{path.relative_to(ROOT)}:{call.lineno}: {ast.unparse(call)}"


def test_no_pickle_reads_untrusted_bytes():
    for root in (ROOT / "segcore", ROOT / "pages"):
        for name in ("pickle.load", "pickle.loads", "np.load", "numpy.load"):
            for path, call in _calls(root, name):
                kw = {k.arg: k.value for k in call.keywords}
                assert name.endswith("np.load") or name.endswith("numpy.load"), f"{path}:{call.lineno}: {name}"
                assert isinstance(kw.get("allow_pickle"), ast.Constant) and kw["allow_pickle"].value is False, \
                    f"{path.relative_to(ROOT)}:{call.lineno}: {ast.unparse(call)}"
        for path in root.rglob("*.py"):
            text = path.read_text()
            assert "load_state_dict_from_url" not in text and "torch.hub.load(" not in text, path  # hub's own loaders


# ============================================================================= server settings and memory bounds


def test_config_turns_xsrf_on_keeps_cors_and_sets_the_upload_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert config["enableXsrfProtection"] is True
    assert config["maxUploadSize"] == 50
    assert config.get("enableCORS", True) is True  # off, Streamlit accepts WebSocket connections from any origin
    assert config.get("xsrfCookieSameSite", "lax").lower() in ("lax", "strict")


def test_streamlit_reads_the_same_settings_from_the_repository():
    """Streamlit's own parse of .streamlit/config.toml (in a fresh process, run from the repository)."""
    code = (
        "import json; from streamlit import config; config.get_config_options(force_reparse=True);"
        "from streamlit.web.server.server_util import is_xsrf_enabled;"
        "print(json.dumps({k: config.get_option(k) for k in ('server.enableXsrfProtection', 'server.enableCORS',"
        " 'server.maxUploadSize')} | {'xsrf': is_xsrf_enabled()}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"server.enableXsrfProtection": True, "server.enableCORS": True, "server.maxUploadSize": 50,
                   "xsrf": True}, got


def test_every_streamlit_cache_is_bounded_and_in_memory():
    decorators = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cache_data":
                decorators.append((path.name, node))
    assert len(decorators) >= 10
    for name, call in decorators:
        kw = {k.arg: k.value for k in call.keywords}
        assert isinstance(kw.get("max_entries"), ast.Constant) and 0 < kw["max_entries"].value <= 512, (name, call.lineno)
        assert "persist" not in kw, (name, call.lineno)  # in memory: no persist="disk"


def test_the_shared_result_cache_is_bounded_by_its_bytes():
    from pages import _result_view
    from pages._result_cache import ResultCache

    assert _result_view.RESULTS_MAX_BYTES == 600 * 2**20
    cache = ResultCache(1000)
    from segcore.result import Segmentation

    for i in range(5):
        cache.get(i, lambda: Segmentation("t", np.zeros((10, 25), np.int32), [], {}, 0.0))  # 1000 bytes each
    assert len(cache) == 1 and cache.nbytes <= 1000
