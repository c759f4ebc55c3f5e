"""Run batch jobs: one model per process, reused; an idempotent task per file; sidecars; resume.

A job's result is written in two atomic steps: the image (:func:`upscalekit.io.write_image`
writes a temporary file and renames it), then its JSON sidecar, which records the output's sha256.
The sidecar is the completion mark: a rerun skips a job only when the sidecar's settings equal the
requested ones, its input sha256 equals the input's, and the output on disk has the recorded
sha256. A run killed at any point therefore leaves each output either complete and recorded,
complete and unrecorded (redone), or absent; never a truncated file under an output's name.
Running a job twice writes the same bytes to the same name, which is what makes retries of a
lost worker's tasks safe.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from upscalekit.batch.plan import Job

__all__ = ["BatchReport", "JobResult", "Settings", "model_loads", "package_versions", "pixel_settings",
           "run_job", "run_jobs", "sidecar_matches", "upscale_batch"]

#: Bumped when the way pixels are made changes, so older sidecars stop matching.
SIDECAR_VERSION = 1


@dataclass(frozen=True)
class Settings:
    """What a batch asks for: the model and every option of :meth:`Upscaler.upscale`.

    Attributes
    ----------
    model : str
        Registry name (``upscalekit models``), a weight-file path, or one of the kit's trained
        checkpoints (:func:`upscalekit.train.checkpoint_names`, or its ``.safetensors`` path).
    outscale : float or None
        Final factor; default the model's own scale.
    tile, tile_overlap
        As :meth:`Upscaler.upscale` (``"auto"``, a size or ``None``; overlap ``None`` = the model's default).
    strength : float
        Residual blend: 0 bicubic, 1 the model.
    precision : str
        ``"auto"``, ``"fp32"``, ``"fp16"``, ``"bf16"``.
    device : str or None
        ``"cpu"``, ``"cuda"``…; default CUDA when available.
    """

    model: str
    outscale: float | None = None
    tile: int | str | None = "auto"
    tile_overlap: int | None = None
    strength: float = 1.0
    precision: str = "auto"
    device: str | None = None

    def model_spec(self) -> str:
        """The model as a worker loads it: weight-file paths made absolute (workers may run elsewhere)."""
        p = Path(self.model).expanduser()
        return str(p.resolve()) if p.is_file() else self.model


# -- one model per process --------------------------------------------------------------------------
_MODELS: dict[tuple[str, str | None, str, tuple[int, int] | None], Any] = {}
_MODELS_LOCK = threading.Lock()
_LOADS = [0]


def _model(settings: Settings) -> Any:
    """The process's model for these settings, loaded on first use and reused by every later task."""
    spec = settings.model_spec()
    key = (spec, settings.device, settings.precision, _stamp(spec))  # a rewritten weight file loads anew
    with _MODELS_LOCK:
        up = _MODELS.get(key)
        if up is None:
            up = _load(*key[:3])
            _MODELS[key] = up
            _LOADS[0] += 1
        return up


def _stamp(spec: str) -> tuple[int, int] | None:
    try:
        st = os.stat(spec)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _load(spec: str, device: str | None, precision: str) -> Any:
    from upscalekit.models import load_model

    # load_model also routes the kit's own trained checkpoints (by name or path) to their architecture
    return load_model(spec, device=device, precision=precision, progress=False)


def model_loads() -> int:
    """How many times this process has loaded a model (a Dask worker: once per settings it ran).

    Examples
    --------
    >>> model_loads() >= 0
    True
    """
    return _LOADS[0]


def _weights_sha256(up: Any) -> str | None:
    from upscalekit.assets import sha256_of

    path = up.provenance.path
    return sha256_of(path) if path and os.path.isfile(path) else None


_SHA_CACHE: dict[tuple[str, tuple[int, int] | None], str | None] = {}


def pixel_settings(settings: Settings) -> dict[str, Any]:
    """Every setting that changes the output's pixels, resolved (the name and the hash encode these).

    Loads the model (once per process) to learn its name, scale, precision, overlap and weight hash.

    Examples
    --------
    >>> pixel_settings(Settings("bicubic", outscale=2))["scale"]
    2.0
    """
    up = _model(settings)
    key = (settings.model_spec(), _stamp(up.provenance.path) if up.provenance.path else None)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = _weights_sha256(up)
    return {
        "model": up.name,
        "weights_sha256": _SHA_CACHE[key],
        "scale": float(settings.outscale if settings.outscale is not None else up.scale),
        "strength": float(settings.strength),
        "precision": up.precision,
        "tile": settings.tile,
        "tile_overlap": int(up.default_overlap if settings.tile_overlap is None else settings.tile_overlap),
        "version": SIDECAR_VERSION,
    }


def package_versions() -> dict[str, str]:
    """Versions of the packages that make the pixels (for the sidecar)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("upscalekit", "numpy", "torch", "spandrel", "pillow", "opencv-python-headless", "scipy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


@dataclass(frozen=True)
class JobResult:
    """What happened to one job.

    Attributes
    ----------
    job : Job
    status : str
        ``"done"``, ``"skipped"`` (a matching sidecar was there) or ``"failed"``.
    error : str
        ``"TypeName: message"`` when failed, else ``""``.
    seconds : float
        Wall time of the job in the process that ran it.
    worker : str
        Host and process id that ran it.
    """

    job: Job
    status: str
    error: str = ""
    seconds: float = 0.0
    worker: str = ""


@dataclass(frozen=True)
class BatchReport:
    """Results of a batch in job order.

    Examples
    --------
    >>> report = upscale_batch(["photos/"], "out", model="bicubic")  # doctest: +SKIP
    >>> report.counts  # doctest: +SKIP
    {'done': 3, 'skipped': 0, 'failed': 1}
    """

    results: tuple[JobResult, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        """Number of jobs per status."""
        c = {"done": 0, "skipped": 0, "failed": 0}
        for r in self.results:
            c[r.status] += 1
        return c

    @property
    def failed(self) -> tuple[JobResult, ...]:
        """The failed jobs."""
        return tuple(r for r in self.results if r.status == "failed")

    @property
    def ok(self) -> bool:
        """No job failed."""
        return not self.failed


def sidecar_matches(job: Job, settings: Mapping[str, Any], input_sha256: str) -> bool:
    """True when the job's output is complete and was made from this input with these settings.

    Examples
    --------
    >>> sidecar_matches(job, pixel_settings(Settings("bicubic")), sha)  # doctest: +SKIP
    True
    """
    from upscalekit.assets import sha256_of

    try:
        meta = json.loads(Path(job.sidecar).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict) or meta.get("settings") != json.loads(json.dumps(dict(settings))):
        return False
    if meta.get("input", {}).get("sha256") != input_sha256 or not os.path.isfile(job.output):
        return False
    return meta.get("output", {}).get("sha256") == sha256_of(job.output)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_job(job: Job, settings: Settings, *, force: bool = False, progress: bool | None = False) -> JobResult:
    """Upscale one file, or skip it when its sidecar already matches; never raises for a bad file.

    Idempotent: running it again (a retry on another worker) writes the same bytes under the same name.

    Examples
    --------
    >>> job = Job("in/a.png", "a.png", "out/a-png__bicubic_x4_fp32_1234abcd.png")
    >>> run_job(job, Settings("bicubic")).status  # doctest: +SKIP
    'done'
    """
    from upscalekit.assets import _atomic_write_bytes, sha256_of
    from upscalekit.io import read_image, write_image

    t0 = time.perf_counter()
    worker = f"{platform.node()}:{os.getpid()}"
    started = _now()
    try:
        pix = pixel_settings(settings)
        in_sha = sha256_of(job.input) if os.path.isfile(job.input) else ""
        if not force and in_sha and sidecar_matches(job, pix, in_sha):
            return JobResult(job, "skipped", seconds=time.perf_counter() - t0, worker=worker)
        up = _model(settings)
        img, info = read_image(job.input, mode="keep", with_info=True)
        out = up.upscale(img, outscale=settings.outscale, tile=settings.tile,
                         tile_overlap=settings.tile_overlap, strength=settings.strength, progress=progress)
        bit_depth = 16 if info.bit_depth == 16 else 8
        write_image(job.output, out, bit_depth=bit_depth)
        seconds = time.perf_counter() - t0
        prov = up.provenance
        meta = {
            "input": {"path": str(Path(job.input).resolve()), "relative": job.relative, "sha256": in_sha,
                      "shape": list(img.shape), "bit_depth": info.bit_depth, "format": info.format},
            "output": {"path": str(Path(job.output).resolve()), "sha256": sha256_of(job.output),
                       "shape": list(out.shape), "bit_depth": bit_depth},
            "model": {"name": up.name, "requested": settings.model, "kind": up.kind,
                      "weights_sha256": pix["weights_sha256"],
                      "provenance": {"source": prov.source, "path": prov.path, "detail": prov.detail}},
            "settings": pix,
            "requested": {"outscale": settings.outscale, "tile": settings.tile,
                          "tile_overlap": settings.tile_overlap, "strength": settings.strength,
                          "precision": settings.precision, "device": settings.device},
            "scale": pix["scale"], "tile": settings.tile, "overlap": pix["tile_overlap"],
            "strength": pix["strength"], "precision": pix["precision"], "device": up.device,
            "versions": package_versions(),
            "time": {"started": started, "finished": _now(), "seconds": round(seconds, 3)},
            "worker": worker,
        }
        _atomic_write_bytes(Path(job.sidecar), (json.dumps(meta, indent=2) + "\n").encode())
        return JobResult(job, "done", seconds=seconds, worker=worker)
    except Exception as err:  # noqa: BLE001 - a bad file is reported, the batch goes on
        # the kit's errors already name the file and say what to do: show the message, not the class
        return JobResult(job, "failed", error=str(err).strip('"') or type(err).__name__,
                         seconds=time.perf_counter() - t0, worker=worker)


def run_jobs(jobs: Sequence[Job], settings: Settings, *, force: bool = False, progress: bool | str = True,
             on_result: Callable[[JobResult], None] | None = None) -> list[JobResult]:
    """Run jobs one after another in this process, with a tqdm bar over files.

    ``progress``: ``False`` no bars; ``True`` the file bar, and the model's own bar inside files where
    it decides one is worth showing (``progress=None`` of :meth:`Upscaler.upscale`); ``"always"`` both.

    Examples
    --------
    >>> results = run_jobs(jobs, Settings("bicubic"))  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    inner = True if progress == "always" else (None if progress else False)
    results = []
    with tqdm(total=len(jobs), desc="files", unit="file", disable=not progress, file=sys.stderr) as bar:
        for job in jobs:
            r = run_job(job, settings, force=force, progress=inner)
            results.append(r)
            if on_result is not None:
                on_result(r)
            bar.update(1)
    return results


@dataclass(frozen=True)
class _Lock:
    path: Path
    handle: Any


def _lock_output(out_dir: Path) -> _Lock | None:
    # One run writes a folder at a time (the OS drops the lock when the process dies, even on SIGKILL).
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; concurrent runs into one folder are the user's call
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ".upscalekit-batch.lock"
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise RuntimeError(f"{out_dir}: another upscalekit batch is writing into this folder; wait for it "
                           "to finish or choose another --output") from None
    return _Lock(path, handle)


def _remove_partials(out_dir: Path) -> int:
    # Temporary files of a killed process (write_image's ".tmp-*"): never under an output's name, so harmless,
    # but removed while this run holds the folder's lock (no other writer can be using them).
    n = 0
    for p in out_dir.rglob(".tmp-*"):
        if p.is_file():
            p.unlink(missing_ok=True)
            n += 1
    return n


def upscale_batch(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    model: str = "realesrgan-x4plus",
    outscale: float | None = None,
    tile: int | str | None = "auto",
    tile_overlap: int | None = None,
    strength: float = 1.0,
    precision: str = "auto",
    device: str | None = None,
    force: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | str = True,
    on_result: Callable[[JobResult], None] | None = None,
) -> BatchReport:
    """Upscale folders, globs and manifests into a mirrored tree of outputs with JSON sidecars.

    Parameters
    ----------
    inputs
        Folders (recursive), globs, image files, manifests (see :mod:`upscalekit.batch.plan`).
    out_dir
        Root of the output tree.
    model, outscale, tile, tile_overlap, strength, precision, device
        As :func:`upscalekit.models.load_model` and :meth:`Upscaler.upscale`.
    force
        Redo outputs whose sidecar already matches.
    workers
        Run on a new Dask ``LocalCluster`` with this many worker processes.
    scheduler
        Run on an existing Dask scheduler, ``"tcp://HOST:PORT"``.
    progress
        A bar over files (tqdm in process, Dask's bar on a cluster); ``"always"`` also shows the
        model's bar inside every file (in process).
    on_result
        Called with each :class:`JobResult` as it arrives (in-process runs only).

    Returns
    -------
    BatchReport
        One result per input file; a bad file is a ``"failed"`` result, not an exception.

    Raises
    ------
    KeyError, FileNotFoundError, ValueError
        The model cannot be loaded (checked once before any file is read).
    RuntimeError
        Another batch holds the output folder.

    Examples
    --------
    >>> report = upscale_batch(["photos/"], "out", model="bicubic", outscale=2)  # doctest: +SKIP
    >>> report.counts  # doctest: +SKIP
    {'done': 4, 'skipped': 0, 'failed': 0}
    """
    from upscalekit.batch.plan import find_inputs, plan_jobs

    t0 = time.perf_counter()
    if workers is not None and scheduler is not None:
        raise ValueError("give workers= (a new local cluster) or scheduler= (an existing one), not both")
    settings = Settings(model, outscale=outscale, tile=tile, tile_overlap=tile_overlap, strength=strength,
                        precision=precision, device=device)
    pix = pixel_settings(settings)  # loads the model here first: a bad name fails before any file
    out = Path(out_dir)
    jobs = plan_jobs(find_inputs(inputs, exclude=out), out, pix)
    lock = _lock_output(out)
    try:
        _remove_partials(out)
        if workers is None and scheduler is None:
            results = run_jobs(jobs, settings, force=force, progress=progress, on_result=on_result)
        else:
            from upscalekit.batch.cluster import dask_client, run_jobs_dask

            with dask_client(workers=workers, scheduler=scheduler) as client:
                results = run_jobs_dask(jobs, settings, client, force=force, progress=progress)
        _remove_partials(out)  # every task has ended: what is left was a killed worker's half-written file
    finally:
        if lock is not None:
            lock.handle.close()
    return BatchReport(tuple(results), pix, time.perf_counter() - t0)
