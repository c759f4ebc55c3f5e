"""``upscalekit models``: list the models and where their weights come from."""

from __future__ import annotations

import argparse
from typing import Any


def _cmd_models(args: argparse.Namespace) -> int:
    from upscalekit.models import get_info, list_models

    for name in list_models():
        info = get_info(name)
        where = "built in" if info.kind == "interpolation" else ("offline" if info.ncnn else "download")
        desc = info.description if args.verbose else ""
        print(f"{name:26s} ×{info.scale}  {info.kind:13s} {where:9s} {desc}".rstrip())
    return 0


def register(sub: Any) -> None:
    """Add the ``models`` subcommand to the parser's subparsers."""
    m = sub.add_parser("models", help="list the models")
    m.add_argument("-v", "--verbose", action="store_true", help="with descriptions")
    m.set_defaults(func=_cmd_models)
