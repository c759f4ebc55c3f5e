"""Train tiny upscalers on a CPU and watch the loss decide what they invent.

The same small network trained with a pixel loss (L1), with L1 + a perceptual (VGG feature) loss, and
with L1 + perceptual + an adversarial loss gets three personalities: soft and safe (best PSNR), sharper
(better LPIPS), and crisp with invented texture (most :func:`~upscalekit.metrics.invented_detail`).

- :mod:`~upscalekit.train.nets`: :class:`SRCNN`, :class:`CompactSR`, the kit's bicubic as a layer;
- :mod:`~upscalekit.train.data`: seeded patches from the kit's photos, held-out evaluation photos;
- :mod:`~upscalekit.train.losses`: L1/L2, perceptual, patch discriminator, Real-ESRGAN-style weights;
- :mod:`~upscalekit.train.loop`: :func:`train` (tqdm bar, loss history, snapshots);
- :mod:`~upscalekit.train.checkpoint`: safetensors + JSON sidecar, :class:`TrainedUpscaler`;
- :mod:`~upscalekit.train.compare`: tables, plots and the training-steps slider for the notebook.

Command line (the committed checkpoints' commands are in their JSON sidecars)::

    python -m upscalekit.train --loss l1 --steps 1000 --seed 0 --out runs/l1.safetensors

Importing this package loads no torch; the submodules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ARCHS": "nets", "BicubicUp": "nets", "CompactSR": "nets", "SRCNN": "nets", "build_model": "nets",
    "count_params": "nets",
    "DEGRADATIONS": "data", "EXCLUDED": "data", "HELD_OUT": "data", "TRAIN_SAMPLES": "data",
    "PatchSampler": "data", "held_out_crops": "data",
    "LOSS_PRESETS": "losses", "PERCEPTUAL_LAYERS": "losses", "LossWeights": "losses",
    "PatchDiscriminator": "losses", "PerceptualLoss": "losses",
    "TrainConfig": "loop", "TrainResult": "loop", "train": "loop",
    "CHECKPOINT_DIR": "checkpoint", "TrainedUpscaler": "checkpoint", "checkpoint_names": "checkpoint",
    "is_checkpoint": "checkpoint", "load_checkpoint": "checkpoint", "load_trained": "checkpoint",
    "save_checkpoint": "checkpoint",
    "StepSlider": "compare", "StepView": "compare", "diagnosis_table": "compare",
    "personality_table": "compare", "plot_detail_maps": "compare", "plot_history": "compare",
    "plot_perception_distortion": "compare", "step_views": "compare", "summarize": "compare",
    "upscale_all": "compare",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    # PEP 562: torch-backed submodules import on first attribute access, not with the package.
    if name in _WHERE:
        return getattr(importlib.import_module(f"upscalekit.train.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'upscalekit.train' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
