"""The official Real-ESRGAN pipeline (``realesrgan.RealESRGANer``) as an A/B arm on the same weights.

Needs the ``official`` extra::

    pip install --no-deps realesrgan==0.3.0 basicsr==1.4.2

(``--no-deps``: importing them needs only what the kit already installs; their declared
dependencies would pull opencv-python with GUI libraries, tb-nightly, lmdb and more.)

basicsr 1.4.2 imports ``torchvision.transforms.functional_tensor``, which torchvision 0.17
removed. :func:`import_realesrgan` registers a small stand-in module under that name before
importing basicsr, re-exporting ``rgb_to_grayscale`` from ``torchvision.transforms.functional``
(the one name basicsr uses). Nothing in site-packages is touched.

The official arm runs ``RealESRGANer.enhance`` itself (16-bit BGR in and out, as its own
command line does with 16-bit files) with our converted weights loaded into basicsr's own
``RRDBNet``/``SRVGGNetCompact``: any difference from :func:`~upscalekit.models.load_model` is a
difference of pipeline, not of weights.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

import numpy as np

from upscalekit.assets import Provenance
from upscalekit.models.upscaler import Upscaler

__all__ = ["INSTALL", "OfficialUpscaler", "available", "import_realesrgan", "load_official"]

#: How to install the official arm.
INSTALL = "pip install --no-deps realesrgan==0.3.0 basicsr==1.4.2"

_SHIM = "torchvision.transforms.functional_tensor"


def _install_shim() -> None:
    try:
        importlib.import_module(_SHIM)
        return  # an old torchvision still has it
    except ImportError:
        pass
    from torchvision.transforms import functional as tvf

    shim = types.ModuleType(_SHIM)
    shim.__doc__ = "upscalekit stand-in for the module torchvision 0.17 removed (basicsr 1.4.2 imports it)."
    shim.rgb_to_grayscale = tvf.rgb_to_grayscale  # type: ignore[attr-defined]
    sys.modules[_SHIM] = shim


def available() -> bool:
    """Whether the ``official`` extra is installed (checked without importing it).

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    from importlib.util import find_spec

    return find_spec("realesrgan") is not None and find_spec("basicsr") is not None


def import_realesrgan() -> types.ModuleType:
    """Import the ``realesrgan`` package, with the torchvision shim basicsr 1.4.2 needs.

    Raises
    ------
    ImportError
        The extra is not installed; the message gives the install line.

    Examples
    --------
    >>> realesrgan = import_realesrgan()  # doctest: +SKIP
    >>> realesrgan.RealESRGANer  # doctest: +SKIP
    <class 'realesrgan.utils.RealESRGANer'>
    """
    if not available():
        raise ImportError(f"the official Real-ESRGAN arm needs the 'official' extra: {INSTALL}")
    _install_shim()
    return importlib.import_module("realesrgan")


def _basicsr_net(sd: dict[str, Any], arch: str) -> Any:
    if arch == "ESRGAN":
        from basicsr.archs.rrdbnet_arch import RRDBNet

        n_blocks = len({k.split(".")[1] for k in sd if k.startswith("body.")})
        in_ch = sd["conv_first.weight"].shape[1]
        scale = {3: 4, 12: 2, 48: 1}[in_ch]  # RRDBNet pixel-unshuffles ×2/×1 inputs
        return RRDBNet(num_in_ch=3, num_out_ch=3, num_feat=sd["conv_first.weight"].shape[0],
                       num_block=n_blocks, num_grow_ch=sd["body.0.rdb1.conv1.weight"].shape[0], scale=scale)
    if arch == "Compact":
        from realesrgan.archs.srvgg_arch import SRVGGNetCompact

        idx = sorted({int(k.split(".")[1]) for k in sd})
        last = sd[f"body.{idx[-1]}.weight"]
        num_feat = sd["body.0.weight"].shape[0]
        scale = int(round((last.shape[0] / 3) ** 0.5))
        return SRVGGNetCompact(num_in_ch=3, num_out_ch=3, num_feat=num_feat, num_conv=(len(idx) - 3) // 2,
                               upscale=scale, act_type="prelu")
    raise ValueError(f"the official arm supports ESRGAN (RRDBNet) and Compact weights, not {arch!r}")


class OfficialUpscaler(Upscaler):
    """``RealESRGANer`` behind the :class:`Upscaler` API (same channel handling and strength blend).

    ``tile`` maps to RealESRGANer's ``tile`` (``None``/``"auto"``: 0, untiled) and
    ``tile_overlap`` to its ``tile_pad`` (no blending: the official tiles abut).
    """

    __slots__ = ("_runner", "_net_scale")

    def __init__(self, name: str, runner: Any, provenance: Provenance, *, scale: int, net_scale: int,
                 device: str, precision: str) -> None:
        super().__init__(name, scale, provenance, device=device, precision=precision, kind="sr")
        self._runner = runner
        self._net_scale = net_scale

    runner = property(lambda self: self._runner, doc="The realesrgan.RealESRGANer instance.")

    @property
    def default_overlap(self) -> int:
        return 10  # RealESRGANer's default tile_pad

    def _upscale_rgb(self, rgb: np.ndarray, *, tile: int | str | None, tile_overlap: int,
                     progress: bool | None) -> np.ndarray:
        from upscalekit.io import to_float, to_uint

        r = self._runner
        r.tile_size = 0 if tile in (None, "auto") else int(tile)  # type: ignore[arg-type]
        r.tile_pad = int(tile_overlap)
        # Foreign API boundary: RealESRGANer.enhance takes OpenCV-style BGR integers; 16-bit keeps
        # the quantisation (≤ 7.6e-6) far below any difference worth measuring.
        bgr16 = np.ascontiguousarray(to_uint(rgb, 16)[..., ::-1])
        if int(bgr16.max()) <= 256:  # enhance() guesses 8-bit from the maximum; a near-black frame
            bgr16[0, 0, 0] = 257  # would be misread, so nudge one pixel above its threshold
        with contextlib.redirect_stdout(io.StringIO()):  # enhance() prints "Input is a 16-bit image"
            out, _ = r.enhance(bgr16, outscale=None if self.scale == self._net_scale else self.scale)
        return to_float(np.ascontiguousarray(out[..., ::-1]))


def load_official(
    name_or_path: str | os.PathLike[str],
    *,
    device: str | None = None,
    half: bool | None = None,
    pre_pad: int = 0,
) -> OfficialUpscaler:
    """Build the official ``RealESRGANer`` on the weights :func:`load_model` would use.

    Parameters
    ----------
    name_or_path
        A registry name or weight path, as for :func:`~upscalekit.models.load_model`.
    device
        Default CUDA when available.
    half
        fp16 (default: on CUDA only, as RealESRGANer's own default is unsafe on a CPU).
    pre_pad
        RealESRGANer's reflect pre-padding (its command line uses 0).

    Examples
    --------
    >>> official = load_official("realesrgan-x4plus")  # doctest: +SKIP
    >>> official.upscale(image).shape  # doctest: +SKIP
    """
    import torch

    from upscalekit.models.loader import load_model

    realesrgan = import_realesrgan()
    ours = load_model(name_or_path, device="cpu", precision="fp32")
    if ours.kind == "interpolation":
        raise ValueError(f"{ours.name} is an interpolation baseline; the official arm runs networks only")
    arch = ours.descriptor.architecture.id  # type: ignore[attr-defined]
    # The source state dict (basicsr key names); spandrel renames RRDBNet keys to the old ESRGAN layout.
    if ours.info is not None:
        from upscalekit.models.loader import model_state_dict

        sd = model_state_dict(ours.info, progress=False)[0]
    else:
        from upscalekit.models.loader import _path_state_dict

        sd = _path_state_dict(Path(os.fspath(name_or_path)).expanduser())[0]
    net = _basicsr_net(sd, arch)
    dev = torch.device(device) if device else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    use_half = (dev.type == "cuda") if half is None else bool(half)
    net_scale = int(ours.descriptor.scale)  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="upscalekit-official-") as tmp:
        path = Path(tmp) / "weights.pth"
        torch.save({"params_ema": sd}, path)
        runner = realesrgan.RealESRGANer(scale=net_scale, model_path=str(path), model=net, tile=0,
                                         tile_pad=10, pre_pad=pre_pad, half=use_half, device=dev)
    prov = Provenance(ours.provenance.source, ours.provenance.path,
                      f"realesrgan.RealESRGANer on {ours.provenance.detail}", ours.provenance.tried)
    return OfficialUpscaler(f"official:{ours.name}", runner, prov, scale=ours.scale, net_scale=net_scale,
                            device=str(dev), precision="fp16" if use_half else "fp32")
