"""Blind A/B studies: designs, an append-only vote store, a voting widget and the statistics.

Submodules: :mod:`~upscalekit.human.store` (SQLite votes), :mod:`~upscalekit.human.design`
(which pairs, sides, attention checks), :mod:`~upscalekit.human.stats` (Wilson,
Bradley–Terry, agreement, metric-vs-human), :mod:`~upscalekit.human.widget` (``ABStudy``),
:mod:`~upscalekit.human.media` (reference crops, inputs, every method's output)
and :mod:`~upscalekit.human.simulate` (a clearly labelled simulated rater for CI).
Importing this package loads neither ipywidgets nor matplotlib.
"""

from upscalekit.human.design import ATTENTION_METHOD, Trial, all_pairs, attention_image, make_design
from upscalekit.human.media import StudyMedia, contact_sheet, study_media
from upscalekit.human.simulate import SimulatedRater, simulate_study
from upscalekit.human.stats import (
    Agreement,
    BradleyTerry,
    MetricAgreement,
    Proportion,
    attention_pass_rate,
    bradley_terry,
    candidate_scores,
    fleiss_kappa,
    label,
    method_preference,
    metric_agreement,
    metric_agreement_table,
    pair_preferences,
    perception_distortion_figure,
    preference_rate,
    ranking,
    rater_agreement,
    votes_for_margin,
    wilson_interval,
    win_matrix,
)
from upscalekit.human.store import SCHEMA_VERSION, SchemaError, Vote, VoteStore, read_votes
from upscalekit.human.widget import ABStudy

__all__ = [
    "ABStudy",
    "ATTENTION_METHOD",
    "Agreement",
    "BradleyTerry",
    "MetricAgreement",
    "Proportion",
    "SCHEMA_VERSION",
    "SchemaError",
    "SimulatedRater",
    "StudyMedia",
    "Trial",
    "Vote",
    "VoteStore",
    "all_pairs",
    "attention_image",
    "attention_pass_rate",
    "bradley_terry",
    "candidate_scores",
    "contact_sheet",
    "fleiss_kappa",
    "label",
    "make_design",
    "method_preference",
    "metric_agreement",
    "metric_agreement_table",
    "pair_preferences",
    "perception_distortion_figure",
    "preference_rate",
    "ranking",
    "rater_agreement",
    "read_votes",
    "simulate_study",
    "study_media",
    "votes_for_margin",
    "wilson_interval",
    "win_matrix",
]
