"""``python -m upscalekit.train``: train one upscaler and save it as a checkpoint."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, train, save; returns the exit status."""
    from upscalekit.train.loop import TrainConfig, train
    from upscalekit.train.losses import LOSS_PRESETS, LossWeights

    ap = argparse.ArgumentParser(prog="python -m upscalekit.train", description=__doc__)
    ap.add_argument("--arch", default="compact", choices=["compact", "srcnn"])
    ap.add_argument("--features", type=int, default=32, help="compact: channels (default 32)")
    ap.add_argument("--convs", type=int, default=6, help="compact: hidden 3×3 convs (default 6)")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--loss", default="l1", choices=sorted(LOSS_PRESETS), help="preset loss weights")
    for term in ("l1", "l2", "perceptual", "gan"):
        ap.add_argument(f"--w-{term}", type=float, default=None, help=f"override the {term} weight")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--patch", type=int, default=48, help="HR patch side (pixels)")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--d-lr", type=float, default=2e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--degradation", default="bicubic", choices=["bicubic", "second_order"])
    ap.add_argument("--init", default=None, help="start from this checkpoint (.safetensors)")
    ap.add_argument("--out", required=True, help="checkpoint to write (NAME.safetensors + NAME.json)")
    ap.add_argument("--snapshots", default="",
                    help="also save at these fractions of the steps, e.g. 0.25,0.5")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)

    weights = vars(LOSS_PRESETS[args.loss]).copy()
    weights.update({t: getattr(args, f"w_{t}") for t in weights if getattr(args, f"w_{t}") is not None})
    kwargs = {"features": args.features, "convs": args.convs} if args.arch == "compact" else {}
    config = TrainConfig(arch=args.arch, arch_kwargs=kwargs, scale=args.scale, loss=LossWeights(**weights),
                         steps=args.steps, batch=args.batch, patch=args.patch, lr=args.lr, d_lr=args.d_lr,
                         seed=args.seed, degradation=args.degradation)
    snaps = sorted({round(float(f) * args.steps) for f in args.snapshots.split(",") if f.strip()})
    command = "python -m upscalekit.train " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    res = train(config, init=args.init, save_to=args.out, snapshots=snaps, command=command,
                progress=not args.no_progress)
    last = {k: round(v[-1], 5) for k, v in res.history.items() if k != "step"}
    print(f"trained {args.steps} steps in {res.seconds:.0f} s; last losses {last}")
    print("wrote " + ", ".join(str(p) for p in res.saved))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
