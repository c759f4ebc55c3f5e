"""Study designs: which pairs a rater sees, how often, on which side, and the attention checks.

Everything is seeded, so a design can be rebuilt exactly from its parameters. Sides are
balanced per pair (a pair shown twice appears once each way round) because raters have
a measurable side bias; trial order is shuffled so no method sits in a predictable slot.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from upscalekit._checks import check_image

__all__ = ["ATTENTION_METHOD", "Trial", "all_pairs", "attention_image", "make_design"]

#: Method name of the deliberately degraded side of an attention check.
ATTENTION_METHOD = "attention-degraded"


@dataclass(frozen=True)
class Trial:
    """One screen of a study: an item and two methods, in the order shown.

    Attributes
    ----------
    index : int
        Position in the design (0-based).
    item : str
        Image judged.
    left, right : str
        Methods shown on the left and on the right.
    is_attention_check : bool
        One side is :data:`ATTENTION_METHOD`, a heavily degraded copy of the other.
    repeat : int
        Which showing of this (item, pair) this is, 0-based.
    """

    index: int
    item: str
    left: str
    right: str
    is_attention_check: bool = False
    repeat: int = 0

    @property
    def pair(self) -> tuple[str, str]:
        """The methods in canonical (sorted) order."""
        return tuple(sorted((self.left, self.right)))  # type: ignore[return-value]


def all_pairs(methods: Sequence[str]) -> list[tuple[str, str]]:
    """Every unordered pair of distinct methods, each in sorted order.

    Examples
    --------
    >>> all_pairs(["b", "a", "c"])
    [('a', 'b'), ('a', 'c'), ('b', 'c')]
    """
    names = sorted(set(methods))
    if len(names) < 2:
        raise ValueError(f"a pairwise study needs at least two distinct methods, got {list(methods)}")
    return list(itertools.combinations(names, 2))


def make_design(
    items: Sequence[str],
    methods: Sequence[str],
    *,
    pairs_per_item: int | None = None,
    repeats: int = 1,
    attention_checks: int = 0,
    seed: int = 0,
) -> list[Trial]:
    """Build a shuffled list of trials.

    Parameters
    ----------
    items, methods
        What is judged and which candidates compete.
    pairs_per_item
        ``None`` shows all pairs for every item. A number picks that many pairs per
        item from one shuffled cycle through all pairs, so across items every pair is
        used equally often (counts differ by at most one): a balanced random subset.
    repeats
        How many times each chosen (item, pair) is shown. Sides alternate between
        repeats, starting from a random side, so each pair is seen both ways round.
    attention_checks
        Extra trials pairing a random method with a heavily degraded copy of itself
        (:data:`ATTENTION_METHOD`); a careful rater always picks the undegraded side.
    seed
        Seed for pair choice, sides and order.

    Examples
    --------
    >>> trials = make_design(["brick", "text"], ["bicubic", "esrgan", "anime"], repeats=2, seed=1)
    >>> len(trials)
    12
    """
    if not items:
        raise ValueError("items is empty: give at least one image name")
    if len(set(items)) != len(items):
        raise ValueError(f"items must be unique, got {list(items)}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if attention_checks < 0:
        raise ValueError(f"attention_checks must be >= 0, got {attention_checks}")
    if ATTENTION_METHOD in methods:
        raise ValueError(f"{ATTENTION_METHOD!r} is reserved for attention checks; rename that method")
    pairs = all_pairs(methods)
    rng = np.random.default_rng(seed)
    if pairs_per_item is None:
        per_item = {item: list(pairs) for item in items}
    else:
        if not 1 <= pairs_per_item <= len(pairs):
            raise ValueError(f"pairs_per_item must be in 1..{len(pairs)} (all pairs), got {pairs_per_item}")
        cycle = [pairs[i] for i in rng.permutation(len(pairs))]
        # Consecutive windows of one cycle: no pair twice within an item, all pairs used evenly overall.
        per_item = {
            item: [cycle[(k * pairs_per_item + j) % len(cycle)] for j in range(pairs_per_item)]
            for k, item in enumerate(items)
        }
    raw: list[tuple[str, str, str, bool, int]] = []
    for item, chosen in per_item.items():
        for a, b in chosen:
            first_left = bool(rng.integers(2))
            for r in range(repeats):
                left_is_a = first_left if r % 2 == 0 else not first_left
                left, right = (a, b) if left_is_a else (b, a)
                raw.append((item, left, right, False, r))
    names = sorted(set(methods))
    for _ in range(attention_checks):
        item = items[int(rng.integers(len(items)))]
        method = names[int(rng.integers(len(names)))]
        left, right = (method, ATTENTION_METHOD) if rng.integers(2) else (ATTENTION_METHOD, method)
        raw.append((item, left, right, True, 0))
    order = rng.permutation(len(raw))
    return [Trial(i, *raw[j]) for i, j in enumerate(order)]


def attention_image(image: np.ndarray, *, factor: int = 8) -> np.ndarray:
    """A clearly degraded copy for attention checks: shrink ``factor``× and blow back up (bilinear).

    Examples
    --------
    >>> import numpy as np
    >>> attention_image(np.random.default_rng(0).random((32, 32, 3), dtype=np.float32)).shape
    (32, 32, 3)
    """
    from upscalekit.resize import resize

    image = check_image(image, "image")
    h, w = image.shape[:2]
    small = resize(image, size=(max(1, h // factor), max(1, w // factor)), method="area")
    return resize(small, size=(h, w), method="bilinear")
