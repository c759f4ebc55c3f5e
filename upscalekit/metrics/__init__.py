"""Image-quality metrics that match the numbers papers cite, with maps that show where they disagree.

- :mod:`~upscalekit.metrics.fullref`: :func:`psnr`, :func:`ssim` (BasicSR / scikit-image conventions);
- :mod:`~upscalekit.metrics.perceptual`: :func:`lpips` with the real AlexNet/VGG weights, offline.

Every function takes the kit's HWC float32 RGB images in [0, 1], two images by position and
options keyword-only, returns a Python float, and with ``full=True`` (``spatial=True`` for
LPIPS) a ``(score, map)`` pair whose map has the input's H×W.
"""

from upscalekit.metrics.fullref import psnr, rgb_to_y, ssim
from upscalekit.metrics.perceptual import LPIPS_NETS, lpips

__all__ = ["LPIPS_NETS", "lpips", "psnr", "rgb_to_y", "ssim"]
