"""Blind A/B voting widget for Jupyter, with its logic in pure functions.

:class:`ABStudy` shows two candidates side by side (method names hidden, sides from the
design), optionally the reference, one synchronized zoom crop applied to all panels,
buttons "left" / "can't tell" / "right", rater name and session fields, and progress
("12 of 40"). Every vote is appended to a :class:`~upscalekit.human.store.VoteStore`
the moment it is cast.

Keyboard: with the optional ``ipyevents`` package installed, ``A``/``←`` votes left,
``L``/``→`` right, ``T``/``↓``/space "can't tell" while the mouse is over the widget
(browsers only send key events to the hovered/focused widget). Without it, voting is
click-only; everything else works the same.

The callbacks only call the pure functions below (:meth:`~upscalekit.pixels.Box.from_fractions`, :func:`zoom`,
:func:`key_to_choice`, :func:`progress_text`, :func:`start`, :func:`record_vote`,
:func:`trial_images`), which tests exercise without a browser.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from upscalekit._checks import check_image
from upscalekit.display import nearest_to
from upscalekit.human.design import ATTENTION_METHOD, Trial, attention_image
from upscalekit.human.store import Vote, VoteStore
from upscalekit.io import encode_png
from upscalekit.pixels import Box, as_rgb
from upscalekit.widgets.base import Widget

__all__ = [
    "ABStudy",
    "StudyState",
    "key_to_choice",
    "progress_text",
    "record_vote",
    "start",
    "trial_images",
    "zoom",
]

_KEYS = {
    "a": "left", "arrowleft": "left",
    "l": "right", "arrowright": "right",
    "t": "tie", "arrowdown": "tie", " ": "tie",
}


# -- pure logic ----------------------------------------------------------------------------------
def zoom(image: np.ndarray, box: Box, *, display: int = 320) -> np.ndarray:
    """Cut ``box`` (a :class:`~upscalekit.pixels.Box`) out, enlarged to ``display`` px by nearest neighbour.

    Examples
    --------
    >>> import numpy as np
    >>> from upscalekit.pixels import Box
    >>> zoom(np.zeros((64, 64, 3), np.float32), Box(0, 0, 16, 16), display=64).shape
    (64, 64, 3)
    """
    image = check_image(image)
    crop = image[Box(*box).slices]
    if crop.size == 0:
        raise ValueError(f"crop box {box} is empty for an image of shape {image.shape}")
    return nearest_to(as_rgb(crop), display, display)


def key_to_choice(key: str) -> str | None:
    """Map a browser ``KeyboardEvent.key`` to a choice, or ``None`` for keys that do not vote.

    Examples
    --------
    >>> key_to_choice("ArrowLeft"), key_to_choice("L"), key_to_choice(" "), key_to_choice("x")
    ('left', 'right', 'tie', None)
    """
    return _KEYS.get(key.lower())


def progress_text(done: int, total: int) -> str:
    """Progress label shown above the pair.

    Examples
    --------
    >>> progress_text(12, 40)
    '12 of 40'
    """
    return f"{done} of {total}"


@dataclass(frozen=True)
class StudyState:
    """Where a rater is in a design.

    Attributes
    ----------
    trials : tuple of Trial
    position : int
        Index of the trial on screen (``len(trials)`` when finished).
    shown_at : float
        Clock reading when the current trial appeared (for response times).
    """

    trials: tuple[Trial, ...]
    position: int = 0
    shown_at: float = 0.0

    @property
    def finished(self) -> bool:
        return self.position >= len(self.trials)

    @property
    def current(self) -> Trial | None:
        return None if self.finished else self.trials[self.position]


def start(trials: Sequence[Trial], *, now: float) -> StudyState:
    """A fresh state showing the first trial at time ``now`` (seconds)."""
    if len(trials) == 0:
        raise ValueError("the design has no trials; build one with make_design(...)")
    return StudyState(tuple(trials), 0, float(now))


def record_vote(
    state: StudyState, choice: str, *, rater: str, session_id: str, study_id: str, now: float,
    simulated: bool = False,
) -> tuple[StudyState, Vote]:
    """Turn a click into a :class:`Vote` and advance to the next trial.

    Raises
    ------
    ValueError
        Finished study, empty rater name or unknown choice.

    Examples
    --------
    >>> from upscalekit.human.design import Trial
    >>> s = start([Trial(0, "brick", "b", "a")], now=10.0)
    >>> s2, v = record_vote(s, "left", rater="ana", session_id="s", study_id="p", now=10.8)
    >>> v.chosen_method, round(v.response_ms), s2.finished
    ('b', 800, True)
    """
    if state.finished:
        raise ValueError(f"all {len(state.trials)} trials are done; start a new session to vote again")
    if not rater.strip():
        raise ValueError("type your rater name (any pseudonym) before voting")
    t = state.current
    assert t is not None
    vote = Vote(rater.strip(), session_id, study_id, t.item, t.left, t.right, choice,
                response_ms=max(0.0, (now - state.shown_at) * 1000.0), trial_index=t.index,
                is_attention_check=t.is_attention_check, is_simulated=simulated)
    return replace(state, position=state.position + 1, shown_at=float(now)), vote


def trial_images(
    trial: Trial, images: Mapping[str, Mapping[str, np.ndarray]], *, attention_factor: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """The (left, right) images of a trial; an attention side is a degraded copy of the other side."""
    if trial.item not in images:
        raise KeyError(f"no images for item {trial.item!r}; have {sorted(images)}")
    by_method = images[trial.item]

    def get(method: str, other: str) -> np.ndarray:
        if method == ATTENTION_METHOD:
            return attention_image(by_method[other], factor=attention_factor)
        if method not in by_method:
            raise KeyError(f"no image of method {method!r} for item {trial.item!r}; have {sorted(by_method)}")
        return by_method[method]

    return get(trial.left, trial.right), get(trial.right, trial.left)


# -- the widget ----------------------------------------------------------------------------------
class ABStudy(Widget):
    """Blind A/B study widget; display it in a notebook cell.

    Parameters
    ----------
    store
        Where votes go (a ``kind="real"`` file for people).
    trials
        The design (:func:`~upscalekit.human.design.make_design`).
    images
        ``images[item][method]`` → HWC float image; all methods of an item share a shape.
    references
        Optional ``references[item]`` shown as a third panel labelled "reference".
    study_id, rater, session_id
        Labels stored with each vote; a random session id is made if none is given.
    display
        Panel size in pixels.

    Examples
    --------
    >>> study = ABStudy(VoteStore("votes.sqlite"), trials, images, study_id="pilot")  # doctest: +SKIP
    >>> study  # doctest: +SKIP
    """

    def __init__(
        self,
        store: VoteStore,
        trials: Sequence[Trial],
        images: Mapping[str, Mapping[str, np.ndarray]],
        *,
        references: Mapping[str, np.ndarray] | None = None,
        study_id: str = "study",
        rater: str = "",
        session_id: str | None = None,
        display: int = 320,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for t in trials:  # fail now, not halfway through a rater's session
            trial_images(t, images)
        self.store = store
        self.images = images
        self.references = references
        self.study_id = study_id
        self.rater = rater
        self.session_id = session_id or uuid.uuid4().hex[:8]
        self.display = int(display)
        self.clock = clock
        self.state = start(trials, now=clock())
        self.crop = dict(x=0.5, y=0.5, size=1.0)
        self._w: dict[str, Any] | None = None

    # callbacks: thin wrappers around the pure functions
    def vote(self, choice: str) -> Vote | None:
        """Record ``choice`` for the trial on screen (what the buttons and keys call)."""
        try:
            self.state, v = record_vote(self.state, choice, rater=self.rater, session_id=self.session_id,
                                        study_id=self.study_id, now=self.clock())
        except ValueError as exc:
            self._message(str(exc))
            return None
        self.store.add(v)
        self._message("")
        self._refresh()
        return v

    def _message(self, text: str) -> None:
        if self._w is not None:
            self._w["message"].value = f"<b style='color:crimson'>{text}</b>" if text else ""

    def _panels(self) -> list[tuple[str, np.ndarray]]:
        t = self.state.current
        if t is None:
            return []
        left, right = trial_images(t, self.images)
        panels = [("left", left), ("right", right)]
        if self.references is not None and t.item in self.references:
            panels.insert(1, ("reference", self.references[t.item]))
        return panels

    def _refresh(self) -> None:
        if self._w is None:
            return
        w = self._w
        w["progress"].value = progress_text(self.state.position, len(self.state.trials))
        panels = self._panels()
        if not panels:
            w["images"].children = []
            n = len(self.state.trials)
            w["message"].value = f"<b>Done — {n} votes saved to {self.store.path}. Thank you!</b>"
            for b in w["buttons"]:
                b.disabled = True
            return
        import ipywidgets as widgets

        boxes = []
        for label, img in panels:
            box = Box.from_fractions(img.shape, **self.crop)
            png = encode_png(zoom(img, box, display=self.display))
            boxes.append(widgets.VBox([widgets.HTML(f"<center><b>{label}</b></center>"),
                                       widgets.Image(value=png, format="png", width=self.display)]))
        w["images"].children = boxes

    def _build(self) -> Any:
        import ipywidgets as widgets

        rater = widgets.Text(value=self.rater, description="rater", placeholder="your name or pseudonym")
        session = widgets.Text(value=self.session_id, description="session")
        progress = widgets.Label()
        message = widgets.HTML()
        images = widgets.HBox()
        sliders = {
            "x": widgets.FloatSlider(value=0.5, min=0, max=1, step=0.01, description="zoom x"),
            "y": widgets.FloatSlider(value=0.5, min=0, max=1, step=0.01, description="zoom y"),
            "size": widgets.FloatSlider(value=1.0, min=0.1, max=1, step=0.05, description="zoom size"),
        }
        buttons = [widgets.Button(description=d, tooltip=k) for d, k in
                   (("◀ left is better", "A / ←"), ("can't tell", "T / ↓ / space"),
                    ("right is better ▶", "L / →"))]
        for b, choice in zip(buttons, ("left", "tie", "right"), strict=True):
            b.on_click(lambda _b, c=choice: self.vote(c))

        def on_rater(change: dict) -> None:
            self.rater = change["new"]

        def on_session(change: dict) -> None:
            self.session_id = change["new"]

        def on_slider(change: dict) -> None:
            self.crop = {k: s.value for k, s in sliders.items()}
            self._refresh()

        rater.observe(on_rater, "value")
        session.observe(on_session, "value")
        for s in sliders.values():
            s.observe(on_slider, "value")
        self._w = dict(progress=progress, message=message, images=images, buttons=buttons)
        hint = widgets.HTML("<small>Method names are hidden. Pick the one that looks better; "
                            "zoom sliders move the same crop on every panel.</small>")
        root = widgets.VBox([widgets.HBox([rater, session, progress]), hint, images,
                             widgets.HBox(list(sliders.values())), widgets.HBox(buttons), message])
        try:  # optional keyboard voting
            from ipyevents import Event

            ev = Event(source=root, watched_events=["keydown"], prevent_default_action=True)

            def on_key(event: dict) -> None:
                choice = key_to_choice(str(event.get("key", "")))
                if choice is not None:
                    self.vote(choice)

            ev.on_dom_event(on_key)
            self._w["events"] = ev
        except ImportError:
            hint.value += "<small> (click to vote; install ipyevents for keyboard shortcuts)</small>"
        self.control = sliders["size"]
        self._refresh()
        return root

    def picture(self) -> np.ndarray:
        """The panels of the trial on screen (zoomed as the sliders say), side by side; white when done."""
        from upscalekit.display import side_by_side

        tiles = [zoom(img, Box.from_fractions(img.shape, **self.crop), display=self.display)
                 for _, img in self._panels()]
        return side_by_side(tiles) if tiles else np.ones((self.display // 4, self.display, 3), np.float32)

    def caption(self) -> str:
        names = " | ".join(label for label, _ in self._panels()) or "done"
        return f"{names} · {progress_text(self.state.position, len(self.state.trials))}"
