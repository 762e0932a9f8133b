"""The compare page's controls and their link: widgets for every method's settings, kept in the URL.

Every control's value lives in session state under a key of its own
(``cmp.<method>.<param>`` for a method's setting). Its starting value is, in
order: a shared link's value (``?kmeans.k=8``, validated by
:mod:`segcore.spec`), the setting last used on the method's own page in
this session, and the page's default. After each run the page writes the
current values back into ``st.query_params``, so the address bar always holds
a link that reproduces the view.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages._compare_figure import VIEWS
from pages._controls import draw
from pages._image_input import KEEP, link_notice, plain
from pages._prompt_methods import PROMPT_METHODS, first_choice
from pages._prompt_state import LINK_KEYS
from pages._result_view import remembered_settings
from pages._weights_secret import weights_from_secrets
from segcore.prompts import Prompts
from segcore.registry import compare_methods, get_method
from segcore.spec import Param, parse, to_text

#: The methods the compare page offers, in the dashboard's order.
COMPARE_METHODS = tuple(compare_methods())
#: Every method the page can run: those it always offers and, where the image has prompts, the promptable ones.
ALL_METHODS = COMPARE_METHODS + PROMPT_METHODS

#: The methods ticked on a first visit, Mask R-CNN only where it can run (:func:`default_methods`): the
#: article's kinds (thresholds, edges, clustering) and Felzenszwalb's graph segmentation, which with its
#: defaults beat each of them on both PRI and VoI on the BSDS500 val photos (docs/quality.md).
DEFAULT_METHODS = ("otsu", "multiotsu", "canny", "kmeans", "gmm", "felzenszwalb", "maskrcnn")
#: Page-level settings kept in the link, besides the methods' own (state key ``cmp_<name>``).
VIEW_PARAMS = {
    "view": Param("view", "View", "choice", choices=tuple(VIEWS), labels=tuple(VIEWS.values()), default="labels"),
    "present": Param("present", "Presentation mode", "bool", default=False),
    "cols": Param("cols", "Panels per row", "int", 1, 6, 1, default=3),
    "full": Param("full", "Every pixel", "bool", default=False),
}
#: State keys of the settings expander (open or not) and of its tabs (the open tab's method title).
SETTINGS_OPEN, SETTINGS_TAB = "cmp_settings_open", "cmp_settings_tab"
#: State key of the before/after expander (open or not).
WIPE_OPEN = "cmp_wipe_open"
_WRITTEN = "cmp_link_written"  # the query parameters this page wrote last (absent: no run of this page yet)
#: The images (SHA-256) whose prompts this page has seen: the prompt methods are ticked once per image, then it is
#: the visitor's choice.
PROMPTS_SEEN = "cmp_prompts_seen"


def key_of(method: str, param: str, prefix: str = "cmp") -> str:
    return f"{prefix}.{method}.{param}"


def _widget_value(p: Param, value: Any) -> Any:
    """A setting as its widget holds it (text boxes hold text)."""
    return to_text(p, value) if p.kind in ("floats", "auto_float") else value


def _start_value(method: str, p: Param, image_name: str) -> Any:
    remembered = remembered_settings(method)
    if p.name in remembered:
        try:  # a remembered value is re-checked: pages may offer a wider range than the table
            return parse(p, to_text(p, remembered[p.name]))
        except (ValueError, TypeError):
            pass
    if method == "maskrcnn" and p.name == "variant" and image_name.startswith("shapes"):
        return "shapes"  # the synthetic shapes sample is what the small model knows
    return p.default


def maskrcnn_problem(variant: str) -> str | None:
    """Why Mask R-CNN ``variant`` cannot take part here, in one line (None when its weights are at hand)."""
    from segcore.methods.maskrcnn import WeightsUnavailable, certainly_missing, resolve_weights  # noqa: PLC0415

    weights_from_secrets()  # a weights file named in Streamlit's secrets counts too
    missing = (f"no {variant} weights on this machine (this page never downloads them): get them on "
               "the Mask R-CNN page, or choose the small shapes model in its settings.")
    if certainly_missing(variant):  # known without importing torch
        return missing
    try:
        resolve_weights(variant, allow_download=False)
    except WeightsUnavailable:
        return missing
    return None


def default_methods(image_name: str) -> list[str]:
    """The methods ticked on a first visit: :data:`DEFAULT_METHODS` that can run here.

    Mask R-CNN takes part with the model it would start with (the small shapes model on the
    shapes sample) only when that model's weights are at hand: a first grid has no empty panel.
    """
    variant = _start_value("maskrcnn", get_method("maskrcnn").param("variant"), image_name)
    return [m for m in DEFAULT_METHODS if m in COMPARE_METHODS and (m != "maskrcnn" or not maskrcnn_problem(variant))]


def apply_link(image_name: str, image_sha: str = "", prompted: bool = False) -> None:
    """Give every control its starting value; a new link's values replace the current ones.

    Called before any control is drawn. A link parameter that is unknown or
    out of range is reported (:func:`pages._image_input.link_notice`) and the control keeps
    its value or default: a URL is user input. ``prompted``: the image (SHA-256
    ``image_sha``) has prompts, so ``methods`` may name the promptable methods
    (without, each named gets a notice and is left out); a link naming methods
    chooses them itself, so the page then ticks no prompt method of its own
    (:func:`offer_prompt_methods`). The prompts' own keys (``clicks``, ``box``,
    ``strokes``) are read by :func:`pages._prompt_state.read_link`.
    """
    query = {k: st.query_params.get(k) for k in st.query_params}
    # A link is read on the page's first run in the session only (opening a link starts a new
    # session). Later differences between the address and what this page wrote are not new links:
    # a rerun can carry the address from before the browser applied the page's last update.
    fresh = _WRITTEN not in st.session_state
    if "cmp_methods" not in st.session_state:
        st.session_state["cmp_methods"] = default_methods(image_name)
    for name, p in VIEW_PARAMS.items():
        st.session_state.setdefault(f"cmp_{name}", p.default)
    for method in ALL_METHODS:
        for p in get_method(method).params:
            st.session_state.setdefault(key_of(method, p.name), _widget_value(p, _start_value(method, p, image_name)))
    if not fresh or not query:
        return
    known = {"sample", "methods", *VIEW_PARAMS, *LINK_KEYS}
    if "methods" in query:
        names = [m.strip() for m in query["methods"].split(",") if m.strip()]
        bad = [m for m in names if m not in ALL_METHODS]
        if bad:
            link_notice(f"methods: {plain(', '.join(bad))} unknown (choose from {', '.join(COMPARE_METHODS)}, and "
                        f"with prompts {', '.join(PROMPT_METHODS)}); left out.")
        unprompted = [m for m in names if m in PROMPT_METHODS and not prompted]
        for m in dict.fromkeys(unprompted):
            link_notice(f"methods: {m} answers prompts: add some on Point and click; left out.")
        st.session_state["cmp_methods"] = [m for m in dict.fromkeys(names) if m in ALL_METHODS and m not in unprompted]
        if prompted:  # the link chose the methods: its prompt methods are ticked as it says
            st.session_state.setdefault(PROMPTS_SEEN, set()).add(image_sha)
    for name, p in VIEW_PARAMS.items():
        if name in query:
            st.session_state[f"cmp_{name}"] = _link_value(name, p, query[name])
    for key, text in query.items():
        if key in known:
            continue
        method, _, param = key.partition(".")
        spec = {p.name: p for p in (get_method(method).params if method in ALL_METHODS else ())}.get(param)
        if spec is None:
            link_notice(f"{plain(key)}: no such setting; ignored.")
            continue
        st.session_state[key_of(method, param)] = _widget_value(spec, _link_value(key, spec, text))


def _link_value(key: str, p: Param, text: str) -> Any:
    """The value a link gives ``p``; its default, with a notice, when the text is not a valid value."""
    try:
        return parse(p, text)
    except ValueError as exc:
        link_notice(f"{plain(key)}={plain(text)}: {plain(str(exc))}; used the default, {to_text(p, p.default) or 'auto'}.")
        return p.default


#: The article's techniques (thresholds, edges, clustering) and the field's region baselines.
ARTICLE_FAMILIES = ("threshold", "edges", "clustering")


def tick_article_methods() -> None:
    """Button callback: tick the article's methods only (runs before the page, so the multiselect shows it)."""
    st.session_state["cmp_methods"] = [m for m in COMPARE_METHODS if get_method(m).family in ARTICLE_FAMILIES]


def tick_region_methods() -> None:
    """Button callback: add the region methods (graph, superpixels, watershed, contours) to those ticked."""
    ticked = list(st.session_state.get("cmp_methods", []))
    ticked += [m for m in COMPARE_METHODS if get_method(m).family == "regions" and m not in ticked]
    st.session_state["cmp_methods"] = [m for m in ALL_METHODS if m in ticked]


def offer_prompt_methods(cache, image, prompts: Prompts) -> list[str]:
    """The Methods choice's options: :data:`COMPARE_METHODS`, and the prompt methods where the image has prompts.

    Called before the multiselect is drawn. The first time the page sees
    prompts for this image, it ticks the prompt methods that answer them
    (:func:`pages._prompt_methods.first_choice`: the classic ones that can, SAM
    2.1 where its weights are here); the visitor may untick them. Without
    prompts, ticked prompt methods are dropped from the choice (a
    multiselect's value must be among its options).
    """
    ticked = list(st.session_state.get("cmp_methods", []))
    if not prompts:
        st.session_state["cmp_methods"] = [m for m in ticked if m not in PROMPT_METHODS]
        return list(COMPARE_METHODS)
    seen = st.session_state.setdefault(PROMPTS_SEEN, set())
    if image.sha256 not in seen:
        seen.add(image.sha256)
        added = [m for m in first_choice(cache, image, prompts) if m not in ticked]
        st.session_state["cmp_methods"] = ticked + added
    return list(ALL_METHODS)


def method_controls(method: str, container, *, prefix: str = "cmp", columns: int = 1, keep: bool = False) -> dict[str, Any]:
    """Draw ``method``'s settings in ``container``; return its keyword arguments.

    Widgets are keyed ``<prefix>.<method>.<param>`` and laid out in
    ``columns`` columns. A text setting (a list of thresholds, an optional
    edge threshold) that does not parse shows why under it and runs with the
    default. ``keep`` (a technique page): each starts at the method's default
    and keeps its value for the session and in the page's address
    (:data:`pages._image_input.KEEP`); otherwise (the compare page, which
    writes its own link) the values come from session state (:func:`apply_link`).
    """
    params: dict[str, Any] = {}
    cells = container.columns(columns) if columns > 1 else [container]
    for i, p in enumerate(get_method(method).params):
        cell = cells[i % len(cells)]
        # persist_state: the value outlives a run that does not draw the control (another tab open).
        how = dict(start=p.default, **KEEP) if keep else dict(persist_state="page")
        raw = draw(cell, p, key=key_of(method, p.name, prefix), **how)
        params[p.name], problem = _setting(p, raw)
        if problem:
            cell.warning(problem)
    return _ordered(method, params)


def stored_controls(method: str, *, prefix: str = "cmp") -> dict[str, Any]:
    """``method``'s keyword arguments from its controls' values in session state, without drawing them.

    What :func:`method_controls` returns for the same values: the compare page
    draws the controls of the one method whose settings tab is open and takes
    the others' from here (twenty methods' controls, drawn on every run, made
    each run of the page re-render some eighty widgets in the browser). A
    value that is missing or does not parse runs with the default.
    """
    params: dict[str, Any] = {}
    for p in get_method(method).params:
        raw = st.session_state.get(key_of(method, p.name, prefix), _widget_value(p, p.default))
        params[p.name], _ = _setting(p, raw)
    return _ordered(method, params)


def _setting(p: Param, raw: Any) -> tuple[Any, str | None]:
    """(the keyword argument a control's value ``raw`` stands for, why it fell back to the default or None)."""
    if p.kind == "int":
        return int(raw), None
    if p.kind == "float":
        return float(raw), None
    if p.kind == "bool":
        return bool(raw), None
    if p.kind == "choice":
        return (raw, None) if raw in p.choices else (p.default, None)
    try:  # floats, auto_float: text
        return parse(p, str(raw)), None
    except ValueError as exc:
        return p.default, f"{plain(str(exc))}; using {to_text(p, p.default) or 'auto'}."


def _ordered(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """Canny as the edge page runs it: the lower of its two thresholds is the low one."""
    if method == "canny":
        lo, hi = params["low_threshold"], params["high_threshold"]
        params["low_threshold"], params["high_threshold"] = min(lo, hi), max(lo, hi)
    return params


def write_link(sample: str | None, methods: list[str], settings: dict[str, dict[str, Any]],
               prompts: Prompts | None = None) -> None:
    """Put the current view into the address bar (every ticked method's settings, the view, the sample, the prompts)."""
    query: dict[str, str] = {}
    if sample is not None:
        query["sample"] = sample
    query["methods"] = ",".join(methods)
    query.update(prompts.to_text() if prompts else {})
    for name, p in VIEW_PARAMS.items():
        query[name] = to_text(p, st.session_state[f"cmp_{name}"])
    for method in methods:
        specs = {p.name: p for p in get_method(method).params}
        for name, value in settings.get(method, {}).items():
            if name in specs:
                query[f"{method}.{name}"] = to_text(specs[name], value)
    if {k: st.query_params.get(k) for k in st.query_params} != query:
        st.query_params.from_dict(query)
    st.session_state[_WRITTEN] = query


def method_title(method: str) -> str:
    return get_method(method).title


def key_settings(method: str, params: dict[str, Any], width: int = 44) -> str:
    """The method's settings for its panel title: those changed from the page's defaults first, in bold.

    As many as fit in ``width`` characters ('k=8, color_space=lab, ...'); '' for a method without settings.
    """
    defaults = get_method(method).settings
    specs = {p.name: p for p in get_method(method).params}
    shown = [n for n in specs if n in params]
    changed = [n for n in shown if params[n] != defaults[n]]
    parts, used = [], 0
    for n in changed + [n for n in shown if n not in changed]:
        text = f"{n}={to_text(specs[n], params[n]) or 'auto'}"
        if parts and used + len(text) + 2 > width:
            return ", ".join(parts) + ", ..."
        parts.append(f"<b>{text}</b>" if n in changed else text)
        used += len(text) + 2
    return ", ".join(parts)
