"""Tests for upscalekit.models.upscaler's speed features: precision choice, cost model, progress.

References from outside the kit: ``torch.utils.flop_counter.FlopCounterMode`` (an independent
FLOP count of a real run), convolution forward hooks on a real run, and the fp32 result as the
reference for bf16.
"""

from __future__ import annotations

import numpy as np
import pytest

from upscalekit.metrics import psnr
from upscalekit.models import list_models, load_model
from upscalekit.models import upscaler as U
from upscalekit.models.registry import get_info

NATIVE = U.cpu_bf16_native()


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    from skimage import data

    return data.astronaut().astype(np.float32) / 255.0


@pytest.fixture(scope="module")
def compact() -> U.NetworkUpscaler:
    return load_model("realesr-animevideov3-x4", device="cpu", precision="fp32")  # type: ignore[return-value]


def test_auto_precision_follows_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(U, "cpu_bf16_native", lambda: None)  # a CPU that would emulate bf16
    up = load_model("realesr-animevideov3-x4", device="cpu")
    assert up.precision == "fp32" and "fp32" in repr(up)
    with pytest.raises(ValueError, match="emulate"):
        load_model("realesr-animevideov3-x4", device="cpu", precision="bf16")
    with pytest.raises(ValueError, match="CUDA"):
        load_model("realesr-animevideov3-x4", device="cpu", precision="fp16")
    monkeypatch.setattr(U, "cpu_bf16_native", lambda: "avx512_bf16")
    up = load_model("realesr-animevideov3-x4", device="cpu")
    assert up.precision == "bf16" and "bf16 autocast" in repr(up)
    # the weights stay fp32: training, interpolation and the official arm keep using them
    assert next(up.descriptor.model.parameters()).dtype.is_floating_point
    assert str(next(up.descriptor.model.parameters()).dtype) == "torch.float32"
    assert load_model("realesr-animevideov3-x4", device="cpu", precision="fp32").precision == "fp32"


def _offline_networks() -> list[str]:
    # the kit's trained checkpoints run in fp32 only (upscalekit.train), so they are not bf16 candidates
    return [n for n in list_models()
            if get_info(n).kind != "interpolation" and get_info(n).checkpoint is None]


@pytest.mark.skipif(NATIVE is None, reason="this CPU has no native bf16 (AVX512_BF16 / AMX)")
@pytest.mark.parametrize("name", _offline_networks())
def test_bf16_matches_fp32_on_a_photo(name: str, photo: np.ndarray) -> None:
    try:
        fp32 = load_model(name, device="cpu", precision="fp32", progress=False)
    except FileNotFoundError:
        pytest.skip(f"{name}: weights not available offline")
    bf16 = load_model(name, device="cpu", progress=False)
    if bf16.precision == "fp32":  # auto keeps fp32 where bf16 does not suit the network: say why, check it
        assert U._cpu_bf16_unfit(bf16.descriptor) is not None, f"{name}: auto chose fp32 without a reason"
        with pytest.raises(ValueError, match="does not suit"):
            load_model(name, device="cpu", precision="bf16", progress=False)
        pytest.skip(f"{name}: {U._cpu_bf16_unfit(bf16.descriptor)}; auto runs it in fp32")
    assert bf16.precision == "bf16"
    n = 12 if get_info(name).arch == "ESRGAN" else 32  # small crops: RRDBNet costs 36 MFLOP a pixel
    x = np.ascontiguousarray(photo[180:180 + n, 200:200 + n])
    a, b = fp32.upscale(x, tile=None), bf16.upscale(x, tile=None)
    score = psnr(a, b)
    print(f"{name}: bf16 vs fp32 PSNR {score:.1f} dB, max abs {np.abs(a - b).max():.4f}")
    assert score >= 45.0


def test_cost_of_a_4k_frame_with_x4plus() -> None:
    up = load_model("realesrgan-x4plus", device="cpu", precision="fp32")
    c = up.cost(540, 960)  # 960×540 → 3840×2160
    print(f"x4plus 960×540 → 4K: {c.tflops:.2f} TFLOP, {c.flops_per_pixel / 1e6:.2f} MFLOP per input pixel, "
          f"peak activations {c.activation_bytes / 2**30:.2f} GiB")
    assert c.flops_per_pixel == pytest.approx(35.85e6, rel=1e-3)
    assert c.tflops == pytest.approx(18.59, rel=1e-3)
    assert c.flops > 300 * 50e9  # "over 50 GFLOPs" per 4K frame understates it by ×370
    # peak activations: more than the ×4 float32 result, less than four 64-channel float32 maps at 4K
    assert 4 * 3 * 2160 * 3840 < c.activation_bytes < 4 * 64 * 4 * 2160 * 3840


@pytest.mark.parametrize(("name", "h", "w"),
                         [("realesr-animevideov3-x4", 20, 28), ("waifu2x-photo-x2", 30, 22)])
def test_cost_matches_an_independent_count_of_a_real_run(name: str, h: int, w: int) -> None:
    """Fitted from square meta-device counts, checked on a non-square real run (waifu2x: unpadded)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    up = load_model(name, device="cpu", precision="fp32")
    counter = FlopCounterMode(display=False)
    with counter:
        up.forward_tensor(torch.rand(1, 3, h, w), tile=None, progress=False)
    assert up.cost(h, w).flops == pytest.approx(counter.get_total_flops(), rel=1e-9)


def test_cost_activation_bytes_halve_in_bf16(compact: U.NetworkUpscaler) -> None:
    import torch

    fp32 = compact.cost(64, 64).activation_bytes
    bf16 = U.NetworkUpscaler("c", compact.descriptor, compact.provenance, device="cpu", precision="bf16")
    if NATIVE is None:
        pytest.skip("no native bf16")
    assert 0.3 * fp32 < bf16.cost(64, 64).activation_bytes < 0.9 * fp32
    assert torch.float32 == next(compact.descriptor.model.parameters()).dtype


def test_estimate_predicts_from_a_calibration(compact: U.NetworkUpscaler) -> None:
    e = compact.estimate(64, 96, tile=32, tile_overlap=8)
    assert e.tile == 32 and e.overhead > 1.0
    assert e.flops == pytest.approx(e.cost.flops * e.overhead)
    assert e.flops_per_second > 1e8 and e.seconds == pytest.approx(e.flops / e.flops_per_second)
    assert compact.estimate(64, 96, tile=None).overhead == 1.0


def test_progress_bar_is_forced_or_silent(compact: U.NetworkUpscaler, photo: np.ndarray,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    x = photo[:48, :48]
    compact.upscale(x, tile=32, tile_overlap=4)  # progress=None: nobody watches a test, nothing printed
    assert capsys.readouterr().err == ""
    compact.upscale(x, tile=32, tile_overlap=4, progress=True)
    err = capsys.readouterr().err
    assert "GFLOP" in err and "100%" in err and "4 tiles of 32" in err and "predicted" in err


def test_interrupt_stops_cleanly(compact: U.NetworkUpscaler, photo: np.ndarray) -> None:
    import torch

    calls = []

    def stop(*_: object) -> None:
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # what Ctrl-C raises between two convolutions

    conv = next(m for m in compact.descriptor.model.modules() if isinstance(m, torch.nn.Conv2d))
    h = conv.register_forward_hook(stop)
    try:
        with pytest.raises(KeyboardInterrupt):
            compact.upscale(photo[:48, :48], tile=24, tile_overlap=4, progress=True)
    finally:
        h.remove()
    # our progress hooks were removed: the next call runs normally
    assert all(not m._forward_hooks for m in compact.descriptor.model.modules())
    assert compact.upscale(photo[:8, :8]).shape == (32, 32, 3)


def test_fast_seam_is_half_the_overlap_and_close_to_untiled(compact: U.NetworkUpscaler,
                                                            photo: np.ndarray) -> None:
    x = photo[100:180, 150:230]
    assert compact.fast_overlap == compact.default_overlap // 2
    ref = compact.upscale(x, tile=None)
    fast = compact.upscale(x, tile=48, tile_overlap="fast")
    err = float(np.abs(fast - ref).max())
    print(f"animevideov3 tiled 48 px, overlap {compact.fast_overlap} ('fast') vs untiled: max abs {err:.2e}")
    assert err < 1e-3
    with pytest.raises(TypeError, match="fast"):
        compact.upscale(x, tile=48, tile_overlap="quick")
