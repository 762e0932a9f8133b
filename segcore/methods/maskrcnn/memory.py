"""Running out of memory while loading or running a model: how it is recognised and given back.

Imports no torch: it reads ``sys.modules`` for torch's own error type when torch is loaded.
"""

from __future__ import annotations

import gc
import sys


class ModelOutOfMemory(MemoryError):
    """Mask R-CNN ran out of memory while loading or running; the message says where and what to try.

    Nothing of the failed attempt is kept (no model, no result), and the
    memory it held is given back before this is raised: the next call tries
    again from scratch.
    """


#: Phrases of the RuntimeErrors torch raises when an allocation fails (CUDA, the CPU allocator, MPS).
_OOM_PHRASES = ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out: ``MemoryError``, ``torch.OutOfMemoryError``, or torch's allocator's RuntimeError.

    Does not import torch (checked only when torch is loaded already).
    """
    if isinstance(exc, MemoryError):
        return True
    torch = sys.modules.get("torch")
    oom_type = getattr(torch, "OutOfMemoryError", None) if torch is not None else None
    if isinstance(oom_type, type) and isinstance(exc, oom_type):
        return True
    return isinstance(exc, RuntimeError) and any(p in str(exc).lower() for p in _OOM_PHRASES)


def release_memory(device: str | None = None) -> None:
    """Give back what a failed attempt held: a garbage collection, and CUDA's cached blocks on a GPU."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and (device is None or str(device).startswith("cuda")) and torch.cuda.is_available():
        torch.cuda.empty_cache()
