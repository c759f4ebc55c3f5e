"""Run several detectors at once and present the result: table, overlays, files."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from upscalekit._checks import check_image, unknown_name
from upscalekit.diagnose import detectors as _detectors  # noqa: F401 - registers the detectors
from upscalekit.diagnose._common import prepare
from upscalekit.diagnose.findings import DETECTORS, Finding
from upscalekit.display import overlay_heatmap

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["DETECTORS", "Report", "diagnose"]


def basis_line(has_reference: bool) -> str:
    """What the verdicts were measured against, in words (for every presentation of a report).

    Examples
    --------
    >>> basis_line(False)
    'verdicts measured against the bicubic interpolation of the input (no ground truth given)'
    """
    if not has_reference:
        return "verdicts measured against the bicubic interpolation of the input (no ground truth given)"
    return ("verdicts measured against the bicubic interpolation of the input, as calibrated; the ground "
            "truth only adds readings for information (details['vs_reference']), never the verdict")


@dataclass(frozen=True, eq=False)
class Report:
    """The findings of :func:`diagnose` for one SR image.

    Renders as a table in Jupyter; :meth:`plot` overlays the heatmaps on the SR,
    :meth:`save` writes PNG overlays and a JSON summary.

    Attributes
    ----------
    findings : tuple of Finding
        One per detector run, in the order asked.
    sr : numpy.ndarray
        The diagnosed SR image (kept for the overlays).
    scale : int
        SR side / LR side.
    has_reference : bool
        Whether a ground-truth reference was given. Verdicts never depend on it: they are
        measured against the input; a reference adds readings to some findings' details.
    """

    findings: tuple[Finding, ...]
    sr: np.ndarray = field(repr=False)
    scale: int
    has_reference: bool

    def __getitem__(self, name: str) -> Finding:
        for f in self.findings:
            if f.name == name:
                return f
        raise unknown_name("finding", name, [f.name for f in self.findings])

    @property
    def flagged(self) -> tuple[str, ...]:
        """Names of the detectors that flagged an artifact."""
        return tuple(f.name for f in self.findings if f.flagged)

    def to_dict(self) -> dict:
        """JSON-able summary (no heatmaps)."""
        return {
            "scale": self.scale,
            "sr_shape": list(self.sr.shape),
            "has_reference": self.has_reference,
            "flagged": list(self.flagged),
            "findings": [
                {"name": f.name, "status": f.status, "score": f.score, "threshold": f.threshold,
                 "flagged": f.flagged, "judged": f.judged, "explanation": f.explanation, "details": f.details}
                for f in self.findings
            ],
        }

    def table(self) -> pd.DataFrame:
        """The findings as a DataFrame (name, score, flagged, explanation)."""
        import pandas as pd

        return pd.DataFrame(
            [{"detector": f.name, "status": f.status, "score": f.score, "threshold": f.threshold,
              "flagged": f.flagged, "explanation": f.explanation} for f in self.findings]
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(f.name)}</td><td style='text-align:right'>{f.score:.4g}</td>"
            f"<td>{'⚠️ flagged' if f.flagged else html.escape(f.status)}</td><td style='text-align:left'>"
            f"{html.escape(f.explanation)}</td></tr>"
            for f in self.findings
        )
        return (
            f"<p><b>Artifact diagnosis</b> — {self.sr.shape[1]}×{self.sr.shape[0]} SR, ×{self.scale}; "
            f"flagged: {html.escape(', '.join(self.flagged) or 'none')}<br>"
            f"<small>{html.escape(basis_line(self.has_reference))}</small></p>"
            "<table><thead><tr><th>detector</th><th>score</th><th>status</th><th>explanation</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )

    def __str__(self) -> str:
        lines = [basis_line(self.has_reference)]
        lines += [f"{f.name:20s} {f.score:9.4g} {f.status:10s} {f.explanation}" for f in self.findings]
        return "\n".join(lines)

    def plot(self, *, opacity: float = 0.6, names: Iterable[str] | None = None, cols: int = 4,
             size: float = 3.0) -> Figure:
        """Overlay each finding's heatmap on the SR in a grid of panels; returns the figure.

        Examples
        --------
        >>> fig = report.plot(opacity=0.5)  # doctest: +SKIP
        """
        import matplotlib.pyplot as plt

        chosen = [self[n] for n in names] if names is not None else list(self.findings)
        n = max(1, len(chosen))
        cols = min(cols, n)
        rows = -(-n // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows + 0.4), squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        for ax, f in zip(axes.ravel(), chosen, strict=False):
            ax.imshow(overlay_heatmap(self.sr, f.heatmap, opacity, vmax=1.0), interpolation="nearest")
            ax.set_title(f"{'⚠ ' if f.flagged else ''}{f.name}\n"
                         + (f"score {f.score:.3g}" if f.judged else "not judged"), fontsize=9,
                         color="crimson" if f.flagged else "black")
        fig.tight_layout()
        return fig

    def save(self, folder: str | Path, *, opacity: float = 0.6) -> Path:
        """Write ``<detector>.png`` overlays, ``<detector>_heatmap.png`` and ``report.json``.

        Returns the folder.

        Examples
        --------
        >>> report.save("diagnosis/")  # doctest: +SKIP
        """
        from upscalekit.io import write_image

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for f in self.findings:
            write_image(folder / f"{f.name}.png", overlay_heatmap(self.sr, f.heatmap, opacity, vmax=1.0))
            write_image(folder / f"{f.name}_heatmap.png", f.heatmap)
        (folder / "report.json").write_text(json.dumps(self.to_dict(), indent=2, default=_json_default))
        return folder


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON-serializable: {type(obj).__name__}")


def diagnose(
    lr: np.ndarray,
    sr: np.ndarray,
    *,
    reference: np.ndarray | None = None,
    detectors: Iterable[str] | None = None,
    check_pair: bool = True,
) -> Report:
    """Run the artifact detectors on one upscaled image and collect a :class:`Report`.

    Parameters
    ----------
    lr
        The low-resolution input the upscaler saw (HWC float32 RGB in [0, 1], or H×W).
    sr
        The upscaler's output; its size must be the LR's times one integer factor.
    reference
        Optional ground-truth high-resolution image at the SR's size. It never changes a
        verdict (the thresholds are calibrated against the input); detectors that can read the SR
        against it add that reading to ``details["vs_reference"]`` and their explanation.
    detectors
        Names from :data:`DETECTORS` (default: all of them).
    check_pair
        Refuse an SR that does not look like an upscale of this LR (another image, the two files
        swapped, an SR of a differently-cropped input; see :func:`upscalekit.diagnose._common.check_pair`).
        ``False`` skips the check, for deliberate experiments.

    Raises
    ------
    KeyError
        An unknown detector name (close matches are suggested).
    ValueError
        Bad images, an SR size that is not an integer multiple of the LR's, or (with ``check_pair``)
        an SR that does not match the LR; the message gives the measured value.

    Examples
    --------
    >>> import numpy as np
    >>> from upscalekit.resize import resize
    >>> lr = np.random.default_rng(0).random((48, 48, 3)).astype(np.float32)
    >>> diagnose(lr, resize(lr, scale=2), detectors=["haloing"]).flagged
    ()
    """
    names = list(DETECTORS) if detectors is None else list(detectors)
    if isinstance(detectors, str):
        names = [detectors]
    for n in names:
        if n not in DETECTORS:
            raise unknown_name("detector", n, DETECTORS)
    p = prepare(lr, sr, reference, check_pair=check_pair)
    findings = tuple(DETECTORS[n].on_prepared(p) for n in names)
    return Report(findings, check_image(sr, "sr"), p.scale, reference is not None)
