"""upscalekit: see how AI upscalers predict detail, where they invent it, and what it costs.

This module only re-exports the public API; importing it loads no model and no torch.
"""

from upscalekit import degrade, diagnose, faces, human, metrics, models, samples, train, video, widgets
from upscalekit.io import (
    from_tensor,
    jpeg_roundtrip,
    read_image,
    to_float,
    to_tensor,
    to_uint,
    write_image,
)
from upscalekit.metrics import evaluate, lpips, psnr, ssim
from upscalekit.models import Upscaler, list_models, load_model
from upscalekit.resize import resize
from upscalekit.samples import Sample
from upscalekit.samples import load as load_sample

__all__ = [
    "Sample",
    "Upscaler",
    "degrade",
    "diagnose",
    "evaluate",
    "faces",
    "from_tensor",
    "human",
    "jpeg_roundtrip",
    "list_models",
    "load_model",
    "load_sample",
    "lpips",
    "metrics",
    "models",
    "psnr",
    "read_image",
    "resize",
    "samples",
    "ssim",
    "to_float",
    "to_tensor",
    "to_uint",
    "train",
    "video",
    "widgets",
    "write_image",
]
__version__ = "0.1.0"
