"""Mask R-CNN's wide 3 x 3 convolutions by Winograd's algorithm on the CPU (NNPACK, inside torch).

The FPN's output convolutions, the RPN's shared convolution and the mask
head's four convolutions are all 3 x 3, stride 1, 256 channels in and out;
the first two run on the finest pyramid level (200 x 267 at min_size 800).
torch's default CPU path computes them directly with oneDNN. Winograd's
algorithm computes the same sums with about a third of the multiplications,
and torch ships NNPACK's implementation of it (``torch._nnpack_spatial_convolution``)
but only picks it by itself for batches of 16 or more.

Measured on the 2-core machine: the 200 x 267 convolution in 197 ms instead
of 499-561 ms, and a whole v1 ``predict`` at the page's defaults 23 % faster
(interleaved runs: median 4.75 s -> 3.65 s in a slow spell). The results
differ from the direct ones by float rounding only (scores within 2e-5,
boxes within 0.01 px in that run). The backbone's convolutions stay on oneDNN:
with fewer channels and smaller maps NNPACK was no faster there.

Only for float32 inference on the CPU; anything else, and any input NNPACK
refuses, goes to ``torch.nn.functional.conv2d`` as before.

``torch._nnpack_spatial_convolution`` is private torch API, the one such call
left in the engine: torch has no public way to reach NNPACK's batch-1
inference kernel. Measured on the 2-core machine (page defaults, 1600 x 1200,
interleaved in one process, 7 rounds, per-round time over this path's):
``conv2d`` on oneDNN 1.49x (1.42-1.63); aten's own NNPACK choice through the
public flags (oneDNN off for batches of 16 or more: the mask head only) 1.30x;
that plus a hand-written Winograd F(4x4, 3x3) in torch matrix products for the
FPN and RPN 1.12x (0.98-1.23). None keeps the 2.0 s target that this path
meets (1,737 ms in docs/benchmarks.md), so the call stays, here alone, with its test.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from segcore.methods.maskrcnn.swap import swap_children

#: Submodules whose 3 x 3 convolutions are swapped (the heads after the backbone).
HEADS = ("backbone.fpn", "rpn", "roi_heads.mask_head")
#: Narrower convolutions stay direct: Winograd only paid off at 256 channels.
MIN_CHANNELS = 256


def nnpack_available() -> bool:
    """Whether torch's NNPACK works on this CPU (the call also initialises it, which it needs)."""
    try:
        return bool(torch.backends.nnpack.is_available())
    except (AttributeError, RuntimeError):
        return False


class WinogradConv2d(torch.nn.Module):
    """A 3 x 3, stride-1 ``Conv2d`` computed by NNPACK's Winograd kernels; direct where NNPACK can't.

    Holds the convolution's weight (contiguous NCHW, as NNPACK reads it) and
    bias (zeros if it had none). Returns what the convolution returns, as a
    contiguous NCHW tensor.
    """

    def __init__(self, conv: torch.nn.Conv2d):
        super().__init__()
        if not eligible(conv):
            raise ValueError(f"not a 3 x 3, stride-1, zero-padded, ungrouped convolution: {conv}")
        weight = conv.weight.detach().contiguous()
        bias = conv.bias.detach() if conv.bias is not None else weight.new_zeros(conv.out_channels)
        self.weight = torch.nn.Parameter(weight, requires_grad=False)
        self.bias = torch.nn.Parameter(bias, requires_grad=False)
        self.padding = tuple(int(p) for p in conv.padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inference = not (torch.is_grad_enabled() and x.requires_grad)  # NNPACK has no backward here
        if inference and x.device.type == "cpu" and x.dtype == torch.float32 and x.dim() == 4 and x.numel():
            weight = self.weight if self.weight.is_contiguous() else self.weight.contiguous()
            try:
                return torch._nnpack_spatial_convolution(x.contiguous(), weight, self.bias, list(self.padding))
            except RuntimeError:  # a shape or machine NNPACK refuses: the direct way below
                pass
        return F.conv2d(x, self.weight, self.bias, padding=self.padding)

    def extra_repr(self) -> str:
        return f"{self.weight.shape[1]}, {self.weight.shape[0]}, kernel_size=(3, 3), padding={self.padding}"


def eligible(conv: torch.nn.Module) -> bool:
    """A plain 3 x 3 convolution NNPACK computes: stride 1, no dilation, one group, zero padding."""
    return (
        isinstance(conv, torch.nn.Conv2d)
        and conv.kernel_size == (3, 3)
        and conv.stride == (1, 1)
        and conv.dilation == (1, 1)
        and conv.groups == 1
        and conv.padding_mode == "zeros"
        and isinstance(conv.padding, tuple)
    )


def use_winograd(model: torch.nn.Module, heads: tuple[str, ...] = HEADS) -> int:
    """Swap the wide 3 x 3 convolutions under ``heads`` for :class:`WinogradConv2d`; return how many.

    Call on a CPU model in eval mode, after its batch norms are folded. Does
    nothing (returns 0) where NNPACK is not available.
    """
    if not nnpack_available():
        return 0

    def replace(child: torch.nn.Module) -> torch.nn.Module | None:
        wide = eligible(child) and min(child.in_channels, child.out_channels) >= MIN_CHANNELS
        return WinogradConv2d(child) if wide else None

    return swap_children(model, heads, replace)
