"""Image-quality metrics that match the numbers papers cite, with maps that show where they disagree.

- :mod:`~upscalekit.metrics.fullref`: :func:`psnr`, :func:`ssim` (BasicSR / scikit-image conventions);
- :mod:`~upscalekit.metrics.perceptual`: :func:`lpips` with the real AlexNet/VGG weights, offline;
- :mod:`~upscalekit.metrics.consistency`: :func:`lr_consistency` and :func:`invented_detail`, which need
  only the low-resolution input, and :func:`project_to_lr` (back-projection);
- :mod:`~upscalekit.metrics.noref`: :func:`brisque`, a no-reference score from parameters shipped in
  the ``brisque==0.2.0`` wheel;
- :mod:`~upscalekit.metrics.table`: the :data:`METRICS` registry and :func:`evaluate`, a tidy table.

Every function takes the kit's HWC float32 RGB images in [0, 1], two images by position and
options keyword-only, returns a Python float, and with ``full=True`` (``spatial=True`` for
LPIPS) a ``(score, map)`` pair whose map has the H×W of the (output) image.

NIQE is left out: no registry package ships its pristine-model parameters (checked: ``pyiqa==0.1.16``
and ``niqe==0.1.1`` download them at run time); BRISQUE is the no-reference score.
"""

from upscalekit.metrics.consistency import invented_detail, lr_consistency, project_to_lr
from upscalekit.metrics.fullref import Y_CONVENTIONS, gmsd, ms_ssim, psnr, rgb_to_y, ssim
from upscalekit.metrics.niqe import niqe
from upscalekit.metrics.noref import brisque
from upscalekit.metrics.perceptual import LPIPS_NETS, dists, lpips
from upscalekit.metrics.table import METRICS, MetricInfo, evaluate

__all__ = [
    "LPIPS_NETS",
    "METRICS",
    "MetricInfo",
    "Y_CONVENTIONS",
    "brisque",
    "dists",
    "evaluate",
    "gmsd",
    "invented_detail",
    "lpips",
    "lr_consistency",
    "ms_ssim",
    "niqe",
    "project_to_lr",
    "psnr",
    "rgb_to_y",
    "ssim",
]
