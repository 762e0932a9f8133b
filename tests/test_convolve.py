"""segcore.fast.convolve.convolve gives ndimage.convolve's numbers bit for bit, on its fast path and off it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import data

from segcore.fast.convolve import convolve
from segcore.fast.gray import to_gray
from segcore.methods.edges import KERNELS, MODES


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype, shape and bytes: -0.0 and +0.0 differ, as do two NaNs of other payloads."""
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a.view(np.uint8), b.view(np.uint8))


@pytest.fixture(scope="module")
def grays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    astronaut = to_gray(data.astronaut())
    zeros = np.zeros((9, 11))
    zeros[::2] = -0.0  # rows of negative zeros: the sum must still start from +0.0
    return {
        "astronaut": astronaut,
        "astronaut float32": astronaut.astype(np.float32),
        "coins 8-bit as float": data.coins().astype(np.float64),
        "signed noise": rng.standard_normal((37, 53)) * 1e3,
        "wide range": rng.random((16, 16)) * 10.0 ** rng.integers(-30, 30, (16, 16)),
        "signed zeros": zeros,
        "3 x 3": rng.random((3, 3)),
        "3 x 4": rng.random((3, 4)),
        "strided view": astronaut[::3, 1::2],
    }


@pytest.mark.parametrize("kernel_name", sorted(KERNELS))
@pytest.mark.parametrize("mode", MODES)
def test_every_edge_kernel_and_mode_matches_ndimage(grays, kernel_name, mode):
    kernel = KERNELS[kernel_name]
    for name, gray in grays.items():
        got = convolve(gray, kernel, mode=mode)
        assert _same_bits(got, ndi.convolve(gray, kernel, mode=mode)), (name, kernel_name, mode)


@pytest.mark.parametrize(
    "kernel",
    [
        np.array([[0.1, -0.7, 3.3], [2.0, 0.0, -1e-3], [5.5, 1.0, -1.0]]),  # weights of every kind
        np.array([[0.0, 0.0, 0.0], [0.0, 2.5, 0.0], [0.0, 0.0, 0.0]]),  # one tap
        np.zeros((3, 3)),  # no tap
        np.array([[1.0, -2.0, 1.0]]),  # one row: no frame rows
        np.array([[1.0], [-2.0], [1.0]]),  # one column
        np.array([[-4.0]]),  # 1 x 1
    ],
    ids=["mixed", "one-tap", "zero", "row", "column", "1x1"],
)
@pytest.mark.parametrize("mode", ["reflect", "constant", "mirror"])
def test_other_small_kernels_match_ndimage(grays, kernel, mode):
    for name, gray in grays.items():
        assert _same_bits(convolve(gray, kernel, mode=mode), ndi.convolve(gray, kernel, mode=mode)), name


def test_cases_off_the_fast_path_are_ndimage_itself(grays):
    gray = grays["astronaut"][:40, :50]
    five = np.arange(25, dtype=float).reshape(5, 5) - 12
    cases = [
        (gray, five, "reflect"),  # larger than 3 x 3
        (gray, KERNELS["sobel_vertical"], "wrap"),
        (gray[:2], KERNELS["laplace"], "reflect"),  # shorter than the kernel
        (gray[:, :1], KERNELS["laplace"], "nearest"),
        ((gray * 255).astype(np.uint8), KERNELS["laplace"], "reflect"),  # integers stay integers
        (np.stack([gray, gray], axis=2), np.ones((3, 3, 1)), "reflect"),  # 3-D
    ]
    for img, kernel, mode in cases:
        assert _same_bits(convolve(img, kernel, mode=mode), ndi.convolve(img, kernel, mode=mode))
    with pytest.raises(RuntimeError):
        convolve(gray, KERNELS["laplace"], mode="symmetric")  # not an ndimage mode: ndimage's own error


def test_the_article_example_step_edge():
    # A dark-to-bright step: the article's vertical Sobel kernel, convolved (flipped), answers -4.
    step = np.zeros((5, 5))
    step[:, 3:] = 1.0
    out = convolve(step, KERNELS["sobel_vertical"])
    assert out[2].tolist() == [0.0, 0.0, -4.0, -4.0, 0.0]
