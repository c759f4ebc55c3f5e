"""A simulated rater for demos and CI, where no person is present. Its votes are NOT data.

The rule is an assumption, stated here so nobody mistakes its output for a finding:
the simulated rater prefers the candidate with the lower score on a given metric
(by default LPIPS distance to the reference) through a logistic choice,

    P(left) = 1 / (1 + exp(-slope * (score_right - score_left) + noise)),  noise ~ N(0, noise_sd),

answers "can't tell" with a fixed probability ``tie_rate``, and on attention checks
picks the undegraded side except for a ``lapse_rate``. Any agreement between LPIPS and
these votes is therefore built in; the simulation only exercises the pipeline.

Every vote it writes has ``is_simulated=True`` and goes to a file opened with
``kind="simulated"``; :class:`~upscalekit.human.store.VoteStore` refuses to put it in a
file holding real votes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from upscalekit.human.design import ATTENTION_METHOD, Trial
from upscalekit.human.store import Vote, VoteStore

__all__ = ["SimulatedRater", "simulate_study"]


@dataclass(frozen=True)
class SimulatedRater:
    """A seeded logistic chooser driven by a per-candidate score (lower = preferred).

    Attributes
    ----------
    name : str
        Rater name written to the database; always prefixed ``simulated-``.
    slope : float
        Logit per unit of score difference (sharper = more decisive).
    noise_sd : float
        Standard deviation of Gaussian noise added to each logit.
    tie_rate : float
        Probability of "can't tell".
    lapse_rate : float
        Probability of picking the degraded side of an attention check.
    seed : int
        Seed of this rater's random stream.

    Examples
    --------
    >>> r = SimulatedRater("a", slope=40.0, seed=1)
    >>> r.name
    'simulated-a'
    """

    name: str = "rater"
    slope: float = 40.0
    noise_sd: float = 0.5
    tie_rate: float = 0.05
    lapse_rate: float = 0.02
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.name.startswith("simulated-"):
            object.__setattr__(self, "name", f"simulated-{self.name}")
        if self.noise_sd < 0:
            raise ValueError(f"noise_sd must be >= 0, got {self.noise_sd}")
        for field_name in ("tie_rate", "lapse_rate"):
            if not 0 <= getattr(self, field_name) <= 1:
                value = getattr(self, field_name)
                raise ValueError(f"{field_name} must be a probability in [0, 1], got {value}")

    def choose(self, trial: Trial, score: Mapping[tuple[str, str], float], rng: np.random.Generator) -> str:
        """Return "left", "right" or "tie" for one trial.

        ``score[(item, method)]`` is the driving score, lower preferred.
        """
        if rng.random() < self.tie_rate:
            return "tie"
        if trial.is_attention_check:
            good = "left" if trial.right == ATTENTION_METHOD else "right"
            bad = "right" if good == "left" else "left"
            return bad if rng.random() < self.lapse_rate else good
        try:
            sl, sr = score[(trial.item, trial.left)], score[(trial.item, trial.right)]
        except KeyError as exc:
            raise KeyError(f"simulated rater has no score for {exc.args[0]}") from None
        logit = self.slope * (sr - sl) + rng.normal(0.0, self.noise_sd)
        p_left = 1.0 / (1.0 + np.exp(-logit))
        return "left" if rng.random() < p_left else "right"


def simulate_study(
    store: VoteStore,
    trials: Sequence[Trial],
    score: Mapping[tuple[str, str], float],
    *,
    raters: Sequence[SimulatedRater],
    study_id: str,
) -> int:
    """Have each simulated rater vote once on every trial; returns the number of votes written.

    Raises
    ------
    ValueError
        If ``store`` is not a ``kind="simulated"`` file.
    """
    if not store.simulated:
        raise ValueError(
            f"{store.path} is a file for real votes; simulated votes go to their own file, "
            "open it with VoteStore(path, kind='simulated')"
        )
    written = 0
    for rater in raters:
        rng = np.random.default_rng(rater.seed)
        session = f"simulated-session-{rater.seed}"
        for t in trials:
            choice = rater.choose(t, score, rng)
            store.add(Vote(rater.name, session, study_id, t.item, t.left, t.right, choice,
                           response_ms=float(rng.lognormal(np.log(1500), 0.4)), trial_index=t.index,
                           is_attention_check=t.is_attention_check, is_simulated=True))
            written += 1
    return written
