"""Tests for upscalekit.human: storage under concurrency and crashes, designs, statistics, widget logic."""

from __future__ import annotations

import hashlib
import math
import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from upscalekit.human import (
    ATTENTION_METHOD,
    ABStudy,
    SchemaError,
    SimulatedRater,
    Trial,
    Vote,
    VoteStore,
    all_pairs,
    attention_pass_rate,
    bradley_terry,
    candidate_scores,
    fleiss_kappa,
    make_design,
    metric_agreement,
    metric_agreement_table,
    pair_preferences,
    perception_distortion_figure,
    preference_rate,
    ranking,
    rater_agreement,
    read_votes,
    simulate_study,
    votes_for_margin,
    wilson_interval,
)
from upscalekit.human.widget import key_to_choice, progress_text, record_vote, start, zoom
from upscalekit.pixels import Box

Z95 = 1.959963984540054  # the 97.5 % normal quantile


def _vote(i: int, rater: str = "r", simulated: bool = False) -> Vote:
    left, right = ("bicubic", "esrgan") if i % 2 else ("esrgan", "bicubic")
    return Vote(rater, f"s-{rater}", "test", f"item{i % 3}", left, right, ("left", "right", "tie")[i % 3],
                response_ms=float(i), trial_index=i, is_simulated=simulated)


# -- storage: concurrency and crash safety (workers must be module-level for spawn) -------------
def _writer(path: str, rater: str, n: int) -> None:
    store = VoteStore(path)
    for i in range(n):
        store.add(_vote(i, rater))
    store.close()


def _endless_writer(path: str) -> None:
    store = VoteStore(path)
    i = 0
    while True:
        store.add(_vote(i, "victim"))
        i += 1


def test_eight_processes_lose_no_vote(tmp_path: Path) -> None:
    path = str(tmp_path / "votes.sqlite")
    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_writer, args=(path, f"rater{k}", 500)) for k in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0, f"writer exited with {p.exitcode}"
    elapsed = time.perf_counter() - t0
    df = read_votes(path)
    print(f"8 processes x 500 votes: {len(df)} rows in {elapsed:.1f} s")
    assert len(df) == 4000
    assert df.groupby("rater").size().to_dict() == {f"rater{k}": 500 for k in range(8)}
    # every worker's votes arrived complete and exactly once
    for _, g in df.groupby("rater"):
        assert sorted(g["trial_index"]) == list(range(500))
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_sigkill_mid_writes_leaves_consistent_file(tmp_path: Path) -> None:
    path = tmp_path / "votes.sqlite"
    ctx = mp.get_context("spawn")
    rng = np.random.default_rng(0)
    counts = []
    for _round in range(3):
        before = _count(path)
        p = ctx.Process(target=_endless_writer, args=(str(path),))
        p.start()
        deadline = time.monotonic() + 60
        while _count(path) < before + 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(float(rng.uniform(0, 0.05)))  # land somewhere inside the write loop
        os.kill(p.pid, signal.SIGKILL)
        p.join()
        assert p.exitcode == -signal.SIGKILL
        counts.append(_count(path) - before)
    print(f"votes written before each SIGKILL: {counts}")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    nulls = conn.execute(
        "SELECT count(*) FROM votes WHERE timestamp IS NULL OR rater IS NULL OR item IS NULL "
        "OR left_method IS NULL OR right_method IS NULL OR choice IS NULL OR response_ms IS NULL "
        "OR trial_index IS NULL OR (choice != 'tie' AND chosen_method IS NULL)"
    ).fetchone()[0]
    conn.close()
    assert nulls == 0
    df = read_votes(path)
    # each killed writer restarted at trial 0: its rows are an unbroken prefix 0..k-1, nothing half-written
    assert (df["id"].diff().dropna() == 1).all()
    starts = np.flatnonzero(df["trial_index"].to_numpy() == 0)
    for a, b in zip(starts, list(starts[1:]) + [len(df)], strict=True):
        assert list(df["trial_index"].iloc[a:b]) == list(range(b - a))
    assert len(starts) == 3 and all(c >= 20 for c in counts)
    store = VoteStore(path)  # still writable afterwards
    store.add(_vote(0, "after"))
    assert len(store) == sum(counts) + 1


def _count(path: Path) -> int:
    if not path.exists():
        return 0
    conn = sqlite3.connect(path, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM votes").fetchone()[0])
    except sqlite3.OperationalError:  # table not created yet
        return 0
    finally:
        conn.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_newer_schema_is_refused_and_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "votes.sqlite"
    with VoteStore(path) as s:
        s.add(_vote(1))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    digest = _sha(path)
    with pytest.raises(SchemaError) as err:
        VoteStore(path)
    assert str(path) in str(err.value) and "99" in str(err.value) and "newer" in str(err.value)
    with pytest.raises(SchemaError):
        read_votes(path)
    assert _sha(path) == digest


@pytest.mark.parametrize("kind", ["foreign-sqlite", "foreign-meta", "not-sqlite"])
def test_foreign_file_is_refused_and_untouched(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "other.sqlite"
    if kind == "not-sqlite":
        path.write_text("item,score\nbrick,0.3\n")
    else:
        conn = sqlite3.connect(path)
        if kind == "foreign-sqlite":
            conn.execute("CREATE TABLE users (name TEXT)")
        else:
            conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
            conn.execute("INSERT INTO meta VALUES ('schema', 'someone.else'), ('schema_version', '3')")
        conn.commit()
        conn.close()
    digest = _sha(path)
    with pytest.raises(SchemaError) as err:
        VoteStore(path).add(_vote(1))
    assert str(path) in str(err.value)
    print(kind, "->", err.value)
    assert _sha(path) == digest


def test_store_is_append_only_and_kinds_never_mix(tmp_path: Path) -> None:
    real = VoteStore(tmp_path / "real.sqlite")
    real.add(_vote(1))
    conn = sqlite3.connect(real.path)
    for sql in ("UPDATE votes SET choice = 'left'", "DELETE FROM votes"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    conn.close()
    with pytest.raises(ValueError, match="simulated"):
        real.add(_vote(2, simulated=True))
    with pytest.raises(SchemaError, match="real votes"):
        VoteStore(real.path, kind="simulated")
    sim = VoteStore(tmp_path / "sim.sqlite", kind="simulated")
    with pytest.raises(ValueError, match="real"):
        sim.add(_vote(3))
    assert len(real) == 1 and len(sim) == 0


def test_export_dataframe_and_csv(tmp_path: Path) -> None:
    store = VoteStore(tmp_path / "v.sqlite")
    assert len(store.to_dataframe()) == 0 and not store.path.exists()  # reading creates nothing
    for i in range(6):
        store.add(_vote(i))
    df = store.to_dataframe()
    assert (df["method_a"] < df["method_b"]).all()
    tie = df["choice"] == "tie"
    assert df.loc[tie, "chosen_method"].isna().all()
    left = df["choice"] == "left"
    assert (df.loc[left, "chosen_method"] == df.loc[left, "left_method"]).all()
    back = pd.read_csv(store.to_csv(tmp_path / "v.csv"))
    assert len(back) == 6 and list(back.columns) == list(df.columns)


# -- designs -------------------------------------------------------------------------------------
def test_all_pairs_design_counts_and_side_balance() -> None:
    methods = ["bicubic", "esrgan", "anime"]
    trials = make_design(["a", "b"], methods, repeats=2, attention_checks=3, seed=4)
    assert len(trials) == 2 * 3 * 2 + 3
    assert [t.index for t in trials] == list(range(len(trials)))
    real = [t for t in trials if not t.is_attention_check]
    for item in ("a", "b"):
        for pair in all_pairs(methods):
            shown = [t.left for t in real if t.item == item and t.pair == pair]
            assert sorted(shown) == sorted(pair)  # seen once each way round
    checks = [t for t in trials if t.is_attention_check]
    assert len(checks) == 3 and all(ATTENTION_METHOD in (t.left, t.right) for t in checks)
    again = make_design(["a", "b"], methods, repeats=2, attention_checks=3, seed=4)
    assert trials == again
    assert make_design(["a", "b"], methods, seed=4) != make_design(["a", "b"], methods, seed=5)


def test_balanced_subset_uses_every_pair_evenly() -> None:
    methods = ["m1", "m2", "m3", "m4", "m5"]  # 10 pairs
    items = [f"i{k}" for k in range(7)]
    trials = make_design(items, methods, pairs_per_item=4, seed=0)
    assert len(trials) == 28
    counts = pd.Series([t.pair for t in trials]).value_counts()
    assert len(counts) == 10 and counts.max() - counts.min() <= 1
    for item in items:
        pairs = [t.pair for t in trials if t.item == item]
        assert len(set(pairs)) == 4
    with pytest.raises(ValueError, match="pairs_per_item"):
        make_design(items, methods, pairs_per_item=11)


# -- statistics ----------------------------------------------------------------------------------
def test_wilson_against_published_and_closed_form_values() -> None:
    # Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (Wilson score, no continuity correction)
    for k, n, lo, hi in [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
                         (1, 29, 0.0061, 0.1718)]:
        p = wilson_interval(k, n)
        assert (round(p.low, 4), round(p.high, 4)) == (lo, hi), (k, n, p)
    # 8/10 by hand: centre (0.8 + z²/20)/(1 + z²/10), half z/(1 + z²/10)·√(0.016 + z²/400)
    z2 = Z95**2
    centre = (0.8 + z2 / 20) / (1 + z2 / 10)
    half = Z95 / (1 + z2 / 10) * math.sqrt(0.016 + z2 / 400)
    p = wilson_interval(8, 10)
    assert p.low == pytest.approx(centre - half, abs=1e-12)
    assert p.high == pytest.approx(centre + half, abs=1e-12)
    assert (round(p.low, 4), round(p.high, 4)) == (0.4902, 0.9433)
    for n in (1, 10, 40):  # edges: 0/n → [0, z²/(n+z²)], n/n → [n/(n+z²), 1]
        assert wilson_interval(0, n).low == 0 and wilson_interval(0, n).high == pytest.approx(z2 / (n + z2))
        assert wilson_interval(n, n).high == 1 and wilson_interval(n, n).low == pytest.approx(n / (n + z2))
    with pytest.raises(ValueError, match="positive"):
        wilson_interval(0, 0)


def test_votes_for_margin_matches_closed_form() -> None:
    # at rate 0.5 the Wilson half-width is z / (2·√(n + z²)) → n ≥ z²/(4m²) − z²
    for m in (0.05, 0.10, 0.15):
        expected = math.ceil(Z95**2 / (4 * m * m) - Z95**2)
        assert votes_for_margin(m) == expected
    print(f"votes for ±10 % at 95 %: {votes_for_margin(0.10)}, for ±5 %: {votes_for_margin(0.05)}")


def test_bradley_terry_known_tournament() -> None:
    # Observed wins equal expected wins under strengths 4:2:1 (n_ij = s_i + s_j games), so 4:2:1 is the MLE:
    # A-B 6 games (A 4, B 2), A-C 5 games (A 4, C 1), B-C 3 games (B 2, C 1).
    w = np.array([[0, 4, 4], [2, 0, 2], [1, 1, 0]], float)
    fit = bradley_terry(w, ["A", "B", "C"])
    assert fit.strengths == pytest.approx((4 / 7, 2 / 7, 1 / 7), abs=1e-9)
    assert fit.prob("A", "C") == pytest.approx(0.8)
    # two players: closed form s_A/(s_A+s_B) = wins_A / games, ties count half (3 wins + 2 ties of 6 → 2/3)
    two = bradley_terry(np.array([[0, 3 + 1], [1 + 1, 0]], float))
    assert two.strengths[0] == pytest.approx(2 / 3, abs=1e-9)


def test_bradley_terry_matches_direct_likelihood_maximisation() -> None:
    from scipy.optimize import minimize

    rng = np.random.default_rng(3)
    w = rng.integers(1, 20, (4, 4)).astype(float)
    np.fill_diagonal(w, 0)

    def nll(theta: np.ndarray) -> float:
        t = np.concatenate([[0.0], theta])
        d = t[:, None] - t[None, :]
        return float(-(w * (d - np.logaddexp(0, d))).sum())

    res = minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    s = np.exp(np.concatenate([[0.0], res.x]))
    assert bradley_terry(w).strengths == pytest.approx(tuple(s / s.sum()), abs=1e-6)


def _simulated_votes(strengths: dict[str, float], games: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a, b in all_pairs(list(strengths)):
        p = strengths[a] / (strengths[a] + strengths[b])
        for g in range(games):
            win_a = rng.random() < p
            rows.append(dict(item=f"i{g % 4}", rater="x", method_a=a, method_b=b, choice="left",
                             chosen_method=a if win_a else b, is_attention_check=False))
    return pd.DataFrame(rows)


def test_bradley_terry_recovers_simulated_strengths() -> None:
    truth = {"a": 0.5, "b": 0.3, "c": 0.15, "d": 0.05}
    v = _simulated_votes(truth, 300, seed=1)
    r = ranking(v, n_boot=200, seed=0)
    print(r.to_string())
    assert list(r["method"]) == ["a", "b", "c", "d"]
    est = dict(zip(r["method"], r["strength"], strict=True))
    assert max(abs(est[m] - truth[m]) for m in truth) < 0.03
    inside = [(lo <= truth[m] <= hi) for m, lo, hi in zip(r["method"], r["low"], r["high"], strict=True)]
    assert sum(inside) >= 3


def test_pair_preferences_and_rate_hand_counts() -> None:
    v = pd.DataFrame(dict(
        item=["x"] * 5 + ["y"] * 2, method_a=["bic"] * 7, method_b=["esr"] * 7,
        choice=["left", "right", "right", "tie", "right", "right", "left"],
        chosen_method=["bic", "esr", "esr", None, "esr", "esr", "bic"],
        is_attention_check=[False] * 7,
    ))
    row = pair_preferences(v).iloc[0]
    assert (row["wins_a"], row["wins_b"], row["ties"], row["n"]) == (2, 4, 1, 7)
    p = preference_rate(v, "esr", "bic")
    assert p.rate == pytest.approx(4.5 / 7) and p.n == 7
    by_item = pair_preferences(v, by_item=True)
    assert list(by_item["n"]) == [5, 2]


def test_fleiss_kappa_hand_cases_and_textbook_example() -> None:
    assert fleiss_kappa([[2, 0], [0, 2]]) == pytest.approx(1.0)
    assert fleiss_kappa([[1, 1], [1, 1]]) == pytest.approx(-1.0)
    # Fleiss (1971) style example reproduced on Wikipedia: 10 subjects, 14 raters → P̄=0.378, Pe=0.213, κ=0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert round(fleiss_kappa(table), 3) == 0.210


def test_rater_agreement_on_repeats() -> None:
    v = pd.DataFrame(dict(
        item=["x"] * 3 + ["y"] * 3 + ["z"], method_a=["a"] * 7, method_b=["b"] * 7,
        choice=["left"] * 7, chosen_method=["a", "a", "a", "a", "b", "b", "a"],
        is_attention_check=[False] * 7,
    ))
    ag = rater_agreement(v)
    # x: 3 of 3 vote pairs agree; y: 1 of 3; z judged once → excluded
    assert ag.percent_agreement == pytest.approx((1 + 1 / 3) / 2) and ag.subjects == 2 and ag.judgements == 6
    assert ag.kappa == pytest.approx(fleiss_kappa([[3, 0, 0], [1, 2, 0]]))


def test_metric_agreement_constructed_case() -> None:
    scores = {("x", "bic"): 0.40, ("x", "esr"): 0.20, ("x", "nn"): 0.60,
              ("y", "bic"): 0.30, ("y", "esr"): 0.30, ("y", "nn"): 0.50}
    v = pd.DataFrame(dict(
        item=["x", "x", "x", "y", "y", "y"],
        method_a=["bic", "bic", "esr", "bic", "bic", "bic"], method_b=["esr", "esr", "nn", "esr", "nn", "nn"],
        choice=["right", "left", "left", "left", "left", "tie"],
        chosen_method=["esr", "bic", "esr", "bic", "bic", None], is_attention_check=[False] * 6,
    ))
    # lower is better: agree, disagree, agree, metric tie (½), agree; the human tie is left out → 3.5 / 5
    m = metric_agreement(v, scores, lower_better=True, n_boot=500, seed=0)
    assert m.agreement == pytest.approx(0.7) and m.n == 5 and m.low <= 0.7 <= m.high
    flipped = metric_agreement(v, scores, lower_better=False, n_boot=0)
    assert flipped.agreement == pytest.approx(1.5 / 5)
    long = pd.DataFrame([dict(item=i, method=mth, metric="d", score=s) for (i, mth), s in scores.items()])
    table = metric_agreement_table(v, long, {"d": True}, n_boot=100)
    assert table["agreement"].iloc[0] == pytest.approx(0.7)
    with pytest.raises(KeyError, match="no d score"):
        metric_agreement(v, {("x", "bic"): 1.0}, lower_better=True, metric="d")


def test_candidate_scores_and_scatter_is_labelled() -> None:
    ref = {"x": np.zeros((4, 4, 3), np.float32)}
    cands = {"x": {"a": np.full((4, 4, 3), 0.5, np.float32), "b": np.full((4, 4, 3), 0.25, np.float32)}}
    s = candidate_scores(ref, cands, ["psnr"])  # through metrics.evaluate
    from upscalekit.metrics import psnr

    assert sorted(s["score"]) == sorted(psnr(ref["x"], c) for c in cands["x"].values())
    assert list(s.columns) == ["item", "method", "metric", "score"] and set(s["metric"]) == {"psnr"}
    v = pd.DataFrame(dict(item=["x"] * 3, method_a=["a"] * 3, method_b=["b"] * 3, choice=["right"] * 3,
                          chosen_method=["b"] * 3, is_attention_check=[False] * 3))
    fig = perception_distortion_figure(v, s, metric="psnr", simulated=True)
    assert fig.axes[0].get_title().startswith("SIMULATED")
    assert "higher = closer" in fig.axes[0].get_xlabel()  # PSNR's direction, read from metrics.METRICS
    real = perception_distortion_figure(v, s, metric="psnr", simulated=False)
    assert not real.axes[0].get_title().startswith("SIMULATED")


# -- simulated rater -----------------------------------------------------------------------------
def test_simulated_rater_is_labelled_and_follows_its_rule(tmp_path: Path) -> None:
    trials = make_design(["x", "y"], ["good", "bad"], repeats=20, attention_checks=10, seed=0)
    strengths = {"good": 9.0, "bad": 1.0}  # P(good over bad) = 0.9
    raters = [SimulatedRater(n, strengths=strengths, seed=k) for n, k in (("one", 1), ("two", 2))]
    with pytest.raises(ValueError, match="real votes"):
        simulate_study(VoteStore(tmp_path / "real.sqlite"), trials, raters=raters, study_id="t")
    assert not (tmp_path / "real.sqlite").exists()
    store = VoteStore(tmp_path / "sim.sqlite", kind="simulated")
    n = simulate_study(store, trials, raters=raters, study_id="t")
    df = store.to_dataframe()
    assert n == len(df) == 2 * len(trials)
    assert df["is_simulated"].all() and df["rater"].str.startswith("simulated-").all()
    rate = preference_rate(df, "good", "bad")
    print(f"simulated preference for the stronger method: {rate}")
    # 0.95 × 0.9 + 0.05 × 0.5 (ties count one half) = 0.88 expected; the interval must contain it.
    assert rate.low < 0.88 < rate.high
    assert (attention_pass_rate(df)["rate"] > 0.8).all()
    again = VoteStore(tmp_path / "sim2.sqlite", kind="simulated")
    simulate_study(again, trials, raters=raters, study_id="t")
    assert list(again.to_dataframe()["choice"]) == list(df["choice"])  # seeded


def test_simulated_study_recovers_the_strengths_put_in(tmp_path: Path) -> None:
    methods = ["a", "b", "c"]
    truth = {"a": 0.6, "b": 0.3, "c": 0.1}
    trials = make_design(["x", "y", "z"], methods, repeats=10, attention_checks=0, seed=0)
    raters = [SimulatedRater(f"r{k}", strengths=truth, tie_rate=0.0, seed=k) for k in range(6)]
    store = VoteStore(tmp_path / "sim.sqlite", kind="simulated")
    simulate_study(store, trials, raters=raters, study_id="t")
    fit = ranking(store.to_dataframe(), n_boot=200, seed=0).set_index("method")
    assert list(fit.index) == ["a", "b", "c"]
    for m, s in truth.items():
        assert fit.low[m] <= s <= fit.high[m], (m, s, fit.loc[m].to_dict())


def test_simulated_rater_rejects_bad_strengths() -> None:
    with pytest.raises(ValueError, match="positive"):
        SimulatedRater("x", strengths={"a": 0.0, "b": 1.0})
    with pytest.raises(KeyError, match="no strength"):
        SimulatedRater("x", strengths={"a": 1.0}).p_prefers("a", "b")


# -- widget logic --------------------------------------------------------------------------------
def test_zoom_is_nearest_neighbour_enlargement() -> None:
    img = np.random.default_rng(1).random((32, 32, 3)).astype(np.float32)
    z = zoom(img, Box(4, 10, 8, 14), display=16)
    assert z.shape == (16, 16, 3)
    assert np.allclose(z[::4, ::4], img[4:8, 10:14], atol=1e-6)


def test_keys_progress_and_record_vote() -> None:
    assert [key_to_choice(k) for k in ("a", "ArrowRight", "t", "q")] == ["left", "right", "tie", None]
    assert progress_text(12, 40) == "12 of 40"
    trials = [Trial(0, "x", "b", "a"), Trial(1, "x", "a", ATTENTION_METHOD, is_attention_check=True)]
    s = start(trials, now=100.0)
    with pytest.raises(ValueError, match="rater name"):
        record_vote(s, "left", rater="  ", session_id="s", study_id="p", now=101.0)
    s, v1 = record_vote(s, "right", rater="ana", session_id="s", study_id="p", now=101.25)
    assert v1.chosen_method == "a" and v1.response_ms == pytest.approx(1250) and v1.trial_index == 0
    s, v2 = record_vote(s, "left", rater="ana", session_id="s", study_id="p", now=102.0)
    assert v2.is_attention_check and v2.response_ms == pytest.approx(750) and s.finished
    with pytest.raises(ValueError, match="done"):
        record_vote(s, "left", rater="ana", session_id="s", study_id="p", now=103.0)


def test_abstudy_buttons_write_votes(tmp_path: Path) -> None:
    pytest.importorskip("ipywidgets")
    rng = np.random.default_rng(2)
    images = {"x": {"a": rng.random((16, 16, 3)).astype(np.float32),
                    "b": rng.random((16, 16, 3)).astype(np.float32)}}
    trials = make_design(["x"], ["a", "b"], repeats=2, attention_checks=1, seed=0)
    ticks = iter(np.arange(0.0, 100.0, 0.5))
    store = VoteStore(tmp_path / "v.sqlite")
    study = ABStudy(store, trials, images, references={"x": images["x"]["a"]}, study_id="p",
                    clock=lambda: float(next(ticks)), display=32)
    root = study._build()
    assert study._w is not None and study._w["progress"].value == "0 of 3"
    assert len(study._w["images"].children) == 3  # left, reference, right
    left_btn, tie_btn, right_btn = study._w["buttons"]
    left_btn.click()  # no rater yet → refused with a message, nothing written
    assert len(store) == 0 and "rater" in study._w["message"].value
    study.rater = "ana"
    left_btn.click()
    tie_btn.click()
    assert study._w["progress"].value == "2 of 3"
    right_btn.click()
    df = store.to_dataframe()
    assert list(df["choice"]) == ["left", "tie", "right"]
    # clock ticks 0.5 s per read; the refused click still counts toward the first trial's time on screen
    assert list(df["response_ms"]) == [1000.0, 500.0, 500.0]
    assert df["is_attention_check"].sum() == 1 and "Done" in study._w["message"].value
    assert root is not None
    with pytest.raises(KeyError, match="no image of method"):
        ABStudy(store, [Trial(0, "x", "a", "zzz")], images)


# -- study media ---------------------------------------------------------------------------------
class _FakeUpscaler:
    """Stands in for an upscalekit.models Upscaler: interpolation through upscalekit.resize."""

    def __init__(self, name: str, method: str, off_by_one: bool = False) -> None:
        self.name, self.scale, self.method, self.off_by_one = name, 4, method, off_by_one
        self.calls: list[tuple[int, ...]] = []

    def upscale(self, image: np.ndarray, *, outscale: float | None = None) -> np.ndarray:
        from upscalekit.resize import resize

        self.calls.append(image.shape)
        h, w = image.shape[:2]
        return resize(image, size=(h * 4 + self.off_by_one, w * 4), method=self.method)


def test_study_media_crops_downscales_and_upscales() -> None:
    from upscalekit.human import contact_sheet, label, study_media
    from upscalekit.pixels import center_crop

    rng = np.random.default_rng(0)
    images = {"rgb": rng.random((300, 270, 3)).astype(np.float32),
              "gray": rng.random((90, 120)).astype(np.float32)}
    ups = [_FakeUpscaler("nearest", "nearest"), _FakeUpscaler("bicubic", "bicubic", off_by_one=True)]
    media = study_media(images, ups, lr_size=16, scale=4)
    assert media.references["rgb"].shape == (64, 64, 3)
    assert np.array_equal(media.references["rgb"], center_crop(images["rgb"], 64))
    assert media.references["gray"].shape == (64, 64, 3)  # gray shown as RGB
    assert media.lr["rgb"].shape == (16, 16, 3) and ups[0].calls == [(16, 16, 3), (16, 16, 3)]
    for item in images:
        for m in ("nearest", "bicubic"):
            assert media.candidates[item][m].shape == media.references[item].shape
    # nearest ×4 of the LR repeats each LR pixel in a 4×4 block
    assert np.allclose(media.candidates["rgb"]["nearest"][::4, ::4], media.lr["rgb"], atol=1e-6)
    assert len(contact_sheet(media).axes) == 2 * 4
    t = label(pd.DataFrame({"x": [1, 2]}), simulated=True)
    assert list(t.columns) == ["votes", "x"] and (t["votes"] == "SIMULATED").all()
    with pytest.raises(ValueError, match="unique"):
        study_media(images, [ups[0], ups[0]])
