"""Tests for upscalekit.cli: upscale (folders, bad files), compare (grid + PSNR), demo, models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from upscalekit.cli import main
from upscalekit.io import read_image, write_image
from upscalekit.pixels import Box


@pytest.fixture
def photo_dir(tmp_path: Path, skimage_photo) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    img = skimage_photo("astronaut", Box(100, 180, 132, 212))
    write_image(d / "a.png", img)
    write_image(d / "b16.png", img, bit_depth=16)
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    return d


def test_upscale_folder_skips_bad_file_and_fails_overall(photo_dir: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["upscale", str(photo_dir), "-m", "bicubic", "-o", str(out), "--outscale", "2"])
    err = capsys.readouterr().err
    assert code == 1
    assert "broken.png" in err and "failed" in err
    (a,) = out.glob("a-png__bicubic_x2_*.png")  # names encode the settings (see tests/test_batch.py)
    assert read_image(a).shape == (64, 64, 3)
    (b16,) = out.glob("b16-png__bicubic_x2_*.png")
    _, info = read_image(b16, with_info=True)
    assert info.bit_depth == 16  # 16-bit in, 16-bit out


def test_upscale_all_good_exits_zero(photo_dir: Path, tmp_path: Path) -> None:
    (photo_dir / "broken.png").unlink()
    assert main(["upscale", str(photo_dir / "a.png"), "-m", "realesr-animevideov3-x4", "-o", str(tmp_path),
                 "--tile", "none"]) == 0
    (out,) = tmp_path.glob("a-png__realesr-animevideov3-x4_x4_*.png")
    assert read_image(out).shape == (128, 128, 3)


def test_unknown_model_suggests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upscale", "x.png", "-m", "bicubik", "-o", str(tmp_path)]) == 2
    assert "bicubic" in capsys.readouterr().err


def test_compare_with_ground_truth_reports_psnr(photo_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from skimage.metrics import peak_signal_noise_ratio

    from upscalekit.resize import resize

    dest = tmp_path / "grid.png"
    assert main(["compare", str(photo_dir / "a.png"), "-m", "nearest,bicubic", "--hr", "-o", str(dest)]) == 0
    grid = read_image(dest)
    assert grid.shape[0] > 200 and grid.shape[1] > 600  # 4 columns × 2 rows
    out = capsys.readouterr().out
    hr = read_image(photo_dir / "a.png")
    expect = peak_signal_noise_ratio(hr, resize(resize(hr, scale=0.25), scale=4), data_range=1.0)
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("bicubic"))
    got = float(line.split("psnr_db=")[1].split()[0])
    print(f"compare: bicubic PSNR {got} dB (skimage: {expect:.3f})")
    assert got == pytest.approx(expect, abs=1e-2)


def test_demo_writes_grid_and_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "-o", str(tmp_path)]) == 0
    numbers = json.loads((tmp_path / "demo_numbers.json").read_text())
    assert (tmp_path / "demo_compare.png").stat().st_size > 10_000
    bic, gan = numbers["bicubic"], numbers["realesrgan-x4plus"]
    print(f"demo: bicubic {bic['psnr_db']} dB, Real-ESRGAN {gan['psnr_db']} dB")
    # the kit's core lesson, measured: the GAN loses on PSNR although it looks sharper
    assert bic["psnr_db"] > gan["psnr_db"]
    assert "jupyter lab notebooks/" in capsys.readouterr().out


def test_models_lists_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "realesrgan-x4plus" in out and "bicubic" in out


def test_upscale_shows_tile_progress_with_eta_on_a_512_image(tmp_path: Path, skimage_photo,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "astronaut.png"
    write_image(src, skimage_photo("astronaut"))  # 512×512
    code = main(["upscale", str(src), "-m", "realesr-animevideov3-x4", "-o", str(tmp_path / "out"),
                 "--tile", "256", "--tile-overlap", "8", "--progress"])
    err = capsys.readouterr().err
    assert code == 0
    bars = [line for line in err.replace("\r", "\n").splitlines() if "GFLOP" in line]
    assert bars and "9 tiles of 256" in bars[-1] and "predicted" in bars[-1]
    assert "100%" in bars[-1] and "<00:00" in bars[-1]  # elapsed<remaining: the ETA, finished
    assert any("<" in b and "%" in b and "100%" not in b for b in bars)  # an ETA while running
    (png,) = (tmp_path / "out").rglob("astronaut*.png")
    assert read_image(png).shape == (2048, 2048, 3)


def test_ctrl_c_stops_cleanly_and_leaves_no_partial_file(photo_dir: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from upscalekit.models.upscaler import InterpolationUpscaler

    real = InterpolationUpscaler._upscale_rgb
    calls = []

    def interrupted(self: InterpolationUpscaler, rgb: object, **kw: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the second file
        return real(self, rgb, **kw)

    monkeypatch.setattr(InterpolationUpscaler, "_upscale_rgb", interrupted)
    out = tmp_path / "out"
    code = main(["upscale", str(photo_dir / "a.png"), str(photo_dir / "b16.png"), "-m", "bicubic",
                 "-o", str(out), "--no-progress"])
    assert code == 130 and "interrupted" in capsys.readouterr().err
    written = [p.name for p in out.rglob("*") if p.is_file()]
    assert len([n for n in written if n.endswith(".png")]) == 1  # the first file, whole
    assert not [n for n in written if n.startswith(".tmp-")]  # nothing half-written


def test_compare_walks_folders_like_upscale_and_keeps_same_stem_inputs_apart(
        photo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # photo.png and photo.jpg (one in a subfolder too) each get their own grid; nothing is overwritten
    img = read_image(photo_dir / "a.png")
    (photo_dir / "broken.png").unlink()
    write_image(photo_dir / "a.jpg", img)
    (photo_dir / "trip").mkdir()
    write_image(photo_dir / "trip" / "a.png", img)
    out = tmp_path / "grids"
    assert main(["compare", str(photo_dir), "-m", "bicubic", "-o", str(out)]) == 0
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert made == ["a-jpg_compare.png", "a-png_compare.png", "b16-png_compare.png", "trip/a-png_compare.png"]
    # one .png for several inputs is refused up front, with what to do
    capsys.readouterr()
    assert main(["compare", str(photo_dir), "-m", "bicubic", "-o", str(tmp_path / "one.png")]) == 2
    err = capsys.readouterr().err
    assert "names one PNG but there are 4 inputs" in err and not (tmp_path / "one.png").exists()


def test_an_unavailable_device_is_refused_for_every_model_kind() -> None:
    import torch

    from upscalekit.models import load_model

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    for name in ("bicubic", "compact-x4-l1"):
        with pytest.raises(ValueError, match="CUDA is not available"):
            load_model(name, device="cuda")
