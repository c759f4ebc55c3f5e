"""Tests for upscalekit.resize: MATLAB ``imresize`` borders and the benchmark "bicubic ×4" convention.

The MATLAB reference here is written from MATLAB's documented definition of ``imresize``, not from
the kit's code and not from another port: the cubic kernel (a = -0.5), its width stretched by
1/scale and its height scaled by scale when shrinking, the mapping of output pixel x (1-based) to
input position u = x/scale + 0.5·(1 − 1/scale), weights normalised per output pixel, symmetric
(mirror, edge repeated) padding, one dimension after the other with uint8 rounding between passes
on uint8 input; and ``rgb2ycbcr``'s luma row (16 + [65.481 128.553 24.966]·RGB/255) rounded to
uint8. It builds each 1-D resampling as a dense matrix by visiting every integer tap position and
folding it into the image by reflection, one output pixel at a time, in plain Python.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from upscalekit.io import to_float
from upscalekit.metrics import psnr, rgb_to_y, ssim
from upscalekit.resize import CONVENTIONS, imresize_matlab, resize


def _photo_u8(name: str, mod: int = 4) -> np.ndarray:
    """A real skimage photo as uint8, cropped to a multiple of ``mod`` (MATLAB's ``modcrop``)."""
    import skimage.data

    img = getattr(skimage.data, name)()
    h, w = img.shape[0] // mod * mod, img.shape[1] // mod * mod
    return np.ascontiguousarray(img[:h, :w, :3])


# --- MATLAB from its definition ----------------------------------------------------------------------

def _ref_cubic(x: float) -> float:
    ax = abs(x)
    if ax <= 1:
        return 1.5 * ax**3 - 2.5 * ax**2 + 1
    if ax <= 2:
        return -0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2
    return 0.0


def _ref_mirror(k: int, n: int) -> int:
    """1-based index k folded into 1..n by symmetric padding (…, 2, 1 | 1, 2, …, n | n, n-1, …)."""
    while k < 1 or k > n:
        k = 1 - k if k < 1 else 2 * n + 1 - k
    return k


def _ref_matrix(n_in: int, n_out: int, scale: float) -> np.ndarray:
    shrink = scale < 1
    width = 4.0 / scale if shrink else 4.0
    mat = np.zeros((n_out, n_in))
    for x in range(1, n_out + 1):
        u = x / scale + 0.5 * (1 - 1 / scale)
        row = np.zeros(n_in)
        for k in range(math.floor(u - width / 2), math.ceil(u + width / 2) + 1):
            wgt = scale * _ref_cubic(scale * (u - k)) if shrink else _ref_cubic(u - k)
            row[_ref_mirror(k, n_in) - 1] += wgt
        mat[x - 1] = row / row.sum()
    return mat


def _ref_imresize(img: np.ndarray, scale: float, *, uint8: bool) -> np.ndarray:
    """MATLAB ``imresize(img, scale, 'bicubic')`` on 0-255 data; rows first (equal factors)."""
    x = img.astype(np.float64)
    h, w = x.shape[:2]
    rows = _ref_matrix(h, math.ceil(h * scale), scale)
    cols = _ref_matrix(w, math.ceil(w * scale), scale)
    x = np.tensordot(rows, x, axes=([1], [0]))
    if uint8:
        x = np.clip(np.floor(x + 0.5), 0, 255)  # MATLAB rounds half away from zero, saturates
    x = np.tensordot(cols, x, axes=([1], [1])).transpose(1, 0, 2)
    if uint8:
        x = np.clip(np.floor(x + 0.5), 0, 255)
    return x


def _ref_y_u8(img_u8: np.ndarray) -> np.ndarray:
    """``rgb2ycbcr`` of a uint8 image, Y plane, as uint8 values (0-255).

    MATLAB evaluates ``imlincomb(T(1,1)/255, R, T(1,2)/255, G, T(1,3)/255, B, 16)`` in double and
    rounds; exact ties (sum = k + 0.5) occur on real photos, so the reference keeps that order.
    """
    r, g, b = (img_u8[..., i].astype(np.float64) for i in range(3))
    t = [65.481 / 255, 128.553 / 255, 24.966 / 255]
    return np.floor(t[0] * r + t[1] * g + t[2] * b + 16 + 0.5)


def _ref_psnr(a: np.ndarray, b: np.ndarray, crop: int) -> float:
    a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
    return float(10 * np.log10(255.0**2 / np.mean((a - b) ** 2)))


def _ref_ssim(a: np.ndarray, b: np.ndarray, crop: int) -> float:
    # Wang's ssim_index on 0-255 Y (Gaussian 11×11, σ = 1.5, K = 0.01/0.03, 'valid' region): skimage's
    # implementation with those settings is an independent implementation of it.
    from skimage.metrics import structural_similarity

    a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
    return float(structural_similarity(a, b, data_range=255, gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False))


# --- tests ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["coffee"])
def test_imresize_matlab_equals_definition_on_real_photos(name: str) -> None:
    hr8 = _photo_u8(name)[:240, :256]  # a real crop: its edges are borders like any other
    hr = to_float(hr8)
    worst = {}
    crop8 = hr8[100:160, 120:204]  # upscaling: a 60×84 crop keeps the output small
    for scale in (0.25, 0.5, 1 / 3, 2.0, 3.0, 4.0):
        src8 = hr8 if scale < 1 else crop8
        want = _ref_imresize(src8, scale, uint8=False) / 255
        got = imresize_matlab(to_float(src8), scale=scale)
        assert got.shape == want.shape
        worst[scale] = float(np.abs(got - want).max()) * 255
    print(f"{name}: max |kit - MATLAB definition| (0-255 units) by scale: "
          + ", ".join(f"{s:.3g}: {d:.2g}" for s, d in worst.items()))
    assert max(worst.values()) < 1e-4  # float32 output of a float64 computation
    # uint8 emulation is exact: same integers.
    lr_ref = _ref_imresize(hr8, 0.25, uint8=True)
    lr = imresize_matlab(hr, scale=0.25, uint8=True)
    assert np.array_equal(np.round(lr * 255), lr_ref)


def test_matlab_and_pillow_differ_only_at_borders() -> None:
    hr = to_float(_photo_u8("astronaut"))
    mat = resize(hr, scale=0.25, convention="matlab", clip=False)
    pil = resize(hr, scale=0.25, clip=False)
    diff = np.abs(mat - pil) * 255
    inner = float(diff[2:-2, 2:-2].max())
    border = float(diff.max())
    print(f"×1/4 MATLAB vs Pillow: inner max {inner:.2g}/255, border max {border:.3g}/255")
    assert inner < 1e-3  # same kernel inside
    assert border > 1  # padding rule differs at the edge
    assert resize(hr, scale=0.25, convention="matlab").max() <= 1.0  # clip=True by default


@pytest.mark.parametrize("name", ["astronaut", "chelsea"])
def test_bicubic_x4_benchmark_convention_equals_matlab_reference(name: str) -> None:
    """HR uint8 → imresize ×1/4 → imresize ×4 (uint8 each), Y of rgb2ycbcr on uint8, crop 4."""
    hr8 = _photo_u8(name)
    lr8 = _ref_imresize(hr8, 0.25, uint8=True)
    sr8 = _ref_imresize(lr8, 4.0, uint8=True)
    y_hr, y_sr = _ref_y_u8(hr8), _ref_y_u8(sr8.astype(np.uint8))
    want_p, want_s = _ref_psnr(y_sr, y_hr, 4), _ref_ssim(y_sr, y_hr, 4)

    hr = to_float(hr8)
    sr = imresize_matlab(imresize_matlab(hr, scale=0.25, uint8=True), scale=4, uint8=True)
    assert np.array_equal(np.round(rgb_to_y(sr, convention="matlab") * 255), y_sr)
    got_p = psnr(sr, hr, crop_border=4, y_channel="matlab")
    got_s = ssim(sr, hr, crop_border=4, y_channel="matlab")
    # The kit's defaults, for comparison: Pillow borders, unrounded (BasicSR) Y.
    pil = resize(resize(hr, scale=0.25), scale=4)
    p_basic = psnr(pil, hr, crop_border=4, y_channel=True)
    s_basic = ssim(pil, hr, crop_border=4, y_channel=True)
    print(f"{name}: MATLAB reference {want_p:.4f} dB / {want_s:.5f}; kit matlab conventions {got_p:.4f} / "
          f"{got_s:.5f}; kit Pillow + BasicSR Y {p_basic:.4f} / {s_basic:.5f}")
    assert got_p == pytest.approx(want_p, abs=1e-9)
    assert got_s == pytest.approx(want_s, abs=1e-6)
    assert abs(p_basic - want_p) > 1e-3  # the conventions matter at the published precision


def test_resize_convention_errors() -> None:
    img = to_float(_photo_u8("astronaut"))[:32, :32]
    assert CONVENTIONS == ("pillow", "matlab")
    with pytest.raises(KeyError, match="did you mean 'matlab'"):
        resize(img, scale=0.5, convention="matlb")
    with pytest.raises(ValueError, match="bicubic"):
        resize(img, scale=0.5, method="lanczos", convention="matlab")
    with pytest.raises(ValueError, match="exactly one"):
        imresize_matlab(img)
    assert imresize_matlab(img, size=(20, 12)).shape == (20, 12, 3)
