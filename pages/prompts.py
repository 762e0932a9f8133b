"""Point and click: clicks, a box and scribbles on the image, and every promptable method's answer side by side."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import streamlit as st

from pages._controls import control
from pages._image_input import KEEP, ensure_app_frame, link_notice, plain, require_image
from pages._prompt_canvas import MODE_LABELS, Fit, fit, picture, prompt_canvas, read
from pages._prompt_canvas import drawing as canvas_drawing
from pages._prompt_methods import first_choice, weights_missing
from pages._prompt_state import (
    LINK_READ_KEY,
    Held,
    described,
    held,
    read_link,
    write_link,
)
from pages._prompt_view import show_answer
from pages._result_view import MethodFailed, result_in, shared_results
from segcore.cost import bounded
from segcore.io.loading import LoadedImage
from segcore.prompts import Prompts
from segcore.registry import get_method, list_methods
from segcore.render import jpeg
from segcore.result import Segmentation, build_legend

ensure_app_frame(__file__)
st.title("Point and click")
st.caption(
    "Show the methods which object you mean: click on it (and off it), drag a box around it, or paint over it and "
    "over the background. Each method below answers the same prompts with a mask; a method's own setting reruns "
    "that method alone. The prompts stay with this image for the session and in the address, so a link shows the "
    "same view."
)

image: LoadedImage = require_image()
shape = image.rgb.shape[:2]
first_run = not st.session_state.get(LINK_READ_KEY)  # this session's first look at the page: a link's values count
read_link(image.sha256, shape)
mine: Held = held(image.sha256)
f: Fit = fit(shape)
canvas_key = f"pr_canvas.{image.sha256[:16]}"  # one canvas per image: another image starts a new one


def _from_canvas(image_sha: str, key: str, f: Fit) -> None:
    """The canvas sent its drawing: take the prompts it shows (or draw the current ones again where it cannot)."""
    h = held(image_sha)
    raw = ((st.session_state.get(key) or {}).get("drawing") or {}).get("raw")
    prompts, exact = read(raw, f)
    try:
        prompts.check(f.shape)
    except ValueError as exc:  # over a limit: the gesture is not taken
        h.note = f"Not added: {exc}."
        h.redraw()
        return
    h.change(prompts, redraw=not exact)


@st.cache_data(max_entries=8, show_spinner=False)
def _background(image_sha: str, _f: Fit, _rgb) -> bytes:
    """The canvas's picture of the working image (JPEG at the canvas's size), made once per image."""
    return jpeg(picture(_rgb, _f), quality=92)


if canvas_key not in st.session_state:  # the canvas is (re)made: it shows what it is given first
    mine.shown = mine.prompts
left, right = st.columns([3, 1])
mode = right.radio("Add", list(MODE_LABELS), format_func=MODE_LABELS.get, key="pr_mode", persist_state="session",
                   help="Clicks are dots; a box replaces the one before; scribbles are painted with the mouse held down.")
b1, b2 = right.columns(2)
b1.button("Undo", key="pr_undo", on_click=mine.undo, disabled=not (mine.prompts or mine.history), width="stretch",
          help="Takes back the last change.")
b2.button("Clear", key="pr_clear", on_click=mine.clear, disabled=not mine.prompts, width="stretch",
          help="Removes every prompt of this image.")
with left:
    prompt_canvas(_background(image.sha256, f, image.rgb), f, mode, canvas_drawing(mine.shown, f, mine.drawn),
                  key=canvas_key, on_change=lambda: _from_canvas(image.sha256, canvas_key, f))
prompts: Prompts = mine.prompts
right.caption(f"{described(prompts)}.", help=f"In pixels of the {shape[1]} x {shape[0]} px working image.")
if mine.note:
    right.warning(mine.note)
    mine.note = None
write_link(prompts)

methods = [m.name for m in list_methods("prompts")]
if not methods:
    st.info("No promptable method is installed.")
    st.stop()


def candidate(seg: Segmentation, cell, key: str) -> Segmentation:
    """SAM's answer, or another of its three candidates on a first click, as the visitor picks it in ``cell``.

    One click (or a box alone) can mean a part, the object or a group; SAM
    keeps its best-scored reading and offers the other two here.
    """
    found = seg.extras.get("candidates")
    if not found:
        return seg
    pick = cell.radio(
        "SAM's readings of this prompt", range(len(found)), index=int(seg.extras.get("chosen") or 0),
        format_func=lambda i: f"{i + 1}: IoU {found[i]['score']:.2f}", horizontal=True, key=key,
        help="SAM reads one click as a part, the object or a group of objects, and predicts each mask's IoU; "
             "it keeps the best. Pick another here (its mask is the download too).")
    if pick == seg.extras.get("chosen"):
        return seg
    labels = found[pick]["mask"].astype(np.int32)
    return replace(seg, labels=labels, legend=build_legend(labels, names={0: "background", 1: "object"}),
                   extras={**seg.extras, "chosen": pick, "confidence": found[pick]["score"]})


def _settings(name: str) -> dict:
    """The method's declared settings as drawn (each kept for the session and in the address)."""
    return {p.name: control(st, name, p.name, key=f"pr.{name}.{p.name}") for p in get_method(name).params}


def _answer(name: str, params: dict) -> tuple[Segmentation, str | None]:
    """``name``'s answer to the prompts (computed once per image, prompts and settings), and the budget's note if any.

    Raises ValueError with the method's own words when it cannot answer these prompts.
    """
    run, note = bounded(name, shape, params)
    return result_in(shared_results(), name, image, run, prompts), note


def _first_choice() -> list[str]:
    """The methods ticked on a first visit: those that answer the prompts already given (every one, before any)."""
    with st.spinner("Asking each method..."):
        return first_choice(shared_results(), image, prompts, tuple(methods))


titles = {get_method(name).title: name for name in methods}
if first_run:  # the multiselect drops a name it does not offer without a word
    for wanted in st.query_params.get_all("pr_methods"):
        if wanted and wanted not in titles:
            link_notice(f"pr_methods={plain(wanted)}: no such method (choose from {plain(', '.join(titles), 300)}); "
                        "left out.")
if "pr_methods" not in st.session_state and "pr_methods" not in st.query_params:
    st.session_state["pr_methods"] = _first_choice()
chosen = st.multiselect("Methods", methods, format_func=lambda n: get_method(n).title, key="pr_methods", **KEEP,
                        help="Each answers the same prompts; its settings are under its answer.")
PER_ROW = 3
for row in range(0, len(chosen), PER_ROW):
    for cell, name in zip(st.columns(PER_ROW), chosen[row:row + PER_ROW]):
        spec = get_method(name)
        cell.markdown(f"**{spec.title}**")
        answer = cell.container()
        with cell.expander("Settings"):
            params = _settings(name)
        missing = weights_missing(name, params)
        if missing:
            answer.warning(missing)
            continue
        try:
            with answer, st.spinner(f"{spec.title} is answering..."):
                seg, note = _answer(name, params)
        except MethodFailed as exc:
            answer.error(str(exc))
            continue
        except ValueError as exc:  # the method cannot answer these prompts: it says what it needs
            answer.info(str(exc))
            continue
        asked = hashlib.sha256(repr(prompts.to_text()).encode()).hexdigest()[:16]  # new prompts, a new pick
        seg = candidate(seg, answer, f"pr_pick.{name}.{image.sha256[:16]}.{asked}")
        show_answer(answer, image, seg, prompts, spec.title)
        if note:
            answer.caption(note)
