"""The visitor's prompts: kept per image for the session, with their history, and carried in the page's address.

Each working image (keyed by its SHA-256, as the compare page keys an
uploaded ground truth) has one :class:`Held`: its prompts, the earlier
prompts for Undo, and what the canvas was last told to show. The address
holds the prompts' link texts (:meth:`segcore.prompts.Prompts.to_text`:
``clicks``, ``box``, ``strokes``), so a prompted view can be shared; a
shared link is read once, on the page's first run in the session, as the
sidebar reads ``sample`` (a later run may carry an address from before the
browser applied the page's last update).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from pages._image_input import link_notice, plain
from segcore.prompts import Prompts

STATE_KEY = "pr_prompts"
LINK_READ_KEY = "pr_link_read"
#: The address's keys for the prompts, as :meth:`Prompts.to_text` names them.
LINK_KEYS = ("clicks", "box", "strokes")
#: Earlier prompts kept for Undo, per image.
HISTORY = 100


@dataclass
class Held:
    """One image's prompts for the session.

    ``shown``: the prompts the page last drew on the canvas, ``drawn`` how
    many times it drew them (a new drawing of the same prompts must still
    differ, or the canvas keeps what it shows). ``note``: why the last
    gesture was not taken, shown once.
    """

    prompts: Prompts = Prompts()
    history: list[Prompts] = field(default_factory=list)
    shown: Prompts = Prompts()
    drawn: int = 0
    note: str | None = None

    def change(self, prompts: Prompts, *, redraw: bool) -> None:
        """Make ``prompts`` the current ones (the old ones go on the Undo history); ``redraw``: show them on the canvas."""
        if prompts != self.prompts:
            self.history = (self.history + [self.prompts])[-HISTORY:]
            self.prompts = prompts
        if redraw:
            self.redraw()

    def start(self, prompts: Prompts) -> None:
        """Begin with ``prompts`` (a link's), no history: Undo then takes back their last prompt."""
        self.prompts, self.history = prompts, []
        self.redraw()

    def redraw(self) -> None:
        """Draw the current prompts on the canvas afresh, replacing whatever it shows."""
        self.shown = self.prompts
        self.drawn += 1

    def undo(self) -> None:
        """Back to the prompts before the last change; with no history (a shared link's), the last prompt less."""
        self.prompts = self.history.pop() if self.history else self.prompts.undo()
        self.redraw()

    def clear(self) -> None:
        self.change(Prompts(), redraw=True)


def held(image_sha: str) -> Held:
    """The session's :class:`Held` for the image with SHA-256 ``image_sha`` (a new image starts with none)."""
    return st.session_state.setdefault(STATE_KEY, {}).setdefault(image_sha, Held())


def link_texts() -> dict[str, str]:
    """The prompts' texts in the address.

    A ``+`` typed into an address reads as a space (form encoding), so a
    space stands for ``+`` here: ``?clicks=10,20+`` means what it says.
    """
    return {k: st.query_params[k].replace(" ", "+") for k in LINK_KEYS if k in st.query_params}


def read_link(image_sha: str, shape: tuple[int, int]) -> None:
    """On the page's first run in the session, take the prompts the link carries for the image shown.

    Each of ``clicks``, ``box`` and ``strokes`` is read on its own
    (:meth:`Prompts.from_text`, bounded by :data:`segcore.prompts.LIMITS`):
    one that is not prompts inside the image gets a notice at the top of the
    page and is ignored, the others are used.
    """
    if st.session_state.get(LINK_READ_KEY):
        return
    st.session_state[LINK_READ_KEY] = True
    texts = link_texts()
    if not texts:
        return
    parts: dict[str, Prompts] = {}
    for name, text in texts.items():
        try:
            parts[name] = Prompts.from_text({name: text}, shape)
        except ValueError as exc:
            link_notice(f"{name}={plain(text)}: {plain(str(exc))}; ignored.")
    clicks = parts["clicks"].clicks if "clicks" in parts else ()
    box = parts["box"].box if "box" in parts else None
    strokes = parts["strokes"].strokes if "strokes" in parts else ()
    try:
        prompts = Prompts(clicks, box, strokes).check(shape)
    except ValueError as exc:  # each part fits, together they pass a limit
        link_notice(f"{plain(', '.join(parts))}: {plain(str(exc))}; ignored.")
        return
    if prompts:
        held(image_sha).start(prompts)


def write_link(prompts: Prompts) -> None:
    """Put ``prompts``' texts in the address (and take away those it has not), so a reload or a shared link keeps them."""
    texts = prompts.to_text()
    for name in LINK_KEYS:
        if name in texts:
            if st.query_params.get(name) != texts[name]:
                st.query_params[name] = texts[name]
        elif name in st.query_params:
            del st.query_params[name]


def described(prompts: Prompts) -> str:
    """The prompts in words: "2 object clicks, 1 background click, a box and 1 scribble"."""
    def count(n: int, what: str) -> str:
        return f"{n} {what}{'' if n == 1 else 's'}"

    parts = []
    if prompts.positives:
        parts.append(count(len(prompts.positives), "object click"))
    if prompts.negatives:
        parts.append(count(len(prompts.negatives), "background click"))
    if prompts.box is not None:
        parts.append("a box")
    fg = sum(s.positive for s in prompts.strokes)
    if fg:
        parts.append(count(fg, "object scribble"))
    if len(prompts.strokes) - fg:
        parts.append(count(len(prompts.strokes) - fg, "background scribble"))
    if not parts:
        return "No prompts yet"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
