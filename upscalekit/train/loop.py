"""The training loop: seeded, reproducible, with a progress bar and a loss history."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from upscalekit.assets import Provenance
from upscalekit.train.checkpoint import TrainedUpscaler, save_checkpoint
from upscalekit.train.data import PatchSampler
from upscalekit.train.losses import LOSS_PRESETS, LossWeights, PatchDiscriminator, PerceptualLoss
from upscalekit.train.nets import build_model

__all__ = ["TrainConfig", "TrainResult", "train"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (with the seed, it fixes the result).

    Attributes
    ----------
    arch, arch_kwargs
        Network (:data:`upscalekit.train.nets.ARCHS`) and its options.
    loss
        :class:`LossWeights` or a preset name from :data:`LOSS_PRESETS` (``"l1"``, ``"l1+perceptual"``,
        ``"l1+perceptual+gan"``).
    perceptual_layers
        VGG16 layer → weight (default :data:`~upscalekit.train.losses.PERCEPTUAL_LAYERS`).
    steps, batch, patch
        Optimiser steps, patches per step, HR patch side in pixels.
    lr, d_lr
        Adam learning rates of the generator and the discriminator.
    seed
        Seeds the weights (``torch.manual_seed``) and the data order.
    degradation
        ``"bicubic"`` or ``"second_order"``.

    Examples
    --------
    >>> TrainConfig(loss="l1+perceptual").loss.perceptual
    1.0
    """

    arch: str = "compact"
    arch_kwargs: Mapping[str, Any] = field(default_factory=lambda: {"features": 32, "convs": 6})
    scale: int = 4
    loss: LossWeights | str = "l1"
    perceptual_layers: Mapping[str, float] | None = None
    steps: int = 1000
    batch: int = 8
    patch: int = 48
    lr: float = 2e-4
    d_lr: float = 2e-4
    seed: int = 0
    degradation: str = "bicubic"

    def __post_init__(self) -> None:
        if isinstance(self.loss, str):
            if self.loss not in LOSS_PRESETS:
                from upscalekit._checks import unknown_name

                raise unknown_name("loss preset", self.loss, LOSS_PRESETS)
            object.__setattr__(self, "loss", LOSS_PRESETS[self.loss])
        for k in ("steps", "batch", "patch"):
            if int(getattr(self, k)) < 1:
                raise ValueError(f"{k} must be a positive integer, got {getattr(self, k)!r}")

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (recorded in every checkpoint's sidecar)."""
        return asdict(self)


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    upscaler : TrainedUpscaler
        The trained network, ready for ``.upscale(image)``.
    history : dict of str to list of float
        Per step: ``"step"``, ``"total"``, each active term (``"l1"``, ``"perceptual"``, ``"gan"``…,
        unweighted) and ``"d_loss"`` for the discriminator.
    config : TrainConfig
    saved : tuple of Path
        Checkpoints written (snapshots first, the final one last).
    seconds : float
        Wall-clock training time.
    """

    upscaler: TrainedUpscaler
    history: dict[str, list[float]] = field(repr=False)
    config: TrainConfig
    saved: tuple[Path, ...] = ()
    seconds: float = 0.0


def _meta(config: TrainConfig, step: int, history: dict[str, list[float]], command: str | None,
          init: str | None) -> dict[str, Any]:
    last = {k: v[-1] for k, v in history.items() if v and k != "step"}
    return {"arch": config.arch, "arch_kwargs": dict(config.arch_kwargs), "config": config.to_json(),
            "seed": config.seed, "steps": step, "init": init, "command": command, "final_losses": last}


def train(
    config: TrainConfig | None = None,
    *,
    init: str | os.PathLike[str] | TrainedUpscaler | None = None,
    save_to: str | os.PathLike[str] | None = None,
    snapshots: Sequence[int] = (),
    command: str | None = None,
    progress: bool = True,
    threads: int | None = 1,
) -> TrainResult:
    """Train a small upscaler on the kit's photos; same config and seed → bit-identical weights.

    Parameters
    ----------
    config
        The run (default ``TrainConfig()``: Compact net, L1, 1000 steps).
    init
        Start from these weights (a checkpoint path or a :class:`TrainedUpscaler`), as Real-ESRGAN
        starts its GAN from the pixel-loss RealESRNet.
    save_to
        Write the final checkpoint here (``NAME.safetensors`` + ``NAME.json``).
    snapshots
        Steps after which to also save ``NAME-stepNNNNN.safetensors`` (needs ``save_to``).
    command
        The command line to record in the sidecar.
    progress
        Show a tqdm bar.
    threads
        CPU threads for the run (restored afterwards); ``None`` keeps torch's setting. One by default:
        these batches are too small to split well, and on a shared machine two spinning OpenMP threads
        were measured 27× slower than one (1.1 s vs 0.04 s per L1 step, load average 12 on 2 cores).

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> res = train(TrainConfig(steps=3, batch=2, patch=32), progress=False)
    >>> len(res.history["l1"]), res.upscaler.scale
    (3, 4)
    """
    config = config or TrainConfig()
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        return _train(config, init=init, save_to=save_to, snapshots=snapshots, command=command,
                      progress=progress)
    finally:
        torch.set_num_threads(before)


def _train(config: TrainConfig, *, init: str | os.PathLike[str] | TrainedUpscaler | None,
           save_to: str | os.PathLike[str] | None, snapshots: Sequence[int], command: str | None,
           progress: bool) -> TrainResult:
    from tqdm.auto import tqdm

    from upscalekit.io import to_tensor

    w: LossWeights = config.loss  # type: ignore[assignment]
    if snapshots and save_to is None:
        raise ValueError("snapshots= needs save_to= (where to write them)")
    torch.manual_seed(config.seed)
    model = build_model(config.arch, scale=config.scale, **config.arch_kwargs)
    init_name = None
    if init is not None:
        src = init if isinstance(init, TrainedUpscaler) else None
        if src is None:
            from upscalekit.train.checkpoint import load_checkpoint

            src = load_checkpoint(init)
        model.load_state_dict(src.module.state_dict())
        init_name = src.name
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(0.9, 0.99))
    percep = PerceptualLoss(config.perceptual_layers) if w.perceptual else None
    disc = PatchDiscriminator() if w.gan else None
    d_opt = torch.optim.Adam(disc.parameters(), lr=config.d_lr, betas=(0.9, 0.99)) if disc else None
    data = PatchSampler(patch=config.patch, scale=config.scale, degradation=config.degradation,
                        seed=config.seed)

    history: dict[str, list[float]] = {"step": [], "total": []}
    saved: list[Path] = []
    t0 = time.perf_counter()
    bar = tqdm(range(config.steps), disable=not progress, desc=f"train {config.arch}", unit="step")
    for step in bar:
        lr_np, hr_np = data.batch(step, config.batch)
        lr, hr = to_tensor(list(lr_np)), to_tensor(list(hr_np))
        sr = model(lr)
        terms: dict[str, torch.Tensor] = {}
        if w.l1:
            terms["l1"] = F.l1_loss(sr, hr)
        if w.l2:
            terms["l2"] = F.mse_loss(sr, hr)
        if percep is not None:
            terms["perceptual"] = percep(sr, hr)
        if disc is not None:
            fake = disc(sr)
            terms["gan"] = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        total = sum(getattr(w, k) * v for k, v in terms.items())
        opt.zero_grad(set_to_none=True)
        total.backward()  # type: ignore[union-attr]
        opt.step()
        if disc is not None and d_opt is not None:
            # The discriminator learns real HR patches → 1, the generator's (detached) outputs → 0.
            real, fake = disc(hr), disc(sr.detach())
            d_loss = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                      + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
            terms["d_loss"] = d_loss
        history["step"].append(float(step + 1))
        history["total"].append(float(total.detach()))  # type: ignore[union-attr]
        for k, v in terms.items():
            history.setdefault(k, []).append(float(v.detach()))
        bar.set_postfix(loss=f"{history['total'][-1]:.4f}")
        if save_to is not None and step + 1 in snapshots and step + 1 != config.steps:
            p = Path(save_to)
            snap = p.with_name(f"{p.stem}-step{step + 1:05d}.safetensors")
            snap_meta = _meta(config, step + 1, history, command, init_name)
            saved.append(save_checkpoint(model, snap, meta=snap_meta))
    seconds = time.perf_counter() - t0
    meta = _meta(config, config.steps, history, command, init_name)
    meta["seconds"] = round(seconds, 1)
    if save_to is not None:
        saved.append(save_checkpoint(model, save_to, meta=meta))
    name = Path(save_to).stem if save_to is not None else f"{config.arch}-x{config.scale}-trained"
    detail = f"upscalekit.train.train(seed={config.seed}, steps={config.steps})"
    prov = Provenance("trained", str(save_to or ""), detail)
    up = TrainedUpscaler(model, name=name, meta=meta, provenance=prov)
    return TrainResult(up, history, config, tuple(saved), seconds)
