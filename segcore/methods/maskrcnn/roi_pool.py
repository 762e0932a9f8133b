"""Mask R-CNN's RoI pooling split across the CPU's cores.

torchvision's CPU ``roi_align`` runs on one thread. In a v1 ``predict`` at
min_size 800 it pools 500 proposals for the box head and every detection for
the mask head: 365 ms on the 2-core machine, the second core idle. Each region
is pooled independently of the others, so the regions are split into one
chunk per core, pooled at the same time on :mod:`segcore.fast.parallel`'s threads
(torch releases the GIL inside the op) and the results put back in order:
the same tensor, bit for bit, as one call (tested).
"""

from __future__ import annotations

import torch

from segcore.fast.parallel import n_threads, run_all

#: Fewer regions than this are pooled in one call: the hand-off would cost more than it saves.
MIN_SPLIT = 32


class SplitRoIPool(torch.nn.Module):
    """Wraps a ``MultiScaleRoIAlign``: same call, same result, the regions pooled on every core.

    Only a batch of one image on the CPU is split; anything else is passed
    through unchanged.
    """

    def __init__(self, pool: torch.nn.Module, threads: int | None = None):
        super().__init__()
        self.pool = pool
        self.threads = threads

    def forward(self, x, boxes, image_shapes):
        n = self.threads or n_threads()
        rois = boxes[0] if len(boxes) == 1 else None
        if n < 2 or rois is None or rois.device.type != "cpu" or len(rois) < MIN_SPLIT:
            return self.pool(x, boxes, image_shapes)
        if getattr(self.pool, "scales", True) is None:
            # The pooler works out its levels' scales on its first call and keeps them:
            # one region does that here, before any thread could race to set them.
            self.pool(x, [rois[:1]], image_shapes)
        inference = torch.is_inference_mode_enabled()
        grad = torch.is_grad_enabled()

        def pool_part(part):  # grad and inference modes are per thread: carry the caller's over
            with torch.inference_mode(inference), torch.set_grad_enabled(grad):
                return self.pool(x, [part], image_shapes)

        return torch.cat(run_all(pool_part, torch.tensor_split(rois, n)))


def split_roi_pools(model: torch.nn.Module, threads: int | None = None) -> int:
    """Wrap the box and mask heads' RoI poolers of a Mask R-CNN in :class:`SplitRoIPool`; return how many."""
    heads = model.roi_heads
    wrapped = 0
    for name in ("box_roi_pool", "mask_roi_pool"):
        pool = getattr(heads, name, None)
        if pool is not None and not isinstance(pool, SplitRoIPool):
            setattr(heads, name, SplitRoIPool(pool, threads))
            wrapped += 1
    return wrapped
