"""Tests for upscalekit.widgets: the widgets headless (their drawing helpers: test_display.py).

ipywidgets works without a frontend: setting a slider's value fires the observers synchronously,
so a test can move a slider and compare the PNG bytes the widget would show.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from upscalekit import widgets as W
from upscalekit.display import heatmap_rgb
from upscalekit.resize import resize


def _decode(png: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module")
def photo(skimage_photo) -> np.ndarray:
    return skimage_photo("astronaut")  # 512 × 512 RGB


def _ramp(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([x / max(1, w - 1), y / max(1, h - 1), np.full_like(x, 0.5)], axis=2)


# ---------------------------------------------------------------- widgets, headless


def test_swipe_widget_redraws_on_slider(photo: np.ndarray) -> None:
    soft = resize(resize(photo, scale=0.25), scale=4)
    sw = W.SwipeCompare(photo, soft, labels=("original", "bicubic 4×"))
    first = sw.image.value
    sw.slider.value = 0.1
    assert sw.image.value != first
    shown = _decode(sw.image.value)
    assert shown.shape == (512, 512, 3)
    # Right of the line the displayed pixels are the bicubic image, left the original.
    np.testing.assert_array_equal(shown[:, 100:], np.rint(soft[:, 100:] * 255).astype(np.uint8))
    np.testing.assert_array_equal(shown[:, :40], np.rint(photo[:, :40] * 255).astype(np.uint8))
    times = []
    for p in np.linspace(0, 1, 11):
        sw.slider.value = float(p)
        times.append(sw.redraw_ms)
    print(f"SwipeCompare 512×512 redraw: median {np.median(times):.1f} ms, max {max(times):.1f} ms")
    assert "upscalekit-swipe" in sw.widget._dom_classes


def test_swipe_widget_accepts_lr_and_sr_sizes() -> None:
    lr = _ramp(16, 16)
    sw = W.SwipeCompare(lr, resize(lr, scale=4), labels=("LR", "SR"))
    assert sw.a.shape == sw.b.shape == (64, 64, 3)
    np.testing.assert_array_equal(sw.a[::4, ::4], lr)  # nearest: the LR pixels unchanged


def test_synczoom_widget(photo: np.ndarray) -> None:
    lr = resize(photo, scale=0.25)
    z = W.SyncZoom({"LR": lr, "bicubic": resize(lr, scale=4), "original": photo}, crop_px=192)
    before = {k: im.value for k, im in z.crops.items()}
    ov_before = z.overview.value
    z.x.value = 0.2
    assert all(z.crops[k].value != before[k] for k in before)
    assert z.overview.value != ov_before
    shapes = {_decode(im.value).shape for im in z.crops.values()}
    assert len(shapes) == 1  # every candidate shown at the same size
    times = []
    for s in (0.1, 0.2, 0.3, 0.5):
        z.size.value = s
        times.append(z.redraw_ms)
    print(f"SyncZoom 3 candidates (512 px) redraw: median {np.median(times):.1f} ms, max {max(times):.1f} ms")


def test_method_picker_and_scale_compare_cache() -> None:
    calls: list[tuple[str, int]] = []

    def run(method: str, lr: np.ndarray, scale: int) -> np.ndarray:
        calls.append((method, scale))
        return resize(lr, scale=scale, method=method)

    lr = _ramp(24, 32)
    sc = W.ScaleCompare({"ramp": lr}, ["nearest", "bicubic", "lanczos"], run, selected=["nearest", "bicubic"])
    assert sc.picker.value == ("nearest", "bicubic")
    assert sorted(calls) == [("bicubic", 4), ("nearest", 4)]
    assert sc.results["bicubic"].shape == (96, 128, 3)
    shown = sc.row.children[0].children[1].value
    sc.scale.value = 2
    assert sc.results["bicubic"].shape == (48, 64, 3)
    assert sc.row.children[0].children[1].value != shown
    n = len(calls)
    sc.scale.value = 4  # back to a cached scale: nothing re-runs
    assert len(calls) == n
    sc.picker.checkboxes["lanczos"].value = True
    assert calls[-1] == ("lanczos", 4) and list(sc.results) == ["nearest", "bicubic", "lanczos"]
    np.testing.assert_array_equal(sc.results["nearest"], resize(lr, scale=4, method="nearest"))
    with pytest.raises(KeyError, match="did you mean"):
        W.MethodPicker(["bicubic"], selected=["bicubc"])


def test_scale_compare_with_make_lr_shows_ground_truth() -> None:
    gt = _ramp(48, 48)
    sc = W.ScaleCompare(gt, ["bicubic"], lambda m, lr, s: resize(lr, scale=s, method=m),
                        make_lr=lambda img, s: resize(img, scale=1 / s, method="area"))
    assert sc.results["bicubic"].shape == (48, 48, 3)
    sc.scale.value = 3
    assert sc.lr("sample", 3).shape == (16, 16, 3)
    assert len(sc.row.children) == 2  # ground truth + one method


def test_hallucination_budget_widget(photo: np.ndarray) -> None:
    lr = resize(photo[:256, :256], scale=0.25)
    base = resize(lr, scale=4)
    # A stand-in "model": bicubic plus invented high-frequency texture.
    texture = np.random.default_rng(3).normal(0, 0.06, base.shape).astype(np.float32)
    model = np.clip(base + texture, 0, 1)
    hb = W.HallucinationBudget(lr, model, alpha=1.0)
    at_one = (hb.image.value, hb.heat.value, hb.lr_consistency, hb.invented_mean)
    hb.alpha.value = 0.0
    assert hb.image.value != at_one[0] and hb.heat.value != at_one[1]
    np.testing.assert_array_equal(_decode(hb.image.value), np.rint(base * 255).astype(np.uint8))
    at_zero = (hb.lr_consistency, hb.invented_mean)
    hb.alpha.value = 1.5
    # More invented detail, less consistent with the LR input, as alpha grows.
    assert at_zero[1] < at_one[3] < hb.invented_mean
    assert at_zero[0] > at_one[2] > hb.lr_consistency
    assert "dB" in hb.readout.value
    print(f"HallucinationBudget LR consistency α=0/1/1.5: {at_zero[0]:.2f} / {at_one[2]:.2f} / "
          f"{hb.lr_consistency:.2f} dB; invented {at_zero[1]:.4f} / {at_one[3]:.4f} / {hb.invented_mean:.4f}")


def test_hallucination_budget_redraw_time_512(photo: np.ndarray) -> None:
    lr = resize(photo, scale=0.25)
    model = np.clip(resize(lr, scale=4, method="lanczos") * 1.05, 0, 1)
    hb = W.HallucinationBudget(lr, model)
    times = []
    for a in (0.1, 0.3, 0.5, 0.7, 0.9):  # uncached values
        t0 = time.perf_counter()
        hb.alpha.value = a
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"HallucinationBudget 512×512 redraw: median {np.median(times):.1f} ms, max {max(times):.1f} ms")
    with pytest.raises(ValueError, match="smaller than lr"):
        W.HallucinationBudget(model, lr)


def test_frame_scrubber_streams_overlay_and_errors() -> None:
    frames = [np.full((32, 32, 3), v, np.float32) for v in (0.1, 0.5, 0.9)]
    maps = [np.zeros((8, 8), np.float32), np.ones((8, 8), np.float32), np.full((8, 8), 2.0, np.float32)]
    fs = W.FrameScrubber({"bicubic": frames, "model": frames[::-1]}, overlay={"model": maps}, opacity=0.0)
    first = {k: im.value for k, im in fs.images.items()}
    fs.frame.value = 2
    assert all(fs.images[k].value != first[k] for k in first)
    np.testing.assert_array_equal(_decode(fs.images["model"].value), np.full((32, 32, 3), 26, np.uint8))
    plain = fs.images["model"].value
    fs.opacity.value = 1.0
    assert fs.images["model"].value != plain
    top = np.rint(heatmap_rgb(np.ones((1, 1), np.float32))[0, 0] * 255)
    np.testing.assert_array_equal(_decode(fs.images["model"].value)[0, 0], top)  # vmax shared: 2.0
    assert fs.images["bicubic"].value == fs._cache[("bicubic", 2, 0.0)]
    assert fs.play.max == 2
    times = []
    big = [np.random.default_rng(i).random((512, 512, 3), dtype=np.float32) for i in range(4)]
    fs2 = W.FrameScrubber(big, overlay=[f[..., 0] for f in big])
    for i in (1, 2, 3):
        fs2.frame.value = i
        times.append(fs2.redraw_ms)
    print(f"FrameScrubber 512×512 with overlay redraw: median {np.median(times):.1f} ms")
    with pytest.raises(ValueError, match="same number"):
        W.FrameScrubber({"a": frames, "b": frames[:2]})
    with pytest.raises(KeyError, match="stream"):
        W.FrameScrubber({"a": frames}, overlay={"b": maps})


def test_ipython_display_shows_the_widget_and_a_static_png(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    sw = W.SwipeCompare(np.zeros((4, 4, 3), np.float32), np.ones((4, 4, 3), np.float32))
    sw._ipython_display_()
    (live, _), (static, kw) = shown
    assert sw.widget in live.children  # the live tree, with the style that hides the snapshot
    assert "upscalekit-static" in live.children[0].value and kw == {"raw": True}
    assert 'class="upscalekit-static"' in static["text/html"] and "<img" in static["text/html"]
    import base64

    np.testing.assert_array_equal(_decode(base64.b64decode(static["image/png"])),
                                  np.rint(sw.picture() * 255).astype(np.uint8))


def test_every_widget_of_the_kit_is_a_widget_with_a_picture(tmp_path) -> None:
    from upscalekit.diagnose.widget import DiagnoseExplorer
    from upscalekit.faces import FidelitySlider
    from upscalekit.human import ABStudy, VoteStore, make_design
    from upscalekit.train import StepSlider
    from upscalekit.video import ClipViewer

    kit = [W.SwipeCompare, W.SyncZoom, W.MethodPicker, W.ScaleCompare, W.HallucinationBudget,
           W.FrameScrubber, ClipViewer, DiagnoseExplorer, ABStudy, FidelitySlider, StepSlider]
    assert all(issubclass(c, W.Widget) for c in kit)
    img = _ramp(16, 16)
    frames = [img, img[::-1].copy()]
    store = VoteStore(tmp_path / "v.sqlite")
    study = ABStudy(store, make_design(["x"], ["a", "b"], repeats=1, seed=0),
                    {"x": {"a": img, "b": img[:, ::-1].copy()}}, display=32)
    widgets = [W.SwipeCompare(img, img), W.SyncZoom({"a": img}), W.MethodPicker(["a", "b"], selected=["a"]),
               W.ScaleCompare(img, ["bicubic"], lambda m, lr, s: resize(lr, scale=s, method=m)),
               W.HallucinationBudget(img, resize(img, scale=4)), W.FrameScrubber(frames),
               ClipViewer({"a": frames}), study]
    from upscalekit.samples import Sample

    class Bicubic:
        def upscale(self, lr: np.ndarray) -> np.ndarray:
            return resize(lr, scale=4)

    crop = Sample("ramp", resize(img, scale=4), img, {})
    widgets.append(StepSlider({"0": Bicubic(), "1": Bicubic()}, crop))
    for wd in widgets:
        pic = wd.picture()
        assert pic.ndim == 3 and pic.shape[2] == 3 and pic.dtype == np.float32, type(wd).__name__
        assert wd.static_png()[:4] == b"\x89PNG"
        wd.value = wd.value  # one value-style control on every widget
    assert widgets[2].value == ("a",)
    widgets[0].value = 0.0  # the swipe's split: all of b
    np.testing.assert_array_equal(widgets[0].picture()[:, 2:], img[:, 2:])
