"""upscalekit: see how AI upscalers predict detail, where they invent it, and what it costs.

This module only re-exports the public API; importing it loads no model and no torch.
"""

from upscalekit import degrade, samples
from upscalekit.io import (
    from_tensor,
    jpeg_roundtrip,
    read_image,
    to_float,
    to_tensor,
    to_uint,
    write_image,
)
from upscalekit.resize import resize
from upscalekit.samples import Sample
from upscalekit.samples import load as load_sample

__all__ = [
    "Sample",
    "degrade",
    "from_tensor",
    "jpeg_roundtrip",
    "load_sample",
    "read_image",
    "resize",
    "samples",
    "to_float",
    "to_tensor",
    "to_uint",
    "write_image",
]
__version__ = "0.1.0"
