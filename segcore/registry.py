"""The catalogue of techniques: one name per method, its family and its settings.

Technique modules register their public functions with :func:`register`,
declaring the settings the dashboard offers beside the function
(:class:`segcore.spec.Param`); the pages, the compare view, shared links and
the command line look methods up here, so every method is run, timed,
described and set up the same way.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from segcore.result import Segmentation
from segcore.spec import Cost, Param

#: Families in the order the dashboard presents them; family ``f`` registers in ``segcore.methods.f``.
FAMILIES = ("threshold", "edges", "clustering", "regions", "maskrcnn", "prompts")


@dataclass(frozen=True)
class MethodSpec:
    """One registered technique.

    ``func(image, **params)`` takes an (H, W, 3) uint8 RGB image and returns
    a :class:`~segcore.result.Segmentation`; a promptable method (family
    ``"prompts"``) takes the user's :class:`segcore.prompts.Prompts` too:
    ``func(image, prompts, **params)``. ``params`` are the settings the
    dashboard offers, each with the function's default; keywords left out of
    them (Mask R-CNN's ``device``, say) are for the command line and code only.
    ``compare``: offered on the compare page. ``cost``: its time estimate and
    the setting that makes it cheaper (:class:`segcore.spec.Cost`, read by :mod:`segcore.cost`).
    """

    name: str
    family: str
    title: str
    func: Callable[..., Segmentation]
    summary: str
    params: tuple[Param, ...] = ()
    compare: bool = True
    cost: Cost | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """The declared settings and their defaults: what a page starts the method with."""
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param:
        """The declared setting ``name`` (KeyError if the method declares none by that name)."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} declares no setting {name!r}")

    @property
    def defaults(self) -> dict[str, Any]:
        """Keyword parameters and their default values, from the signature."""
        return {
            p.name: p.default
            for p in inspect.signature(self.func).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty
        }

    @property
    def prompted(self) -> bool:
        """True for a method that answers prompts (clicks, a box, scribbles) and needs them to run."""
        return self.family == "prompts"

    def run(self, image: np.ndarray, *prompts: Any, **params: Any) -> Segmentation:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise TypeError(f"{self.name} has no parameter(s) {sorted(unknown)}; it takes {sorted(self.defaults)}")
        if len(prompts) != self.prompted:
            raise TypeError(f"{self.name} takes {'the image and its prompts' if self.prompted else 'the image only'}")
        return self.func(image, *prompts, **params)


_REGISTRY: dict[str, MethodSpec] = {}
_loaded = False


def register(
    name: str, *, family: str, title: str, params: tuple[Param, ...] = (), compare: bool = True,
    cost: Cost | None = None,
) -> Callable:
    """Decorator adding a technique function to the registry under ``name``.

    Each of ``params`` names a keyword-only parameter of the function and
    takes its default from the signature (a declaration that names none, or
    carries a default of its own, is a programming error, raised at import).
    ``cost`` estimates its time (:mod:`segcore.cost`).
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}")

    def deco(func: Callable[..., Segmentation]) -> Callable[..., Segmentation]:
        summary = (inspect.getdoc(func) or "").split("\n\n", 1)[0].replace("\n", " ")
        spec = MethodSpec(name, family, title, func, summary, compare=compare, cost=cost)
        defaults = spec.defaults
        for p in params:
            if p.name not in defaults:
                raise TypeError(f"{name}: setting {p.name!r} is not a keyword parameter of {func.__name__}")
            if p.default is not None:
                raise TypeError(f"{name}: setting {p.name!r} declares a default; the signature holds it")
        _REGISTRY[name] = replace(spec, params=tuple(replace(p, default=defaults[p.name]) for p in params))
        return func

    return deco


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        for family in FAMILIES:
            importlib.import_module(f"segcore.methods.{family}")
        _loaded = True


def get_method(name: str) -> MethodSpec:
    """Return the :class:`MethodSpec` called ``name``; KeyError lists the valid names."""
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r}; choose one of {', '.join(sorted(_REGISTRY))}") from None


def list_methods(family: str | None = None) -> list[MethodSpec]:
    """All registered methods (optionally of one family), in family order."""
    _ensure_loaded()
    specs = [s for s in _REGISTRY.values() if family is None or s.family == family]
    return sorted(specs, key=lambda s: FAMILIES.index(s.family))


def compare_methods() -> list[str]:
    """The methods the compare page offers, in the dashboard's order."""
    return [s.name for s in list_methods() if s.compare]


def run_method(name: str, image: np.ndarray, *prompts: Any, **params: Any) -> Segmentation:
    """Run the method called ``name`` on ``image`` (and its prompts, for a promptable method) with ``params``."""
    return get_method(name).run(image, *prompts, **params)
