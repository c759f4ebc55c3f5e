"""Trained networks as files and as :class:`~upscalekit.models.Upscaler` objects.

A checkpoint is two files side by side: ``NAME.safetensors`` (the generator's weights, no pickle,
read back through :func:`upscalekit.assets.load_state_dict`, the model zoo's safe path) and
``NAME.json`` (architecture, training configuration, seed, steps, the command that produced it and
the loss at the end), so a reader can rebuild the network and re-run the training.

The kit ships small checkpoints in ``upscalekit/checkpoints/`` (see :func:`checkpoint_names`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from upscalekit._checks import unknown_name
from upscalekit.assets import Provenance
from upscalekit.models.upscaler import Upscaler
from upscalekit.train.nets import build_model, count_params

__all__ = ["CHECKPOINT_DIR", "TrainedUpscaler", "checkpoint_names", "is_checkpoint", "load_checkpoint",
           "load_trained", "save_checkpoint"]

#: Where the kit's committed checkpoints live.
CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
_FORMAT = "upscalekit.train/1"


class TrainedUpscaler(Upscaler):
    """A network trained with :mod:`upscalekit.train`, usable like any other :class:`Upscaler`.

    Attributes
    ----------
    module : torch.nn.Module
        The network (LR NCHW in [0, 1] → HR NCHW).
    meta : dict
        The JSON sidecar: architecture, config, seed, steps, command, final losses.

    Examples
    --------
    >>> up = load_trained("compact-x4-l1")
    >>> up.upscale(np.zeros((16, 16, 3), np.float32)).shape
    (64, 64, 3)
    """

    __slots__ = ("_module", "_meta")

    def __init__(self, module: torch.nn.Module, *, name: str, meta: Mapping[str, Any],
                 provenance: Provenance) -> None:
        super().__init__(name, int(module.scale), provenance, device="cpu", precision="fp32", kind="sr")
        self._module = module.eval()
        self._meta = dict(meta)

    module = property(lambda self: self._module)
    meta = property(lambda self: dict(self._meta))

    def _upscale_rgb(self, rgb: np.ndarray, *, tile: int | str | None, tile_overlap: int,
                     progress: bool | None) -> np.ndarray:
        from upscalekit.io import from_tensor, to_tensor
        from upscalekit.models.tiling import run_tiled

        # These networks are tiny: one pass unless a tile size is asked for explicitly.
        tile_n = None if tile in (None, "auto") else int(tile)  # type: ignore[arg-type]
        with torch.inference_mode():
            y = run_tiled(self._module, to_tensor(rgb), scale=self.scale, tile=tile_n, overlap=tile_overlap,
                          progress=progress)
        return np.asarray(from_tensor(y, clip=False))


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def save_checkpoint(model: torch.nn.Module | TrainedUpscaler, path: str | os.PathLike[str], *,
                    meta: Mapping[str, Any]) -> Path:
    """Write ``path`` (.safetensors) and its ``.json`` sidecar; returns the weights' path.

    ``meta`` must hold ``arch`` and ``arch_kwargs`` (what :func:`load_checkpoint` rebuilds); the
    rest (config, seed, steps, command, losses) is recorded as given.

    Examples
    --------
    >>> save_checkpoint(net, "runs/mine.safetensors", meta=result.meta)  # doctest: +SKIP
    """
    from safetensors.torch import save_file

    module = model.module if isinstance(model, TrainedUpscaler) else model
    for key in ("arch", "arch_kwargs"):
        if key not in meta:
            raise ValueError(f"meta needs {key!r} so the network can be rebuilt; got keys {sorted(meta)}")
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"{path}: checkpoints are .safetensors files (no pickle); use NAME.safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    sd = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in module.state_dict().items()}
    save_file(sd, str(path), metadata={"format": _FORMAT})
    umask = os.umask(0)  # safetensors writes 0600; give the file what a plain open() would
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
    info = {"format": _FORMAT, "scale": int(module.scale), "params": count_params(module), **meta}
    _sidecar(path).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def is_checkpoint(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a ``.safetensors`` file written by :func:`save_checkpoint`.

    Reads only the file's header (its metadata says ``format: upscalekit.train/1``). The kit's
    trained networks start from a bicubic base, so spandrel's Compact (nearest base) would load
    their weights without complaint and upscale them wrongly: :func:`upscalekit.load_model` asks
    this first.

    Examples
    --------
    >>> is_checkpoint(CHECKPOINT_DIR / "compact-x4-l1.safetensors")
    True
    """
    path = Path(path)
    if path.suffix.lower() != ".safetensors" or not path.is_file():
        return False
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception:  # noqa: BLE001 - not a readable safetensors file: not ours; the loader reports it
        return False
    return meta.get("format") == _FORMAT


def load_checkpoint(path: str | os.PathLike[str]) -> TrainedUpscaler:
    """Rebuild a trained network from ``NAME.safetensors`` + ``NAME.json``.

    Examples
    --------
    >>> up = load_checkpoint(CHECKPOINT_DIR / "compact-x4-l1.safetensors")
    >>> up.name, up.scale
    ('compact-x4-l1', 4)
    """
    from upscalekit.assets import load_state_dict

    path = Path(path)
    side = _sidecar(path)
    if not side.is_file():
        raise FileNotFoundError(f"{side}: missing; a trained checkpoint needs its JSON sidecar (architecture "
                                "and config) next to the weights, as save_checkpoint writes it")
    meta = json.loads(side.read_text(encoding="utf-8"))
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{side}: format {meta.get('format')!r}, expected {_FORMAT!r}")
    module = build_model(meta["arch"], scale=meta["scale"], **meta["arch_kwargs"])
    module.load_state_dict(load_state_dict(path), strict=True)
    prov = Provenance("path", str(path), f"upscalekit.train checkpoint: {meta.get('command', '?')}")
    return TrainedUpscaler(module, name=path.stem, meta=meta, provenance=prov)


def checkpoint_names() -> list[str]:
    """Names of the checkpoints shipped in :data:`CHECKPOINT_DIR`.

    Examples
    --------
    >>> "compact-x4-l1" in checkpoint_names()
    True
    """
    return sorted(p.stem for p in CHECKPOINT_DIR.glob("*.safetensors"))


def load_trained(name: str) -> TrainedUpscaler:
    """Load a shipped checkpoint by name (see :func:`checkpoint_names`), or any checkpoint path.

    Examples
    --------
    >>> load_trained("compact-x4-l1-perceptual-gan").meta["config"]["loss"]["gan"]
    1.0
    """
    if Path(name).suffix == ".safetensors":
        return load_checkpoint(name)
    known = checkpoint_names()
    if name not in known:
        raise unknown_name("trained checkpoint", name, known)
    return load_checkpoint(CHECKPOINT_DIR / f"{name}.safetensors")
