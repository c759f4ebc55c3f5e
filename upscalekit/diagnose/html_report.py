"""A one-page, self-contained HTML report of a diagnosis (images inline as base64 PNG)."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from upscalekit.diagnose.report import Report

__all__ = ["to_html", "write_html"]

_STATUS_COLOUR = {"flagged": "#b00020", "ok": "#1b5e20", "not judged": "#6d6d6d"}


def _png_data_uri(image: np.ndarray) -> str:
    from upscalekit.io import encode_png

    return "data:image/png;base64," + base64.b64encode(encode_png(image)).decode("ascii")


def _number(x: object) -> str:
    return f"{x:.4g}" if isinstance(x, float) else html.escape(str(x))


def to_html(report: Report, *, lr: np.ndarray | None = None, title: str = "Artifact diagnosis",
            opacity: float = 0.6) -> str:
    """The report as one HTML page: the verdicts, then one panel per finding.

    Each panel shows the SR with the finding's heatmap, its status (flagged,
    ok, not judged), score, threshold, the evidence (the detector's details)
    and its explanation, which ends with the advice.

    Examples
    --------
    >>> import numpy as np
    >>> from upscalekit.diagnose import diagnose
    >>> from upscalekit.resize import resize
    >>> lr = np.random.default_rng(0).random((32, 32, 3)).astype(np.float32)
    >>> page = to_html(diagnose(lr, resize(lr, scale=2), detectors=["haloing"]))
    >>> page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page
    True
    """
    from upscalekit.diagnose.report import basis_line
    from upscalekit.display import overlay_heatmap

    flagged = ", ".join(report.flagged) or "none"
    not_judged = ", ".join(f.name for f in report.findings if not f.judged) or "none"
    head = [
        "<!DOCTYPE html>", "<html><head><meta charset='utf-8'>", f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:1em auto}"
        ".f{display:flex;gap:1em;border-top:1px solid #ccc;padding:.6em 0}"
        ".f img{width:320px;image-rendering:pixelated}td{padding:0 .5em;vertical-align:top}"
        "code{font-size:85%}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{report.sr.shape[1]}×{report.sr.shape[0]} output, ×{report.scale}; "
        f"{html.escape(basis_line(report.has_reference))}.</p>",
        f"<p><b>Flagged:</b> {html.escape(flagged)}<br><b>Not judged</b> (the detector had nothing to "
        f"measure; not the same as no problem): {html.escape(not_judged)}</p>",
    ]
    if lr is not None:
        from upscalekit.resize import resize

        big = resize(lr, size=report.sr.shape[:2], method="nearest")
        head.append(f"<p>input (nearest) and output:<br><img src='{_png_data_uri(big)}' width='320'> "
                    f"<img src='{_png_data_uri(report.sr)}' width='320'></p>")
    body = []
    for f in report.findings:
        colour = _STATUS_COLOUR[f.status]
        thr = "—" if f.threshold is None else f"{f.threshold:.4g}"
        evidence = "".join(
            f"<tr><td><code>{html.escape(str(k))}</code></td><td>{_number(v)}</td></tr>"
            for k, v in f.details.items() if not isinstance(v, (list, dict)) or len(str(v)) < 200
        )
        body.append(
            f"<div class='f'><img alt='{html.escape(f.name)} heatmap' "
            f"src='{_png_data_uri(overlay_heatmap(report.sr, f.heatmap, opacity, vmax=1.0))}'>"
            f"<div><h3 style='color:{colour}'>{html.escape(f.name)}: {f.status}</h3>"
            f"<p>score <b>{f.score:.4g}</b>, threshold {thr}</p>"
            f"<p>{html.escape(f.explanation)}</p>"
            f"<details><summary>evidence</summary><table>{evidence}</table></details></div></div>"
        )
    return "\n".join(head + body + ["</body></html>"])


def write_html(report: Report, path: str | Path, **kwargs: object) -> Path:
    """Write :func:`to_html` to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_html(report, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    return path
