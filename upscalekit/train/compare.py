"""Compare loss personalities: metric tables, diagnosis flags, plots and a training-steps slider.

Everything takes upscalers by name (``{"bicubic": load_model("bicubic"), "L1": load_trained(...)}``)
and evaluation crops (:func:`upscalekit.train.data.held_out_crops`), so the notebook stays a list of
calls. Nothing here imports torch at module level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from upscalekit.metrics import evaluate, invented_detail
from upscalekit.widgets.base import Widget

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

    from upscalekit.samples import Sample

__all__ = ["StepSlider", "StepView", "diagnosis_table", "personality_table", "plot_detail_maps",
           "plot_history", "plot_perception_distortion", "step_views", "summarize", "upscale_all"]


def upscale_all(models: Mapping[str, Any], crop: Sample) -> dict[str, np.ndarray]:
    """``{name: model.upscale(crop.lr)}`` for every model (anything with ``.upscale``).

    Every output comes at the crop's own scale: a model made for another factor (a ×4 network
    on ×2 crops) runs at its scale and is then resized, as Real-ESRGAN's ``--outscale`` does.
    """
    f = crop.hr.shape[0] / crop.lr.shape[0]
    return {name: m.upscale(crop.lr) if getattr(m, "scale", f) == f else m.upscale(crop.lr, outscale=f)
            for name, m in models.items()}


def personality_table(models: Mapping[str, Any], crops: Sequence[Sample]) -> pd.DataFrame:
    """One row per (sample, model): PSNR, SSIM, LPIPS, LR consistency, invented detail.

    Examples
    --------
    >>> df = personality_table({"bicubic": load_model("bicubic")}, held_out_crops(64))  # doctest: +SKIP
    >>> list(df.columns[:3])  # doctest: +SKIP
    ['sample', 'candidate', 'psnr']
    """
    import pandas as pd

    frames = []
    for crop in crops:
        df = evaluate(crop.hr, upscale_all(models, crop), lr=crop.lr)
        df.insert(0, "sample", crop.name)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out.attrs = dict(frames[0].attrs)
    return out


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric per model over the samples, models in their original order."""
    order = list(dict.fromkeys(table["candidate"]))
    out = table.drop(columns="sample").groupby("candidate", sort=False).mean().loc[order]
    out.attrs = dict(table.attrs)
    return out


def diagnosis_table(models: Mapping[str, Any], crops: Sequence[Sample],
                    detectors: Sequence[str] = ("haloing", "false_regularity", "over_smoothing"),
                    ) -> pd.DataFrame:
    """Artifact scores and flags (:func:`upscalekit.diagnose.diagnose`) per sample and model.

    Scores and flags are the calibrated verdicts, measured against the input; ``<detector>_vs_reference``
    columns hold the detectors' uncalibrated readings against the crop's ground truth, where they have one.
    """
    import pandas as pd

    from upscalekit.diagnose import diagnose

    rows = []
    for crop in crops:
        for name, sr in upscale_all(models, crop).items():
            rep = diagnose(crop.lr, sr, reference=crop.hr, detectors=list(detectors))
            row: dict[str, Any] = {"sample": crop.name, "candidate": name}
            for f in rep.findings:
                row[f.name] = round(f.score, 4)
                row[f"{f.name}_flag"] = f.flagged
                if "vs_reference" in f.details:
                    row[f"{f.name}_vs_reference"] = round(f.details["vs_reference"]["score"], 4)
            rows.append(row)
    return pd.DataFrame(rows)


def plot_history(history: Mapping[str, Sequence[float]], *, smooth: int = 25, ax: Axes | None = None) -> Axes:
    """Loss curves of :attr:`TrainResult.history` (each term, running mean over ``smooth`` steps, log y)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    steps = np.asarray(history["step"])
    for key, values in history.items():
        if key == "step":
            continue
        v = np.asarray(values, np.float64)
        k = max(1, min(smooth, len(v)))
        mean = np.convolve(v, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1:], mean, label=key)
    ax.set(xlabel="step", ylabel="loss (unweighted)", yscale="log", title="training losses")
    ax.legend(fontsize="small")
    return ax


def plot_perception_distortion(summary: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Blau & Michaeli's trade-off: LPIPS (perceptual distance, x) against PSNR (distortion, y).

    Up is less distortion, left is more perceptually similar; no model reaches the top-left corner.
    Drawn by :func:`upscalekit.figures.perception_distortion_plot`, the x axis reversed so that
    better on both axes is up and to the right.
    """
    import matplotlib.pyplot as plt

    from upscalekit.figures import perception_distortion_plot

    ax = ax or plt.subplots(figsize=(5.5, 4))[1]
    points = {str(name): (float(row["lpips"]), float(row["psnr"])) for name, row in summary.iterrows()}
    return perception_distortion_plot(points, xlabel="LPIPS, AlexNet (axis reversed: more similar →)",
                                      ylabel="PSNR (dB), less distortion ↑", invert_x=True, ax=ax)


def plot_detail_maps(outputs: Mapping[str, np.ndarray], lr: np.ndarray, *, vmax: float | None = None) -> Any:
    """Each output above its :func:`~upscalekit.metrics.invented_detail` map (shared colour scale)."""
    import matplotlib.pyplot as plt

    maps = {k: invented_detail(lr, v, full=True) for k, v in outputs.items()}
    top = vmax or max(float(m.max()) for _, m in maps.values()) or 1.0
    fig, axes = plt.subplots(2, len(outputs), figsize=(2.6 * len(outputs), 5.4), squeeze=False)
    for i, (name, img) in enumerate(outputs.items()):
        score, dmap = maps[name]
        axes[0, i].imshow(img)
        axes[0, i].set_title(name, fontsize="small")
        im = axes[1, i].imshow(dmap, cmap="magma", vmin=0, vmax=top)
        axes[1, i].set_title(f"invented {score:.4f}", fontsize="small")
    for a in axes.flat:
        a.set_axis_off()
    fig.colorbar(im, ax=axes[1, :].tolist(), shrink=0.8, label="RMS detail beyond bicubic")
    return fig


@dataclass(frozen=True, eq=False)
class StepView:
    """One checkpoint's output on one crop, for the training-steps slider."""

    label: str
    sr: np.ndarray
    detail_map: np.ndarray
    invented: float


def step_views(checkpoints: Mapping[str, Any], crop: Sample) -> list[StepView]:
    """The output and invented-detail map of each checkpoint (label → upscaler), in order."""
    views = []
    for label, up in checkpoints.items():
        sr = up.upscale(crop.lr)
        score, dmap = invented_detail(crop.lr, sr, full=True)
        views.append(StepView(label, sr, dmap.astype(np.float32), float(score)))
    return views


class StepSlider(Widget):
    """A slider over training checkpoints: the output and its invented detail at each step.

    The views are computed once (:func:`step_views`); moving the slider only redraws.

    Examples
    --------
    >>> StepSlider({"0": load_trained("compact-x4-l1-pretrain")}, crop)  # doctest: +SKIP
    """

    def __init__(self, checkpoints: Mapping[str, Any], crop: Sample) -> None:
        if not checkpoints:
            raise ValueError("checkpoints is empty: pass {label: upscaler}, e.g. one per training step")
        self.crop = crop
        self.views = step_views(checkpoints, crop)
        self.vmax = max(float(v.detail_map.max()) for v in self.views) or 1.0

    def figure(self, index: int) -> Any:
        """The figure for view ``index``: HR reference, output, invented-detail map."""
        import matplotlib.pyplot as plt

        v = self.views[index]
        fig, ax = plt.subplots(1, 3, figsize=(9, 3.2))
        ax[0].imshow(self.crop.hr)
        ax[0].set_title("ground truth", fontsize="small")
        ax[1].imshow(np.clip(v.sr, 0, 1))
        ax[1].set_title(v.label, fontsize="small")
        ax[2].imshow(v.detail_map, cmap="magma", vmin=0, vmax=self.vmax)
        ax[2].set_title(f"invented detail {v.invented:.4f}", fontsize="small")
        for a in ax:
            a.set_axis_off()
        return fig

    def picture(self) -> np.ndarray:
        """The figure of the step the slider is on, as an image."""
        from upscalekit.widgets.base import figure_to_rgb

        return figure_to_rgb(self.figure(int(self.control.value) if self.control is not None else 0))

    def caption(self) -> str:
        i = int(self.control.value) if self.control is not None else 0
        return f"step {self.views[i].label}: ground truth | output | invented detail"

    def _build(self) -> Any:
        import ipywidgets as widgets

        from upscalekit.io import encode_png
        from upscalekit.widgets.base import image_view

        slider = widgets.SelectionSlider(options=[(v.label, i) for i, v in enumerate(self.views)],
                                         description="step", continuous_update=False)
        self.control = slider
        image = image_view()

        def show(_: Any = None) -> None:
            image.value = encode_png(self.picture())

        slider.observe(show, names="value")
        show()
        return widgets.VBox([slider, image])
