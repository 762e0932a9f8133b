"""SAM 2.1's part of ``python -m segcore weights status | download sam2``: its checkpoints ahead of time.

Exit status as for Mask R-CNN's weights (:mod:`segcore.methods.maskrcnn.weights_cli`): 0 on success, 2 when
a download fails.
"""

from __future__ import annotations

import sys

from segcore.methods.prompts.sam2_weights import (
    CHECKPOINTS,
    ENV_WEIGHTS,
    WeightsUnavailable,
    download_weights,
    hub_settings,
    status_text,
    weights_status,
)


def _mb(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:.1f} MB"


def status() -> int:
    """Print one line per SAM 2.1 checkpoint: found where, or what is missing and the command that fetches it."""
    for row in weights_status():
        if row["found"]:
            where = f"found ({row['source']}): {row['found']}"
        elif row["error"]:
            where = f"unusable: {row['error']}"
        else:
            partly = "" if len(row["missing"]) == 3 else f" ({', '.join(row['missing'])})"
            where = f"missing{partly}: run `{row['command']}`"
        print(f"sam2  {row['checkpoint']:<32} {row['size_mb']:>4} MB  {where}")
    hub = hub_settings()
    print(f"\nSAM 2.1 looks in ${ENV_WEIGHTS} first, then the Hugging Face cache {hub.cache_dir} "
          f"(downloads from {hub.endpoint}{', turned off by HF_HUB_OFFLINE' if hub.offline else ''}).")
    return 0


def download(checkpoint: str) -> int:
    """Download ``checkpoint`` into the Hugging Face cache, with a progress line on stderr."""

    def progress(done: int, total: int | None) -> None:
        pct = f" {100 * done / total:5.1f}%" if total else ""
        print(f"\r{_mb(done)} of {_mb(total)}{pct}", end="", file=sys.stderr, flush=True)

    if checkpoint not in CHECKPOINTS:
        print(f"error: unknown SAM 2.1 checkpoint {checkpoint!r}; choose one of {', '.join(CHECKPOINTS)}",
              file=sys.stderr)
        return 2
    try:
        folder = download_weights(checkpoint, progress=progress)
    except WeightsUnavailable as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        print(status_text(checkpoint), file=sys.stderr)
        return 2
    print(f"\nsam2 {checkpoint}: {folder}", file=sys.stderr)
    return 0
