"""What a method costs, and how a request is kept within a time budget.

Each method declares a :class:`segcore.spec.Cost` beside its settings
(``register(..., cost=Cost(...))``): an estimate of its seconds on this project's 2-core
server from the size it runs at and its settings, and the one setting it
already has that makes it cheaper (a region method's ``max_side``, multi-Otsu's
histogram ``nbins``, Mask R-CNN's ``min_size``, k-means' ``exact``).

:func:`bounded` lowers that setting until the estimate fits a budget and says
in plain words what it changed and why; the dashboard applies it to every
request (:data:`BUDGET_S`), a page of several methods shares one budget among
them (:func:`shared`), and the command line runs what was asked with a
warning (:func:`over_budget`).

The constants of each estimate were fitted on the server (2 cores shared with
other work, so they are set high rather than central) from
docs/benchmarks.md and short runs of each method at a few sizes and settings
(benchmarks/bench_bounds.py prints estimates beside measured times).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from segcore.registry import get_method
from segcore.spec import per_megapixel

__all__ = ["BUDGET_S", "SLOW_S", "bounded", "estimate", "over_budget", "progress_text", "shared"]

#: Seconds one request of the dashboard may take on its 2-core server (one method, or a page of several).
BUDGET_S = 10.0
#: A run estimated longer than this is announced by name while it runs.
SLOW_S = 2.0


def _spec(method: str):
    return get_method(method)


def estimate(method: str, shape: Sequence[int], params: Mapping[str, Any]) -> float:
    """Seconds ``method`` is expected to take on an image of ``shape`` with ``params`` (defaults fill the rest).

    0 for settings the estimate cannot read (a word for a number): the method
    refuses them with its own message when it runs.
    """
    spec = _spec(method)
    cost = spec.cost or per_megapixel(0.1)
    try:
        return float(cost.seconds(tuple(shape[:2]), {**spec.defaults, **params}))
    except (TypeError, ValueError, KeyError, ImportError):  # settings the method itself refuses, saying why, when run
        return 0.0


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 9.95 else f"{s:.0f} s"


def bounded(method: str, shape: Sequence[int], params: Mapping[str, Any], budget_s: float = BUDGET_S,
            budget: str | None = None) -> tuple[dict[str, Any], str | None]:
    """The parameters to run ``method`` with so that it fits ``budget_s``, and a note saying what changed.

    Returns ``(params, None)`` when the estimate fits. Otherwise the method's
    cost knob takes the dearest of its cheaper values whose estimate fits (the
    cheapest when none does), and the note names the change, the estimate
    that caused it and the estimate now. A method without a knob runs as
    asked, with a note saying so. ``budget`` names the budget in the note
    (default "this app's 10 s budget"). Bounding the result again with an
    equal or larger budget changes nothing: results can be keyed on what ran.
    """
    shape = tuple(shape[:2])
    params = dict(params)
    asked = estimate(method, shape, params)
    if asked <= budget_s:
        return params, None
    spec = _spec(method)
    budget = budget or f"this app's {_seconds(budget_s)} budget"
    cost = spec.cost
    if cost is None or cost.knob is None:
        return params, (f"{spec.title} is estimated at {_seconds(asked)} on this image, over {budget}, and has no "
                        "setting that makes it cheaper: a smaller working size (sidebar) would.")
    cheaper = [(v, estimate(method, shape, {**params, cost.knob: v})) for v in cost.steps]
    cheaper = [(v, s) for v, s in cheaper if s < asked]
    if not cheaper:
        return params, f"{spec.title} is estimated at {_seconds(asked)} on this image, over {budget}, at its cheapest already."
    value, now = next(((v, s) for v, s in cheaper if s <= budget_s), cheaper[-1])
    was = {**spec.defaults, **params}[cost.knob]
    still = "" if now <= budget_s else " (still over it: lower its other settings for a faster run)"
    note = (f"{spec.title} ran {cost.says(value, shape)} instead of {cost.says(was, shape)}: as asked it was "
            f"estimated at {_seconds(asked)}, over {budget}; now about {_seconds(now)}{still}.")
    return {**params, cost.knob: value}, note


def shared(requests: Mapping[str, Mapping[str, Any]], shape: Sequence[int], budget_s: float = BUDGET_S,
           workers: int = 1) -> dict[str, tuple[dict[str, Any], str | None]]:
    """Each method's :func:`bounded` parameters and note when ``requests`` (method -> params) share one budget.

    ``workers`` methods run at a time, so their estimates may add up to
    ``budget_s * workers``. The cheapest first: a method within an equal share
    of what is left keeps its settings, and what it leaves over goes to the
    dearer ones, each bounded to its share (never more than ``budget_s``, so
    bounding a result again for the app's budget changes nothing).
    """
    costs = {m: estimate(m, shape, p) for m, p in requests.items()}
    total = budget_s * workers
    left, out = total, {}
    for i, method in enumerate(sorted(requests, key=costs.get)):
        share = min(left / (len(requests) - i), budget_s)
        name = (f"its share ({_seconds(share)}) of this page's {_seconds(budget_s)} budget for {len(requests)} method{'s' if len(requests) > 1 else ''}"
                + (f", {workers} at a time" if workers > 1 and len(requests) > 1 else ""))
        out[method] = bounded(method, shape, requests[method], share, name)
        left = max(left - estimate(method, shape, out[method][0]), 0.0)
    return {m: out[m] for m in requests}


def over_budget(method: str, shape: Sequence[int], params: Mapping[str, Any],
                budget_s: float | None = None) -> str | None:
    """A warning for a run the dashboard would have made cheaper (the command line runs it as asked); None if it fits.

    ``budget_s``: the dashboard's, :data:`BUDGET_S`, when not given.
    """
    budget_s = BUDGET_S if budget_s is None else budget_s
    asked = estimate(method, shape, params)
    if asked <= budget_s:
        return None
    spec = _spec(method)
    run, _ = bounded(method, shape, params, budget_s)
    knob = spec.cost.knob if spec.cost else None
    instead = (f" (the dashboard would run it {spec.cost.says(run[knob], tuple(shape[:2]))})"
               if knob and run.get(knob) != params.get(knob, spec.defaults.get(knob)) else "")
    return (f"{spec.name} is estimated at {_seconds(asked)} on {shape[1]} x {shape[0]} px, over the dashboard's "
            f"{_seconds(budget_s)} budget{instead}; running it as asked.")


def progress_text(running: Sequence[tuple[str, float]], left: Sequence[str]) -> str:
    """What a page says while methods run: each running method with its estimate, then those left to start.

    ``running``: (title, estimated seconds) pairs; e.g. "Running Watershed (about 3 s); left: SLIC, Chan-Vese".
    """
    now = ", ".join(f"{title} (about {max(seconds, 1):.0f} s)" for title, seconds in running) or "..."
    return f"Running {now}" + (f"; left: {', '.join(left)}" if left else "")

