"""One prompt method's answer as the page shows it: its mask over the image, the prompts on top, time and confidence.

The picture is made at panel size (a whole-factor reduction of the working
image, :func:`segcore.render.display_pair`); the exact mask is the download.
"""

from __future__ import annotations

import cv2
import numpy as np
import streamlit as st

from pages._prompt_canvas import BOX, NEGATIVE, POSITIVE
from pages._result_view import download_name
from segcore.io.loading import LoadedImage
from segcore.prompts import Prompts
from segcore.render import display_factor, display_pair, jpeg, mask_png, reduced_image
from segcore.result import Segmentation

#: Long side of a panel's picture: three panels share the main column.
PANEL_SIDE = 480
#: The object's tint in an answer (blue: apart from the clicks' green and red and the box's yellow), and its opacity.
MASK = (37, 99, 235)
MASK_ALPHA = 0.5


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


@st.cache_data(max_entries=8, show_spinner=False)
def _panel_image(image_sha: str, _rgb: np.ndarray) -> np.ndarray:
    """The working image at panel size, made once per image."""
    return reduced_image(_rgb, display_factor(_rgb.shape, PANEL_SIDE))


def marks(picture: np.ndarray, prompts: Prompts, factor: int) -> np.ndarray:
    """``picture`` (the working image reduced by ``factor``) with ``prompts`` drawn on it.

    Scribbles in their colour and width, the box's outline, then each click
    as a dot with a white rim: green on the object, red on the background.
    """
    out = np.ascontiguousarray(picture).copy()

    def at(x: int, y: int) -> tuple[int, int]:
        return int((x + 0.5) / factor), int((y + 0.5) / factor)

    for s in prompts.strokes:
        points = np.array([at(x, y) for x, y in s.path], np.int32).reshape(-1, 1, 2)
        width = max(1, round(s.width / factor))
        colour = _rgb(POSITIVE if s.positive else NEGATIVE)
        cv2.polylines(out, [points], False, colour, width, cv2.LINE_AA)
        if len(s.path) == 1:
            cv2.circle(out, at(*s.path[0]), max(1, width // 2), colour, -1, cv2.LINE_AA)
    if prompts.box is not None:
        cv2.rectangle(out, at(*prompts.box[:2]), at(*prompts.box[2:]), _rgb(BOX), 2, cv2.LINE_AA)
    for c in prompts.clicks:
        cv2.circle(out, at(c.x, c.y), 6, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(out, at(c.x, c.y), 4, _rgb(POSITIVE if c.positive else NEGATIVE), -1, cv2.LINE_AA)
    return out


def tinted(picture: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``picture`` with the object (``mask`` True) tinted in :data:`MASK` and outlined in white."""
    out = picture.copy()
    out[mask] = (out[mask] * (1 - MASK_ALPHA) + np.array(MASK) * MASK_ALPHA).astype(np.uint8)
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def answer_picture(image: LoadedImage, seg: Segmentation, prompts: Prompts) -> np.ndarray:
    """The mask of ``seg`` over the image at panel size (object tinted, outlined), with the prompts drawn on top."""
    small = _panel_image(image.sha256, image.rgb)
    shown, shown_seg = display_pair(image.rgb, seg, PANEL_SIDE, shown_image=small)
    return marks(tinted(shown, shown_seg.labels != 0), prompts, display_factor(image.rgb.shape, PANEL_SIDE))


def caption(seg: Segmentation) -> str:
    """Time and confidence: "41 ms, confidence 0.93" (the confidence where the method gives one)."""
    text = f"{seg.elapsed_s * 1000:.0f} ms"
    confidence = seg.extras.get("confidence")
    if confidence is not None:
        text += f", confidence {float(confidence):.2f}"
    return text


def show_answer(cell, image: LoadedImage, seg: Segmentation, prompts: Prompts, title: str) -> None:
    """Draw one method's answer in ``cell``: picture, time and confidence, its note, the mask's download."""
    # JPEG bytes, passed on as they are: a panel's PNG took 50-85 ms to encode on every rerun (217 KB), this 1-5 ms.
    cell.image(jpeg(answer_picture(image, seg, prompts), quality=90), caption=f"{title}: {caption(seg)}",
               width="stretch")
    share = float((seg.labels != 0).mean())
    cell.caption(f"Object: {100 * share:.1f} % of the {seg.shape[1]} x {seg.shape[0]} px image.")
    if seg.extras.get("note"):
        cell.caption(str(seg.extras["note"]))
    cell.download_button(
        "Mask (PNG)",
        data=lambda: mask_png(seg.labels),
        file_name=download_name(image, seg, "mask"),
        mime="image/png",
        on_click="ignore",
        key=f"pr_dl.{seg.method}",
        help="8-bit PNG at the working size: 255 on the object, 0 elsewhere.",
    )
