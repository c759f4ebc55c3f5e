"""Throughput and peak memory of each model: ours vs the official RealESRGANer on the same weights.

Run::

    UPSCALEKIT_CACHE_DIR=... python benchmarks/bench_models.py [--size 64] [--device cuda]
        [--models realesr-animevideov3-x4,realesrgan-x4plus] [--tiles none,40] [--overlap 8] [--repeat 2]

Every configuration (model × tile × precision × arm) runs in a fresh worker process, ours and
official interleaved, so one arm's allocations cannot hide the other's. A worker loads the model,
runs one warm-up call and ``repeat`` timed calls, and reports input megapixels per second and
peak memory above the loaded-model baseline (CUDA: ``max_memory_allocated``; CPU: the resident
set size sampled every 2 ms during the warm-up call, after ``malloc_trim``). The table prints
ours and official side by side with the ratio ours/official. A second block upscales images of
growing size with a fixed tile to show whether peak memory stays flat.

Ours tiles with ``--overlap`` pixels of context and a raised-cosine blend; the official arm tiles
with ``tile_pad = --overlap`` and abutting tiles: the same context per tile. The official arm
appears only when the ``official`` extra is installed
(``pip install --no-deps realesrgan==0.3.0 basicsr==1.4.2``).

Runs on the CPU here; with a CUDA device it also times fp16 (both arms) and bf16 (ours). No GPU
was lent to the session that wrote this script, so only CPU numbers exist so far; they were taken
on a 2-core machine shared with other jobs: read the ratios, not the absolute speeds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np


def _photo(side: int) -> np.ndarray:
    from skimage import data

    photo = data.astronaut().astype(np.float32) / 255.0
    reps = -(-side // 512)
    photo = np.tile(photo, (reps, reps, 1))  # sizes beyond 512 px: tile the photo
    return np.ascontiguousarray(photo[:side, :side])


def _worker(cfg: dict[str, Any]) -> dict[str, Any]:
    import gc

    import torch

    device, arm = cfg["device"], cfg["arm"]
    if arm == "ours":
        from upscalekit.models import load_model

        model = load_model(cfg["model"], device=device, precision=cfg["precision"])
    else:
        from upscalekit.models.official import load_official

        model = load_official(cfg["model"], device=device, half=cfg["precision"] == "fp16")
    img = _photo(cfg["size"])
    cuda = device.startswith("cuda")

    def run() -> None:
        model.upscale(img, tile=cfg["tile"], tile_overlap=cfg["overlap"], progress=False)

    gc.collect()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        run()  # warm-up (also sets the memory peak)
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - base
    else:
        # Hand memory freed while loading back to the OS, then sample the resident set during one call:
        # ru_maxrss would remember the loading peak instead.
        import ctypes

        import psutil

        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except OSError:  # not glibc
            pass
        proc = psutil.Process()
        base = proc.memory_info().rss
        top = [base]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                top[0] = max(top[0], proc.memory_info().rss)
                time.sleep(0.002)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        run()  # warm-up (also sets the memory peak)
        done.set()
        th.join()
        peak = max(top[0], proc.memory_info().rss) - base
    t = time.perf_counter()
    for _ in range(cfg["repeat"]):
        run()
    if cuda:
        torch.cuda.synchronize()
    dt = (time.perf_counter() - t) / cfg["repeat"]
    return {"mpix_per_s": cfg["size"] ** 2 / dt / 1e6, "peak_mb": peak / 2**20, "seconds": dt}


def _spawn(cfg: dict[str, Any]) -> dict[str, Any] | None:
    proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(cfg)], capture_output=True,
                          text=True, env=os.environ.copy())
    if proc.returncode != 0:
        print(f"  worker failed for {cfg}: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(m: dict[str, Any] | None) -> str:
    return f"{m['mpix_per_s']:8.4f} MP/s {m['peak_mb']:8.1f} MB" if m else f"{'—':>25s}"


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if a is None or b is None:
        return ""
    mem = f"{a['peak_mb'] / b['peak_mb']:5.2f}" if b["peak_mb"] > 0.5 else "  n/a"
    return f"speed ×{a['mpix_per_s'] / b['mpix_per_s']:5.2f}  memory ×{mem}"


def main() -> None:
    import torch

    from upscalekit.models import official as off

    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--size", type=int, default=64, help="input side in pixels")
    ap.add_argument("--models", default="realesr-animevideov3-x4,realesrgan-x4plus")
    ap.add_argument("--tiles", default="none,40", help="comma-separated tile sizes ('none' = untiled)")
    ap.add_argument("--overlap", type=int, default=8,
                    help="tile overlap (ours) = tile_pad (official), so both tile with the same context")
    ap.add_argument("--device", default=None)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--memory-sizes", default="64,128,256", help="input sides for the memory-vs-size block")
    args = ap.parse_args()

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    precisions = ["fp32"] + (["fp16", "bf16"] if device.startswith("cuda") else [])
    tiles: list[int | None] = [None if t.strip() == "none" else int(t) for t in args.tiles.split(",")]
    has_official = off.available()
    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") else "none"
    print(f"# bench_models: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device {device} (GPU: {gpu}), input {args.size}×{args.size}, "
          f"overlap/tile_pad {args.overlap}, official arm: {'yes' if has_official else 'not installed'}")
    print(f"{'model':26s} {'tile':>5s} {'prec':>5s} | {'ours':>25s} | {'official':>25s} | ours/official")
    for name in args.models.split(","):
        for prec in precisions:
            for tile in tiles:
                cfg = {"model": name, "device": device, "precision": prec, "tile": tile,
                       "overlap": args.overlap,
                       "size": args.size, "repeat": args.repeat}
                ours = _spawn({**cfg, "arm": "ours"})
                theirs = _spawn({**cfg, "arm": "official"}) if has_official and prec != "bf16" else None
                print(f"{name:26s} {str(tile or '-'):>5s} {prec:>5s} | {_fmt(ours)} | {_fmt(theirs)} | "
                      f"{_ratio(ours, theirs)}", flush=True)
    name = args.models.split(",")[0]
    tile = min((t for t in tiles if t), default=64)
    scale = 4  # the default models are ×4
    print(f"\n# peak memory vs image size, {name}, tile {tile}, overlap {args.overlap}. The ×{scale} result "
          "itself must exist: 'output' is its float32 size, and flat means peak − output stays level")
    print(f"{'input':>11s} {'output':>9s} | {'ours tiled':>25s} {'− output':>9s} | {'official tiled':>25s} "
          f"{'− output':>9s} | {'ours untiled':>25s}")
    for side in (int(s) for s in args.memory_sizes.split(",")):
        cfg = {"model": name, "device": device, "precision": "fp32", "overlap": args.overlap, "size": side,
               "repeat": 1, "arm": "ours"}
        out_mb = 3 * (scale * side) ** 2 * 4 / 2**20
        tiled, untiled = _spawn({**cfg, "tile": tile}), _spawn({**cfg, "tile": None})
        theirs = _spawn({**cfg, "tile": tile, "arm": "official"}) if has_official else None

        def rest(m: dict[str, Any] | None, out_mb: float = out_mb) -> str:
            return f"{m['peak_mb'] - out_mb:6.1f} MB" if m else f"{'—':>9s}"

        print(f"{side:5d}×{side:<5d} {out_mb:6.1f} MB | {_fmt(tiled)} {rest(tiled)} | {_fmt(theirs)} "
              f"{rest(theirs)} | {_fmt(untiled)}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(_worker(json.loads(sys.argv[2]))))
    else:
        main()
