"""``upscalekit models``: list the models and where their weights come from."""

from __future__ import annotations

import argparse
from typing import Any


def _cmd_models(args: argparse.Namespace) -> int:
    import textwrap

    from upscalekit.models import get_info, list_models
    from upscalekit.models.loader import supported_architectures

    for name in list_models():
        info = get_info(name)
        where = ("built in" if info.kind == "interpolation" or info.checkpoint
                 else ("offline" if info.ncnn else "download"))
        desc = f"{info.use} — {info.description}" if args.verbose else info.use
        print(f"{name:30s} ×{info.scale}  {info.kind:13s} {info.arch or '-':15s} {where:9s} {desc}".rstrip())
    archs = ", ".join(i for i, _ in supported_architectures())  # asked at run time, never hand-typed
    print("\nYour own model file works too (upscalekit upscale -m my-model.pth …): .pth, .pt, .safetensors, "
          ".ckpt or an ncnn .param/.bin pair of any architecture spandrel supports "
          "(the installed spandrel's registry) or the kit's own:")
    print(textwrap.fill(archs, width=100, initial_indent="  ", subsequent_indent="  "))
    return 0


def register(sub: Any) -> None:
    """Add the ``models`` subcommand to the parser's subparsers."""
    m = sub.add_parser("models", help="list the models")
    m.add_argument("-v", "--verbose", action="store_true", help="with descriptions")
    m.set_defaults(func=_cmd_models)
