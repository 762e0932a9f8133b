"""The sidebar's image source, shared by every page.

app.py calls :func:`image_sidebar` on every run (it is the frame around the
pages), so the chosen image persists across pages in the session. Pages call
:func:`require_image` to get it. Uploaded bytes stay in memory only.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import streamlit as st

from segcore.loading import DEFAULT_MAX_SIDE, UPLOAD_TYPES, ImageLoadError, LoadedImage, load_image
from segcore.render import for_display, jpeg
from segcore.samples import DEFAULT_SAMPLE, SAMPLES, sample_bytes

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
        st.session_state.setdefault(LINK_NOTICES_KEY, []).append(
            f"sample={plain(wanted)}: no such sample (choose one of {', '.join(SAMPLES)}); kept the sidebar's."
        )


LINK_NOTICES_KEY = "segcore_link_notices"


def plain(text: str, limit: int = 80) -> str:
    """``text`` (user input, e.g. from a link) shown literally in Streamlit's markdown: specials escaped, cut at ``limit``."""
    text = str(text)
    text = text if len(text) <= limit else text[:limit] + "…"
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$:])", r"\\\1", text)


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
    if upload is not None:
        data, name = upload.getvalue(), upload.name
    else:
        data, name = _sample_data(sample), f"{sample}.png"
    digest = hashlib.sha256(data).hexdigest()
    try:
        image = _decode(digest, max_side, name, data)
    except ImageLoadError as exc:
        st.session_state[_STATE_KEY] = None
        st.session_state[_ERROR_KEY] = str(exc)
        sb.error(str(exc))
        return None

    st.session_state[_STATE_KEY] = image
    st.session_state[_ERROR_KEY] = None
    sb.image(_thumbnail(image.sha256, image.rgb), caption=f"{image.name}: {image.size[0]} x {image.size[1]} px",
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


def ensure_app_frame() -> None:
    """Make sure app.py (navigation, sidebar) runs around the page calling this.

    With a folder named ``pages/`` beside app.py, Streamlit starts in its legacy
    multipage mode: until app.py has called ``st.navigation`` once in the
    process, a shared link such as ``/edges`` opened first on a fresh server
    runs the page file alone, with no sidebar. Every page calls this first; in
    that case it switches the legacy mode off and reruns, which goes through
    app.py and lands on the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager  # noqa: PLC0415

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def working_image() -> LoadedImage | None:
    """The session's working image, or None when there is none (a bad upload); never stops the page."""
    return st.session_state.get(_STATE_KEY)


def require_image() -> LoadedImage:
    """Return the session's working image, or explain what to do and stop the page."""
    image = st.session_state.get(_STATE_KEY)
    if image is None:
        err = st.session_state.get(_ERROR_KEY)
        if err:
            st.error(err)
        st.info("Upload a valid image or pick a sample in the sidebar to use this page.")
        st.stop()
    return image
