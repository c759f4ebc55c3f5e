"""The one widget base class: an ipywidgets tree in ``.widget``, one ``value`` control, a static picture.

Every widget of the kit (these in :mod:`upscalekit.widgets` and the domain ones beside their
domain: :class:`~upscalekit.video.ClipViewer`, :class:`~upscalekit.diagnose.widget.DiagnoseExplorer`,
:class:`~upscalekit.human.ABStudy`, :class:`~upscalekit.faces.FidelitySlider`,
:class:`~upscalekit.train.StepSlider`) subclasses :class:`Widget` and writes two methods:

* ``_build()`` returns the ipywidgets tree (built once, on first use of ``.widget``);
* ``picture()`` returns what the widget shows right now as one HWC float32 RGB image.

Displaying the object shows the live tree **and** a static PNG of :meth:`Widget.picture`. A page
without a running kernel (``jupyter nbconvert --to html --execute``, a notebook viewer, a page
opened without internet for the widget JavaScript) shows only that PNG, so the exported page
still has a picture of every widget. On a live page the tree carries a one-line style that hides
the PNG: where the widget itself renders, its snapshot does not appear twice.
"""

from __future__ import annotations

import base64
import html
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

__all__ = ["STATIC_CLASS", "Widget", "figure_to_rgb", "image_view", "labelled", "live_only_style"]

#: CSS class of the static snapshot. A live page hides it (the style travels inside the widget tree,
#: so it applies only where the widget's JavaScript actually rendered).
STATIC_CLASS = "upscalekit-static"
_HIDE_STATIC = f"<style>.{STATIC_CLASS} {{display: none !important;}}</style>"


class Widget(ABC):
    """Base of every widget of the kit.

    Attributes
    ----------
    widget
        The ipywidgets tree (built by ``_build`` on first access).
    control
        The one main control (a slider, a dropdown); :attr:`value` reads and sets it.
    redraw_ms
        Wall time of the last redraw, in milliseconds.

    Examples
    --------
    >>> import numpy as np
    >>> class Flat(Widget):
    ...     def _build(self):
    ...         import ipywidgets as w
    ...         self.control = w.FloatSlider(value=0.5, min=0, max=1)
    ...         return w.VBox([self.control])
    ...     def picture(self):
    ...         return np.full((2, 2, 3), self.value, np.float32)
    >>> f = Flat()
    >>> f.value = 0.25
    >>> float(f.picture()[0, 0, 0])
    0.25
    >>> sorted(f._repr_static_()), f.static_png()[:4]
    (['image/png', 'text/html', 'text/plain'], b'\\x89PNG')
    """

    _view: Any = None
    control: Any = None
    redraw_ms: float = 0.0

    @property
    def widget(self) -> Any:
        """The ipywidgets tree, built on first use (constructing a widget shows nothing yet)."""
        if self._view is None:
            self._view = self._build()
        return self._view

    @widget.setter
    def widget(self, tree: Any) -> None:
        self._view = tree

    def _build(self) -> Any:
        """Return the ipywidgets tree and set ``self.control`` (widgets that build in ``__init__``
        assign ``self.widget`` there instead)."""
        raise NotImplementedError(f"{type(self).__name__} must assign self.widget in __init__ "
                                  "or override _build")

    @abstractmethod
    def picture(self) -> np.ndarray:
        """What the widget shows now, as one HWC float32 RGB image in [0, 1] (the static snapshot)."""

    def caption(self) -> str:
        """One line printed under the static snapshot (labels the picture cannot carry)."""
        return ""

    @property
    def value(self) -> Any:
        """The main control's value (e.g. the split position of a swipe, the α of a budget slider)."""
        return _control(self).value

    @value.setter
    def value(self, v: Any) -> None:
        _control(self).value = v

    def static_png(self) -> bytes:
        """:meth:`picture` as PNG bytes."""
        from upscalekit.io import encode_png

        return encode_png(np.clip(np.asarray(self.picture(), np.float32), 0.0, 1.0))

    def _repr_static_(self) -> dict[str, str]:
        """The snapshot as a display bundle: an ``<img>`` (hidden on a live page) and the PNG itself."""
        b64 = base64.b64encode(self.static_png()).decode("ascii")
        name = type(self).__name__
        cap = html.escape(self.caption())
        return {
            "text/html": (f'<div class="{STATIC_CLASS}"><img alt="{name} (static snapshot)" '
                          f'src="data:image/png;base64,{b64}"/>'
                          + (f"<br/><small>{cap}</small>" if cap else "") + "</div>"),
            "image/png": b64,
            "text/plain": f"<{name}: static snapshot of the widget>",
        }

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if getattr(self, "_live", None) is None:
            import ipywidgets as w

            # The style rides inside the live tree: it exists on the page only where the tree rendered.
            self._live = w.VBox([live_only_style(), self.widget])
        display(self._live)
        display(self._repr_static_(), raw=True)


def _control(widget: Widget) -> Any:
    if widget.control is None:
        widget.widget  # noqa: B018 — building the tree creates the control
    if widget.control is None:
        raise AttributeError(f"{type(widget).__name__} has no main control (set self.control in _build)")
    return widget.control


def live_only_style() -> Any:
    """An (invisible) HTML widget whose style hides the static snapshots on a live page."""
    import ipywidgets as w

    return w.HTML(_HIDE_STATIC, layout=w.Layout(display="none"))


def image_view(image: np.ndarray | None = None, *, width: int | None = None) -> Any:
    """An ``ipywidgets.Image`` showing ``image`` as PNG (empty when ``None``), ``width`` CSS pixels wide."""
    import ipywidgets as w

    from upscalekit.io import encode_png

    layout = w.Layout(width=f"{width}px") if width else w.Layout()
    return w.Image(value=encode_png(image) if image is not None else b"", format="png", layout=layout)


def labelled(label: str, child: Any) -> Any:
    """``child`` under a bold, HTML-escaped caption."""
    import ipywidgets as w

    return w.VBox([w.HTML(f"<b>{html.escape(str(label))}</b>"), child])


def figure_to_rgb(fig: Any, *, close: bool = True) -> np.ndarray:
    """Render a matplotlib figure (Agg) to an HWC float32 RGB image; closes it unless ``close=False``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure(figsize=(1, 1), dpi=10)
    >>> figure_to_rgb(fig).shape
    (10, 10, 3)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    out = (rgba[..., :3].astype(np.float32) / 255.0).copy()
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return out
