"""One GPU check, ready to run when a CUDA device is lent: accuracy, throughput, memory, OOM back-off.

Run (under 5 minutes on one modern GPU; exits cleanly with a message when there is no CUDA device)::

    UPSCALEKIT_CACHE_DIR=... python benchmarks/gpu_check.py [--models ...] [--no-compile] [--frames 3]

What it prints, in order:

1. the GPU's **matmul peak**, measured (8192² GEMM in fp32/TF32, fp16, bf16), the yardstick for every
   "% of peak" below;
2. per model (``realesrgan-x4plus``, ``realesr-animevideov3-x4``, ``waifu2x-photo-x2``):
   **CUDA vs CPU** fp32 agreement on a photo crop (max abs), **fp16 and bf16 vs fp32** on CUDA (PSNR,
   max abs), then **throughput at a 1280×720 input frame**: our ``upscale()`` in fp16, the bare
   network NCHW vs channels-last, with ``cudnn.benchmark``, **batched tiles** (the frame cut into
   four 360×640 tiles run as one batch: the network's speed on a batch, without blending), and
   ``torch.compile`` (small models by default; ``--compile-all`` for RRDBNet); each with GFLOP/s
   (FLOPs from ``NetworkUpscaler.cost``) and % of the matmul peak of its precision; **peak memory**
   of one call; and **ours vs the official RealESRGANer** fp16 on the same weights (when the
   ``official`` extra is installed);
3. an **OOM back-off** run: x4plus on the 720p frame untiled, under
   ``torch.cuda.set_per_process_memory_fraction`` capped to about 1.5 GiB, which must finish by halving
   the tile (its warnings are counted) and match an uncapped tiled run.

Nothing here is a timed test: the numbers are for the closing note of whoever runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

MODELS = ("realesrgan-x4plus", "realesr-animevideov3-x4", "waifu2x-photo-x2")


def _frame(h: int = 720, w: int = 1280) -> np.ndarray:
    from skimage import data

    photo = data.astronaut().astype(np.float32) / 255.0
    return np.ascontiguousarray(np.tile(photo, (-(-h // 512), -(-w // 512), 1))[:h, :w])


def _time(fn: Callable[[], Any], repeat: int) -> float:
    import torch

    fn()  # warm-up (cudnn.benchmark searches here)
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best


def _matmul_peak() -> dict[str, float]:
    import torch

    n = 8192
    out = {}
    for name, dt, tf32 in (("fp32", torch.float32, False), ("tf32", torch.float32, True),
                           ("fp16", torch.float16, False), ("bf16", torch.bfloat16, False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        a = torch.randn(n, n, device="cuda", dtype=dt)
        b = torch.randn(n, n, device="cuda", dtype=dt)
        s = _time(lambda a=a, b=b: a @ b, 5)
        out[name] = 2 * n**3 / s / 1e12
    torch.backends.cuda.matmul.allow_tf32 = False
    return out


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    from upscalekit.metrics import psnr

    return float(psnr(a, b))


def _section(title: str) -> Any:
    print(f"\n## {title}", flush=True)

    @contextlib.contextmanager
    def guard() -> Any:
        try:
            yield
        except Exception as err:  # noqa: BLE001 - one failed check must not hide the others
            print(f"  FAILED: {type(err).__name__}: {err}", flush=True)

    return guard()


def check_model(name: str, frame: np.ndarray, peak: dict[str, float], *, compile_it: bool,
                repeat: int) -> None:
    import torch

    from upscalekit.models import load_model
    from upscalekit.models import official as off

    crop = np.ascontiguousarray(frame[200:264, 300:364])
    with _section(f"{name}: accuracy"):
        cpu = load_model(name, device="cpu", precision="fp32", progress=False)
        g32 = load_model(name, device="cuda", precision="fp32", progress=False)
        a, b = cpu.upscale(crop[:32, :32], tile=None), g32.upscale(crop[:32, :32], tile=None)
        print(f"  CUDA fp32 vs CPU fp32 (32² crop): max abs {np.abs(a - b).max():.2e}")
        ref = g32.upscale(crop, tile=None)
        for prec in ("fp16", "bf16"):
            try:
                low = load_model(name, device="cuda", precision=prec, progress=False)
            except ValueError as err:
                print(f"  {prec}: not supported ({err})")
                continue
            y = low.upscale(crop, tile=None)
            print(f"  CUDA {prec} vs fp32 (64² crop): PSNR {_psnr(ref, y):.1f} dB, "
                  f"max abs {np.abs(ref - y).max():.4f}")
        del cpu, g32
    h, w = frame.shape[:2]
    up = load_model(name, device="cuda", progress=False)  # auto: fp16 where the architecture allows
    gflop = up.cost(h, w).flops / 1e9  # type: ignore[attr-defined]
    pk = peak.get(up.precision, peak["fp16"]) * 1e3

    def show(label: str, s: float, frames: int = 1) -> float:
        rate = gflop * frames / s
        print(f"  {label:44s} {s / frames * 1e3:8.1f} ms/frame {rate:9.0f} GFLOP/s "
              f"{100 * rate / pk:5.1f}% of {up.precision} matmul peak", flush=True)
        return s / frames

    with _section(f"{name}: throughput at {w}×{h} input ({gflop / 1e3:.2f} TFLOP/frame), {up.precision}"):
        torch.backends.cudnn.benchmark = False
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        def untiled() -> Any:
            return up.upscale(frame, tile=None, progress=False)

        ours = show("ours upscale(), untiled, cudnn.benchmark off", _time(untiled, repeat))
        act = up.cost(h, w).activation_bytes / 2**30  # type: ignore[attr-defined]
        print(f"  peak memory of one call: {(torch.cuda.max_memory_allocated() - base) / 2**30:.2f} GiB "
              f"(cost model: {act:.2f} GiB of activations)")
        torch.backends.cudnn.benchmark = True
        show("ours upscale(), untiled, cudnn.benchmark on", _time(untiled, repeat))
        show("ours upscale(), tile=512", _time(lambda: up.upscale(frame, tile=512, progress=False), repeat))
        net = up.descriptor.model  # type: ignore[attr-defined]
        dt = next(net.parameters()).dtype
        x = torch.from_numpy(frame).permute(2, 0, 1)[None].to("cuda", dt)
        with torch.inference_mode():
            show("bare network NCHW", _time(lambda: net(x), repeat))
            net_cl = net.to(memory_format=torch.channels_last)
            x_cl = x.contiguous(memory_format=torch.channels_last)
            show("bare network channels-last", _time(lambda: net_cl(x_cl), repeat))
            quads = [x_cl[..., i * h // 2:(i + 1) * h // 2, j * w // 2:(j + 1) * w // 2]
                     for i in range(2) for j in range(2)]
            tiles = torch.cat(quads).contiguous(memory_format=torch.channels_last)
            show("batched tiles: 4×(360×640) as one batch, CL", _time(lambda: net_cl(tiles), repeat))
            if compile_it:
                t0 = time.perf_counter()
                fast = torch.compile(net_cl, mode="max-autotune-no-cudagraphs")
                fast(x_cl)
                print(f"  torch.compile took {time.perf_counter() - t0:.0f} s")
                show("bare network channels-last, torch.compile", _time(lambda: fast(x_cl), repeat))
            net.to(memory_format=torch.contiguous_format)
        arch = up.descriptor.architecture.id  # type: ignore[attr-defined]
        if off.available() and arch in ("ESRGAN", "Compact"):
            theirs = off.load_official(name, device="cuda", half=True)
            t_off = show("official RealESRGANer fp16, untiled",
                         _time(lambda: theirs.upscale(frame, tile=None), repeat))
            same = np.abs(theirs.upscale(crop, tile=None) - up.upscale(crop, tile=None)).max()
            print(f"  ours/official speed ×{t_off / ours:.2f} (untiled, both fp16); "
                  f"max abs difference on a crop {same:.4f}")
        elif not off.available():
            print(f"  official arm not installed ({off.INSTALL})")


def check_oom_backoff(frame: np.ndarray) -> None:
    import torch

    from upscalekit.models import load_model

    with _section("OOM back-off: realesrgan-x4plus, 720p untiled under a ~1.5 GiB cap"):
        up = load_model("realesrgan-x4plus", device="cuda", progress=False)
        total = torch.cuda.get_device_properties(0).total_memory
        torch.cuda.empty_cache()
        torch.cuda.set_per_process_memory_fraction(min(1.0, 1.5 * 2**30 / total))
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                t = time.perf_counter()
                capped = up.upscale(frame, tile=None, progress=False)
                s = time.perf_counter() - t
            retries = [str(w.message) for w in caught if "out of memory" in str(w.message)]
            print(f"  finished in {s:.1f} s after {len(retries)} back-off(s): "
                  f"{retries[-1:] or 'none needed'}")
        finally:
            torch.cuda.set_per_process_memory_fraction(1.0)
            torch.cuda.empty_cache()
        last = int(retries[-1].rsplit(" ", 1)[-1]) if retries else None
        ref = up.upscale(frame, tile=last, progress=False)
        print(f"  vs the same tile uncapped: max abs {np.abs(capped - ref).max():.2e}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    ap.add_argument("--compile-all", action="store_true", help="torch.compile RRDBNet too (minutes)")
    ap.add_argument("--frames", type=int, default=3, help="timed repeats per configuration (best is kept)")
    args = ap.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device here (torch.cuda.is_available() is False), so nothing was run. "
              "Run this script on a machine with an NVIDIA GPU and a CUDA build of torch.")
        return 0
    props = torch.cuda.get_device_properties(0)
    print(f"# gpu_check: {props.name}, {props.total_memory / 2**30:.0f} GiB, torch {torch.__version__}, "
          f"CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    peak = _matmul_peak()
    print("# matmul peak (8192² GEMM): " + ", ".join(f"{k} {v:.0f} TFLOP/s" for k, v in peak.items()))
    frame = _frame()
    t0 = time.perf_counter()
    for name in args.models.split(","):
        small = not name.startswith("realesrgan-x4plus")
        check_model(name, frame, peak, compile_it=not args.no_compile and (small or args.compile_all),
                    repeat=args.frames)
    check_oom_backoff(frame)
    print(f"\n# gpu_check done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
