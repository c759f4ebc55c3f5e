"""Tests for upscalekit.batch.experiment and ``upscalekit evaluate``: values equal direct metrics calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import upscalekit.metrics as M
from upscalekit import samples
from upscalekit.batch.experiment import bootstrap_mean, evaluate_models
from upscalekit.cli import main
from upscalekit.io import read_image, write_image
from upscalekit.resize import resize

MODELS = ["compact-x4-l1", "compact-x4-l1-perceptual-gan"]  # the kit's own tiny trained networks


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ab") / "hr"
    (d / "sub").mkdir(parents=True)
    for i, name in enumerate(samples.names()[:4]):
        write_image(d / ("sub" if i % 2 else "") / f"{name}.png", samples.load(name).hr[64:128, 64:128])
    return d


@pytest.fixture(scope="module")
def ev(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> object:
    out = tmp_path_factory.mktemp("ev")
    return evaluate_models([folder], MODELS, out_dir=out, progress=False, n_boot=500)


def test_table_equals_direct_metric_calls(ev: object, folder: Path) -> None:
    from upscalekit.models import upscale_by
    from upscalekit.train import load_trained

    table = ev.table  # type: ignore[attr-defined]
    assert len(table) == 4 * 3 and set(table["model"]) == {*MODELS, "bicubic"}
    assert {"psnr", "ssim", "lpips", "lr_psnr", "brisque"} <= set(table.columns)
    for rel in table["image"].unique():
        hr = read_image(folder / rel)
        lr = resize(hr, scale=0.25, method="bicubic")
        for name in MODELS:
            out = upscale_by(load_trained(name), lr, 4)
            row = table[(table["image"] == rel) & (table["model"] == name)].iloc[0]
            assert row["psnr"] == pytest.approx(M.psnr(hr, out), abs=1e-9)
            assert row["lpips"] == pytest.approx(M.lpips(hr, out), abs=1e-6)
        bic = table[(table["image"] == rel) & (table["model"] == "bicubic")].iloc[0]
        assert bic["psnr"] == pytest.approx(M.psnr(hr, resize(lr, scale=4, method="bicubic")), abs=1e-9)
    assert table.attrs["lower_better"]["lpips"] is True and table.attrs["lower_better"]["psnr"] is False


def test_summary_bootstrap_and_files(ev: object) -> None:
    s, files = ev.summary, ev.files  # type: ignore[attr-defined]
    psnr = s[(s["metric"] == "psnr")].set_index("model")
    table = ev.table  # type: ignore[attr-defined]
    for model in MODELS:
        v = table[table["model"] == model]["psnr"].to_numpy()
        assert psnr.loc[model, "mean"] == pytest.approx(v.mean())
        assert psnr.loc[model, "ci_low"] <= v.mean() <= psnr.loc[model, "ci_high"]
        assert psnr.loc[model, "n"] == 4
    assert psnr.loc["bicubic", "diff_mean"] == 0.0 and (s["baseline"] == "bicubic").all()
    back = pd.read_parquet(files["parquet"])
    pd.testing.assert_frame_equal(back, pd.read_csv(files["csv"]), check_dtype=False, atol=1e-9)
    assert len(back) == 12 and len(files["sheets"]) == 4
    assert read_image(files["sheets"][0]).shape[1] > 600  # input, 2 models, bicubic, ground truth


def test_bootstrap_interval_covers_a_known_mean() -> None:
    # calibrate on nothing: a sample from N(0, 1), the 95 % interval should hold 0 about 95 % of the time
    rng = np.random.default_rng(3)
    hits = sum(lo <= 0 <= hi for lo, hi in (bootstrap_mean(rng.normal(size=30), n_boot=400, seed=k)[1:]
                                           for k in range(200)))
    assert 0.88 <= hits / 200 <= 0.99


def test_no_reference_and_reference_folder_modes(folder: Path, tmp_path: Path) -> None:
    lr_dir, gt_dir = tmp_path / "lr", tmp_path / "gt"
    for p in sorted(folder.rglob("*.png"))[:2]:
        rel = p.relative_to(folder)
        hr = read_image(p)
        write_image(gt_dir / rel.with_suffix(".tif"), hr)
        write_image(lr_dir / rel, resize(hr, scale=0.25, method="bicubic"))
    noref = evaluate_models([lr_dir], [], baselines=("bicubic", "lanczos"), reference=None, progress=False)
    assert "psnr" not in noref.table and {"lr_psnr", "invented_detail", "brisque"} <= set(noref.table)
    withgt = evaluate_models([lr_dir], [], baselines=("bicubic",), reference=gt_dir, progress=False,
                             metrics=["psnr"])
    rel = withgt.table["image"].iloc[0]
    gt = read_image(gt_dir / Path(rel).with_suffix(".tif"))
    up = resize(read_image(lr_dir / rel), scale=4, method="bicubic")
    # the LR was stored as 8-bit PNG, so compare with what was read back
    assert withgt.table["psnr"].iloc[0] == pytest.approx(M.psnr(gt, up), abs=1e-9)


def test_cli_evaluate_reports_bad_image(folder: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "a.png", read_image(next(folder.glob("*.png"))))
    (src / "bad.png").write_bytes(b"not a png")
    code = main(["evaluate", str(src), "-m", "lanczos", "-o", str(tmp_path / "o"), "--no-sheets",
                 "--no-progress", "--n-boot", "200"])
    cap = capsys.readouterr()
    assert code == 1 and "bad.png" in cap.err
    assert "lanczos" in cap.out and "psnr" in cap.out and (tmp_path / "o" / "metrics.parquet").is_file()
    assert main(["evaluate", str(src), "-m", "bicubik", "-o", str(tmp_path / "o")]) == 2
