"""Batch throughput: images/s in one process vs a 2-worker Dask LocalCluster, side by side in one run.

    python benchmarks/bench_batch.py [--model compact-x4-l1] [--images 16] [--size 96] [--workers 2]

Both arms upscale the same images into fresh folders (nothing skipped) with the same settings. The
cluster arm is timed twice: with its start-up (worker processes, imports, one model load per
worker) and warm (the workers already hold the model), which is what a long batch sees. The
machine's load (``uptime``) is printed because a shared machine's spare cores decide the ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="compact-x4-l1", help="model name, path or trained checkpoint")
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--size", type=int, default=96, help="input side in pixels")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from upscalekit import samples
    from upscalekit.batch import upscale_batch
    from upscalekit.batch.cluster import dask_client
    from upscalekit.batch.run import Settings, _model
    from upscalekit.io import write_image

    print(f"cpu cores: {os.cpu_count()}; before: {_uptime()}")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        names = samples.names()
        s = args.size
        for i in range(args.images):
            hr = samples.load(names[i % len(names)]).hr
            y, x = (i * 37) % max(1, hr.shape[0] - s), (i * 53) % max(1, hr.shape[1] - s)
            write_image(src / f"{i:03d}.png", hr[y:y + s, x:x + s])
        kw = {"model": args.model, "tile": None, "progress": False}
        _model(Settings(args.model, tile=None))  # load once here: the in-process arm is timed warm too

        t0 = time.perf_counter()
        local = upscale_batch([src], Path(tmp) / "local", **kw)
        t_local = time.perf_counter() - t0
        assert local.counts["done"] == args.images, local.failed

        t0 = time.perf_counter()
        with dask_client(workers=args.workers) as client:
            settings = Settings(args.model, tile=None)
            client.run(_model, settings)  # each worker loads the model once
            t_start = time.perf_counter() - t0
            t1 = time.perf_counter()
            dask = upscale_batch([src], Path(tmp) / "dask", scheduler=client.scheduler.address, **kw)
            t_warm = time.perf_counter() - t1
        t_cold = time.perf_counter() - t0
        assert dask.counts["done"] == args.images, dask.failed
        a = {p.name: p.read_bytes() for p in (Path(tmp) / "local").rglob("*.png")}
        b = {p.name: p.read_bytes() for p in (Path(tmp) / "dask").rglob("*.png")}

    n = args.images
    print(f"{n} images {s}×{s} → ×4 with {args.model} (tile=None)")
    print(f"  in-process          : {n / t_local:6.2f} images/s ({t_local:.1f} s)")
    print(f"  {args.workers}-worker cluster, warm: {n / t_warm:6.2f} images/s ({t_warm:.1f} s)   "
          f"ratio cluster/in-process = {t_local / t_warm:.2f}")
    print(f"  {args.workers}-worker cluster, cold: {n / t_cold:6.2f} images/s ({t_cold:.1f} s, of which "
          f"start-up {t_start:.1f} s)   ratio = {t_local / t_cold:.2f}")
    print(f"  outputs byte-identical: {a == b}")
    print(f"after: {_uptime()}")


if __name__ == "__main__":
    main()
