"""``python -m segcore weights status | download``: Mask R-CNN weights ahead of time.

Fetch the weights before a presentation without network, or see what is
available where. Exit status 0 on success, 2 when a download fails.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from segcore.methods.maskrcnn.weights import (
    COCO_VARIANTS,
    ENV_WEIGHTS,
    WeightsUnavailable,
    download_weights,
    weights_status,
)


def _mb(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:.1f} MB"


def status() -> int:
    """Print one line per variant: where its weights are, or where they would go."""
    for row in weights_status():
        if row["found"]:
            where = f"found ({row['source']}): {row['found']} [{_mb(row['size'])}]"
        elif row["error"]:
            where = f"unusable: {row['error']}"
        else:
            where = f"missing: would be {row['expected']}"
        print(f"{row['variant']:<7} {row['file'] or '':<44} {where}")
    print(f"\nA file named by ${ENV_WEIGHTS} (or ${ENV_WEIGHTS}_<VARIANT>) takes precedence over the cache.")
    return 0


def download(variant: str) -> int:
    """Download ``variant``'s weights into torch hub's cache, with a progress line."""

    def progress(done: int, total: int | None) -> None:
        pct = f" {100 * done / total:5.1f}%" if total else ""
        print(f"\r{_mb(done)} of {_mb(total)}{pct}", end="", file=sys.stderr, flush=True)

    try:
        path = download_weights(variant, progress=progress)
    except (WeightsUnavailable, ValueError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        row = next(r for r in weights_status() if r["variant"] == variant)
        print(
            f"Without network: on a machine with network run this command, then copy {row['file']} to "
            f"{row['expected']} here, or point ${ENV_WEIGHTS} at the file.",
            file=sys.stderr,
        )
        return 2
    print(f"\n{variant}: {path}", file=sys.stderr)
    return 0


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m segcore weights", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="say which weights are available where")
    dl = sub.add_parser("download", help="fetch weights into torch hub's cache")
    dl.add_argument("--variant", choices=COCO_VARIANTS, default="v1", help="default v1")
    args = parser.parse_args(list(argv))
    if args.command == "status":
        return status()
    return download(args.variant)
