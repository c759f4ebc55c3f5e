"""One memo for slow model runs: the same call on the same pixels runs once per process.

A notebook's tables, its widgets and the diagnosis scenarios all ask for the same (slow, on a CPU)
upscales again and again. :func:`memoize_runs` wraps any run function so equal calls share one
result: arrays are compared by their exact pixels (shape, dtype and a SHA-1 of the bytes), an
upscaler by its name and identity, everything else by value. It also records how long each real
run took, so a widget can show the model's time rather than the time of a cache lookup.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

__all__ = ["cached_run", "memoize_runs"]


def _key_part(value: Any) -> Hashable:
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        return ("array", arr.shape, str(arr.dtype), hashlib.sha1(arr.tobytes()).hexdigest())
    if hasattr(value, "upscale") and hasattr(value, "name"):  # an upscaler: its weights are its identity
        return ("model", str(value.name), id(value))
    return value if isinstance(value, Hashable) else repr(value)


def memoize_runs(fn: Callable[..., Any], *, maxsize: int | None = None) -> Callable[..., Any]:
    """Wrap ``fn`` so that equal calls run it once; the result is shared (made read-only if an array).

    Parameters
    ----------
    fn
        The run, e.g. ``lambda up, lr, **kw: up.upscale(lr, **kw)``.
    maxsize
        Keep at most this many results, least recently used dropped first (``None``: all).

    Returns
    -------
    callable
        Same signature as ``fn``, with ``.cache`` (the store, an ordered dict) and
        ``.run_seconds(*args, **kwargs)``: seconds the real run of that call took, ``None`` if it
        never ran.

    Examples
    --------
    >>> import numpy as np
    >>> calls = []
    >>> run = memoize_runs(lambda a, *, k=1: calls.append(k) or a * k)
    >>> x = np.ones(3)
    >>> run(x, k=2) is run(x.copy(), k=2), len(calls)
    (True, 1)
    >>> run.run_seconds(x, k=2) >= 0, run.run_seconds(x, k=3)
    (True, None)
    """
    store: OrderedDict[Hashable, Any] = OrderedDict()
    seconds: dict[Hashable, float] = {}

    def key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
        named = tuple(sorted((k, _key_part(v)) for k, v in kwargs.items()))
        return tuple(_key_part(a) for a in args), named

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        k = key(args, kwargs)
        if k in store:
            store.move_to_end(k)
            return store[k]
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        seconds[k] = time.perf_counter() - t0
        if isinstance(out, np.ndarray):
            out.flags.writeable = False  # shared between callers: nobody may change it in place
        store[k] = out
        while maxsize is not None and len(store) > maxsize:
            old, _ = store.popitem(last=False)
            seconds.pop(old, None)
        return out

    def run_seconds(*args: Any, **kwargs: Any) -> float | None:
        return seconds.get(key(args, kwargs))

    wrapped.cache = store  # type: ignore[attr-defined]
    wrapped.run_seconds = run_seconds  # type: ignore[attr-defined]
    return wrapped


Runner = Callable[[str, np.ndarray, int], np.ndarray]


def cached_run(run: Runner) -> Runner:
    """Memoise a widget runner ``run(method, lr, scale)`` by method, scale and the LR's exact pixels.

    A notebook can then share one slow model run between its tables and its widgets: a
    :class:`~upscalekit.widgets.ScaleCompare` that rebuilds an LR identical to one already upscaled
    gets the stored output (and the time the real run took) instead of running the model again.

    Examples
    --------
    >>> import numpy as np
    >>> from upscalekit.resize import resize
    >>> run = cached_run(lambda m, lr, s: resize(lr, scale=s, method=m))
    >>> lr = np.zeros((4, 4, 3), np.float32)
    >>> run("bicubic", lr, 2) is run("bicubic", lr.copy(), 2)
    True
    """
    return memoize_runs(lambda method, lr, scale: run(str(method), lr, int(scale)))
