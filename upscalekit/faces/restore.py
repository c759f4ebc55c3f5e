"""Face restoration: detect → align → restore → blend by fidelity → paste back over an upscaled background.

Restorers are loaded through spandrel (GFPGAN v1.3/v1.4 = GFPGANv1Clean, RestoreFormer). Their
weights ship in no registry package: offline the kit says so, with the official URL and where to
put the file. Any callable ``aligned_face -> restored_face`` works as a restorer too (``"identity"``
is built in), so every mechanism here can be shown and tested without the real weights.

Two deliberate differences from the official GFPGAN pipeline:

* **Fidelity.** GFPGANv1Clean accepts a ``weight`` argument and ignores it. Here ``fidelity`` blends
  the restored face with the unrestored one in aligned space: 0 keeps the background pipeline's face,
  1 the restorer's.
* **Determinism.** StyleGAN2 decoders add fresh Gaussian noise on every call (``randomize_noise=True``
  in the official call), so the same frame restores differently twice: a flicker source in video.
  We call GFPGAN with ``randomize_noise=False``: it uses the fixed noise maps stored in the weights.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from upscalekit._checks import check_image, unknown_name
from upscalekit.assets import WeightSpec, resolve
from upscalekit.faces.align import AlignedFace, align_face, color_match, face_mask, paste_back
from upscalekit.faces.detect import Face, detect_faces
from upscalekit.models.registry import get_info

__all__ = [
    "FACE_MODELS",
    "FaceRestorer",
    "RestoredFace",
    "compose_faces",
    "load_face_restorer",
    "pipeline_orders",
    "prepare_faces",
    "restore_faces",
]

#: Known face restorers and their official weight files (no registry package ships them).
FACE_MODELS: dict[str, WeightSpec] = {
    name: get_info(name).weights for name in ("gfpgan-v1.3", "gfpgan-v1.4", "restoreformer")
}
# CodeFormer lives in spandrel_extra_arches (non-commercial licence), which the kit does not install.
_UNSUPPORTED = {
    "codeformer": "CodeFormer is not in spandrel's core architectures (it is in the separate, "
    "non-commercially licensed spandrel_extra_arches package, which upscalekit does not install). "
    "Weights: https://github.com/sczhou/CodeFormer/releases/download/v0.1.0/codeformer.pth",
}


class _Upscaler(Protocol):
    def upscale(self, image: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class FaceRestorer:
    """A face restorer: call it on an aligned RGB face (float32, [0, 1]) to get the restored face.

    Attributes
    ----------
    name
        ``"gfpgan-v1.4"``, ``"identity"``, ...
    provenance
        Where the weights came from (a :class:`~upscalekit.assets.Provenance`), or a note.
    size
        The aligned face size the model expects.
    """

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    provenance: Any = None
    size: int = 512

    def __call__(self, face: np.ndarray) -> np.ndarray:
        face = check_image(face, "face")
        out = np.asarray(self.fn(face), dtype=np.float32)
        if out.shape != face.shape:
            raise ValueError(f"restorer {self.name!r} returned shape {out.shape} for input {face.shape}")
        return np.clip(out, 0, 1)


def _pick_device(device: str | None) -> str:
    if device is not None:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _spandrel_restorer(name: str, path: str, provenance: Any, device: str | None) -> FaceRestorer:
    import spandrel
    import torch

    from upscalekit.assets import load_state_dict
    from upscalekit.io import from_tensor, to_tensor

    sd = load_state_dict(path)
    try:
        desc = spandrel.ModelLoader().load_from_state_dict(sd)
    except Exception as err:  # unsupported layout: say what the file is and what we expected
        raise ValueError(f"{path}: spandrel could not load it as a face restorer ({err})") from err
    arch = desc.architecture.id
    if arch not in ("GFPGAN", "RestoreFormer"):
        raise ValueError(
            f"{path} holds a {arch} model ({desc.purpose}), not a face restorer; "
            "expected GFPGAN v1.3/v1.4 or RestoreFormer weights"
        )
    dev = _pick_device(device)
    desc.to(dev).eval()
    net = desc.model

    def run(face: np.ndarray) -> np.ndarray:
        x = to_tensor(face, device=dev, dtype=torch.float32)
        with torch.inference_mode():
            if arch == "GFPGAN":
                # trained on [-1, 1]; fixed stored noise maps instead of per-call noise (determinism)
                y = net(x * 2 - 1, return_rgb=False, randomize_noise=False)[0]
                y = (y + 1) / 2
            else:
                y = desc(x)  # spandrel normalises RestoreFormer's input and output itself
        return from_tensor(y.float().cpu())  # type: ignore[return-value]

    return FaceRestorer(name, run, provenance, 512)


def load_face_restorer(
    model: str | FaceRestorer | Callable[[np.ndarray], np.ndarray] = "gfpgan-v1.4",
    *,
    weights: str | os.PathLike[str] | None = None,
    device: str | None = None,
) -> FaceRestorer:
    """Load a face restorer by name, from a weight file, or wrap a callable.

    Parameters
    ----------
    model
        ``"gfpgan-v1.3"``, ``"gfpgan-v1.4"``, ``"restoreformer"``, ``"identity"`` (returns its input:
        for checking the mechanics), a :class:`FaceRestorer`, or any callable aligned face → face.
    weights
        Explicit weight file (else ``$UPSCALEKIT_WEIGHTS_DIR``, the cache, then the official URL).
    device
        Torch device; default CUDA when available, else CPU.

    Raises
    ------
    FileNotFoundError
        Weights absent offline: the message names the official URL and where to put the file.
    KeyError
        Unknown name (with close matches).

    Examples
    --------
    >>> load_face_restorer("identity").name
    'identity'
    """
    if isinstance(model, FaceRestorer):
        return model
    if callable(model):
        return FaceRestorer(getattr(model, "__name__", "custom"), model, "user callable")
    if model == "identity":
        return FaceRestorer("identity", lambda face: face.copy(), "no weights: returns the aligned face")
    if model in _UNSUPPORTED:
        raise ValueError(f"{model}: {_UNSUPPORTED[model]}")
    if model not in FACE_MODELS:
        raise unknown_name("face restorer", model, [*FACE_MODELS, "identity", *_UNSUPPORTED])
    spec = FACE_MODELS[model]
    try:
        prov = resolve(spec, path=weights)
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"{model}: no registry package ships {spec.filename}, so the kit cannot fetch it offline. "
            f"Download {spec.url} and pass weights='/path/to/{spec.filename}', or put it in "
            f"$UPSCALEKIT_WEIGHTS_DIR.\n{err}"
        ) from None
    return _spandrel_restorer(model, prov.path, prov, device)


@dataclass(frozen=True, eq=False)
class RestoredFace:
    """One face through the restorer, everything needed to re-blend it at any fidelity.

    Attributes
    ----------
    face
        Detection in the *output* image's pixels.
    restored
        Restorer output (aligned square).
    reference
        The background's own face, aligned the same way: what fidelity 0 keeps.
    matrix
        2×3 map from output pixels to aligned pixels.
    mask
        Aligned-space feathered paste mask.
    """

    face: Face
    restored: np.ndarray
    reference: np.ndarray
    matrix: np.ndarray
    mask: np.ndarray


def _background(image: np.ndarray, upscaler: _Upscaler | None, scale: float) -> np.ndarray:
    if upscaler is not None:
        return check_image(upscaler.upscale(image), "upscaler output")
    if scale == 1:
        return image.copy()
    from upscalekit.resize import resize

    return resize(image, scale=scale, method="bicubic")


def prepare_faces(
    image: np.ndarray,
    model: str | FaceRestorer | Callable[[np.ndarray], np.ndarray] = "gfpgan-v1.4",
    *,
    weights: str | os.PathLike[str] | None = None,
    upscaler: _Upscaler | None = None,
    scale: float = 1.0,
    threshold: float = 0.5,
    faces: list[Face] | None = None,
    background: np.ndarray | None = None,
) -> tuple[np.ndarray, list[RestoredFace]]:
    """Upscale the background and run the restorer on every face (the expensive half).

    The restorer sees the face aligned from the *input* (as in the official pipeline: it must not be
    fed the upscaler's invented detail); the blend reference is the same face aligned from the
    upscaled background. Re-blend at any fidelity with :func:`compose_faces`, without re-running.
    Faces are detected on the larger of the two (tiny faces are found more reliably there).

    Parameters
    ----------
    faces
        Detections on ``image`` (skip detection).
    background
        An already upscaled image to paste into (skips ``upscaler``; reuse one expensive upscale for
        several restorers or fidelity settings).

    Returns
    -------
    background, faces
        The upscaled background and one :class:`RestoredFace` per detection.

    Examples
    --------
    >>> bg, faces = prepare_faces(image, "identity")  # doctest: +SKIP
    """
    image = check_image(image)
    restorer = load_face_restorer(model, weights=weights)
    bg = _background(image, upscaler, scale) if background is None else check_image(background, "background")
    s = bg.shape[0] / image.shape[0]
    if abs(bg.shape[1] / image.shape[1] - s) > 0.02 * s:
        raise ValueError(f"background {bg.shape[:2]} is not a uniform upscale of the image {image.shape[:2]}")
    if faces is not None:
        found = faces
    elif s > 1:
        found = [f.scaled(1 / s) for f in detect_faces(bg, threshold=threshold)]
    else:
        found = detect_faces(image, threshold=threshold)
    mask = face_mask(restorer.size)
    out = []
    for f in found:
        src: AlignedFace = align_face(image, f, restorer.size)
        f_out = f.scaled(s)
        ref = align_face(bg, f_out, restorer.size)
        out.append(RestoredFace(f_out, restorer(src.image), ref.image, ref.matrix, mask))
    return bg, out


def compose_faces(
    background: np.ndarray, faces: list[RestoredFace], *, fidelity: float = 1.0, color: bool = True
) -> np.ndarray:
    """Blend each restored face with the background's face by ``fidelity`` and paste it back.

    Parameters
    ----------
    fidelity
        0 returns ``background`` unchanged; 1 keeps the restorer's face entirely.
    color
        Match the blended face's per-channel mean/std to the background's face inside the mask.

    Examples
    --------
    >>> out = compose_faces(bg, faces, fidelity=0.5)  # doctest: +SKIP
    """
    if not 0.0 <= fidelity <= 1.0:
        raise ValueError(f"fidelity must be in [0, 1] (0 = unrestored, 1 = fully restored), got {fidelity}")
    out = check_image(background, "background").copy()
    if fidelity == 0:
        return out
    for rf in faces:
        blended = fidelity * rf.restored + (1.0 - fidelity) * rf.reference
        if color:
            blended = color_match(blended, rf.reference, rf.mask)
        out = paste_back(out, blended, rf.matrix, mask=rf.mask)
    return out


def restore_faces(
    image: np.ndarray,
    *,
    model: str | FaceRestorer | Callable[[np.ndarray], np.ndarray] = "gfpgan-v1.4",
    weights: str | os.PathLike[str] | None = None,
    fidelity: float = 1.0,
    upscaler: _Upscaler | None = None,
    scale: float = 1.0,
    threshold: float = 0.5,
    color: bool = True,
) -> np.ndarray:
    """Detect, align, restore and paste back every face; background by ``upscaler`` or bicubic.

    Parameters
    ----------
    image
        HWC float32 RGB in [0, 1].
    model, weights
        See :func:`load_face_restorer`.
    fidelity
        Blend of restored vs unrestored face in aligned space (our real dial; GFPGAN's own ``weight``
        argument is ignored by the network).
    upscaler
        Anything with ``.upscale(image)`` (e.g. ``upscalekit.models.load_model("realesrgan-x4plus")``);
        the output scale follows its output. Without one, the background is bicubic at ``scale``.
    threshold
        Face detection score threshold.

    Examples
    --------
    >>> out = restore_faces(image, model="identity", scale=2)  # doctest: +SKIP
    >>> out.shape[:2] == (2 * image.shape[0], 2 * image.shape[1])  # doctest: +SKIP
    True
    """
    bg, faces = prepare_faces(
        image, model, weights=weights, upscaler=upscaler, scale=scale, threshold=threshold
    )
    return compose_faces(bg, faces, fidelity=fidelity, color=color)


class _AtScale:
    """An upscaler run at a fixed output factor through its ``outscale=`` option."""

    def __init__(self, upscaler: Any, factor: float) -> None:
        self.upscaler, self.factor = upscaler, factor

    def upscale(self, image: np.ndarray) -> np.ndarray:
        return self.upscaler.upscale(image, outscale=self.factor)


def pipeline_orders(
    image: np.ndarray,
    *,
    model: str | FaceRestorer | Callable[[np.ndarray], np.ndarray],
    upscaler: Any = None,
    upscaler_x2: _Upscaler | None = None,
    upscaler_x4: _Upscaler | None = None,
    weights: str | os.PathLike[str] | None = None,
    fidelity: float = 1.0,
) -> dict[str, np.ndarray]:
    """The pipeline-order experiment: restore faces at the 2× intermediate, or after a direct 4×.

    Parameters
    ----------
    upscaler
        One model run at ``outscale=2`` and ``outscale=4`` (e.g. ``load_model("realesrgan-x4plus")``);
        or give ``upscaler_x2`` and ``upscaler_x4`` (anything with ``.upscale(image)``).

    Returns
    -------
    dict
        ``"2x-restore-2x"``: ×2, restore, ×2 again; ``"4x-restore"``: ×4 then restore. Same size.

    Examples
    --------
    >>> up = load_model("realesrgan-x4plus")  # doctest: +SKIP
    >>> out = pipeline_orders(lr, model="identity", upscaler=up)  # doctest: +SKIP
    """
    if upscaler is not None:
        upscaler_x2, upscaler_x4 = _AtScale(upscaler, 2), _AtScale(upscaler, 4)
    if upscaler_x2 is None or upscaler_x4 is None:
        raise ValueError("give upscaler= (one model with outscale=) or both upscaler_x2= and upscaler_x4=")
    restorer = load_face_restorer(model, weights=weights)
    mid = restore_faces(upscaler_x2.upscale(image), model=restorer, fidelity=fidelity)
    a = check_image(upscaler_x2.upscale(mid), "upscaler output")
    b = restore_faces(upscaler_x4.upscale(image), model=restorer, fidelity=fidelity)
    if a.shape != b.shape:
        raise ValueError(f"2×·2× gave {a.shape} but 4× gave {b.shape}: the upscalers' scales do not match")
    return {"2x-restore-2x": a, "4x-restore": b}
