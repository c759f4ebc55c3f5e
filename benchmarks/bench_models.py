"""Throughput and peak memory of each model: ours vs the official RealESRGANer on the same weights.

Run::

    UPSCALEKIT_CACHE_DIR=... python benchmarks/bench_models.py [--size 48] [--device cuda]
        [--models realesr-animevideov3-x4,realesrgan-x4plus] [--tiles none,40] [--overlap 8] [--repeat 2]

For every model × tile size × precision it times ``upscale`` (first call excluded) and reports
input megapixels per second and peak memory (CUDA: ``max_memory_allocated``; CPU: peak resident
set size above the baseline, sampled every 5 ms), ours and official side by side with the ratio
ours/official. A second block upscales a small and a 2× larger image with a fixed tile to show
whether peak memory stays flat as the image grows. The official arm appears only when the
``official`` extra is installed (``pip install --no-deps realesrgan==0.3.0 basicsr==1.4.2``).

Runs on the CPU here; with a CUDA device it also times fp16/bf16. The numbers in the models
report were taken on a shared 2-core CPU machine (no GPU was lent to that session): treat the
ratios, not the absolute speeds, as the result.
"""

from __future__ import annotations

import argparse
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Measure:
    mpix_per_s: float
    peak_mb: float


class _PeakRSS:
    """Peak resident memory above the starting point, sampled in a thread."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self._stop = threading.Event()
        self.base = self._proc.memory_info().rss
        self.peak = self.base

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> _PeakRSS:
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def _measure(fn: Callable[[], Any], pixels: int, device: str, repeat: int) -> Measure:
    import gc

    import torch

    fn()  # warm-up: first-call allocations, cuDNN autotuning
    gc.collect()
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    with _PeakRSS() as rss:
        t = time.perf_counter()
        for _ in range(repeat):
            fn()
        if cuda:
            torch.cuda.synchronize()
        dt = (time.perf_counter() - t) / repeat
    peak = (torch.cuda.max_memory_allocated() - base) if cuda else (rss.peak - rss.base)
    return Measure(pixels / dt / 1e6, peak / 2**20)


def _fmt(m: Measure | None) -> str:
    return f"{m.mpix_per_s:8.4f} MP/s {m.peak_mb:8.1f} MB" if m else f"{'—':>25s}"


def _ratio(a: Measure, b: Measure | None) -> str:
    if b is None:
        return ""
    return f"speed ×{a.mpix_per_s / b.mpix_per_s:5.2f}  memory ×{a.peak_mb / max(b.peak_mb, 1e-3):5.2f}"


def main() -> None:
    import torch

    from upscalekit.models import load_model
    from upscalekit.models import official as off

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=48, help="input side in pixels")
    ap.add_argument("--models", default="realesr-animevideov3-x4,realesrgan-x4plus")
    ap.add_argument("--tiles", default="none,40", help="comma-separated tile sizes ('none' = untiled)")
    ap.add_argument("--overlap", type=int, default=8,
                    help="tile overlap (ours) = tile_pad (official), so both tile with the same context")
    ap.add_argument("--device", default=None)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    precisions = ["fp32"] + (["fp16", "bf16"] if device.startswith("cuda") else [])
    tiles: list[int | None] = [None if t.strip() == "none" else int(t) for t in args.tiles.split(",")]
    has_official = off.available()
    from skimage import data

    photo = data.astronaut().astype(np.float32) / 255.0
    img = np.ascontiguousarray(photo[100:100 + args.size, 150:150 + args.size])
    pixels = img.shape[0] * img.shape[1]
    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") else "none"
    print(f"# bench_models: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device {device} (GPU: {gpu}), input {args.size}×{args.size}, "
          f"official arm: {'yes' if has_official else 'not installed'}")
    print(f"{'model':26s} {'tile':>5s} {'prec':>5s} | {'ours':>25s} | {'official':>25s} | ours/official")
    for name in args.models.split(","):
        for prec in precisions:
            ours = load_model(name, device=device, precision=prec)
            theirs = (off.load_official(name, device=device, half=prec == "fp16")
                      if has_official and prec in ("fp32", "fp16") else None)
            for tile in tiles:
                # official tiles abut with tile_pad; ours blend with the default overlap
                def run(o: Any, t: int | None = tile) -> Any:
                    return o.upscale(img, tile=t, tile_overlap=args.overlap)

                m_ours = _measure(lambda o=ours: run(o), pixels, device, args.repeat)
                m_off = _measure(lambda o=theirs: run(o), pixels, device, args.repeat) if theirs else None
                print(f"{name:26s} {str(tile or '-'):>5s} {prec:>5s} | {_fmt(m_ours)} | {_fmt(m_off)} | "
                      f"{_ratio(m_ours, m_off)}", flush=True)
            del ours, theirs
    # memory as the image grows, fixed tile: flat means tiling bounds memory
    name = args.models.split(",")[0]
    ours = load_model(name, device=device)
    tile = min(t for t in tiles if t) if any(tiles) else 32
    print(f"\n# peak memory vs image size, {name}, tile {tile}")
    for side in (args.size, 2 * args.size):
        im = np.ascontiguousarray(photo[60:60 + side, 120:120 + side])
        tiled = _measure(lambda i=im: ours.upscale(i, tile=tile, tile_overlap=args.overlap), side * side,
                         device, 1)
        untiled = _measure(lambda i=im: ours.upscale(i, tile=None), side * side, device, 1)
        print(f"{side:4d}×{side:<4d} tiled {_fmt(tiled)} | untiled {_fmt(untiled)}", flush=True)


if __name__ == "__main__":
    main()
