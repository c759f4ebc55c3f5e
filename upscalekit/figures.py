"""Figures the kit draws in more than one place (matplotlib, imported lazily).

* :func:`perception_distortion_plot` — one point per method on a distortion axis against a
  perception axis (Blau & Michaeli's trade-off), used by :mod:`upscalekit.train` (LPIPS against
  PSNR) and :mod:`upscalekit.human` (a metric against the share of votes won).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["perception_distortion_plot"]


def perception_distortion_plot(
    points: Mapping[str, tuple[float, float]],
    *,
    xlabel: str,
    ylabel: str,
    yerr: Mapping[str, tuple[float, float]] | None = None,
    invert_x: bool = False,
    ylim: Sequence[float] | None = None,
    hline: float | None = None,
    title: str = "perception–distortion trade-off",
    title_color: str = "black",
    ax: Axes | None = None,
) -> Axes:
    """Scatter one labelled point per method; returns the axes.

    Parameters
    ----------
    points
        Method → ``(x, y)``.
    xlabel, ylabel
        Axis labels (say which way is better).
    yerr
        Method → ``(low, high)`` interval drawn as an error bar around ``y``.
    invert_x
        Reverse the x axis (so "better" points right on a lower-better x).
    ylim, hline
        Optional y limits and a dashed reference line (e.g. 0.5: a coin toss).
    title, title_color
        The title (e.g. a ``SIMULATED`` tag in crimson).
    ax
        Axes to draw into; default a new 5.5 × 4 in figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = perception_distortion_plot({"bicubic": (0.4, 27.0), "GAN": (0.2, 25.0)},
    ...                                 xlabel="LPIPS", ylabel="PSNR (dB)", invert_x=True)
    >>> [t.get_text() for t in ax.texts]
    ['bicubic', 'GAN']
    """
    if not points:
        raise ValueError("points is empty: pass {method: (x, y)}")
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(5.5, 4)).add_subplot()
    names = list(points)
    x = np.array([points[n][0] for n in names], np.float64)
    y = np.array([points[n][1] for n in names], np.float64)
    if yerr is not None:
        lo = np.array([yerr[n][0] for n in names], np.float64)
        hi = np.array([yerr[n][1] for n in names], np.float64)
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o", capsize=4)
    else:
        ax.scatter(x, y, s=40)
    # Names right of the middle (as drawn) are written leftwards, with margins, so no label is cut off.
    mid = (np.nanmin(x) + np.nanmax(x)) / 2
    for xi, yi, name in zip(x, y, names, strict=True):
        right = (xi < mid) if invert_x else (xi > mid)
        ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(-6 if right else 6, 6), fontsize=8,
                    ha="right" if right else "left")
    ax.margins(x=0.15, y=0.12)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if hline is not None:
        ax.axhline(hline, color="0.7", lw=0.8, ls="--")
    if invert_x:
        ax.invert_xaxis()
    ax.set_title(title, color=title_color)
    ax.figure.tight_layout()
    return ax
