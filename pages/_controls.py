"""One widget per declared setting: what every page draws a method's controls with.

A method declares each setting once, beside its function
(:class:`segcore.spec.Param`: label, range or choices, help; the default is
the function's). :func:`control` draws that setting as a widget, so a page
shows the same label, range, help and starting value as the compare page, a
shared link and the command line use; a page chooses only the kind of
widget and where it goes.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from pages._image_input import KEEP, link_notice, plain
from segcore.registry import get_method
from segcore.spec import Param, parse, to_text

_UNSET = object()


def checked_link(key: str, p: Param) -> None:
    """Say so at the top of the page when the address's value for the widget ``key`` is not one ``p``'s control can show.

    A widget bound to the address (:data:`pages._image_input.KEEP`) drops such a
    value and starts at its default without a word; this tells the visitor what
    was wrong and which value the page used. A bound choice stands in the
    address as the label the control shows. Text settings are checked under
    their box instead (:func:`pages._compare_controls.method_controls`).
    """
    text = st.query_params.get(key)
    if text is None or p.kind in ("floats", "auto_float"):
        return
    shown = Param(p.name, p.label, "choice", choices=tuple(map(str, p.labels or p.choices))) if p.kind == "choice" else p
    try:
        parse(shown, text)
    except ValueError as exc:
        start = str(dict(zip(p.choices, shown.choices)).get(p.default, p.default)) if p.kind == "choice" else to_text(p, p.default)
        link_notice(f"{plain(key)}={plain(text)}: {plain(str(exc))}; used {plain(start)}.")


def kept_choice(cell, label: str, options, *, key: str, format_func=str, widget: str = "selectbox", **kw) -> Any:
    """A page's own choice (which method, which kernel) kept for the session and in the address; return it."""
    options = list(options)
    checked_link(key, Param(key, label, "choice", choices=tuple(options), labels=tuple(map(format_func, options)),
                            default=options[0]))
    draw_fn = cell.radio if widget == "radio" else cell.selectbox
    return draw_fn(label, options, format_func=format_func, key=key, **KEEP, **kw)


def draw(cell, p: Param, *, key: str, start: Any = _UNSET, widget: str | None = None, **kw) -> Any:
    """Draw ``p`` in ``cell`` (a container or ``st``); return the widget's raw value.

    ``start``: the widget's starting value (left out where session state
    already holds it, as the compare page's controls do). ``widget`` picks
    another widget for the setting's kind: ``"radio"`` or ``"select_slider"``
    for a choice, ``"number_input"`` for a number. Choices show their labels.
    """
    kw.setdefault("help", p.help or None)
    if kw.get("bind"):
        checked_link(key, p)
    given = start is not _UNSET
    if p.kind in ("int", "float"):
        cast = int if p.kind == "int" else float
        lo, hi, step = cast(p.lo), cast(p.hi), cast(p.step or 1)
        if widget is None and p.kind == "int" and (hi - lo) / step > 400:
            widget = "number_input"
        args = (p.label, lo, hi) + ((cast(start),) if given else ())
        if p.kind == "float":  # as many decimals as the step has: Streamlit's two showed 0.0005 steps as 0.00
            kw.setdefault("format", f"%.{max(2, -math.floor(math.log10(step)))}f")
        draw_fn = cell.number_input if widget == "number_input" else cell.slider
        return draw_fn(*args, step=step, key=key, **kw)
    if p.kind == "bool":
        return cell.toggle(p.label, **({"value": bool(start)} if given else {}), key=key, **kw)
    if p.kind == "choice":
        names = dict(zip(p.choices, p.labels or p.choices))
        fmt = lambda c, n=names: str(n[c])  # noqa: E731
        if widget == "select_slider":
            return cell.select_slider(p.label, p.choices, format_func=fmt, key=key,
                                      **({"value": start} if given else {}), **kw)
        draw_fn = cell.radio if widget == "radio" else cell.selectbox
        return draw_fn(p.label, p.choices, format_func=fmt, key=key,
                       **({"index": p.choices.index(start)} if given else {}), **kw)
    # floats, auto_float: text
    return cell.text_input(p.label, **({"value": to_text(p, start)} if given else {}), key=key, **kw)


def control(cell, method: str, name: str, *, key: str, widget: str | None = None, **kw) -> Any:
    """Draw ``method``'s setting ``name`` from its declaration, starting at the method's default; return its value.

    The value lasts the session and stands in the page's address under ``key``
    (:data:`pages._image_input.KEEP`): leave the page and come back, reload,
    or share the link, and the setting is still there.
    """
    p = get_method(method).param(name)
    return draw(cell, p, key=key, start=p.default, widget=widget, **KEEP, **kw)


def default(method: str, name: str) -> Any:
    """The default of ``method``'s setting ``name``: the function's own."""
    return get_method(method).param(name).default
