"""What every detector shares: the Finding record and the prepared inputs.

Detectors compare the super-resolved image (SR) with what the low-resolution
input (LR) already held. "What the input held" is the LR brought to the SR's
size by plain bicubic interpolation (the *base*): it invents nothing, so any
halo, texture, period or seam the SR has and the base lacks was made by the
upscaler. The thresholds were calibrated on that input-based measure, so it is
always the verdict; a ground-truth reference, when given, only adds readings
against it to the findings' details.
All analysis runs on luma (ITU-R BT.601 weights), the channel where people see
structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from upscalekit._checks import check_image
from upscalekit.diagnose.findings import Finding
from upscalekit.pixels import luma
from upscalekit.resize import resize

__all__ = ["Finding", "Prepared", "prepare"]


@dataclass(frozen=True, eq=False)
class Prepared:
    """Luma planes shared by the detectors (all float32, H×W)."""

    lr: np.ndarray  #: input luma at LR size
    sr: np.ndarray  #: output luma at SR size
    base: np.ndarray  #: bicubic interpolation of the input at SR size (invents nothing)
    reference: np.ndarray | None  #: ground-truth luma at SR size, or None
    scale: int  #: SR side / LR side


def integer_scale(lr_shape: tuple[int, ...], sr_shape: tuple[int, ...]) -> int:
    """The integer factor between LR and SR sides, or a ValueError that says what to do."""
    h, w = lr_shape[:2]
    hh, ww = sr_shape[:2]
    if hh % h or ww % w or hh // h != ww // w or hh < h:
        raise ValueError(
            f"the SR size must be the LR size times one integer factor, got LR {h}×{w} and SR {hh}×{ww} "
            f"(ratios {hh / h:.4g} and {ww / w:.4g}); diagnose compares the SR with the input pixel for "
            "pixel, so crop the LR to a size the model maps exactly (or resize the SR with "
            "upscalekit.resize.resize(sr, size=(LR height × s, LR width × s)))"
        )
    return hh // h


def prepare(lr: object, sr: object, reference: object | None = None) -> Prepared:
    """Validate the inputs and compute the luma planes every detector uses.

    Examples
    --------
    >>> import numpy as np
    >>> p = prepare(np.zeros((4, 4, 3), np.float32), np.zeros((8, 8, 3), np.float32))
    >>> p.scale, p.base.shape
    (2, (8, 8))
    """
    lr_img = check_image(lr, "lr")
    sr_img = check_image(sr, "sr")
    s = integer_scale(lr_img.shape, sr_img.shape)
    ref = None
    if reference is not None:
        ref_img = check_image(reference, "reference")
        if ref_img.shape[:2] != sr_img.shape[:2]:
            raise ValueError(
                f"reference must have the SR's size {sr_img.shape[:2]}, got {ref_img.shape[:2]}; "
                "the reference is the ground-truth high-resolution image the LR was made from"
            )
        ref = luma(ref_img)
    lr_y = luma(lr_img)
    base = resize(lr_y, size=sr_img.shape[:2], method="bicubic") if s > 1 else lr_y.copy()
    return Prepared(lr=lr_y, sr=luma(sr_img), base=base, reference=ref, scale=s)


def unit_map(values: np.ndarray, full_at: float, *, blur: float = 0.0) -> np.ndarray:
    """Map non-negative values to a [0, 1] float32 heatmap that saturates at ``full_at``."""
    from scipy import ndimage

    out = np.asarray(values, np.float32)
    if blur > 0:
        out = ndimage.gaussian_filter(out, blur)
    return np.clip(out / np.float32(full_at), 0.0, 1.0).astype(np.float32)


def local_energy(plane: np.ndarray, hp_sigma: float, win_sigma: float) -> np.ndarray:
    """RMS of the high-pass ``plane - blur(plane, hp_sigma)`` in a Gaussian window."""
    from scipy import ndimage

    hp = plane - ndimage.gaussian_filter(plane, hp_sigma)
    return np.sqrt(ndimage.gaussian_filter(hp * hp, win_sigma)).astype(np.float32)


def haar_sigma(plane: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Noise sigma by the median absolute deviation of the finest Haar diagonal band.

    Donoho & Johnstone's estimator (``median(|HH|) / 0.6745``), the one behind
    ``skimage.restoration.estimate_sigma`` but with the Haar wavelet so it needs
    no PyWavelets. Edges occupy few coefficients, so the median ignores them;
    ``mask`` (at the plane's size) restricts it to e.g. flat regions.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> round(haar_sigma(0.5 + 0.05 * rng.standard_normal((256, 256))), 2)
    0.05
    """
    h, w = plane.shape[0] // 2 * 2, plane.shape[1] // 2 * 2
    p = plane[:h, :w].astype(np.float64)
    hh = (p[0::2, 0::2] - p[0::2, 1::2] - p[1::2, 0::2] + p[1::2, 1::2]) / 2.0
    if mask is not None:
        m = mask[:h, :w][0::2, 0::2] & mask[:h, :w][1::2, 1::2]
        if m.sum() >= 64:
            hh = hh[m]
    return float(np.median(np.abs(hh)) / 0.6745)
