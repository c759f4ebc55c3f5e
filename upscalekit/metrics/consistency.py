"""Measures that need only the low-resolution input: does the output explain it, and what did it add?

An upscaler sees only the LR image. Two questions can be answered without any ground truth:

- :func:`lr_consistency`: shrink the output back with the known downscale kernel; if it
  does not reproduce the input, the model changed content it was given. A high value
  is necessary, not sufficient: infinitely many HR images shrink to the same LR image,
  so a GAN output can be almost perfectly consistent and still far from the truth.
- :func:`invented_detail`: how much fine-scale signal the output holds beyond a bicubic
  interpolation of the input. Bicubic invents nothing (0 by construction); a GAN's
  texture shows up here. Units are absolute ([0, 1] intensity RMS), so maps and scores
  compare across models at the same output size.
"""

from __future__ import annotations

import numpy as np

from upscalekit._checks import check_image
from upscalekit.metrics.fullref import psnr
from upscalekit.resize import resize

__all__ = ["invented_detail", "lr_consistency", "project_to_lr"]


def _check_lr_sr(lr: object, sr: object) -> tuple[np.ndarray, np.ndarray]:
    lr = check_image(lr, "lr")
    sr = check_image(sr, "sr")
    lc = 1 if lr.ndim == 2 else lr.shape[2]
    sc = 1 if sr.ndim == 2 else sr.shape[2]
    if lc != sc:
        raise ValueError(f"lr has {lc} channel(s) and sr has {sc}; pass both as RGB (or both gray)")
    (lh, lw), (sh, sw) = lr.shape[:2], sr.shape[:2]
    if sh < lh or sw < lw:
        raise ValueError(
            f"sr ({sh}×{sw}) is smaller than lr ({lh}×{lw}); pass the low-resolution input first: "
            "lr_consistency(lr, sr)"
        )
    return lr, sr


def _nearest_up(m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour enlargement of a 2-D map (each LR pixel covers its block of SR pixels)."""
    rows = (np.arange(size[0]) * m.shape[0]) // size[0]
    cols = (np.arange(size[1]) * m.shape[1]) // size[1]
    return m[rows[:, None], cols[None, :]]


def lr_consistency(
    lr: np.ndarray,
    sr: np.ndarray,
    *,
    method: str = "bicubic",
    full: bool = False,
) -> float | tuple[float, np.ndarray]:
    """PSNR (dB) between the LR input and the SR output shrunk back with the known kernel.

    Parameters
    ----------
    lr
        The low-resolution input the model was given, HWC float32 RGB in [0, 1].
    sr
        The model's output (any size at least the LR's; usually an integer multiple).
    method
        Interpolation that produced ``lr`` from the high-resolution image
        (:func:`upscalekit.resize.resize`; antialiased ``"bicubic"`` by default).
    full
        Also return the per-pixel squared-error map.

    Returns
    -------
    float or (float, numpy.ndarray)
        ``psnr(resize(sr, size=lr.shape[:2], method=method), lr)``: high (≥ 40 dB) means the output
        explains its input; ``inf`` if exactly. With ``full=True``, the map is the squared error at
        LR resolution enlarged by nearest neighbour to the SR's H×W (each LR pixel's error covers the
        block of output pixels it constrains), float64 in [0, 1] units².

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from upscalekit.io import to_float
    >>> from upscalekit.resize import resize
    >>> lr = resize(to_float(astronaut()), size=(32, 32))
    >>> round(lr_consistency(lr, resize(lr, scale=4)), 1)  # bicubic up, then down: close, not exact
    30.8
    """
    lr, sr = _check_lr_sr(lr, sr)
    down = resize(sr, size=lr.shape[:2], method=method)
    if not full:
        return psnr(down, lr)
    score, err = psnr(down, lr, full=True)
    return score, _nearest_up(err, sr.shape[:2])


def project_to_lr(
    lr: np.ndarray,
    sr: np.ndarray,
    *,
    method: str = "bicubic",
    iterations: int = 20,
) -> np.ndarray:
    """Iterative back-projection: change ``sr`` as little as possible until it shrinks to ``lr``.

    Repeats ``x ← clip(x + up(lr − down(x)))`` with ``down``/``up`` the ``method`` resize. Detail the
    LR grid cannot see (above its Nyquist frequency) survives untouched, which makes the point of
    :func:`lr_consistency`: an image full of made-up texture can explain the input perfectly.

    Parameters
    ----------
    lr
        The low-resolution input.
    sr
        Any image at the output size (a sharpened bicubic, a GAN output, bicubic plus noise…).
    method
        Downscale kernel that produced ``lr``.
    iterations
        Number of corrections; 20 brings ``lr_consistency`` above 60 dB on photos at ×4.

    Returns
    -------
    numpy.ndarray
        float32 image of ``sr``'s shape, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from skimage.data import astronaut
    >>> from upscalekit.io import to_float
    >>> from upscalekit.resize import resize
    >>> lr = resize(to_float(astronaut()), size=(32, 32))
    >>> noise = np.random.default_rng(0).normal(0, 0.1, (128, 128, 3))
    >>> noisy = np.clip(resize(lr, scale=4) + noise, 0, 1).astype(np.float32)
    >>> round(lr_consistency(lr, noisy), 1), round(lr_consistency(lr, project_to_lr(lr, noisy)), 1)
    (28.3, 58.9)
    """
    lr, sr = _check_lr_sr(lr, sr)
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations}")
    x = sr.copy()
    for _ in range(iterations):
        err = lr - resize(x, size=lr.shape[:2], method=method, clip=False)
        # resize takes [0, 1] images; it is linear with unit-sum weights, so map the residual from
        # [-1, 1] to [0, 1] and back instead of clipping it.
        up = 2.0 * resize(np.clip((err + 1.0) / 2.0, 0.0, 1.0), size=sr.shape[:2], method=method,
                          clip=False) - 1.0
        x = np.clip(x + up, 0.0, 1.0).astype(np.float32)
    return x


def _highpass_sigma(scale: float) -> float:
    # Gaussian low-pass whose response is 1/2 at the LR Nyquist frequency f = 1/(2·scale) cycles/px:
    # exp(-2π²σ²f²) = 1/2  →  σ = scale·sqrt(2 ln 2)/π ≈ 0.375·scale. Its complement keeps what the
    # LR grid cannot represent (detail the model had to make up) and drops colour/contrast shifts.
    return scale * float(np.sqrt(2 * np.log(2))) / np.pi


def invented_detail(
    lr: np.ndarray,
    sr: np.ndarray,
    *,
    full: bool = False,
) -> float | tuple[float, np.ndarray]:
    """Fine-scale signal the output adds beyond a bicubic interpolation of its input.

    The residual ``sr - resize(lr, size=sr's H×W, method="bicubic")`` is high-pass filtered above
    the LR Nyquist frequency (Gaussian low-pass with σ ≈ 0.375·scale subtracted), squared and
    averaged over channels, then smoothed with a Gaussian of σ = scale output pixels and
    square-rooted: a local RMS of invented detail.

    Parameters
    ----------
    lr
        The low-resolution input, HWC float32 RGB in [0, 1].
    sr
        The model's output for it.
    full
        Also return the H×W map.

    Returns
    -------
    float or (float, numpy.ndarray)
        Mean of the map. Absolute units: RMS intensity on the [0, 1] scale (0.02 ≈ 5 grey levels of
        8-bit), so models compare directly; 0 for the bicubic baseline itself. The ground truth scores
        above 0 too: this is detail the input does not show, real or made up; only a reference
        (or a human) can tell which. With ``full=True``,
        also the H×W float64 map (the SR's size).

    Examples
    --------
    >>> import numpy as np
    >>> from upscalekit.resize import resize
    >>> lr = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
    >>> invented_detail(lr, resize(lr, scale=4))
    0.0
    """
    from scipy.ndimage import gaussian_filter

    lr, sr = _check_lr_sr(lr, sr)
    (lh, lw), (sh, sw) = lr.shape[:2], sr.shape[:2]
    scale = 0.5 * (sh / lh + sw / lw)
    up = resize(lr, size=(sh, sw), method="bicubic")
    r = sr.astype(np.float64) - up.astype(np.float64)
    if r.ndim == 2:
        r = r[..., None]
    sig = _highpass_sigma(scale)
    hp = r - gaussian_filter(r, sigma=(sig, sig, 0), mode="reflect")
    energy = gaussian_filter((hp**2).mean(axis=2), sigma=scale, mode="reflect")
    dmap = np.sqrt(np.maximum(energy, 0.0))
    score = float(dmap.mean())
    return (score, dmap) if full else score
