"""Tests for upscalekit.samples: real photos, honest manifest, deterministic build, LR derivation."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from upscalekit import degrade, io, samples
from upscalekit.resize import resize

REPO_MEDIA = Path(__file__).resolve().parent.parent / "sample_media"
EXPECTED = {"astronaut", "chelsea", "coffee", "rocket", "brick", "grass", "gravel", "text", "page", "camera",
            "lfw-face"}


def test_names_cover_the_issue_and_match_the_manifest() -> None:
    assert set(samples.names()) == EXPECTED
    assert [e["name"] for e in samples.manifest()] == list(samples.names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_manifest_entries_are_complete(name: str) -> None:
    entry = samples.info(name)
    for key in ("title", "probes", "artifact", "source", "licence", "file"):
        assert isinstance(entry[key], str) and len(entry[key]) > 5, (name, key)
    assert "skimage.data." in entry["source"]
    assert (REPO_MEDIA / entry["file"]).is_file()
    if entry["stored"] == "gray":
        assert "gray" in entry["notes"]


def test_manifest_names_the_failure_modes() -> None:
    assert "plastic skin" in samples.info("astronaut")["artifact"]
    assert "invented strands" in samples.info("chelsea")["artifact"]
    assert "false regularity" in samples.info("brick")["artifact"]
    for n in ("grass", "gravel"):
        assert "texture overload" in samples.info(n)["artifact"]
    for n in ("text", "page"):
        assert "alphabet soup" in samples.info(n)["artifact"]
    notes = samples.info("lfw-face")["notes"]
    assert "25 × 25" in notes and "100 faces and 100 non-face" in notes


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_returns_hr_and_its_bicubic_lr(name: str) -> None:
    s = samples.load(name)
    assert s.name == name and s.image is s.hr
    assert s.hr.dtype == np.float32 and s.hr.ndim == 3 and s.hr.shape[2] == 3
    assert s.hr.shape[0] % 4 == 0 and s.hr.shape[1] % 4 == 0
    assert s.lr.shape == (s.hr.shape[0] // 4, s.hr.shape[1] // 4, 3)
    assert 0.0 <= s.hr.min() and s.hr.max() <= 1.0
    np.testing.assert_array_equal(s.lr, resize(s.hr, scale=0.25, method="bicubic"))
    gray = s.meta["stored"] == "gray"
    assert np.array_equal(s.hr[..., 0], s.hr[..., 2]) == gray
    assert s.meta["scale"] == 4 and list(s.hr.shape[:2]) == s.meta["hr_shape"]


def test_hr_is_exactly_the_scikit_image_crop() -> None:
    import skimage.data

    astro = io.to_float(skimage.data.astronaut()[0:256, 96:352])
    np.testing.assert_array_equal(samples.load("astronaut").hr, astro)
    cam = io.to_float(skimage.data.camera()[64:320, 128:384])
    np.testing.assert_array_equal(samples.load("camera").hr, np.repeat(cam[..., None], 3, axis=2))


def test_other_scales_crop_hr_to_divide() -> None:
    s = samples.load("page", scale=3)  # 188 × 384 → 186 × 384
    assert s.hr.shape == (186, 384, 3) and s.lr.shape == (62, 128, 3)
    with pytest.raises(ValueError, match="scale must be an int"):
        samples.load("page", scale=0)


def test_sample_is_frozen_and_read_only() -> None:
    s = samples.load("brick")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.hr = s.lr  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        s.hr[0, 0, 0] = 0.0
    with pytest.raises(TypeError):
        s.meta["scale"] = 2  # type: ignore[index]


def test_unknown_name_suggests() -> None:
    with pytest.raises(KeyError, match="did you mean 'astronaut'"):
        samples.load("astronot")
    with pytest.raises(KeyError, match="Known: astronaut"):
        samples.info("lena")


def test_committed_media_equal_a_fresh_build_from_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "built"
    run = subprocess.run([sys.executable, "-m", "upscalekit.samples", "build", "--out", str(out)],
                         capture_output=True, text=True, check=False, cwd=REPO_MEDIA.parent)
    assert run.returncode == 0, run.stderr
    built_doc = json.loads((out / "manifest.json").read_text())
    assert built_doc == json.loads((REPO_MEDIA / "manifest.json").read_text())
    built = sorted(p.name for p in out.glob("*.png"))
    assert built == sorted(p.name for p in REPO_MEDIA.glob("*.png"))
    for name in built:
        # Compare decoded pixels: PNG bytes may differ between zlib builds, the image may not.
        a, ia = io.read_image(out / name, mode="keep", with_info=True)
        b, ib = io.read_image(REPO_MEDIA / name, mode="keep", with_info=True)
        assert ia.mode == ib.mode, name
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_committed_media_stay_small() -> None:
    total = sum(p.stat().st_size for p in REPO_MEDIA.iterdir())
    print(f"sample_media total: {total / 1e6:.2f} MB")
    assert total < 3e6


def test_without_the_repository_samples_are_built_into_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(samples, "_repo_media", lambda: tmp_path / "no-repo")
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(tmp_path / "cache"))
    assert samples.media_dir() == tmp_path / "cache" / "sample_media"
    s = samples.load("chelsea")
    assert (tmp_path / "cache" / "sample_media" / "chelsea.png").is_file()
    monkeypatch.undo()
    np.testing.assert_array_equal(s.hr, samples.load("chelsea").hr)


def test_low_light_is_noisy_replayable_and_keeps_exposure() -> None:
    from skimage.metrics import peak_signal_noise_ratio

    a = samples.low_light("coffee", seed=0)
    b = samples.low_light("coffee", seed=0)
    c = samples.low_light("coffee", seed=1)
    np.testing.assert_array_equal(a.noisy, b.noisy)
    assert not np.array_equal(a.noisy, c.noisy)
    np.testing.assert_array_equal(degrade.apply(a.clean, json.loads(json.dumps(a.recipe))), a.noisy)
    score = peak_signal_noise_ratio(a.clean, a.noisy, data_range=1.0)
    brighter = peak_signal_noise_ratio(a.clean, samples.low_light("coffee", exposure=0.5, seed=0).noisy,
                                       data_range=1.0)
    print(f"low light coffee: PSNR {score:.2f} dB at 10% exposure, {brighter:.2f} dB at 50%")
    assert score < 30.0 and brighter > score + 3.0
    assert abs(float(a.noisy.mean()) - float(a.clean.mean())) < 0.02
    with pytest.raises(ValueError, match="fraction of normal light"):
        samples.low_light("coffee", exposure=2.0)
