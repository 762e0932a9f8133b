"""``python -m segcore weights status | download``: model weights ahead of time, for every model that needs them.

    python -m segcore weights status
    python -m segcore weights download --variant v1            # Mask R-CNN (as before)
    python -m segcore weights download maskrcnn --variant v2
    python -m segcore weights download sam2 [--checkpoint facebook/sam2.1-hiera-small]

Fetch the weights before a presentation without network, or see what is
available where. Exit status 0 on success, 2 when a download fails (or the
command names an option of the other model).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from segcore.methods.maskrcnn.weights import COCO_VARIANTS
from segcore.methods.prompts.sam2_weights import CHECKPOINTS, DEFAULT_CHECKPOINT


def main(argv: Sequence[str]) -> int:
    from segcore.methods.maskrcnn import weights_cli as maskrcnn_cli
    from segcore.methods.prompts import sam2_weights_cli

    parser = argparse.ArgumentParser(prog="python -m segcore weights", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="say which weights are available where (Mask R-CNN and SAM 2.1)")
    dl = sub.add_parser("download", help="fetch weights: Mask R-CNN into torch hub's cache, SAM 2.1 into "
                                         "the Hugging Face cache")
    dl.add_argument("model", nargs="?", choices=("maskrcnn", "sam2"), default="maskrcnn",
                    help="which model's weights; default maskrcnn")
    dl.add_argument("--variant", choices=COCO_VARIANTS, default=None, help="Mask R-CNN's variant; default v1")
    dl.add_argument("--checkpoint", choices=tuple(CHECKPOINTS), default=None,
                    help=f"SAM 2.1's checkpoint; default {DEFAULT_CHECKPOINT}")
    args = parser.parse_args(list(argv))
    if args.command == "status":
        maskrcnn_cli.status()
        print()
        return sam2_weights_cli.status()
    if args.model == "sam2":
        if args.variant is not None:
            parser.error("--variant is Mask R-CNN's; SAM 2.1 takes --checkpoint")
        return sam2_weights_cli.download(args.checkpoint or DEFAULT_CHECKPOINT)
    if args.checkpoint is not None:
        parser.error("--checkpoint is SAM 2.1's: write `weights download sam2 --checkpoint ...`")
    return maskrcnn_cli.download(args.variant or "v1")
