"""Bring your own model file: any spandrel-supported weight file loads through ``load_model(path)``.

The reference is spandrel itself: each network below is built from spandrel's own architecture
classes with seeded random weights (small, so the forward is cheap), saved as ``.pth``,
``.safetensors`` and a Lightning-style ``.ckpt``, then loaded by the kit from the path alone and
compared with spandrel's own loader's forward on the same file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from upscalekit.cli import main
from upscalekit.models import load_model
from upscalekit.models.loader import supported_architectures


def _esrgan() -> Any:
    from spandrel.architectures.ESRGAN import ESRGAN

    return ESRGAN(num_filters=8, num_blocks=1, scale=4)


def _compact() -> Any:
    from spandrel.architectures.Compact import Compact

    return Compact(num_feat=8, num_conv=2, upscale=2)


def _span() -> Any:
    from spandrel.architectures.SPAN import SPAN

    return SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2)


def _swinir() -> Any:
    from spandrel.architectures.SwinIR import SwinIR

    return SwinIR(img_size=16, embed_dim=12, depths=[1], num_heads=[2], window_size=4, mlp_ratio=2.0,
                  upscale=2, upsampler="pixelshuffle")


def _omnisr() -> Any:
    from spandrel.architectures.OmniSR import OmniSR

    return OmniSR(num_feat=8, window_size=4, up_scale=2)


ARCHS: dict[str, Callable[[], Any]] = {
    "ESRGAN": _esrgan, "Compact": _compact, "SPAN": _span, "SwinIR": _swinir, "OmniSR": _omnisr,
}


def _save(sd: dict[str, Any], path: Path) -> None:
    import torch

    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in sd.items()}, str(path))
    elif path.suffix == ".ckpt":  # what a Lightning checkpoint wraps the weights in
        torch.save({"state_dict": sd, "epoch": 3, "global_step": 1200}, str(path))
    else:
        torch.save(sd, str(path))


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    from skimage import data

    return data.chelsea()[80:96, 150:166].astype(np.float32) / 255.0


@pytest.mark.parametrize("arch", list(ARCHS))
def test_user_file_loads_and_matches_spandrel(arch: str, tmp_path: Path, photo: np.ndarray) -> None:
    import spandrel
    import torch

    from upscalekit.io import to_tensor

    torch.manual_seed(0)
    net = ARCHS[arch]().eval()
    sd = {k: v.detach().clone() for k, v in net.state_dict().items()}
    x = to_tensor(photo)
    worst = 0.0
    for ext in (".pth", ".safetensors", ".ckpt"):
        path = tmp_path / f"my-{arch.lower()}{ext}"
        _save(sd, path)
        up = load_model(path, device="cpu", precision="fp32")  # matched to spandrel's fp32 forward
        assert up.provenance.source == "path" and up.name == path.stem
        assert up.descriptor.architecture.id == arch
        ref_desc = spandrel.ModelLoader().load_from_file(str(path))
        ref_desc.model.eval()
        with torch.inference_mode():
            ref = ref_desc.model(x)
        ours = up.forward_tensor(x, tile=None)
        assert ours.shape == ref.shape == (1, 3, 16 * up.scale, 16 * up.scale)
        worst = max(worst, float((ours - ref).abs().max()))
        out = up.upscale(photo)
        assert out.shape == (16 * up.scale, 16 * up.scale, 3) and out.dtype == np.float32
    print(f"{arch} ×{up.scale} user file (.pth/.safetensors/.ckpt): max |kit − spandrel| = {worst:.1e}")
    # the same network on the same weights; the kit runs channels-last on the CPU, which changes only
    # the summation order (measured 3e-8 to 1.5e-7, SPAN's seeded weights 1.1e-5): the conversions' bar
    assert worst <= 1e-4


def test_supported_architectures_come_from_spandrel() -> None:
    import spandrel

    ids = [i for i, _ in supported_architectures()]
    assert [a.architecture.id for a in spandrel.MAIN_REGISTRY.architectures()] == ids[:-1]
    assert set(ARCHS) <= set(ids) and ids[-1] == "waifu2x-UpConv7"


def test_unsupported_file_names_the_file_and_what_was_found(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "classifier.pth"
    torch.save({"fc.weight": torch.zeros(10, 4), "fc.bias": torch.zeros(10)}, str(path))
    with pytest.raises(ValueError) as err:
        load_model(path)
    msg = str(err.value)
    assert str(path) in msg and "2 tensors" in msg and "fc.weight" in msg and "ESRGAN" in msg


def test_corrupt_file_names_the_file(tmp_path: Path) -> None:
    import torch

    good = tmp_path / "good.pth"
    torch.manual_seed(0)
    torch.save(_compact().state_dict(), str(good))
    for name, data in (("truncated.pth", good.read_bytes()[:200]), ("junk.safetensors", b"\x00" * 64)):
        bad = tmp_path / name
        bad.write_bytes(data)
        with pytest.raises(ValueError, match="corrupt") as err:
            load_model(bad)
        assert str(bad) in str(err.value)
        assert bad.exists()  # a file the user named is never deleted


def test_cli_upscale_and_compare_take_a_path(tmp_path: Path, photo: np.ndarray,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    from upscalekit.io import read_image, write_image

    torch.manual_seed(0)
    weights = tmp_path / "mine.safetensors"
    _save(_compact().state_dict(), weights)
    write_image(tmp_path / "in.png", photo)
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "in.png"), "-m", str(weights), "-o", str(out)]) == 0
    written = sorted(out.rglob("*.png"))
    assert len(written) == 1 and "mine" in written[0].name
    assert read_image(written[0]).shape == (32, 32, 3)
    grid = tmp_path / "grid.png"
    code = main(["compare", str(tmp_path / "in.png"), "-m", f"bicubic,{weights}", "-o", str(grid)])
    assert code == 0 and grid.is_file()
    bad = tmp_path / "bad.pth"
    torch.save({"x": torch.zeros(1)}, str(bad))
    assert main(["upscale", str(tmp_path / "in.png"), "-m", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err
