"""Frames per second of the video analysis (flow, warping error, smoothing) and of each upscaling arm.

Run: ``UPSCALEKIT_CACHE_DIR=... python benchmarks/bench_video.py [--frames 12] [--lr 48] [--device cuda]``.
Prints one line per stage; timings are wall clock on this machine (first call excluded for models).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable


def _fps(label: str, n: int, fn: Callable[[], object], size: str) -> float:
    t = time.perf_counter()
    fn()
    dt = time.perf_counter() - t
    print(f"{label:<42s} {n / dt:8.2f} frames/s   ({n} frames of {size}, {dt:.2f} s)")
    return n / dt


def main() -> None:
    import torch

    from upscalekit.models import load_model
    from upscalekit.resize import resize
    from upscalekit.video import (
        compute_flows,
        load_basicvsr,
        make_clip,
        temporal_smooth,
        upscale_clip,
        warping_error,
    )

    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--lr", type=int, default=48, help="LR frame side; outputs are x4")
    ap.add_argument("--device", default=None)
    ap.add_argument("--x4plus", action="store_true", help="also time realesrgan-x4plus (slow on CPU)")
    args = ap.parse_args()
    dev = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    gpu = torch.cuda.get_device_name(0) if dev.startswith("cuda") else "none"
    cpu = platform.processor() or platform.machine()
    print(f"device {dev} ({gpu}); torch threads {torch.get_num_threads()}; {cpu}")
    clip = make_clip("astronaut", n_frames=args.frames, lr_size=(args.lr, args.lr), motion="pan")
    n, lr, hr = len(clip), f"{args.lr}²", f"{args.lr * 4}²"
    gan = [resize(f, scale=4) for f in clip.lr]

    for method in ("dis", "farneback"):
        _fps(f"flow {method} fwd+bwd+occlusion (HR)", n - 1,
             lambda m=method: compute_flows(clip.hr, method=m), hr)
    flows = compute_flows(clip.hr)
    _fps("warping error (precomputed flow)", n - 1, lambda: warping_error(gan, flows=flows), hr)
    _fps("temporal smoothing (precomputed flow)", n, lambda: temporal_smooth(gan, flows=flows), hr)

    names = ["bicubic", "realesr-animevideov3-x4"] + (["realesrgan-x4plus"] if args.x4plus else [])
    for name in names:
        model = load_model(name, device=dev) if name != "bicubic" else load_model(name)
        model.upscale(clip.lr[0])  # warm-up (weights, kernels)
        _fps(f"per-frame {name}", n, lambda m=model: upscale_clip(clip.lr, m, progress=False), lr)
    vsr = load_basicvsr("vimeo90k-bi", device=dev)
    vsr.upscale_clip(clip.lr[:2], progress=False)
    _fps("BasicVSR (bidirectional, whole clip)", n, lambda: vsr.upscale_clip(clip.lr, progress=False), lr)
    if dev.startswith("cuda"):
        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
