"""Replacing a model's layers in place: the one walk that the faster convolutions share."""

from __future__ import annotations

from typing import Callable

import torch


def swap_children(
    model: torch.nn.Module, heads: tuple[str, ...], replace: Callable[[torch.nn.Module], torch.nn.Module | None]
) -> int:
    """Put ``replace(child)`` in place of each child of a module under ``heads`` for which it is not None.

    ``heads`` are module-name prefixes (``"backbone.fpn"``, ...). Returns how
    many children were replaced.
    """
    swapped = 0
    for name, module in list(model.named_modules()):
        if not name.startswith(heads):
            continue
        for child_name, child in list(module.named_children()):
            new = replace(child)
            if new is not None:
                setattr(module, child_name, new)
                swapped += 1
    return swapped
