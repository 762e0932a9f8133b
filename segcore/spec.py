"""How a method declares its settings: one :class:`Param` per keyword, beside the method.

Each technique module passes its settings to
:func:`segcore.registry.register` (``params=(Param(...), ...)``). That one
declaration is what the technique pages, the compare page, a shared link
and the command line read: the label, the range or choices and the help
text are written here, and the default is the function's own keyword
default, filled in at registration, so it is written once, in the
signature. :func:`parse` turns a link's text back into a value and refuses
anything the control could not show (outside the declared range, or between
a slider's steps), so a link is validated like any other user input. A method's :class:`Cost` (its time estimate, read by
:mod:`segcore.cost`) is declared beside its settings the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Cost", "Param", "megapixels", "parse", "per_megapixel", "to_text"]


@dataclass(frozen=True)
class Param:
    """One setting of one method.

    ``kind`` is ``"int"``, ``"float"``, ``"choice"``, ``"bool"``, ``"floats"``
    (a comma-separated list of floats in ``[lo, hi]``) or ``"auto_float"`` (a
    float, or None for the method's automatic value). ``lo``/``hi``/``step``
    bound numbers; ``choices`` lists a choice's values, ``labels`` their names.
    ``default`` is left out where a method declares it: the registry fills it
    in from the function's signature.
    """

    name: str
    label: str
    kind: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    choices: tuple = ()
    labels: tuple = ()
    help: str = ""
    default: Any = None


@dataclass(frozen=True)
class Cost:
    """How long one method takes, and the setting that makes it cheaper.

    ``seconds(shape, params)``: the estimated seconds on ``shape`` (the (H, W)
    of the image it is given) with ``params`` (every keyword, defaults filled
    in). ``knob``: the setting :func:`bounded` lowers, None where there is
    none; ``steps``: that setting's values, dearest first; ``says(value,
    shape)``: how a value reads in a sentence ("at 800 px on its long side").
    """

    seconds: Callable[[tuple[int, int], Mapping[str, Any]], float]
    knob: str | None = None
    steps: tuple = ()
    says: Callable[[Any, tuple[int, int]], str] = lambda value, shape: f"with {value}"


def megapixels(shape: Sequence[int]) -> float:
    """Millions of pixels in an image of ``shape`` ((H, W) or (H, W, C))."""
    return shape[0] * shape[1] / 1e6


def per_megapixel(seconds: float, floor: float = 0.0) -> Cost:
    """The cost of a method linear in the pixel count: ``floor + seconds`` a megapixel, nothing to lower."""
    return Cost(lambda shape, params: floor + seconds * megapixels(shape))


def _number(p: Param, text: str, cast) -> Any:
    try:
        value = cast(text)
    except (TypeError, ValueError):
        raise ValueError(f"{p.label}: {text!r} is not a number") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{p.label}: {text!r} is not a finite number")
    if (p.lo is not None and value < p.lo) or (p.hi is not None and value > p.hi):
        raise ValueError(f"{p.label}: {text} is outside {p.lo:g} to {p.hi:g}")
    if p.kind == "int" and p.step and p.step > 1 and (value - p.lo) % p.step:
        raise ValueError(f"{p.label}: {text} is not one of {p.lo:g}, {p.lo + p.step:g}, ... {p.hi:g}")
    if p.kind == "float" and p.step and p.lo is not None:  # a value the control's slider can stop at
        steps = (value - p.lo) / p.step
        if abs(steps - round(steps)) > 1e-6:
            raise ValueError(f"{p.label}: {text} is not one of {p.lo:g}, {p.lo + p.step:g}, ... {p.hi:g} "
                             f"(steps of {p.step:g})")
    return value


def parse(p: Param, text: str) -> Any:
    """The value of ``p`` written as ``text`` (as :func:`to_text` writes it).

    Raises ValueError naming the setting and the accepted values when the
    text is not one of them: a link is user input.
    """
    text = str(text).strip()
    if p.kind in ("int", "float"):
        return _number(p, text, int if p.kind == "int" else float)
    if p.kind == "auto_float":
        return None if text in ("", "auto", "None") else _number(p, text, float)
    if p.kind == "bool":
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{p.label}: {text!r} is not on/off")
    if p.kind == "floats":
        parts = [s for s in text.replace(";", ",").split(",") if s.strip()]
        if not parts:
            raise ValueError(f"{p.label}: give at least one value")
        if len(parts) > 10:
            raise ValueError(f"{p.label}: at most 10 values")
        return tuple(sorted(_number(p, s.strip(), float) for s in parts))
    if p.kind == "choice":
        for c in p.choices:
            if text == str(c):
                return c
        raise ValueError(f"{p.label}: {text!r} is not one of {', '.join(map(str, p.choices))}")
    raise ValueError(f"unknown setting kind {p.kind!r}")  # pragma: no cover - the table's own error


def to_text(p: Param, value: Any) -> str:
    """``value`` written for a link; :func:`parse` reads it back to the same value."""
    if p.kind == "floats":
        return ",".join(f"{float(v):g}" for v in value)
    if p.kind == "bool":
        return "1" if value else "0"
    if p.kind == "auto_float":
        return "" if value is None else f"{float(value):.6g}"
    if p.kind == "float":
        return f"{float(value):.6g}"
    return str(value)
