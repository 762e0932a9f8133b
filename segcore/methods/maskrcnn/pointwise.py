"""Mask R-CNN's 1 x 1 convolutions after the backbone as plain matrix products on the CPU.

The model runs channels-last (oneDNN's fastest layout for the backbone), but
torchvision's RoI pooling reads plain NCHW tensors. Left alone, the layout
changes back and forth between the two after the backbone: the finest FPN
level (256 x 200 x 272 floats, 56 MB at min_size 800) was transposed three
times in a v1 ``predict``, 190 ms of copying in all on the 2-core machine.

A 1 x 1 convolution is one matrix product ``W @ X`` over the pixels, and a
channels-last map is already the transpose of an NCHW one in memory, so BLAS
can read either layout as it stands and write the NCHW result directly. Swapped
this way are the FPN's lateral convolutions (channels-last in, NCHW out: the
whole top-down path and its Winograd convolutions then run on NCHW) and the
RPN's two small output convolutions (NCHW in, no conversion to channels-last).

The sums are the same as the convolution's, in another order: equal up to float
rounding (tested against ``conv2d``). Anything but a float32 inference batch of
one on the CPU goes to ``conv2d`` as before.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from segcore.methods.maskrcnn.swap import swap_children

#: Submodules whose 1 x 1 convolutions are swapped: the FPN's lateral ones and the RPN's outputs.
HEADS = ("backbone.fpn.inner_blocks", "rpn.head")


class PointwiseConv2d(torch.nn.Module):
    """A 1 x 1, stride-1 ``Conv2d`` computed as one matrix product; returns a contiguous NCHW tensor.

    Holds the weight as an (out, in) matrix and the bias as an (out, 1)
    column (zeros if the convolution had none).
    """

    def __init__(self, conv: torch.nn.Conv2d):
        super().__init__()
        if not eligible(conv):
            raise ValueError(f"not a 1 x 1, stride-1, unpadded, ungrouped convolution: {conv}")
        weight = conv.weight.detach().reshape(conv.out_channels, conv.in_channels).contiguous()
        bias = conv.bias.detach() if conv.bias is not None else weight.new_zeros(conv.out_channels)
        self.weight = torch.nn.Parameter(weight, requires_grad=False)
        self.bias = torch.nn.Parameter(bias.reshape(-1, 1).contiguous(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inference = not (torch.is_grad_enabled() and x.requires_grad)
        if inference and x.device.type == "cpu" and x.dtype == torch.float32 and x.dim() == 4 and len(x) == 1:
            _, c, h, w = x.shape
            if x.is_contiguous():
                pixels = x.reshape(c, h * w)
            elif x.is_contiguous(memory_format=torch.channels_last):
                pixels = x.permute(0, 2, 3, 1).reshape(h * w, c).t()  # a view: BLAS reads it transposed
            else:
                pixels = None
            if pixels is not None:
                return torch.addmm(self.bias, self.weight, pixels).view(1, -1, h, w)
        return F.conv2d(x, self.weight[:, :, None, None], self.bias.view(-1))

    def extra_repr(self) -> str:
        return f"{self.weight.shape[1]}, {self.weight.shape[0]}, kernel_size=(1, 1)"


def eligible(conv: torch.nn.Module) -> bool:
    """A plain 1 x 1 convolution: stride 1, no padding, no dilation, one group."""
    return (
        isinstance(conv, torch.nn.Conv2d)
        and conv.kernel_size == (1, 1)
        and conv.stride == (1, 1)
        and conv.padding == (0, 0)
        and conv.dilation == (1, 1)
        and conv.groups == 1
    )


def use_pointwise(model: torch.nn.Module, heads: tuple[str, ...] = HEADS) -> int:
    """Swap the 1 x 1 convolutions under ``heads`` for :class:`PointwiseConv2d`; return how many.

    Call on a CPU model in eval mode, after its batch norms are folded.
    """
    return swap_children(model, heads, lambda child: PointwiseConv2d(child) if eligible(child) else None)
