"""The sidebar's image source, shared by every page.

app.py calls :func:`image_sidebar` on every run (it is the frame around the
pages), so the chosen image persists across pages in the session. Pages call
:func:`require_image` to get it. Uploaded bytes stay in memory only (see
:func:`keep_uploads_in_memory`); file names and messages quoting them are
shown through :func:`plain`.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

# Imported whole here, in app.py's first run, before any page runs: plotly (every go.Figure)
# looks pandas up in sys.modules without importing it, so while one session's run was importing
# pandas (st.dataframe, the compare page), another session's figure met the half-made module:
# "AttributeError: partially initialized module 'pandas' has no attribute 'Series'" on a fresh
# server with visitors at once (benchmarks/bench_load.py). A session importing this module waits
# for the first one to finish it (Python's import lock), so each run finds pandas complete.
import pandas  # noqa: F401
import streamlit as st

from segcore.io.loading import (
    DEFAULT_MAX_SIDE,
    UPLOAD_TYPES,
    ImageLoadError,
    LoadedImage,
    load_image,
)
from segcore.io.samples import DEFAULT_SAMPLE, SAMPLES, sample_bytes
from segcore.render import for_display, jpeg

SIZE_CHOICES = {
    "800 px": 800,
    "1024 px": 1024,
    f"{DEFAULT_MAX_SIDE} px (default)": DEFAULT_MAX_SIDE,
    "2048 px": 2048,
    "Full resolution": None,
}
_STATE_KEY = "segcore_image"
_ERROR_KEY = "segcore_image_error"


@st.cache_data(max_entries=8, show_spinner="Decoding image...")
def _decode(digest: str, max_side: int | None, name: str, _data: bytes) -> LoadedImage:
    """Decode once per (bytes digest, working size); the digest keys the cache."""
    return load_image(_data, max_side=max_side, name=name)


@st.cache_data(max_entries=8, show_spinner=False)
def _thumbnail(digest: str, _rgb: np.ndarray) -> bytes:
    """The sidebar's small picture of the working image as JPEG bytes, made once per image.

    Sent as bytes, st.image passes it on as it is; an array would be encoded again on every rerun of every page.
    """
    return jpeg(for_display(_rgb, 480), quality=90)


#: Beside the uploader: what a reload or a link does to an upload (it lives in this visit's memory only).
UPLOAD_LASTS = "Kept across pages; a reload or a shared link starts without it."
SAMPLE_KEY = "segcore_sample"
LINK_SAMPLE_KEY = "segcore_link_sample"


def _sample_from_link() -> None:
    """Choose the sample a shared link names (``?sample=coins``), on the session's first run only.

    Opening a link starts a session; later runs may carry an address from before the
    browser applied the compare page's last update, which must not undo a choice made
    since. An unknown name is refused with a notice; the sidebar keeps its choice.
    """
    if LINK_SAMPLE_KEY in st.session_state:
        return
    wanted = st.query_params.get("sample")
    st.session_state[LINK_SAMPLE_KEY] = wanted
    if wanted is None:
        return
    if wanted in SAMPLES:
        st.session_state["sample"] = wanted
    else:
        link_notice(f"sample={plain(wanted)}: no such sample (choose one of {', '.join(SAMPLES)}); kept the sidebar's.")


def link_notice(text: str) -> None:
    """Tell the visitor that a value of the link they opened was not used, and why, at the top of the page.

    ``text`` is already escaped (:func:`plain` on the link's parts). Shown in
    the box :func:`app_frame` puts above the page, so a notice raised while the
    sidebar or a control is drawn still stands above the title.
    """
    (getattr(_this_run, "notices", None) or st).warning(f"From the link: {text}")


#: Widget options of the technique pages and the sidebar: a value lasts the session, across page switches,
#: and stands in the page's address (the widget's key is its name there), so a reload or a shared link keeps it.
KEEP = {"persist_state": "session", "bind": "query-params"}
#: Characters of a file name shown (a browser sends up to 255 bytes of it).
NAME_LIMIT = 120
#: Characters of a message quoting user input that are shown.
MESSAGE_LIMIT = 1000


#: Characters markdown acts on wherever they stand: code, emphasis, strikethrough, links and images, raw HTML and
#: autolinks, entities, LaTeX, tables, Streamlit's ``:emoji:`` / ``:red[...]`` / ``:material/...:`` and ``http:``
#: or e-mail autolinks.
_INLINE_SPECIALS = frozenset("\\`*~[]<>&$|:@")
#: Block markers (heading, list, quote, setext / table rows), active where the text may start a line.
_LINE_START_SPECIALS = frozenset("#-+>=")
#: Line breaks would start a new block (an indented one is code); bidirectional controls reorder what is shown
#: (``gnp.exe`` for ``exe.png``); zero-width characters hide text. Each becomes a space.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


#: Invisible; put after the first colon of ``:streamlit:``, which Streamlit shows as its logo even escaped.
WORD_JOINER = "\u2060"


def plain(text: str, limit: int = 80) -> str:
    """``text`` (user input: a file name, a link's value, a message quoting them) shown literally in Streamlit's markdown.

    Cut at ``limit`` characters. Every character markdown would act on is
    backslash-escaped (CommonMark renders ``\\x`` as ``x`` for any ASCII
    punctuation ``x``); those that act only in some places are escaped there:
    ``_`` unless it stands between two letters or digits (where it cannot
    emphasise), a ``.`` after ``www`` (an autolink), ``#-+>=`` and a list
    number's ``1.`` / ``1)`` at the start. Line breaks and invisible controls
    become spaces, leading spaces no-break spaces (no code block), ``/`` is
    escaped (Streamlit turns ``:material/home:`` into an icon after the
    escapes are read) and ``:streamlit:``, its logo, gets an invisible word
    joiner (:data:`WORD_JOINER`) after its first colon. So, with the
    backslashes in front of characters removed, the text reads as typed and a
    copied name is the name (``:streamlit:`` aside); an ordinary name such as
    ``photo_2.png`` is left as it is.

    It is the one escaping helper of the pages: every user-controlled string
    on its way to ``st.markdown`` / ``st.caption`` / ``st.error`` / a caption
    goes through it (tests/test_security.py checks the call sites).
    """
    text = str(text)
    text = text if len(text) <= limit else text[:limit] + "…"
    text = _INVISIBLE.sub(" ", text)
    out = []
    for i, ch in enumerate(text):
        if ch in _INLINE_SPECIALS or (i == 0 and ch in _LINE_START_SPECIALS):
            out.append("\\" + ch)
        elif ch == "_" and not (0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()):
            out.append("\\_")
        elif ch == "." and text[max(0, i - 3) : i].lower() == "www":
            out.append("\\.")
        else:
            out.append(ch)
    escaped = "".join(out)
    number = re.match(r"\d+(?=[.)])", escaped)  # "1. x" / "1) x" would become a list
    if number:
        escaped = f"{number.group()}\\{escaped[number.end():]}"
    # Streamlit swaps :material/icon: and :streamlit: for pictures in the parsed text, where the backslashes are
    # gone (escaped colons keep :smile: as typed; measured in Chromium). An escaped "/" keeps the icons as typed; the
    # logo's exact word gets an invisible word joiner, the one character a copied name can differ by.
    escaped = escaped.replace("/", "\\/")
    escaped = escaped.replace("\\:streamlit\\:", "\\:" + WORD_JOINER + "streamlit\\:")
    stripped = escaped.lstrip(" ")
    return "\u00a0" * (len(escaped) - len(stripped)) + stripped


def keep_uploads_in_memory() -> int | None:
    """Make Streamlit's upload route keep every file in memory; return the new threshold (None where not needed).

    Streamlit's server parses an upload with starlette, whose multipart
    parser spools a file part over 1 MB into a temporary file on disk
    (``SpooledTemporaryFile``, ``MultiPartParser.spool_max_size``) before
    Streamlit reads it into memory. Raising that threshold above the upload
    limit (``server.maxUploadSize``) keeps the bytes in memory all the way:
    no upload is ever written to disk, not even for the length of a request.
    Called when this module is imported, which app.py does on its first run,
    before any page can offer an uploader.
    """
    try:
        from starlette.formparsers import MultiPartParser  # noqa: PLC0415
    except ImportError:  # a Streamlit without starlette: its parser keeps uploads in memory
        return None
    # Streamlit refuses a request body more than 1 MB over the limit (multipart framing), while it streams in.
    limit = (int(st.get_option("server.maxUploadSize")) + 2) * 2**20
    if MultiPartParser.spool_max_size < limit:
        MultiPartParser.spool_max_size = limit
    return MultiPartParser.spool_max_size


keep_uploads_in_memory()


def working_max_side() -> int | None:
    """The sidebar's working-size cap on the long side (None: full resolution)."""
    return SIZE_CHOICES.get(st.session_state.get("working_size"), DEFAULT_MAX_SIDE)


def current_sample() -> str | None:
    """The sample shown as the working image, or None when it is an upload."""
    return st.session_state.get(SAMPLE_KEY)


def _sample_data(name: str) -> bytes:
    return sample_bytes(name)


def image_sidebar() -> LoadedImage | None:
    """Draw the image controls in the sidebar; store and return the working image.

    An upload takes precedence over the sample picker. A bad upload shows a
    clear message here and leaves no image, so pages explain what to do.
    """
    sb = st.sidebar
    sb.header("Image")
    upload = sb.file_uploader(
        "Upload an image",
        type=UPLOAD_TYPES,
        help="PNG, JPEG, WebP, BMP, TIFF or GIF. Kept in memory only, never written to disk.",
        key="upload",
    )
    sb.caption(UPLOAD_LASTS)
    _sample_from_link()
    st.session_state.setdefault("sample", DEFAULT_SAMPLE)
    sample = sb.selectbox(
        "...or pick a sample",
        list(SAMPLES),
        format_func=lambda n: SAMPLES[n].title,
        disabled=upload is not None,
        help="scikit-image's bundled pictures, and synthetic scenes with exact ground truth; remove the upload to use them.",
        key="sample",
    )
    size_label = sb.selectbox(
        "Working size (long side)",
        list(SIZE_CHOICES),
        index=list(SIZE_CHOICES).index(f"{DEFAULT_MAX_SIDE} px (default)"),
        help="Large images are reduced before segmenting; choose 'Full resolution' to keep every pixel.",
        key="working_size",
    )
    max_side = SIZE_CHOICES[size_label]

    st.session_state[SAMPLE_KEY] = None if upload is not None else sample
    # A reload or a copied address keeps the sample; an upload cannot travel in it, so no sample claims to be shown.
    if upload is None and st.query_params.get("sample") != sample:
        st.query_params["sample"] = sample
    elif upload is not None and "sample" in st.query_params:
        del st.query_params["sample"]
    if upload is not None:
        data, name = upload.getvalue(), upload.name
    else:
        data, name = _sample_data(sample), f"{sample}.png"
    digest = hashlib.sha256(data).hexdigest()
    try:
        image = _decode(digest, max_side, name, data)
    except ImageLoadError as exc:  # the message quotes the file's name: shown escaped
        st.session_state[_STATE_KEY] = None
        st.session_state[_ERROR_KEY] = str(exc)
        sb.error(plain(str(exc), MESSAGE_LIMIT))
        return None

    st.session_state[_STATE_KEY] = image
    st.session_state[_ERROR_KEY] = None
    sb.image(_thumbnail(image.sha256, image.rgb), caption=f"{plain(image.name, NAME_LIMIT)}: {image.size[0]} x {image.size[1]} px",
             width="stretch", output_format="JPEG")
    if image.reduced:
        ow, oh = image.original_size
        sb.info(
            f"Reduced from {ow} x {oh} to {image.size[0]} x {image.size[1]} px for speed. "
            "Choose 'Full resolution' above to keep every pixel."
        )
    if image.notes:
        sb.caption("Converted: " + "; ".join(image.notes) + ".")
    return image


_this_run = threading.local()  # each session's script runs on its own thread


@contextlib.contextmanager
def app_frame() -> Iterator[None]:
    """app.py runs the sidebar and the chosen page inside this: :func:`ensure_app_frame` then knows the frame is there.

    It also opens the box above the page where :func:`link_notice` writes.
    """
    _this_run.framed, _this_run.notices = True, st.container()
    try:
        yield
    finally:
        _this_run.framed, _this_run.notices = False, None


def ensure_app_frame(page_file: str) -> None:
    """Make sure app.py (navigation, sidebar) runs around the page calling this.

    With a folder named ``pages/`` beside app.py, Streamlit starts in its legacy
    multipage mode: until ``st.navigation`` has been called once in the process,
    a shared link such as ``/edges`` opened on a fresh server runs the page file
    alone, with no sidebar, and lists every file of ``pages/`` as a page. Every
    page calls this first with its ``__file__``. A run that did not come
    through app.py calls ``st.navigation`` (which ends that mode for the whole
    server, as its documentation says) with a page of the same URL path as
    this one (app.py names each page's URL path after its file), and switches
    to it: the rerun goes through app.py and lands on the same page, with the
    link's query. Each run checks its own frame, so visitors who all arrived
    before the first call each rerun too.
    """
    if getattr(_this_run, "framed", False):
        return
    here = st.Page(_reframe, title="Loading", url_path=Path(page_file).stem)
    # The default page's URL path is "": alone, this page would not match the link's path.
    st.navigation([st.Page(_reframe, title="Home", url_path="home", default=True), here], position="hidden")
    # A value bound to a widget (KEEP) stays in the address by itself, and may not be set: only the others are passed,
    # each with all its values (a multiselect's choices stand in the address as one repeated key).
    st.switch_page(here, query_params={k: st.query_params.get_all(k) for k in st.query_params if k not in st.session_state})


def _reframe() -> None:
    """The pages of :func:`ensure_app_frame`'s navigation: never run, the run switches first."""


def working_image() -> LoadedImage | None:
    """The session's working image, or None when there is none (a bad upload); never stops the page."""
    return st.session_state.get(_STATE_KEY)


#: What to do after a bad upload: the sample picker stays disabled while the file is in the uploader.
BAD_UPLOAD_HELP = ("Upload another image, or remove this one in the sidebar (the ✕ beside its name) to pick a "
                   "sample again.")


def require_image() -> LoadedImage:
    """Return the session's working image, or explain what to do and stop the page."""
    image = st.session_state.get(_STATE_KEY)
    if image is None:
        err = st.session_state.get(_ERROR_KEY)
        if err:
            st.error(plain(err, MESSAGE_LIMIT))
        if err and st.session_state.get(SAMPLE_KEY) is None:  # a bad upload: the sample picker waits for its removal
            st.info(BAD_UPLOAD_HELP)
        else:
            st.info("Upload a valid image or pick a sample in the sidebar to use this page.")
        st.stop()
    return image
