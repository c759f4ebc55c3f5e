"""Tests for upscalekit.batch and ``upscalekit upscale``: mirrored trees, sidecars, resume, Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from upscalekit.assets import sha256_of
from upscalekit.batch import find_inputs, upscale_batch
from upscalekit.cli import main
from upscalekit.io import read_image, write_image

REPO = Path(__file__).resolve().parents[1]
TINY = str(REPO / "upscalekit" / "checkpoints" / "compact-x4-l1.safetensors")  # the kit's own 277 KiB net


def _crop(y: int, x: int, size: int = 32) -> np.ndarray:
    from skimage import data

    return data.astronaut()[y:y + size, x:x + size].astype(np.float32) / 255.0


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """in/a.png, in/trip/photo.png + photo.jpg (same stem), in/trip/deep/b16.png (16-bit), a broken file."""
    d = tmp_path / "in"
    (d / "trip" / "deep").mkdir(parents=True)
    write_image(d / "a.png", _crop(100, 180))
    write_image(d / "trip" / "photo.png", _crop(40, 120))
    write_image(d / "trip" / "photo.jpg", _crop(40, 120), quality=80)
    write_image(d / "trip" / "deep" / "b16.png", _crop(200, 200), bit_depth=16)
    (d / "trip" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    (d / "notes.txt.bak").write_text("not an image, not picked up")
    return d


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.png"))}


def test_nested_folder_mirrored_tree_sidecars_and_errors(tree: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["upscale", str(tree), "-m", "bicubic", "-o", str(out), "--outscale", "2", "--no-progress"])
    cap = capsys.readouterr()
    assert code == 1  # one bad file
    assert "broken.png" in cap.err and "failed:" in cap.err and "1 of 5 file(s) failed" in cap.err
    names = sorted(_outputs(out))
    h = names[0].rsplit("_", 1)[1]
    assert names == [f"a-png__bicubic_x2_fp32_{h}", f"trip/deep/b16-png__bicubic_x2_fp32_{h}",
                     f"trip/photo-jpg__bicubic_x2_fp32_{h}", f"trip/photo-png__bicubic_x2_fp32_{h}"]
    # same stem, different files: two different outputs
    jpg, png = (read_image(out / n) for n in names[2:])
    assert jpg.shape == png.shape == (64, 64, 3) and not np.array_equal(jpg, png)
    _, info = read_image(out / names[1], with_info=True)
    assert info.bit_depth == 16  # 16-bit in, 16-bit out
    meta = json.loads((out / (names[3] + ".json")).read_text())
    assert meta["input"]["sha256"] == sha256_of(tree / "trip" / "photo.png")
    assert meta["input"]["relative"] == "trip/photo.png"
    assert meta["output"]["sha256"] == sha256_of(out / names[3])
    assert meta["model"]["name"] == "bicubic" and meta["model"]["provenance"]["source"] == "builtin"
    assert (meta["scale"], meta["strength"], meta["precision"], meta["tile"]) == (2.0, 1.0, "fp32", "auto")
    assert {"numpy", "torch", "upscalekit", "python"} <= set(meta["versions"])
    assert meta["time"]["started"] <= meta["time"]["finished"]
    # the same output matches what the model gives directly
    from upscalekit.models import load_model

    direct = load_model("bicubic").upscale(read_image(tree / "a.png"), outscale=2)
    assert np.abs(read_image(out / names[0]) - direct).max() <= 0.5 / 255 + 1e-6


def test_all_good_exits_zero_and_network_sidecar_has_weights(tree: Path, tmp_path: Path) -> None:
    (tree / "trip" / "broken.png").unlink()
    out = tmp_path / "out"
    assert main(["upscale", str(tree / "a.png"), "-m", TINY, "-o", str(out), "--tile", "none",
                 "--no-progress"]) == 0
    (side,) = out.glob("*.json")
    meta = json.loads(side.read_text())
    assert meta["model"]["weights_sha256"] == sha256_of(TINY)
    assert meta["model"]["name"] == "compact-x4-l1" and meta["tile"] is None
    assert read_image(out / side.name[:-5]).shape == (128, 128, 3)


def test_rerun_skips_settings_change_writes_beside_force_redoes(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = upscale_batch([tree], out, model="bicubic", outscale=2, progress=False)
    assert first.counts == {"done": 4, "skipped": 0, "failed": 1}
    before = _outputs(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    again = upscale_batch([tree], out, model="bicubic", outscale=2, progress=False)
    assert again.counts == {"done": 0, "skipped": 4, "failed": 1}
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == mtimes  # nothing rewritten
    # a new strength (and a new scale) write new files beside the old ones, which stay untouched
    upscale_batch([tree], out, model="bicubic", outscale=2, strength=0.5, progress=False)
    upscale_batch([tree], out, model="bicubic", progress=False)
    after = _outputs(out)
    assert len(after) == 12 and all(after[k] == v for k, v in before.items())
    assert sum("_s0p5_" in k for k in after) == 4 and sum("_x4_" in k for k in after) == 4
    # a changed input is redone; a damaged output is redone; --force redoes everything
    write_image(tree / "a.png", _crop(0, 0))
    victim = next(p for p in out.rglob("photo-png__bicubic_x2_fp32_*.png"))
    victim.write_bytes(victim.read_bytes()[:100])
    third = upscale_batch([tree], out, model="bicubic", outscale=2, progress=False)
    assert third.counts == {"done": 2, "skipped": 2, "failed": 1}
    assert read_image(victim).shape == (64, 64, 3)
    forced = upscale_batch([tree], out, model="bicubic", outscale=2, force=True, progress=False)
    assert forced.counts["done"] == 4


def test_globs_manifests_and_output_inside_input(tree: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "list.txt"
    manifest.write_text("# two files and a glob\nin/a.png\nin/trip/*.jpg\n\n")
    got = [s.relative.as_posix() for s in find_inputs([manifest])]
    assert got == ["a.png", "photo.jpg"]
    assert [s.relative.as_posix() for s in find_inputs([str(tree / "**" / "*.png")])] == [
        "a.png", "trip/broken.png", "trip/deep/b16.png", "trip/photo.png"]
    # an output folder inside the input folder is not read back as input on a rerun
    out = tree / "up"
    upscale_batch([tree], out, model="bicubic", outscale=2, progress=False)
    assert len(find_inputs([tree], exclude=out)) == 5
    assert upscale_batch([tree], out, model="bicubic", outscale=2, progress=False).counts["skipped"] == 4


def test_unknown_model_suggests_and_busy_folder_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert main(["upscale", "x.png", "-m", "bicubik", "-o", str(tmp_path)]) == 2
    assert "bicubic" in capsys.readouterr().err
    from upscalekit.batch.run import _lock_output

    lock = _lock_output(tmp_path / "busy")
    try:
        assert main(["upscale", "x.png", "-m", "bicubic", "-o", str(tmp_path / "busy")]) == 2
        assert "another upscalekit batch" in capsys.readouterr().err
    finally:
        assert lock is not None
        lock.handle.close()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "upscalekit", "upscale", *args]


def test_sigkill_mid_run_then_restart_completes_whole(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):  # noise: large PNGs, so writing each output takes a while (bicubic needs no torch)
        write_image(src / f"f{i}.png", rng.random((256, 256, 3), dtype=np.float32))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = _cli(str(src), "-m", "bicubic", "-o", str(out), "--no-progress")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while len(list(out.glob("*.json"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = len(list(out.glob("*.json")))
    assert 2 <= done_before < 8, "the run finished before it could be killed: make the images larger"
    # whatever is there under an output's name is whole
    for p in out.glob("*.png"):
        assert read_image(p).shape == (1024, 1024, 3)
    rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{8 - done_before} written, {done_before} already done" in rerun.stdout
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 8 and not list(out.glob(".tmp-*"))
    for p in pngs:
        meta = json.loads(Path(str(p) + ".json").read_text())
        assert meta["output"]["sha256"] == sha256_of(p) and read_image(p).shape == (1024, 1024, 3)


def test_import_upscalekit_loads_no_dask() -> None:
    code = "import sys, upscalekit, upscalekit.batch; print(any(m.split('.')[0] in ('dask', 'distributed') " \
           "for m in sys.modules))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={
        **os.environ, "PYTHONPATH": str(REPO)}, check=True)
    assert res.stdout.strip() == "False"
