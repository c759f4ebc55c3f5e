"""A simulated rater for demos and CI, where no person is present. Its votes are NOT data.

The rule is an assumption, stated here so nobody mistakes its output for a finding: each
simulated rater holds fixed **Bradley–Terry strengths** per method, chosen by whoever runs
the simulation, and prefers the left side with probability

    P(left) = s_left / (s_left + s_right),

answers "can't tell" with a fixed probability ``tie_rate``, and on attention checks picks
the undegraded side except for a ``lapse_rate``. The rule never looks at the images or at
any metric, so a study run on these votes can be checked against what was put in (the
fitted strengths should come back close to ``strengths``), while any agreement between a
metric and these votes only says how the metric happens to order the methods; it is not
evidence about people.

Every vote it writes has ``is_simulated=True`` and goes to a file opened with
``kind="simulated"``; :class:`~upscalekit.human.store.VoteStore` refuses to put it in a
file holding real votes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from upscalekit.human.design import ATTENTION_METHOD, Trial
from upscalekit.human.store import Vote, VoteStore

__all__ = ["SimulatedRater", "simulate_study"]


@dataclass(frozen=True, eq=False)
class SimulatedRater:
    """A seeded Bradley–Terry chooser with fixed strengths per method.

    Attributes
    ----------
    name : str
        Rater name written to the database; always prefixed ``simulated-``.
    strengths : dict of str to float
        Positive Bradley–Terry strength per method (only ratios matter).
    tie_rate : float
        Probability of "can't tell".
    lapse_rate : float
        Probability of picking the degraded side of an attention check.
    seed : int
        Seed of this rater's random stream.

    Examples
    --------
    >>> r = SimulatedRater("a", strengths={"bicubic": 1.0, "gan": 3.0}, seed=1)
    >>> r.name, r.p_prefers("gan", "bicubic")
    ('simulated-a', 0.75)
    """

    name: str = "rater"
    strengths: Mapping[str, float] = field(default_factory=dict)
    tie_rate: float = 0.05
    lapse_rate: float = 0.02
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.name.startswith("simulated-"):
            object.__setattr__(self, "name", f"simulated-{self.name}")
        if not self.strengths:
            raise ValueError("strengths is empty: give a positive Bradley–Terry strength per method")
        bad = {m: s for m, s in self.strengths.items() if not (np.isfinite(s) and s > 0)}
        if bad:
            raise ValueError(f"strengths must be positive finite numbers, got {bad}")
        object.__setattr__(self, "strengths", dict(self.strengths))
        for field_name in ("tie_rate", "lapse_rate"):
            if not 0 <= getattr(self, field_name) <= 1:
                value = getattr(self, field_name)
                raise ValueError(f"{field_name} must be a probability in [0, 1], got {value}")

    def p_prefers(self, a: str, b: str) -> float:
        """Bradley–Terry probability that this rater prefers ``a`` over ``b`` (ties aside)."""
        for m in (a, b):
            if m not in self.strengths:
                raise KeyError(f"simulated rater has no strength for method {m!r}; it has "
                               f"{list(self.strengths)}")
        return self.strengths[a] / (self.strengths[a] + self.strengths[b])

    def choose(self, trial: Trial, rng: np.random.Generator) -> str:
        """Return "left", "right" or "tie" for one trial."""
        if rng.random() < self.tie_rate:
            return "tie"
        if trial.is_attention_check:
            good = "left" if trial.right == ATTENTION_METHOD else "right"
            bad = "right" if good == "left" else "left"
            return bad if rng.random() < self.lapse_rate else good
        return "left" if rng.random() < self.p_prefers(trial.left, trial.right) else "right"


def simulate_study(
    store: VoteStore,
    trials: Sequence[Trial],
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
            choice = rater.choose(t, rng)
            store.add(Vote(rater.name, session, study_id, t.item, t.left, t.right, choice,
                           response_ms=float(rng.lognormal(np.log(1500), 0.4)), trial_index=t.index,
                           is_attention_check=t.is_attention_check, is_simulated=True))
            written += 1
    return written
