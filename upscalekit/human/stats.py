"""Statistics for blind A/B votes: small pure functions that can be checked by hand.

- :func:`wilson_interval` — a preference rate with its 95 % Wilson score interval
  (well behaved at 0/n and n/n, unlike the textbook ±1.96·√(p(1−p)/n)).
- :func:`bradley_terry` — one strength per method from pairwise wins (Hunter's MM
  algorithm, ties counted as half a win each way), with bootstrap intervals in
  :func:`ranking`.
- :func:`fleiss_kappa` / :func:`rater_agreement` — do repeated judgements of the same
  pair agree beyond chance?
- :func:`metric_agreement` — for each judgement, does a metric prefer the side the
  person chose? (the 2AFC test LPIPS was designed for).

Votes come as the DataFrame of :meth:`upscalekit.human.store.VoteStore.to_dataframe`.
Attention-check rows are left out of every preference statistic; use
:func:`attention_pass_rate` for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "Agreement",
    "BradleyTerry",
    "MetricAgreement",
    "Proportion",
    "attention_pass_rate",
    "bradley_terry",
    "candidate_scores",
    "fleiss_kappa",
    "label",
    "method_preference",
    "metric_agreement",
    "metric_agreement_table",
    "pair_preferences",
    "perception_distortion_figure",
    "preference_rate",
    "ranking",
    "rater_agreement",
    "votes_for_margin",
    "wilson_interval",
    "win_matrix",
]


def label(table: pd.DataFrame, *, simulated: bool) -> pd.DataFrame:
    """Copy of ``table`` with a first column ``votes`` saying ``SIMULATED`` or ``real`` on every row.

    Tables built from simulated votes must say so wherever they are shown or exported.
    """
    out = table.copy()
    out.insert(0, "votes", "SIMULATED" if simulated else "real")
    return out


# -- proportions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proportion:
    """A rate with its confidence interval.

    Attributes
    ----------
    successes : float
        Count in favour (ties count one half where a function says so).
    n : int
        Number of judgements.
    rate, low, high : float
        Point estimate and interval bounds.
    """

    successes: float
    n: int
    rate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{100 * self.rate:.1f} % [{100 * self.low:.1f}, {100 * self.high:.1f}] (n={self.n})"


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), e.g. 0.95, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: float, n: int, *, confidence: float = 0.95) -> Proportion:
    """Wilson score interval for a proportion.

    ``center = (p + z²/2n) / (1 + z²/n)``, ``half = z/(1 + z²/n) · √(p(1−p)/n + z²/4n²)``.

    Examples
    --------
    >>> p = wilson_interval(8, 10)
    >>> round(p.low, 4), round(p.high, 4)
    (0.4902, 0.9433)
    """
    if n <= 0:
        raise ValueError(f"n must be positive to estimate a rate, got n={n}; collect some votes first")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..n={n}, got {successes}")
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At 0/n (n/n) centre and half-width are equal in exact arithmetic: pin the bound instead of ±1e-17.
    low = 0.0 if successes == 0 else max(0.0, center - half)
    high = 1.0 if successes == n else min(1.0, center + half)
    return Proportion(float(successes), int(n), float(p), float(low), float(high))


def votes_for_margin(margin: float = 0.10, *, rate: float = 0.5, confidence: float = 0.95) -> int:
    """Smallest number of votes whose Wilson interval is at most ``±margin`` around ``rate``.

    ``rate=0.5`` is the worst case (widest interval), so it is the safe planning value.

    Examples
    --------
    >>> votes_for_margin(0.10)
    93
    """
    if not 0 < margin < 0.5:
        raise ValueError(f"margin must be in (0, 0.5), e.g. 0.10 for ±10 %, got {margin}")
    n = 1
    while True:
        p = wilson_interval(rate * n, n, confidence=confidence)
        if (p.high - p.low) / 2 <= margin:
            return n
        n += 1


# -- vote tables ---------------------------------------------------------------------------------
def _judgements(votes: pd.DataFrame) -> pd.DataFrame:
    """Preference votes only (attention checks removed)."""
    need = {"method_a", "method_b", "choice", "chosen_method", "is_attention_check"}
    missing = need - set(votes.columns)
    if missing:
        raise ValueError(
            f"votes lack columns {sorted(missing)}; pass VoteStore.to_dataframe() or read_votes(path)"
        )
    return votes[~votes["is_attention_check"].astype(bool)]


def pair_preferences(votes: pd.DataFrame, *, by_item: bool = False, confidence: float = 0.95) -> pd.DataFrame:
    """Per pair: wins each way, ties, and the rate for ``method_a`` (ties half) with a Wilson interval.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"item": ["x"] * 2, "method_a": ["a", "a"], "method_b": ["b", "b"],
    ...                   "choice": ["left", "tie"], "chosen_method": ["a", None],
    ...                   "is_attention_check": [False, False]})
    >>> float(pair_preferences(v)["rate_a"].iloc[0])
    0.75
    """
    import pandas as pd

    v = _judgements(votes)
    keys = (["item"] if by_item else []) + ["method_a", "method_b"]
    rows = []
    for key, g in v.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        a, b = key[-2], key[-1]
        wa = int((g["chosen_method"] == a).sum())
        wb = int((g["chosen_method"] == b).sum())
        ties = int((g["choice"] == "tie").sum())
        p = wilson_interval(wa + 0.5 * ties, len(g), confidence=confidence)
        rows.append(dict(zip(keys, key, strict=True), n=len(g), wins_a=wa, wins_b=wb, ties=ties,
                         rate_a=p.rate, low=p.low, high=p.high))
    cols = keys + ["n", "wins_a", "wins_b", "ties", "rate_a", "low", "high"]
    return pd.DataFrame(rows, columns=cols)


def preference_rate(votes: pd.DataFrame, winner: str, loser: str, *, confidence: float = 0.95) -> Proportion:
    """How often ``winner`` was preferred over ``loser`` across items (ties count one half).

    Raises
    ------
    ValueError
        If the two methods were never compared.
    """
    v = _judgements(votes)
    g = v[((v["method_a"] == winner) & (v["method_b"] == loser))
          | ((v["method_a"] == loser) & (v["method_b"] == winner))]
    if len(g) == 0:
        raise ValueError(f"no votes compare {winner!r} with {loser!r}; pairs seen: "
                         f"{sorted(set(zip(v['method_a'], v['method_b'], strict=True)))}")
    wins = float((g["chosen_method"] == winner).sum() + 0.5 * (g["choice"] == "tie").sum())
    return wilson_interval(wins, len(g), confidence=confidence)


def method_preference(votes: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Per method: share of its comparisons it won (ties half), with a Wilson interval."""
    import pandas as pd

    v = _judgements(votes)
    rows = []
    for m in sorted(set(v["method_a"]) | set(v["method_b"])):
        g = v[(v["method_a"] == m) | (v["method_b"] == m)]
        wins = float((g["chosen_method"] == m).sum() + 0.5 * (g["choice"] == "tie").sum())
        p = wilson_interval(wins, len(g), confidence=confidence)
        rows.append(dict(method=m, n=len(g), wins=wins, rate=p.rate, low=p.low, high=p.high))
    return pd.DataFrame(rows, columns=["method", "n", "wins", "rate", "low", "high"])


def win_matrix(votes: pd.DataFrame, methods: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """``W[i, j]`` = times method i beat method j (a tie adds one half to both directions)."""
    v = _judgements(votes)
    names = list(methods) if methods is not None else sorted(set(v["method_a"]) | set(v["method_b"]))
    idx = {m: i for i, m in enumerate(names)}
    w = np.zeros((len(names), len(names)))
    for a, b, choice, chosen in zip(v["method_a"], v["method_b"], v["choice"], v["chosen_method"],
                                    strict=True):
        i, j = idx[a], idx[b]
        if choice == "tie":
            w[i, j] += 0.5
            w[j, i] += 0.5
        elif chosen == a:
            w[i, j] += 1
        else:
            w[j, i] += 1
    return names, w


# -- Bradley–Terry -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BradleyTerry:
    """Bradley–Terry fit: ``P(i beats j) = s_i / (s_i + s_j)``.

    Attributes
    ----------
    methods : tuple of str
    strengths : tuple of float
        Normalised to sum to 1.
    iterations : int
        MM iterations used.
    """

    methods: tuple[str, ...]
    strengths: tuple[float, ...]
    iterations: int

    def prob(self, i: str, j: str) -> float:
        """Model probability that ``i`` is preferred to ``j``."""
        si, sj = self.strengths[self.methods.index(i)], self.strengths[self.methods.index(j)]
        return si / (si + sj)


def bradley_terry(
    wins: np.ndarray, methods: Sequence[str] | None = None, *, tol: float = 1e-12, max_iter: int = 100_000
) -> BradleyTerry:
    """Maximum-likelihood Bradley–Terry strengths by Hunter's (2004) MM algorithm.

    Update ``s_i ← W_i / Σ_j n_ij / (s_i + s_j)`` then renormalise, where ``W_i`` is
    i's total wins and ``n_ij`` the games between i and j. Every update raises the
    likelihood. A method that never won goes to strength 0; if the comparison graph
    falls apart into groups that never met, the scale between groups is not identified.

    Parameters
    ----------
    wins
        Square matrix, ``wins[i, j]`` = times i beat j (ties as 0.5 each way).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0, 4, 4], [2, 0, 2], [1, 1, 0]], float)  # strengths 4:2:1 fit exactly
    >>> [round(s * 7, 6) for s in bradley_terry(w).strengths]
    [4.0, 2.0, 1.0]
    """
    w = np.asarray(wins, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 2:
        raise ValueError(f"wins must be a square matrix of at least 2×2, got shape {w.shape}")
    if (w < 0).any():
        raise ValueError("wins must be non-negative counts")
    k = w.shape[0]
    names = tuple(methods) if methods is not None else tuple(str(i) for i in range(k))
    if len(names) != k:
        raise ValueError(f"{len(names)} method names for a {k}×{k} matrix")
    games = w + w.T
    np.fill_diagonal(games, 0)
    unplayed = [names[i] for i in range(k) if games[i].sum() == 0]
    if unplayed:
        raise ValueError(f"methods {unplayed} were never compared; drop them or collect votes")
    total = w.sum(axis=1) - np.diag(w)
    s = np.full(k, 1.0 / k)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - iteration count is reported
        denom = (games / (s[:, None] + s[None, :] + 1e-300)).sum(axis=1)
        new = total / denom
        new /= new.sum()
        done = np.max(np.abs(new - s)) < tol
        s = new
        if done:
            break
    return BradleyTerry(names, tuple(float(x) for x in s), it)


def ranking(
    votes: pd.DataFrame, *, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> pd.DataFrame:
    """Bradley–Terry strengths with percentile bootstrap intervals (votes resampled with replacement).

    Returns a DataFrame sorted strongest first: method, strength, low, high, wins, n.
    """
    import pandas as pd

    v = _judgements(votes).reset_index(drop=True)
    if len(v) == 0:
        raise ValueError("no preference votes to rank (attention checks are excluded)")
    names, w = win_matrix(v)
    fit = bradley_terry(w, names, tol=1e-9)
    rng = np.random.default_rng(seed)
    boots = np.empty((n_boot, len(names)))
    for b in range(n_boot):
        sample = v.iloc[rng.integers(0, len(v), len(v))]
        _, wb = win_matrix(sample, names)
        games = wb + wb.T
        if (games.sum(axis=1) == 0).any():  # a method absent from this resample: no information
            boots[b] = np.nan
            continue
        boots[b] = bradley_terry(wb, names, tol=1e-9, max_iter=5000).strengths
    alpha = (1 - confidence) / 2
    low = np.nanquantile(boots, alpha, axis=0)
    high = np.nanquantile(boots, 1 - alpha, axis=0)
    games = w + w.T
    df = pd.DataFrame(dict(method=names, strength=fit.strengths, low=low, high=high,
                           wins=w.sum(axis=1), n=games.sum(axis=1)))
    return df.sort_values("strength", ascending=False, ignore_index=True)


# -- agreement -----------------------------------------------------------------------------------
def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa from a subjects × categories count matrix.

    Rows may have different totals (each needs at least two ratings); then
    ``P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1))`` per subject, ``P̄`` their mean,
    ``p_j`` the category shares over all ratings and ``P_e = Σ p_j²``.

    Examples
    --------
    >>> fleiss_kappa([[2, 0], [0, 2]])
    1.0
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.shape[0] < 1:
        raise ValueError(f"counts must be a 2-D subjects × categories matrix, got shape {c.shape}")
    n_i = c.sum(axis=1)
    if (n_i < 2).any():
        raise ValueError("every subject needs at least two ratings for agreement")
    p_i = ((c * c).sum(axis=1) - n_i) / (n_i * (n_i - 1))
    p_bar = p_i.mean()
    p_j = c.sum(axis=0) / c.sum()
    p_e = float((p_j * p_j).sum())
    if p_e >= 1:
        return float("nan")  # everyone used one category: kappa undefined
    return float((p_bar - p_e) / (1 - p_e))


@dataclass(frozen=True)
class Agreement:
    """Agreement among repeated judgements of the same (item, pair).

    Attributes
    ----------
    percent_agreement : float
        Mean share of agreeing judgement pairs per subject.
    kappa : float
        Fleiss' kappa (categories: method_a, method_b, tie).
    subjects : int
        (item, pair) combinations judged at least twice.
    judgements : int
        Votes in those subjects.
    """

    percent_agreement: float
    kappa: float
    subjects: int
    judgements: int


def rater_agreement(votes: pd.DataFrame) -> Agreement:
    """Agreement of all judgements of each (item, pair) — between raters and across repeats.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"item": ["x"] * 4, "method_a": ["a"] * 4, "method_b": ["b"] * 4,
    ...     "choice": ["left"] * 4, "chosen_method": ["a", "a", "b", "b"], "is_attention_check": [False] * 4})
    >>> rater_agreement(v).percent_agreement  # 2 of the 6 vote pairs agree
    0.3333333333333333
    """
    v = _judgements(votes)
    rows = []
    for (_, a, b), g in v.groupby(["item", "method_a", "method_b"]):
        if len(g) < 2:
            continue
        rows.append([(g["chosen_method"] == a).sum(), (g["chosen_method"] == b).sum(),
                     (g["choice"] == "tie").sum()])
    if not rows:
        raise ValueError("no (item, pair) was judged twice: agreement needs repeats or several raters")
    c = np.asarray(rows, dtype=float)
    n_i = c.sum(axis=1)
    p_i = ((c * c).sum(axis=1) - n_i) / (n_i * (n_i - 1))
    return Agreement(float(p_i.mean()), fleiss_kappa(c), len(rows), int(n_i.sum()))


def attention_pass_rate(votes: pd.DataFrame) -> pd.DataFrame:
    """Per rater: attention checks seen and the share answered correctly (the undegraded side)."""
    import pandas as pd

    from upscalekit.human.design import ATTENTION_METHOD

    v = votes[votes["is_attention_check"].astype(bool)]
    rows = []
    for rater, g in v.groupby("rater"):
        ok = int(((g["choice"] != "tie") & (g["chosen_method"] != ATTENTION_METHOD)).sum())
        rows.append(dict(rater=rater, checks=len(g), passed=ok, rate=ok / len(g)))
    return pd.DataFrame(rows, columns=["rater", "checks", "passed", "rate"])


# -- metrics versus people -----------------------------------------------------------------------
@dataclass(frozen=True)
class MetricAgreement:
    """Share of 2AFC judgements where a metric preferred the side the person chose.

    Attributes
    ----------
    metric : str
    agreement, low, high : float
        Point estimate and percentile bootstrap interval. 0.5 is chance.
    n : int
        Judgements used (ties by the person are left out; a metric tie counts one half).
    """

    metric: str
    agreement: float
    low: float
    high: float
    n: int


def _score_lookup(scores: Mapping[tuple[str, str], float] | pd.DataFrame, metric: str | None) -> dict:
    if isinstance(scores, Mapping):
        return {tuple(k): float(v) for k, v in scores.items()}
    df = scores
    if metric is not None and "metric" in df.columns:
        df = df[df["metric"] == metric]
    return {(i, m): float(s) for i, m, s in zip(df["item"], df["method"], df["score"], strict=True)}


def metric_agreement(
    votes: pd.DataFrame,
    scores: Mapping[tuple[str, str], float] | pd.DataFrame,
    *,
    lower_better: bool,
    metric: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> MetricAgreement:
    """Does a metric prefer the same side as the person, judgement by judgement?

    Parameters
    ----------
    votes
        Vote table.
    scores
        ``{(item, method): score}`` or a long DataFrame with columns item, method, score
        (and metric, filtered by ``metric``).
    lower_better
        True for distances (LPIPS), False for similarities (PSNR, SSIM).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"item": ["x", "x"], "method_a": ["a", "a"], "method_b": ["b", "b"],
    ...     "choice": ["left", "right"], "chosen_method": ["a", "b"], "is_attention_check": [False] * 2})
    >>> metric_agreement(v, {("x", "a"): 0.1, ("x", "b"): 0.3}, lower_better=True, n_boot=10).agreement
    0.5
    """
    v = _judgements(votes)
    v = v[v["choice"] != "tie"]
    if len(v) == 0:
        raise ValueError("no decisive votes (all ties or attention checks): nothing to compare")
    look = _score_lookup(scores, metric)
    hits = np.empty(len(v))
    for k, (item, a, b, chosen) in enumerate(zip(v["item"], v["method_a"], v["method_b"], v["chosen_method"],
                                                 strict=True)):
        try:
            sa, sb = look[(item, a)], look[(item, b)]
        except KeyError as exc:
            raise KeyError(f"no {metric or 'metric'} score for {exc.args[0]}; score every (item, method) "
                           "that appears in the votes") from None
        if sa == sb:
            hits[k] = 0.5
            continue
        better = a if (sa < sb) == lower_better else b
        hits[k] = 1.0 if better == chosen else 0.0
    rng = np.random.default_rng(seed)
    boots = hits[rng.integers(0, len(hits), (n_boot, len(hits)))].mean(axis=1) if n_boot else hits[None]
    alpha = (1 - confidence) / 2
    return MetricAgreement(metric or "metric", float(hits.mean()), float(np.quantile(boots, alpha)),
                           float(np.quantile(boots, 1 - alpha)), len(hits))


def metric_agreement_table(
    votes: pd.DataFrame, scores: pd.DataFrame, directions: Mapping[str, bool] | None = None, *,
    n_boot: int = 1000, seed: int = 0,
) -> pd.DataFrame:
    """:func:`metric_agreement` for several metrics; ``directions`` maps metric → lower_better.

    By default every metric in ``scores`` with its direction from :data:`upscalekit.metrics.METRICS`.
    """
    import pandas as pd

    if directions is None:
        directions = {m: _lower_better(m) for m in dict.fromkeys(scores["metric"])}
    rows = [metric_agreement(votes, scores, metric=m, lower_better=lb, n_boot=n_boot, seed=seed).__dict__
            for m, lb in directions.items()]
    return pd.DataFrame(rows, columns=["metric", "agreement", "low", "high", "n"])


def _lower_better(metric: str) -> bool:
    from upscalekit._checks import unknown_name
    from upscalekit.metrics import METRICS

    if metric not in METRICS:
        raise unknown_name("metric", metric, METRICS)
    lb = METRICS[metric].lower_better
    if lb is None:
        raise ValueError(f"metric {metric!r} has no better direction (it describes, it does not judge); "
                         "agreement with votes needs a metric that ranks")
    return lb


def candidate_scores(
    references: Mapping[str, np.ndarray],
    candidates: Mapping[str, Mapping[str, np.ndarray]],
    metrics: Iterable[str] = ("psnr", "ssim", "lpips"),
) -> pd.DataFrame:
    """Score every candidate against its reference with :func:`upscalekit.metrics.evaluate`.

    ``candidates[item][method]`` is an image the shape of ``references[item]``; ``metrics`` are
    names from :data:`upscalekit.metrics.METRICS` (a dict keyed by those names works too). Returns a
    long DataFrame: item, method, metric, score.

    Examples
    --------
    >>> import numpy as np
    >>> ref = {"x": np.zeros((8, 8, 3), np.float32)}
    >>> s = candidate_scores(ref, {"x": {"a": np.full((8, 8, 3), 0.1, np.float32)}}, ["psnr"])
    >>> round(float(s["score"].iloc[0]), 2)
    20.0
    """
    import pandas as pd

    from upscalekit.metrics import evaluate

    names = list(metrics)
    frames = []
    for item, by_method in candidates.items():
        if item not in references:
            raise KeyError(f"no reference for item {item!r}; references hold {sorted(references)}")
        table = evaluate(references[item], dict(by_method), metrics=names)
        long = table.melt(id_vars="candidate", value_vars=names, var_name="metric", value_name="score")
        frames.append(long.rename(columns={"candidate": "method"}).assign(item=item))
    if not frames:
        return pd.DataFrame(columns=["item", "method", "metric", "score"])
    out = pd.concat(frames, ignore_index=True)[["item", "method", "metric", "score"]]
    return out.astype({"score": float})


def perception_distortion_figure(
    votes: pd.DataFrame, scores: pd.DataFrame, *, metric: str, simulated: bool,
    lower_better: bool | None = None,
) -> Figure:
    """A metric (mean over items) against the share of comparisons each method won, with Wilson intervals.

    Drawn by :func:`upscalekit.figures.perception_distortion_plot`. ``lower_better`` defaults to
    the metric's direction in :data:`upscalekit.metrics.METRICS`. The title starts with
    ``SIMULATED`` when the votes come from a simulated rater.
    """
    from upscalekit.figures import perception_distortion_plot

    if lower_better is None:
        lower_better = _lower_better(metric)
    pref = method_preference(votes)
    s = scores[scores["metric"] == metric] if "metric" in scores.columns else scores
    mean = s.groupby("method")["score"].mean()
    pref = pref[pref["method"].isin(mean.index)]
    methods = list(pref["method"])
    points = {m: (float(mean.loc[m]), float(r)) for m, r in zip(methods, pref["rate"], strict=True)}
    yerr = {m: (float(lo), float(hi)) for m, lo, hi in zip(methods, pref["low"], pref["high"], strict=True)}
    arrow = "lower = closer to reference" if lower_better else "higher = closer to reference"
    tag = "SIMULATED votes (not people): " if simulated else ""
    ax = perception_distortion_plot(points, yerr=yerr, xlabel=f"{metric} vs reference ({arrow})",
                                    ylabel="preferred by raters (share of comparisons won)", ylim=(0, 1),
                                    hline=0.5, title=f"{tag}perception vs distortion",
                                    title_color="crimson" if simulated else "black")
    return ax.figure
