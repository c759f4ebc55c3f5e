"""Tiny super-resolution networks that train on a laptop CPU: SRCNN and a Compact-style residual net.

Both take the low-resolution image (NCHW, [0, 1]) and return the ×``scale`` image, and both start
from the kit's own bicubic (:class:`BicubicUp`, the exact kernel of :func:`upscalekit.resize.resize`):

- :class:`SRCNN` (Dong et al., 2014): bicubic first, then three convolutions at full resolution
  (9×9 feature extraction, 1×1 non-linear mapping, 5×5 reconstruction; 64 and 32 channels).
- :class:`CompactSR`: a few 3×3 conv + PReLU layers at *low* resolution, a PixelShuffle to the output
  grid, plus the bicubic upsample as a skip, so the network predicts only the residual (the detail
  bicubic lacks). Its body follows Real-ESRGAN's SRVGGNetCompact; the skip is bicubic instead of
  nearest so that a zero residual is exactly the kit's bicubic baseline. The last convolution starts
  at zero: before any training the network *is* bicubic, and everything it adds was learned.

This module imports torch; :mod:`upscalekit.train` loads it only on first use.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from upscalekit._checks import unknown_name

__all__ = ["ARCHS", "BicubicUp", "CompactSR", "SRCNN", "build_model", "count_params"]


def _cubic(x: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution kernel with Pillow's a = -0.5 (support 2)."""
    x = np.abs(x)
    return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))


@functools.lru_cache(maxsize=4)
def _phase_taps(scale: int) -> np.ndarray:
    """(scale, 2·2+1) taps: output sub-pixel p of input pixel b reads inputs b-2 … b+2.

    Pillow maps output pixel ``i`` to input coordinate ``(i + 0.5) / scale`` and weighs input pixel
    ``j`` (centre ``j + 0.5``) by ``cubic(j + 0.5 - centre)``; with ``i = scale·b + p`` that depends on
    ``p`` and ``j - b`` only, so upsampling is a fixed convolution followed by a pixel shuffle.
    """
    offsets = np.arange(-2, 3, dtype=np.float64)
    centres = (np.arange(scale) + 0.5) / scale
    return _cubic(offsets[None, :] + 0.5 - centres[:, None])


class BicubicUp(nn.Module):
    """The kit's bicubic upsampling (Pillow, a = -0.5) as a fixed layer, ``(N,C,h,w) → (N,C,sh,sw)``.

    Equal to :func:`upscalekit.resize.resize` with ``method="bicubic", clip=False`` (borders included),
    differentiable and batched.

    Examples
    --------
    >>> BicubicUp(4)(torch.zeros(1, 3, 8, 8)).shape
    torch.Size([1, 3, 32, 32])
    """

    def __init__(self, scale: int = 4) -> None:
        super().__init__()
        self.scale = int(scale)
        t = _phase_taps(self.scale)
        # kernel[p_y·s + p_x] = taps[p_y] ⊗ taps[p_x]; PixelShuffle orders sub-pixels the same way.
        k = np.einsum("ai,bj->abij", t, t).reshape(self.scale**2, 1, 5, 5)
        self.register_buffer("kernel", torch.tensor(k, dtype=torch.float32), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        k = self.kernel.to(x.dtype)
        up = F.pixel_shuffle(F.conv2d(x.reshape(n * c, 1, h, w), k, padding=2), self.scale)
        # Pillow drops the taps that fall outside the image and renormalises the rest: dividing by
        # the same convolution of an all-ones image (zero padded) does exactly that.
        norm = F.pixel_shuffle(F.conv2d(x.new_ones(1, 1, h, w), k, padding=2), self.scale)
        return (up / norm).reshape(n, c, h * self.scale, w * self.scale)


class SRCNN(nn.Module):
    """SRCNN (Dong et al., ECCV 2014): bicubic, then 9×9 → 1×1 → 5×5 convolutions (64, 32 channels).

    On RGB with the default 9-1-5 kernels it has 20,099 parameters; ``kernels=(9, 5, 5)`` is the
    larger variant of the 2016 journal paper (69,251 on RGB; 57,281 on luma only, as published).
    Zero padding keeps the size.

    Examples
    --------
    >>> count_params(SRCNN(4))
    20099
    """

    def __init__(self, scale: int = 4, *, kernels: tuple[int, int, int] = (9, 1, 5),
                 channels: tuple[int, int] = (64, 32)) -> None:
        super().__init__()
        self.scale = int(scale)
        self.up = BicubicUp(self.scale)
        (k1, k2, k3), (c1, c2) = kernels, channels
        self.conv1 = nn.Conv2d(3, c1, k1, padding=k1 // 2)
        self.conv2 = nn.Conv2d(c1, c2, k2, padding=k2 // 2)
        self.conv3 = nn.Conv2d(c2, 3, k3, padding=k3 // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.conv1(self.up(x)))
        return self.conv3(F.relu(self.conv2(y)))


class CompactSR(nn.Module):
    """Compact-style residual net: ``convs + 1`` 3×3 conv + PReLU at LR, PixelShuffle, + bicubic skip.

    Examples
    --------
    >>> count_params(CompactSR(4, features=32, convs=6))
    70480
    """

    def __init__(self, scale: int = 4, *, features: int = 32, convs: int = 6) -> None:
        super().__init__()
        self.scale = int(scale)
        layers: list[nn.Module] = [nn.Conv2d(3, features, 3, padding=1), nn.PReLU(features)]
        for _ in range(convs):
            layers += [nn.Conv2d(features, features, 3, padding=1), nn.PReLU(features)]
        last = nn.Conv2d(features, 3 * self.scale**2, 3, padding=1)
        nn.init.zeros_(last.weight)  # start as exactly bicubic: the residual is learned from zero
        nn.init.zeros_(last.bias)
        layers.append(last)
        self.body = nn.Sequential(*layers)
        self.up = BicubicUp(self.scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.body(x), self.scale) + self.up(x)


#: Architectures by name: ``build_model(name, scale=…, **kwargs)``.
ARCHS: dict[str, type] = {"compact": CompactSR, "srcnn": SRCNN}


def build_model(arch: str, *, scale: int = 4, **kwargs: Any) -> torch.nn.Module:
    """A freshly initialised network (use ``torch.manual_seed`` first for reproducible weights).

    Examples
    --------
    >>> build_model("compact", scale=4, features=16, convs=2).scale
    4
    """
    if arch not in ARCHS:
        raise unknown_name("architecture", arch, ARCHS)
    if isinstance(scale, bool) or int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a positive integer (4 for ×4), got {scale!r}")
    return ARCHS[arch](int(scale), **kwargs)


def count_params(module: torch.nn.Module) -> int:
    """Number of trainable parameters.

    Examples
    --------
    >>> count_params(build_model("srcnn", kernels=(9, 5, 5)))
    69251
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
