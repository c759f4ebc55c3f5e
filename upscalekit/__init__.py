"""upscalekit: see how AI upscalers predict detail, where they invent it, and what it costs.

This module only re-exports the public API; importing it loads no model and no torch.
"""

from upscalekit.io import from_tensor, read_image, to_tensor, write_image
from upscalekit.resize import resize

__all__ = ["from_tensor", "read_image", "resize", "to_tensor", "write_image"]
__version__ = "0.1.0"
