"""The catalogue of techniques: one name per method, its family and defaults.

Technique modules register their public functions with :func:`register`; the
pages, the compare view and the command line look methods up here so that
every method is run, timed and described the same way.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from segcore.result import Segmentation

#: Families in the order the dashboard presents them.
FAMILIES = ("threshold", "edges", "clustering", "regions", "maskrcnn")
_MODULES = ("segcore.methods.threshold", "segcore.methods.edges", "segcore.methods.clustering", "segcore.methods.regions", "segcore.methods.maskrcnn")


@dataclass(frozen=True)
class MethodSpec:
    """One registered technique.

    ``func(image, **params)`` takes an (H, W, 3) uint8 RGB image and returns
    a :class:`~segcore.result.Segmentation`.
    """

    name: str
    family: str
    title: str
    func: Callable[..., Segmentation]
    summary: str

    @property
    def defaults(self) -> dict[str, Any]:
        """Keyword parameters and their default values, from the signature."""
        sig = inspect.signature(self.func)
        return {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty
        }

    def run(self, image: np.ndarray, **params: Any) -> Segmentation:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise TypeError(
                f"{self.name} has no parameter(s) {sorted(unknown)}; it takes {sorted(self.defaults)}"
            )
        return self.func(image, **params)


_REGISTRY: dict[str, MethodSpec] = {}
_loaded = False


def register(name: str, *, family: str, title: str) -> Callable:
    """Decorator adding a technique function to the registry under ``name``."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}")

    def deco(func: Callable[..., Segmentation]) -> Callable[..., Segmentation]:
        doc = inspect.getdoc(func) or ""
        summary = doc.split("\n\n", 1)[0].replace("\n", " ")
        _REGISTRY[name] = MethodSpec(name, family, title, func, summary)
        return func

    return deco


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        for mod in _MODULES:
            try:
                importlib.import_module(mod)
            except ModuleNotFoundError as exc:  # a family not built yet
                if exc.name != mod:
                    raise
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


def run_method(name: str, image: np.ndarray, **params: Any) -> Segmentation:
    """Run the method called ``name`` on ``image`` with ``params``."""
    return get_method(name).run(image, **params)
