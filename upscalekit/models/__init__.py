"""Pretrained upscalers and interpolation baselines behind one API.

>>> from upscalekit.models import load_model, list_models
>>> load_model("bicubic").scale
4

Importing this package loads no torch; models load on :func:`load_model`.
"""

from upscalekit.models.loader import interpolate_weights, load_model
from upscalekit.models.memo import cached_run, memoize_runs
from upscalekit.models.registry import ModelInfo, get_info, list_models
from upscalekit.models.strength import apply_strength, blend_residual
from upscalekit.models.upscaler import Upscaler, upscale_by

__all__ = [
    "ModelInfo", "Upscaler", "apply_strength", "blend_residual", "cached_run", "get_info",
    "interpolate_weights", "list_models", "load_model", "memoize_runs", "upscale_by",
]
