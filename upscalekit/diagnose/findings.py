"""The record every detector returns, and the registry detectors join with a decorator.

A :class:`Finding` has three states: **flagged** (the score passed the
detector's threshold), **ok** (judged, below it) and **not judged** (the image
gave the detector nothing to measure: no text found, too small for a period
estimate…). "Not judged" is not "no problem"; reports show it as its own state.

Detectors register with :func:`detector`; :data:`DETECTORS` maps each name to
a :class:`Detector`, callable as ``(lr, sr, *, reference=None, check_pair=True) -> Finding``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from upscalekit.diagnose._common import Prepared

__all__ = ["DETECTORS", "Detector", "Finding", "detector"]


@dataclass(frozen=True, eq=False)
class Finding:
    """One detector's verdict on one SR image.

    Attributes
    ----------
    name : str
        Detector name (a key of :data:`DETECTORS`).
    score : float
        Severity, 0 = none; units are per detector (see its docstring). Larger is worse.
    heatmap : numpy.ndarray
        H×W float32 in [0, 1] at the SR's size: where the artifact is. Its loudness follows the
        score: full only where the score reaches the threshold, all zero on a zero score or when
        not judged.
    explanation : str
        One line a person can act on: what was seen, and what to do.
    details : dict
        Plain JSON-able numbers behind the score (thresholds, periods, sigmas…).
    flagged : bool
        Judged, and ``score`` passed the detector's calibrated threshold.
    judged : bool
        False when the detector could not judge this image (then ``flagged`` is False too).
    threshold : float or None
        The threshold the score was compared with.

    Examples
    --------
    >>> import numpy as np
    >>> f = Finding("x", 0.0, np.zeros((2, 2), np.float32), "nothing to judge", {}, False, judged=False)
    >>> f.status
    'not judged'
    """

    name: str
    score: float
    heatmap: np.ndarray = field(repr=False)
    explanation: str
    details: dict[str, Any]
    flagged: bool
    judged: bool = True
    threshold: float | None = None

    @property
    def status(self) -> str:
        """``"flagged"``, ``"ok"`` or ``"not judged"``."""
        if not self.judged:
            return "not judged"
        return "flagged" if self.flagged else "ok"


@dataclass(frozen=True)
class Detector:
    """A registered detector: its name, threshold, units and the function on prepared inputs.

    Calling it runs the detector on public images: ``DETECTORS["haloing"](lr, sr)``.
    """

    name: str
    run: Callable[[Prepared], Finding] = field(repr=False)
    threshold: float
    units: str
    title: str
    #: How far to trust a verdict, from the held-out validation (``benchmarks/bench_diagnose.py``);
    #: appended to every explanation when the detector misses the kit's recall/false-positive target.
    trust: str = ""

    def on_prepared(self, p: Prepared) -> Finding:
        """Run on already-prepared inputs; the heatmap is scaled to the score (see :class:`Finding`)."""
        f = self.run(p)
        judged = f.judged
        flagged = bool(judged and f.flagged)
        if not judged:
            heat = np.zeros_like(f.heatmap)
        else:
            gain = np.float32(min(1.0, max(0.0, f.score / self.threshold))) if self.threshold > 0 else 1
            heat = (f.heatmap * gain).astype(np.float32)
        expl = f"{f.explanation} [{self.trust}]" if self.trust and judged else f.explanation
        return replace(f, heatmap=heat, flagged=flagged, threshold=self.threshold, explanation=expl)

    def __call__(self, lr: np.ndarray, sr: np.ndarray, *, reference: np.ndarray | None = None,
                 check_pair: bool = True) -> Finding:
        from upscalekit.diagnose._common import prepare

        return self.on_prepared(prepare(lr, sr, reference, check_pair=check_pair))


class _Registry(Mapping[str, Detector]):
    def __init__(self) -> None:
        self._d: dict[str, Detector] = {}

    def __getitem__(self, name: str) -> Detector:
        if name not in self._d:
            from upscalekit._checks import unknown_name

            raise unknown_name("detector", name, self._d)
        return self._d[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __contains__(self, name: object) -> bool:
        return name in self._d

    def add(self, d: Detector) -> None:
        if d.name in self._d:
            raise ValueError(f"detector {d.name!r} is already registered")
        self._d[d.name] = d

    def __repr__(self) -> str:
        return f"DETECTORS({', '.join(self._d)})"


#: Detector name → :class:`Detector`, in registration (report) order.
DETECTORS = _Registry()


def detector(name: str, *, threshold: float, units: str, title: str, trust: str = "") -> Callable[
        [Callable[[Prepared], Finding]], Callable[[Prepared], Finding]]:
    """Register a function ``(Prepared) -> Finding`` as the detector ``name``.

    Examples
    --------
    >>> "tile_seams" in DETECTORS  # the kit's detectors register on import of upscalekit.diagnose
    True
    """
    def deco(fn: Callable[[Prepared], Finding]) -> Callable[[Prepared], Finding]:
        DETECTORS.add(Detector(name, fn, float(threshold), units, title, trust))
        return fn
    return deco
