"""PSNR and SSIM with the conventions super-resolution papers cite (BasicSR's).

Both metrics compare a candidate with a reference of the same shape. The options
reproduce the numbers in SR papers:

- ``crop_border=s``: ignore ``s`` pixels on every edge (papers use the scale factor,
  because borders of an upscaled image depend on the padding rule, not the model);
- ``y_channel=...``: compare only luma, the ITU-R BT.601 "studio range" Y of
  MATLAB's ``rgb2ycbcr`` (``Y = 16 + 65.481 R + 128.553 G + 24.966 B`` on 0–255 data,
  R, G, B in [0, 1]). Two conventions, which differ in the second decimal of a PSNR:

  - ``"matlab"``: Y as MATLAB computes it for **uint8** images: the RGB image is quantised to
    8 bits and Y is rounded to an integer. The classic SR tables were made this way (the
    released evaluation scripts of SRCNN, VDSR, EDSR and RCAN are MATLAB, run on PNG files);
  - ``"basicsr"`` (also ``True``): the same coefficients without rounding, BasicSR's
    ``test_y_channel`` / ``to_y_channel`` (used by BasicSR-based code such as HAT's, and the same
    formula in SwinIR's evaluation script). Rounding adds ±0.5/255 noise to both images, so it
    lowers PSNR slightly.

  ``False`` (default) compares RGB.

SSIM uses the original Wang et al. (2004) settings: an 11×11 Gaussian window with
σ = 1.5, K1 = 0.01, K2 = 0.03, population (not sample) covariances, the mean taken over
the "valid" region (5 pixels from the edge dropped), channels averaged. SSIM is
scale-invariant when the constants scale with the data range, so computing on [0, 1]
data with ``data_range=1`` gives the same number as BasicSR's 0–255 computation.
The tests show equality with scikit-image and with BasicSR's formulas to 1e-6.
"""

from __future__ import annotations

import numpy as np

from upscalekit._checks import check_pair

__all__ = ["MS_SSIM_WEIGHTS", "Y_CONVENTIONS", "gmsd", "ms_ssim", "psnr", "rgb_to_y", "ssim"]

# BT.601 luma weights for R, G, B in [0, 1] giving Y on the 0-255 scale (MATLAB rgb2ycbcr).
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966])
_Y_OFFSET = 16.0
#: Luma conventions for ``y_channel=`` (``True`` means ``"basicsr"``); see the module docstring.
Y_CONVENTIONS: tuple[str, ...] = ("matlab", "basicsr")

_WIN_SIGMA = 1.5
_WIN_RADIUS = 5  # 11×11 window, as in the SSIM paper and BasicSR
_K1, _K2 = 0.01, 0.03
#: Per-scale exponents of MS-SSIM (Wang, Simoncelli & Bovik 2003), finest scale first.
MS_SSIM_WEIGHTS: tuple[float, ...] = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_GMSD_T = 170.0 / 255.0**2  # Xue et al.'s constant (170 on 0-255 data), here on [0, 1] data
_LUMA_601 = np.array([0.299, 0.587, 0.114])  # BT.601 luma without offset (the Y of YIQ)


def rgb_to_y(image: np.ndarray, *, convention: str = "basicsr") -> np.ndarray:
    """Luma Y of ITU-R BT.601 with the studio-range offset, on the [0, 1] scale.

    ``Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255`` for R, G, B in [0, 1], so Y lies in
    [16/255, 235/255]: the conversion of MATLAB's ``rgb2ycbcr`` used by SR benchmarks.

    Parameters
    ----------
    image
        H×W×3 RGB float image in [0, 1].
    convention
        ``"basicsr"``: unrounded (BasicSR's ``rgb2ycbcr(y_only=True)``). ``"matlab"``: MATLAB's
        ``rgb2ycbcr`` on a uint8 image: R, G, B rounded to 8 bits first, Y rounded to an integer
        (half away from zero, as MATLAB's ``round``), so the result is on the k/255 grid.

    Returns
    -------
    numpy.ndarray
        H×W float64 luma in [0, 1] units.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(rgb_to_y(np.ones((1, 1, 3)))[0, 0] * 255), 3)
    235.0
    >>> px = np.full((1, 1, 3), 0.5)
    >>> float(rgb_to_y(px)[0, 0] * 255), float(rgb_to_y(px, convention="matlab")[0, 0] * 255)
    (125.5, 126.0)
    """
    if convention not in Y_CONVENTIONS:
        from upscalekit._checks import unknown_name

        raise unknown_name("Y-channel convention", convention, Y_CONVENTIONS)
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"rgb_to_y expects an H×W×3 RGB image, got shape {image.shape}")
    if convention == "basicsr":
        return (image @ _Y_WEIGHTS + _Y_OFFSET) / 255.0
    rgb8 = np.floor(image * 255.0 + 0.5)  # the uint8 image MATLAB is given (values in [0, 1])
    # MATLAB's arithmetic, in its order (imlincomb of T/255 with the uint8 planes, plus the offset, in
    # double): about one pixel in a thousand lands exactly on k + 0.5 in exact arithmetic, so the
    # order of the floating-point operations decides its rounding.
    c = _Y_WEIGHTS / 255.0
    y = c[0] * rgb8[..., 0] + c[1] * rgb8[..., 1] + c[2] * rgb8[..., 2] + _Y_OFFSET
    return np.floor(y + 0.5) / 255.0


def _y_convention(y_channel: bool | str) -> str | None:
    """``False`` → None (RGB), ``True`` → ``"basicsr"``, a name → itself (checked)."""
    if y_channel is False or y_channel is None:
        return None
    if y_channel is True:
        return "basicsr"
    if isinstance(y_channel, str) and y_channel in Y_CONVENTIONS:
        return y_channel
    from upscalekit._checks import unknown_name

    if isinstance(y_channel, str):
        raise unknown_name("y_channel convention", y_channel, Y_CONVENTIONS)
    raise ValueError(f"y_channel must be False, True, 'matlab' or 'basicsr', got {y_channel!r}")


def _prepare(
    a: object, b: object, crop_border: int, y_channel: bool | str
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Validate, convert to H×W×C float64 (Y only if asked) and crop; also return the full H×W."""
    a, b = check_pair(a, b, ("image0", "image1"))
    conv = _y_convention(y_channel)
    if not isinstance(crop_border, int | np.integer) or crop_border < 0:
        raise ValueError(f"crop_border must be a non-negative integer, got {crop_border!r}")
    h, w = a.shape[:2]
    if a.ndim == 3 and a.shape[2] == 4:
        raise ValueError(
            f"got RGBA images (shape {a.shape}); metrics compare RGB: composite the alpha or drop it "
            "with image[..., :3]"
        )
    if 2 * crop_border >= min(h, w):
        raise ValueError(f"crop_border={crop_border} leaves nothing of a {h}×{w} image; use a smaller crop")
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    if a64.ndim == 2:
        a64, b64 = a64[..., None], b64[..., None]
    if conv and a64.shape[2] == 3:
        a64, b64 = rgb_to_y(a64, convention=conv)[..., None], rgb_to_y(b64, convention=conv)[..., None]
    if crop_border:
        c = crop_border
        a64, b64 = a64[c:-c, c:-c], b64[c:-c, c:-c]
    return a64, b64, (h, w)


def _pad_back(inner: np.ndarray, full_hw: tuple[int, int], border: int) -> np.ndarray:
    """Place an interior map back into an H×W canvas of NaN (pixels the score ignored)."""
    out = np.full(full_hw, np.nan, dtype=np.float64)
    out[border:full_hw[0] - border, border:full_hw[1] - border] = inner
    return out


def psnr(
    reference: np.ndarray,
    candidate: np.ndarray,
    *,
    data_range: float = 1.0,
    crop_border: int = 0,
    y_channel: bool | str = False,
    full: bool = False,
) -> float | tuple[float, np.ndarray]:
    """Peak signal-to-noise ratio in dB: ``10 log10(data_range² / MSE)``.

    Parameters
    ----------
    reference, candidate
        Images of the same shape, HWC float32 RGB in [0, 1] (or H×W gray).
    data_range
        Peak value of the data (1.0 for the kit's [0, 1] images).
    crop_border
        Pixels dropped on every edge before comparing (SR papers use the scale factor).
    y_channel
        Compare the BT.601 luma (:func:`rgb_to_y`) instead of the RGB channels: ``"matlab"``
        (rounded uint8 Y, the classic SR tables), ``"basicsr"`` or ``True`` (unrounded, BasicSR's
        ``test_y_channel``); ``False`` compares RGB. Gray images are compared as they are.
    full
        Also return the per-pixel squared-error map.

    Returns
    -------
    float or (float, numpy.ndarray)
        PSNR in dB; ``inf`` when the compared pixels are identical (MSE = 0). With ``full=True``,
        also an H×W float64 map of the squared error per pixel (averaged over channels, in
        ``data_range`` units²), NaN on the cropped border, so that
        ``score == 10 * log10(data_range**2 / np.nanmean(map))``. (A per-pixel dB map would be
        ``inf`` wherever a pixel is exact; the squared error displays and averages cleanly.)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((8, 8, 3), np.float32)
    >>> round(psnr(x, x + 0.1), 2)
    20.0
    >>> psnr(x, x)
    inf
    """
    x, y, hw = _prepare(reference, candidate, crop_border, y_channel)
    err = ((x - y) ** 2).mean(axis=2)
    mse = float(err.mean())
    score = float("inf") if mse == 0 else float(10.0 * np.log10(data_range**2 / mse))
    if full:
        return score, _pad_back(err, hw, crop_border)
    return score


def _gaussian_window() -> np.ndarray:
    x = np.arange(-_WIN_RADIUS, _WIN_RADIUS + 1, dtype=np.float64)
    g = np.exp(-(x**2) / (2 * _WIN_SIGMA**2))
    return g / g.sum()


def _filter(img: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Separable Gaussian filter over H and W of an H×W×C array (reflect border, as skimage)."""
    from scipy.ndimage import correlate1d

    out = correlate1d(img, g, axis=0, mode="reflect")
    return correlate1d(out, g, axis=1, mode="reflect")


def _ssim_maps(x: np.ndarray, y: np.ndarray, data_range: float) -> tuple[np.ndarray, np.ndarray]:
    """SSIM and contrast-structure (cs) maps of H×W×C float64 arrays, valid region only (5 px dropped)."""
    g = _gaussian_window()
    c1 = (_K1 * data_range) ** 2
    c2 = (_K2 * data_range) ** 2
    mu_x, mu_y = _filter(x, g), _filter(y, g)
    # Population covariances E[xy] - E[x]E[y] (use_sample_covariance=False in skimage terms).
    var_x = _filter(x * x, g) - mu_x**2
    var_y = _filter(y * y, g) - mu_y**2
    cov = _filter(x * y, g) - mu_x * mu_y
    s = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    cs = (2 * cov + c2) / (var_x + var_y + c2)
    r = _WIN_RADIUS
    return s[r:-r, r:-r], cs[r:-r, r:-r]


def ssim(
    reference: np.ndarray,
    candidate: np.ndarray,
    *,
    data_range: float = 1.0,
    crop_border: int = 0,
    y_channel: bool | str = False,
    full: bool = False,
) -> float | tuple[float, np.ndarray]:
    """Structural similarity (Wang et al. 2004): Gaussian 11×11 window, σ = 1.5, K1 = 0.01, K2 = 0.03.

    Parameters
    ----------
    reference, candidate
        Images of the same shape, HWC float32 RGB in [0, 1] (or H×W gray); at least 11×11 after
        cropping.
    data_range
        Peak value of the data; the constants are ``C1 = (K1·data_range)²``, ``C2 = (K2·data_range)²``.
    crop_border
        Pixels dropped on every edge before comparing.
    y_channel
        Compare the BT.601 luma (:func:`rgb_to_y`) instead of averaging the RGB channels:
        ``"matlab"``, ``"basicsr"``/``True`` or ``False``, as in :func:`psnr`.
    full
        Also return the SSIM map.

    Returns
    -------
    float or (float, numpy.ndarray)
        Mean SSIM in [-1, 1] over the valid region (5 pixels from the cropped edge dropped, as in
        BasicSR and scikit-image) and over channels. With ``full=True``, also the H×W float64 map
        (channel average of scikit-image's full map) with NaN wherever the score ignored a pixel
        (cropped border plus the 5-pixel window margin), so ``score == np.nanmean(map)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((32, 32, 3)).astype(np.float32)
    >>> round(ssim(x, x), 6)
    1.0
    """
    x, y, hw = _prepare(reference, candidate, crop_border, y_channel)
    if min(x.shape[:2]) < 2 * _WIN_RADIUS + 1:
        raise ValueError(
            f"SSIM needs at least 11×11 pixels after crop_border={crop_border}, got {x.shape[:2]}; "
            "use a larger image or a smaller crop"
        )
    s, _ = _ssim_maps(x, y, data_range)
    r = _WIN_RADIUS
    inner = s.mean(axis=2)
    score = float(inner.mean())
    if full:
        return score, _pad_back(inner, hw, crop_border + r)
    return score


def _halve_matlab(x: np.ndarray) -> np.ndarray:
    """MS-SSIM's down-sampling: ``imfilter(x, ones(2)/4, 'symmetric')`` then ``x(1:2:end, 1:2:end)``.

    A 2×2 mean anchored at the top-left pixel; an odd last row/column is paired with itself.
    """
    if x.shape[0] % 2:
        x = np.concatenate([x, x[-1:]], axis=0)
    if x.shape[1] % 2:
        x = np.concatenate([x, x[:, -1:]], axis=1)
    return 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])


def ms_ssim(
    reference: np.ndarray,
    candidate: np.ndarray,
    *,
    data_range: float = 1.0,
    crop_border: int = 0,
    y_channel: bool | str = False,
) -> float:
    """Multi-scale SSIM (Wang, Simoncelli & Bovik 2003), as Wang's ``msssim.m``.

    Five scales; at each, SSIM's Gaussian 11×11 window (σ = 1.5, K1 = 0.01, K2 = 0.03, valid
    region); between scales a 2×2 mean and decimation by 2 (symmetric borders). The score is
    ``Π_{j<5} cs_j^{w_j} · ssim_5^{w_5}`` with :data:`MS_SSIM_WEIGHTS`, computed per channel and
    averaged over channels (as ``piq``; Wang's code takes a gray image: use ``y_channel``).
    Negative per-scale values, which the product cannot take to a fractional power, are set to 0
    (as ``piq``); they do not occur on photos.

    Parameters
    ----------
    reference, candidate
        Images of the same shape, HWC float32 RGB in [0, 1] (or H×W gray); at least 161×161 after
        cropping, so that the coarsest scale still holds an 11×11 window.
    data_range, crop_border, y_channel
        As in :func:`ssim`.

    Returns
    -------
    float
        In [0, 1]; 1 for identical images. Higher is more similar.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from upscalekit.io import to_float, jpeg_roundtrip
    >>> img = to_float(astronaut())[:192, :192]
    >>> round(ms_ssim(img, img), 6), round(ms_ssim(img, jpeg_roundtrip(img, 20)), 3)
    (1.0, 0.965)
    """
    x, y, _ = _prepare(reference, candidate, crop_border, y_channel)
    need = (2 * _WIN_RADIUS) * 2 ** (len(MS_SSIM_WEIGHTS) - 1) + 1
    if min(x.shape[:2]) < need:
        raise ValueError(
            f"MS-SSIM needs at least {need}×{need} pixels after crop_border={crop_border} (five scales of "
            f"an 11×11 window), got {x.shape[0]}×{x.shape[1]}; use ssim() for small images"
        )
    w = np.asarray(MS_SSIM_WEIGHTS)
    values = []
    for level in range(len(w)):
        if level:
            x, y = _halve_matlab(x), _halve_matlab(y)
        s, cs = _ssim_maps(x, y, data_range)
        last = level == len(w) - 1
        values.append((s if last else cs).mean(axis=(0, 1)))  # one value per channel
    per_channel = np.prod(np.maximum(np.array(values), 0.0) ** w[:, None], axis=0)
    return float(per_channel.mean())


def gmsd(
    reference: np.ndarray,
    candidate: np.ndarray,
    *,
    data_range: float = 1.0,
    full: bool = False,
) -> float | tuple[float, np.ndarray]:
    """Gradient magnitude similarity deviation (Xue, Zhang, Mou & Bovik 2014). Lower is better.

    On the luma ``0.299 R + 0.587 G + 0.114 B`` (the Y of YIQ, as ``piq``; MATLAB's ``rgb2gray``
    weights differ in the fourth decimal): a 2×2 mean and decimation by 2 (zero padding, as the
    authors' ``conv2(…, 'same')``), Prewitt gradients (/3, zero padding), the gradient-magnitude
    similarity ``GMS = (2 m_a m_b + T) / (m_a² + m_b² + T)`` with ``T = 170`` on 0-255 data, and its
    standard deviation over the image (population form, as the paper writes it; the authors' MATLAB
    uses ``std2``, N − 1, larger by a factor ``sqrt(N / (N − 1))``: 5e-5 relative at 96×96 after the
    decimation).

    Parameters
    ----------
    reference, candidate
        Images of the same shape, HWC float32 RGB in [0, 1] (or H×W gray), at least 8×8.
    data_range
        Peak value of the data; ``T`` scales with its square.
    full
        Also return the GMS map (1 = same local gradient magnitude), enlarged from the half
        resolution it is computed at to the image's H×W by pixel repetition.

    Returns
    -------
    float or (float, numpy.ndarray)
        GMSD in [0, 1): 0 for identical images, larger for worse; with ``full=True`` also the H×W
        float64 GMS map in (0, 1].

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from upscalekit.io import to_float, jpeg_roundtrip
    >>> img = to_float(astronaut())[:128, :128]
    >>> gmsd(img, img), round(gmsd(img, jpeg_roundtrip(img, 20)), 4)
    (0.0, 0.0275)
    """
    from scipy.ndimage import correlate

    x, y, hw = _prepare(reference, candidate, 0, False)
    if min(hw) < 8:
        raise ValueError(f"GMSD needs at least 8×8 pixels, got {hw[0]}×{hw[1]}")

    def luma_half(img: np.ndarray) -> np.ndarray:
        lum = img[..., 0] if img.shape[2] == 1 else img[..., :3] @ _LUMA_601
        if lum.shape[0] % 2:  # conv2(…, 'same') with a 2×2 kernel: zero beyond the last pixel
            lum = np.concatenate([lum, np.zeros_like(lum[:1])], axis=0)
        if lum.shape[1] % 2:
            lum = np.concatenate([lum, np.zeros_like(lum[:, :1])], axis=1)
        return 0.25 * (lum[0::2, 0::2] + lum[1::2, 0::2] + lum[0::2, 1::2] + lum[1::2, 1::2])

    px = np.array([[1.0, 0.0, -1.0]] * 3) / 3.0

    def magnitude(img: np.ndarray) -> np.ndarray:
        gx = correlate(img, px, mode="constant")
        gy = correlate(img, px.T, mode="constant")
        return np.sqrt(gx**2 + gy**2)

    ma, mb = magnitude(luma_half(x)), magnitude(luma_half(y))
    t = _GMSD_T * data_range**2
    gms = (2 * ma * mb + t) / (ma**2 + mb**2 + t)
    score = float(gms.std())
    if full:  # each half-resolution value covers its 2×2 block of pixels
        return score, np.repeat(np.repeat(gms, 2, axis=0), 2, axis=1)[: hw[0], : hw[1]]
    return score
