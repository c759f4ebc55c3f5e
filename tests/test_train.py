"""Tests for upscalekit.train: nets, data split, training, determinism, checkpoints, personalities."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from upscalekit import train as T  # noqa: E402
from upscalekit.io import from_tensor, to_tensor  # noqa: E402
from upscalekit.resize import resize  # noqa: E402

PERSONALITIES = {"L1": "compact-x4-l1", "L1+perceptual": "compact-x4-l1-perceptual",
                 "L1+perceptual+GAN": "compact-x4-l1-perceptual-gan"}


@pytest.fixture(autouse=True)
def one_thread():
    # One thread: tiny batches on a shared 2-core machine run far faster without OpenMP contention.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _fixed_batch() -> tuple[torch.Tensor, torch.Tensor]:
    lr, hr = T.PatchSampler(patch=48, seed=12345).batch(0, 16)
    return to_tensor(list(lr)), to_tensor(list(hr))


# ------------------------------------------------------------------------------------------ networks


def test_bicubic_layer_is_the_kits_bicubic():
    img = np.random.default_rng(0).random((13, 17, 3)).astype(np.float32)
    ours = from_tensor(T.BicubicUp(4)(to_tensor(img)), clip=False)
    ref = resize(img, scale=4, method="bicubic", clip=False)
    err = float(np.abs(ours - ref).max())
    print(f"max |BicubicUp - resize(bicubic)| = {err:.2e}")
    assert ours.shape == ref.shape and err < 1e-5


def test_untrained_compact_is_exactly_bicubic_and_sizes_are_small():
    torch.manual_seed(0)
    net = T.build_model("compact")
    x = torch.rand(1, 3, 10, 12)
    with torch.no_grad():
        assert torch.equal(net(x), T.BicubicUp(4)(x))
    n_compact, n_srcnn = T.count_params(net), T.count_params(T.build_model("srcnn"))
    print(f"params: compact {n_compact}, srcnn {n_srcnn}")
    assert 10_000 < n_srcnn < n_compact < 300_000
    assert T.build_model("srcnn")(x).shape == (1, 3, 40, 48)
    with pytest.raises(KeyError, match="compact"):
        T.build_model("compcat")


# ------------------------------------------------------------------------------------------ data


def test_held_out_photos_never_reach_training():
    assert not set(T.TRAIN_SAMPLES) & set(T.HELD_OUT)
    with pytest.raises(ValueError, match="held back"):
        T.PatchSampler(names=["astronaut", "coffee"])
    a = T.PatchSampler(patch=32, seed=3).batch(7, 4)
    b = T.PatchSampler(patch=32, seed=3).batch(7, 4)
    c = T.PatchSampler(patch=32, seed=4).batch(7, 4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])
    lr, _ = T.PatchSampler(patch=32, degradation="second_order").batch(0, 2)
    assert lr.shape == (2, 8, 8, 3)
    crops = T.held_out_crops(64)
    assert [c.name for c in crops] == list(T.HELD_OUT) and crops[0].lr.shape == (16, 16, 3)


# ------------------------------------------------------------------------------------------ training


def test_retraining_from_the_seed_makes_the_loss_fall():
    # SRCNN starts from random weights (the Compact net starts as bicubic and sits on an L1 plateau
    # for its first few hundred steps), so a few steps show the optimiser at work.
    lr, hr = _fixed_batch()
    cfg = T.TrainConfig(arch="srcnn", arch_kwargs={}, loss="l1", steps=30, batch=8, seed=0, lr=1e-3)
    torch.manual_seed(cfg.seed)
    fresh = T.build_model("srcnn")  # the same initial weights train() starts from
    res = T.train(cfg, progress=False)
    with torch.no_grad():
        before = float(torch.nn.functional.l1_loss(fresh(lr), hr))
        after = float(torch.nn.functional.l1_loss(res.upscaler.module(lr), hr))
    h = res.history["l1"]
    print(f"SRCNN L1 on a held-aside batch: {before:.4f} -> {after:.4f} after 30 steps "
          f"(training batches: {h[0]:.4f} -> {h[-1]:.4f})")
    assert after < 0.7 * before
    assert len(h) == 30 and h[0] == pytest.approx(res.history["total"][0])


def test_same_seed_same_weights_including_the_gan():
    cfg = T.TrainConfig(loss="l1+perceptual+gan", steps=3, batch=4, patch=32, seed=7)
    a = T.train(cfg, progress=False).upscaler.module.state_dict()
    b = T.train(cfg, progress=False).upscaler.module.state_dict()
    c = T.train(T.TrainConfig(loss="l1+perceptual+gan", steps=3, batch=4, patch=32, seed=8),
                progress=False).upscaler.module.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    diff = max(float((a[k] - c[k]).abs().max()) for k in a)
    print(f"max weight difference seed 7 vs seed 8: {diff:.3e}")
    assert diff > 0


def test_checkpoint_round_trip(tmp_path):
    res = T.train(T.TrainConfig(loss="l1", steps=4, batch=2, patch=32, seed=1), progress=False,
                  save_to=tmp_path / "m.safetensors", snapshots=[2], command="pytest")
    assert [p.name for p in res.saved] == ["m-step00002.safetensors", "m.safetensors"]
    up = T.load_checkpoint(tmp_path / "m.safetensors")
    img = np.random.default_rng(0).random((12, 10, 3)).astype(np.float32)
    assert np.array_equal(up.upscale(img), res.upscaler.upscale(img))
    meta = json.loads((tmp_path / "m.json").read_text())
    assert meta["seed"] == 1 and meta["steps"] == 4 and meta["command"] == "pytest"
    assert json.loads((tmp_path / "m-step00002.json").read_text())["steps"] == 2
    # an Upscaler like any other: gray in, gray out; outscale
    assert up.upscale(img[..., 0]).shape == (48, 40)
    assert up.upscale(img, outscale=2).shape == (24, 20, 3)
    (tmp_path / "m.json").unlink()
    with pytest.raises(FileNotFoundError, match="sidecar"):
        T.load_checkpoint(tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="safetensors"):
        T.save_checkpoint(up, tmp_path / "m.pth", meta=up.meta)


def test_cli_writes_a_checkpoint(tmp_path, capsys):
    from upscalekit.train.__main__ import main

    out = tmp_path / "cli.safetensors"
    assert main(["--steps", "2", "--batch", "2", "--patch", "32", "--out", str(out), "--no-progress"]) == 0
    meta = T.load_checkpoint(out).meta
    assert meta["command"].startswith("python -m upscalekit.train --steps 2")
    assert "wrote" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ personalities


def test_committed_checkpoints_are_small_and_documented():
    for name in [*PERSONALITIES.values(), "compact-x4-l1-pretrain"]:
        path = T.CHECKPOINT_DIR / f"{name}.safetensors"
        meta = json.loads(path.with_suffix(".json").read_text())
        print(f"{name}: {path.stat().st_size / 1024:.0f} KB, seed {meta['seed']}, {meta['steps']} steps")
        assert path.stat().st_size < 1_000_000
        assert meta["command"].startswith("python -m upscalekit.train")


def test_three_personalities_differ_in_the_expected_directions():
    from upscalekit.models import load_model

    models = {"bicubic": load_model("bicubic")}
    models.update({label: T.load_trained(name) for label, name in PERSONALITIES.items()})
    table = T.personality_table(models, T.held_out_crops(128))
    mean = T.summarize(table)
    print("\n" + mean.round(4).to_string())
    l1, per, gan = (mean.loc[k] for k in PERSONALITIES)
    # pixel loss: best PSNR and worst LPIPS of the three
    assert l1["psnr"] > per["psnr"] and l1["psnr"] > gan["psnr"]
    assert l1["lpips"] > per["lpips"] and l1["lpips"] > gan["lpips"]
    # GAN: the most invented detail, and every learned model invents more than bicubic's zero
    assert gan["invented_detail"] > per["invented_detail"] > l1["invented_detail"] > 0
    assert mean.loc["bicubic", "invented_detail"] == 0


def test_upscale_all_brings_every_model_to_the_crops_scale():
    from upscalekit.models import load_model

    crop = T.held_out_crops(64, scale=2)[0]
    outs = T.upscale_all({"bicubic ×2": load_model("bicubic", scale=2),
                          "tiny ×4": T.load_trained(PERSONALITIES["L1"])}, crop)
    assert {k: v.shape for k, v in outs.items()} == {"bicubic ×2": crop.hr.shape, "tiny ×4": crop.hr.shape}
    # a model at the crop's own scale is run as is: the ×2 bicubic is exactly the kit's bicubic
    np.testing.assert_array_equal(outs["bicubic ×2"], resize(crop.lr, scale=2, method="bicubic"))


def test_load_model_on_a_checkpoint_path_rebuilds_the_kits_network(tmp_path):
    # spandrel's Compact accepts these weights too but starts from a nearest base: the output of a
    # path load must equal the registry load, and differ from what spandrel alone would make.
    from upscalekit.models import load_model

    path = T.CHECKPOINT_DIR / "compact-x4-l1.safetensors"
    assert T.is_checkpoint(path)
    assert not T.is_checkpoint(tmp_path / "missing.safetensors")
    lr = np.random.default_rng(0).random((12, 12, 3), dtype=np.float32)
    by_path = load_model(path).upscale(lr)
    by_name = load_model("compact-x4-l1").upscale(lr)
    np.testing.assert_array_equal(by_path, by_name)
