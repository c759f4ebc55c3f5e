"""A/B evaluation at folder scale: images × models (and interpolation baselines) → one tidy table.

Three ways to score, by what a person has:

* ``reference="make-lr"`` (default): the inputs are ground truth. Each is cropped to a multiple of
  ``scale`` and shrunk by the kit's bicubic (:func:`upscalekit.degrade.make_lr`, as
  :mod:`upscalekit.samples` makes its LR); every model upscales that LR back, and full-reference
  metrics (PSNR, SSIM, LPIPS) compare it with the original, next to LR consistency and BRISQUE.
* ``reference=FOLDER``: the inputs are low-resolution and ``FOLDER`` holds their ground truths at
  the same relative paths (any image extension): full-reference metrics against those.
* ``reference=None``: only the inputs exist: no-reference (BRISQUE) and LR-consistency metrics.

Every number comes from :func:`upscalekit.metrics.evaluate`. The summary gives each model's mean
per metric with a percentile bootstrap interval over images, and the paired difference to the
first baseline (the same resampled images for both, so the interval is of the difference itself).
Images are independent tasks, so the same run works on Dask (``workers=``/``scheduler=``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from upscalekit.batch.plan import IMAGE_EXT, find_inputs
from upscalekit.batch.run import Settings, _model

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Evaluation", "bootstrap_mean", "evaluate_image", "evaluate_models", "summarize"]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """What :func:`evaluate_models` produced.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (image, model): ``image``, ``model``, ``kind``, ``seconds``, one column per metric,
        and ``flags`` (diagnosis) when asked. ``attrs["lower_better"]`` gives each metric's direction.
    summary : pandas.DataFrame
        One row per (model, metric): ``n``, ``mean``, ``ci_low``, ``ci_high`` and the paired difference
        to ``baseline`` (``diff_mean``, ``diff_ci_low``, ``diff_ci_high``).
    files : dict
        Paths written: ``"csv"``, ``"parquet"``, ``"summary"`` and ``"sheets"`` (a list).
    errors : dict
        ``{image: "TypeName: message"}`` for images that could not be scored.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    files: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def bootstrap_mean(values: np.ndarray, *, n_boot: int = 2000, confidence: float = 0.95, seed: int = 0,
                   indices: np.ndarray | None = None) -> tuple[float, float, float]:
    """Mean and percentile bootstrap interval of the mean (samples resampled with replacement).

    ``indices`` (``n_boot × n``) reuses one set of resamples, so differences between models are paired.

    Examples
    --------
    >>> m, lo, hi = bootstrap_mean(np.arange(10.0))
    >>> m, lo < m < hi
    (4.5, True)
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    if indices is None:
        indices = np.random.default_rng(seed).integers(0, v.size, size=(int(n_boot), v.size))
    means = v[indices].mean(axis=1)
    tail = (1.0 - confidence) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return float(v.mean()), float(lo), float(hi)


def _find_reference(folder: Path, relative: str) -> Path:
    rel = Path(relative)
    for ext in [rel.suffix, *sorted(IMAGE_EXT)]:
        cand = folder / rel.with_suffix(ext)
        if cand.is_file():
            return cand
    raise FileNotFoundError(f"no ground truth for {relative} in {folder} (looked for "
                            f"{rel.with_suffix('.*')}): reference= needs the same relative paths")


def evaluate_image(path: str, relative: str, models: Sequence[str], *, scale: int = 4,
                   reference: str | None = "make-lr", metrics: Sequence[str] | None = None,
                   diagnose: bool = False, sheet: str | None = None, device: str | None = None,
                   tile: int | str | None = "auto") -> list[dict[str, Any]]:
    """Score every model on one image: one row per model (a Dask task in a cluster run).

    Models load once per process and are reused (:mod:`upscalekit.batch.run`).

    Examples
    --------
    >>> rows = evaluate_image("hr/a.png", "a.png", ["bicubic", "lanczos"])  # doctest: +SKIP
    >>> sorted(rows[0])[:3]  # doctest: +SKIP
    ['brisque', 'image', 'invented_detail']
    """
    import upscalekit.metrics as M
    from upscalekit.degrade import make_lr
    from upscalekit.io import read_image
    from upscalekit.models import upscale_by

    img = read_image(path)
    if reference == "make-lr":
        h, w = img.shape[0] // scale * scale, img.shape[1] // scale * scale
        if h == 0 or w == 0:
            raise ValueError(f"{path}: {img.shape[1]}×{img.shape[0]} is smaller than the scale ×{scale}")
        ref: np.ndarray | None = np.ascontiguousarray(img[:h, :w])
        lr = make_lr(ref, scale)
    elif reference is None:
        ref, lr = None, img
    else:
        ref, lr = read_image(_find_reference(Path(reference), relative)), img
        want = (lr.shape[0] * scale, lr.shape[1] * scale)
        if ref.shape[:2] != want:
            raise ValueError(f"{path}: ground truth is {ref.shape[1]}×{ref.shape[0]}, but ×{scale} of the "
                             f"{lr.shape[1]}×{lr.shape[0]} input is {want[1]}×{want[0]}; check scale=")
    outs: dict[str, np.ndarray] = {}
    rows: list[dict[str, Any]] = []
    for spec in models:
        up = _model(Settings(spec, device=device))
        t0 = time.perf_counter()
        out = upscale_by(up, lr, scale, tile=tile)
        secs = time.perf_counter() - t0
        if up.name in outs:
            raise ValueError(f"two models are both called {up.name!r}; give each once")
        outs[up.name] = out
        rows.append({"image": relative, "model": up.name, "kind": up.kind, "seconds": round(secs, 4),
                     "height": out.shape[0], "width": out.shape[1]})
    df = M.evaluate(ref, outs, lr=lr, metrics=metrics)
    for row, (_, rec) in zip(rows, df.iterrows(), strict=True):
        row.update({k: float(v) for k, v in rec.items() if k != "candidate"})
    if diagnose:
        from upscalekit.diagnose import diagnose as run_diagnose

        for row in rows:
            flagged = run_diagnose(lr, outs[row["model"]], reference=ref).flagged
            row["flags"] = ",".join(flagged)
    if sheet is not None:
        _contact_sheet(Path(sheet), relative, lr, outs, ref, rows, scale)
    return rows


def _contact_sheet(dest: Path, relative: str, lr: np.ndarray, outs: dict[str, np.ndarray],
                   ref: np.ndarray | None, rows: list[dict[str, Any]], scale: int) -> None:
    import tempfile

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):  # notebooks keep inline
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from upscalekit.cli.compare import Panel, compare_grid
    from upscalekit.resize import resize

    size = next(iter(outs.values())).shape[:2]
    panels = [Panel(f"input ({lr.shape[1]}×{lr.shape[0]}, pixels)", resize(lr, size=size, method="nearest"))]
    for row in rows:
        note = "  ".join(f"{k} {row[k]:.3g}" for k in ("psnr", "lpips", "lr_psnr") if k in row)
        panels.append(Panel(row["model"], outs[row["model"]], note))
    if ref is not None:
        panels.append(Panel("ground truth", ref))
    fig = compare_grid(panels, title=f"{relative}: ×{scale}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=dest.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=90)
        os.replace(tmp, dest)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)


def summarize(table: pd.DataFrame, *, baseline: str | None = None, n_boot: int = 2000,
              confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Per model and metric: mean over images with a bootstrap interval, and the paired difference
    ``model − baseline`` (images resampled jointly), from a table of :func:`evaluate_models`.

    Examples
    --------
    >>> summarize(evaluation.table, baseline="bicubic")  # doctest: +SKIP
    """
    import pandas as pd

    lower = dict(table.attrs.get("lower_better", {}))
    metrics = [c for c in table.columns if c in lower]
    images = sorted(table["image"].unique())
    idx = np.random.default_rng(seed).integers(0, len(images), size=(int(n_boot), len(images)))
    wide = {m: table.pivot(index="image", columns="model", values=m).reindex(images) for m in metrics}
    rows = []
    for model in dict.fromkeys(table["model"]):
        for m in metrics:
            v = wide[m][model].to_numpy(np.float64)
            ok = np.isfinite(v)
            mean, lo, hi = bootstrap_mean(v, indices=idx, confidence=confidence) if ok.all() else \
                bootstrap_mean(v[ok], n_boot=n_boot, confidence=confidence, seed=seed)
            row = {"model": model, "metric": m, "lower_better": lower[m], "n": int(ok.sum()),
                   "mean": mean, "ci_low": lo, "ci_high": hi, "baseline": baseline}
            if baseline is not None and baseline in wide[m]:
                d = v - wide[m][baseline].to_numpy(np.float64)
                dm, dlo, dhi = bootstrap_mean(d, indices=idx, confidence=confidence) if np.isfinite(d).all() \
                    else (float("nan"),) * 3
                row.update(diff_mean=dm, diff_ci_low=dlo, diff_ci_high=dhi)
            rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["confidence"] = confidence
    out.attrs["n_boot"] = int(n_boot)
    return out


def _safe_name(relative: str) -> str:
    p = Path(relative)
    return "__".join([*p.parent.parts, f"{p.stem}-{p.suffix[1:]}"]) if p.suffix else "__".join(p.parts)


def evaluate_models(
    inputs: Sequence[str | os.PathLike[str]],
    models: Sequence[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    scale: int = 4,
    reference: str | os.PathLike[str] | None = "make-lr",
    baselines: Sequence[str] = ("bicubic",),
    metrics: Sequence[str] | None = None,
    diagnose: bool = False,
    sheets: bool = True,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    device: str | None = None,
    tile: int | str | None = "auto",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> Evaluation:
    """Images × models (and interpolation baselines) → a tidy metrics table, a summary and contact sheets.

    Parameters
    ----------
    inputs
        Folders (recursive), globs, files or manifests, as for :func:`upscalekit.batch.upscale_batch`.
    models
        Registry names or weight-file paths.
    out_dir
        Where ``metrics.csv``, ``metrics.parquet``, ``summary.csv`` and ``sheets/*.png`` go; ``None``
        writes nothing.
    scale
        Upscaling factor every model is brought to (:func:`upscalekit.models.upscale_by`).
    reference
        ``"make-lr"`` (inputs are ground truth), a folder of ground truths, or ``None`` (no reference).
    baselines
        Interpolation methods scored beside the models; the first is the summary's ``baseline``.
    metrics
        Names from :data:`upscalekit.metrics.METRICS`; default: every default metric the inputs allow.
    diagnose
        Add a ``flags`` column: the artifact detectors of :func:`upscalekit.diagnose.diagnose` that fired.
    sheets
        Write one contact sheet per image (requires ``out_dir``).
    n_boot, confidence, seed
        The bootstrap of the summary.
    workers, scheduler
        Run one task per image on a Dask ``LocalCluster`` or an existing scheduler.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> ev = evaluate_models(["photos/"], ["realesrgan-x4plus"], out_dir="ab")  # doctest: +SKIP
    >>> ev.summary.query("metric == 'psnr'")[["model", "mean", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    import pandas as pd

    import upscalekit.metrics as M

    names = list(dict.fromkeys([*models, *[b for b in baselines if b not in models]]))
    if not names:
        raise ValueError("give at least one model or baseline, e.g. models=['realesrgan-x4plus']")
    ref = reference if reference in (None, "make-lr") else os.fspath(reference)  # type: ignore[arg-type]
    if ref not in (None, "make-lr") and not Path(ref).is_dir():  # type: ignore[arg-type]
        raise FileNotFoundError(f"reference={reference!r} is not a folder of ground truths")
    specs = [Settings(n).model_spec() for n in names]
    for s in specs:  # fail on a bad name before any image is read
        _model(Settings(s, device=device))
    out = Path(out_dir) if out_dir is not None else None
    sources = find_inputs(inputs, exclude=out)
    if not sources:
        raise ValueError(f"no input images found in {[os.fspath(i) for i in inputs]}")
    rels = [s.relative.as_posix() for s in sources]
    if len(set(rels)) != len(rels):  # several roots: name images by their full path instead
        rels = [s.path.as_posix() for s in sources]
    kwargs = dict(scale=scale, reference=ref, metrics=metrics, diagnose=diagnose, device=device, tile=tile)
    sheet_of = {r: (str(out / "sheets" / f"{_safe_name(r)}.png") if out is not None and sheets else None)
                for r in rels}
    results: list[list[dict[str, Any]] | BaseException] = []
    if workers is None and scheduler is None:
        from tqdm.auto import tqdm

        for s, r in tqdm(list(zip(sources, rels, strict=True)), desc="images", disable=not progress):
            try:
                results.append(evaluate_image(str(s.path), r, specs, sheet=sheet_of[r], **kwargs))
            except Exception as err:  # noqa: BLE001 - one bad image is reported, the rest are scored
                results.append(err)
    else:
        from upscalekit.batch.cluster import _need_distributed, dask_client

        distributed = _need_distributed()
        with dask_client(workers=workers, scheduler=scheduler) as client:
            futs = [client.submit(evaluate_image, str(s.path), r, specs, sheet=sheet_of[r], pure=False,
                                  **kwargs) for s, r in zip(sources, rels, strict=True)]
            if progress:
                distributed.progress(futs, notebook=False)
            for f in futs:
                try:
                    results.append(f.result())
                except Exception as err:  # noqa: BLE001
                    results.append(err)
    rows: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for r, res in zip(rels, results, strict=True):
        if isinstance(res, BaseException):
            errors[r] = f"{type(res).__name__}: {res}"
        else:
            rows += res
    if not rows:
        raise ValueError(f"no image could be scored: {errors}")
    table = pd.DataFrame(rows)
    cols = [c for c in M.METRICS if c in table.columns]
    table.attrs["lower_better"] = {c: M.METRICS[c].lower_better for c in cols}
    table.attrs["scale"] = scale
    table.attrs["reference"] = str(ref)
    base = next((b for b in baselines if b in set(table["model"])), None)
    summary = summarize(table, baseline=base, n_boot=n_boot, confidence=confidence, seed=seed)
    files: dict[str, Any] = {}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        files["csv"] = _atomic_df(table, out / "metrics.csv", "csv")
        files["parquet"] = _atomic_df(table, out / "metrics.parquet", "parquet")
        files["summary"] = _atomic_df(summary, out / "summary.csv", "csv")
        files["sheets"] = [Path(p) for p in sheet_of.values() if p is not None and Path(p).is_file()]
    return Evaluation(table, summary, files, errors)


def _atomic_df(df: pd.DataFrame, dest: Path, fmt: str) -> Path:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    try:
        if fmt == "csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)  # pandas keeps attrs (metric directions) in the file's metadata
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest
