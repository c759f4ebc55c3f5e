"""The batch on Dask: a 2-worker LocalCluster gives the in-process bytes and survives a killed worker."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from upscalekit.batch import upscale_batch
from upscalekit.cli import main
from upscalekit.io import write_image

distributed = pytest.importorskip("distributed", reason="the [distributed] extra is not installed")

TINY = str(Path(__file__).resolve().parents[1] / "upscalekit" / "checkpoints" / "compact-x4-l1.safetensors")


@pytest.fixture(scope="module")
def cluster() -> Any:
    """Two worker processes, one thread each, on 127.0.0.1 (nanny-restarted when killed)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40,
                                  env={"OMP_NUM_THREADS": "1"}) as c, distributed.Client(c) as client:
        yield c, client


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    from skimage import data

    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    img = data.astronaut().astype(np.float32) / 255.0
    for i in range(6):
        write_image(src / ("sub" if i % 2 else "") / f"p{i}.png", img[40 * i:40 * i + 40, 60 * i:60 * i + 40])
    write_image(src / "sub" / "p1.jpg", img[:40, :40])
    return src


def _bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.png"))}


def test_cluster_outputs_byte_identical_model_loaded_once_per_worker(cluster: Any, photos: Path,
                                                                     tmp_path: Path) -> None:
    from upscalekit.batch.run import model_loads

    c, client = cluster
    local = upscale_batch([photos], tmp_path / "local", model=TINY, tile=None, progress=False)
    dask = upscale_batch([photos], tmp_path / "dask", model=TINY, tile=None, scheduler=c.scheduler_address,
                         progress=False)
    assert local.counts == dask.counts == {"done": 7, "skipped": 0, "failed": 0}
    a, b = _bytes(tmp_path / "local"), _bytes(tmp_path / "dask")
    assert len(a) == 7 and a == b  # same names, same bytes
    workers = {r.worker for r in dask.results}
    assert len(workers) == 2 and str(os.getpid()) not in {w.split(":")[1] for w in workers}
    loads = client.run(model_loads)
    assert sorted(loads.values()) == [1, 1]  # each worker loaded the model once for its tasks
    # and the cluster rerun skips, like the in-process one
    again = upscale_batch([photos], tmp_path / "dask", model=TINY, tile=None, scheduler=c.scheduler_address,
                          progress=False)
    assert again.counts == {"done": 0, "skipped": 7, "failed": 0}


def test_worker_killed_mid_run_tasks_retried_nothing_lost(cluster: Any, tmp_path: Path) -> None:
    c, client = cluster
    rng = np.random.default_rng(1)
    src = tmp_path / "in"
    for i in range(12):  # noise: big PNGs that take a while to write
        write_image(src / f"n{i:02d}.png", rng.random((192, 192, 3), dtype=np.float32))
    ref = upscale_batch([src], tmp_path / "ref", model="bicubic", progress=False)
    assert ref.ok
    pids = client.run(os.getpid)
    out = tmp_path / "out"
    box: dict[str, Any] = {}
    run = threading.Thread(target=lambda: box.setdefault("report", upscale_batch(
        [src], out, model="bicubic", scheduler=c.scheduler_address, progress=False)))
    run.start()
    deadline = time.monotonic() + 120
    while not list(out.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.01)
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)
    run.join(timeout=300)
    report = box["report"]
    c = report.counts
    # a task the dead worker had finished but not yet reported is rerun and finds its sidecar: skipped
    assert c["failed"] == 0 and c["done"] + c["skipped"] == 12, report.failed
    assert _bytes(out) == _bytes(tmp_path / "ref")  # every output whole and correct, none extra
    assert not list(out.glob(".tmp-*"))
    client.wait_for_workers(2, timeout=60)  # the nanny brought the killed worker back
    assert victim not in client.run(os.getpid).values()  # the kill really happened mid-run


def test_cli_scheduler_option(cluster: Any, photos: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    c, _ = cluster
    assert main(["upscale", str(photos), "-m", "bicubic", "-o", str(tmp_path / "o"), "--outscale", "2",
                 "--scheduler", c.scheduler_address, "--no-progress"]) == 0
    assert "7 written" in capsys.readouterr().out


def test_evaluate_on_cluster_equals_in_process(cluster: Any, photos: Path) -> None:
    import pandas as pd

    from upscalekit.batch import evaluate_models

    c, _ = cluster
    kw = {"metrics": ["psnr", "ssim"], "progress": False, "n_boot": 200}
    local = evaluate_models([photos], ["compact-x4-l1"], **kw)
    dask = evaluate_models([photos], ["compact-x4-l1"], scheduler=c.scheduler_address, **kw)
    cols = ["image", "model", "psnr", "ssim"]
    pd.testing.assert_frame_equal(local.table[cols], dask.table[cols])
    pd.testing.assert_frame_equal(local.summary, dask.summary)
