"""Tests for upscalekit.widgets: the pure functions pixel by pixel, the widgets headless.

ipywidgets works without a frontend: setting a slider's value fires the observers synchronously,
so a test can move a slider and compare the PNG bytes the widget would show.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from upscalekit import widgets as W
from upscalekit.resize import resize


def _decode(png: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    from skimage import data

    return (data.astronaut() / 255.0).astype(np.float32)  # 512 × 512 RGB


def _ramp(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([x / max(1, w - 1), y / max(1, h - 1), np.full_like(x, 0.5)], axis=2)


# ---------------------------------------------------------------- swipe_composite


def test_swipe_composite_exact_split() -> None:
    a, b = np.zeros((3, 10, 3), np.float32), np.ones((3, 10, 3), np.float32)
    out = W.swipe_composite(a, b, 0.3, line_width=0)
    assert (out[:, :3] == 0).all() and (out[:, 3:] == 1).all()
    assert (W.swipe_composite(a, b, 0.0, line_width=0) == b).all()
    assert (W.swipe_composite(a, b, 1.0, line_width=0) == a).all()


def test_swipe_composite_draws_line_centred_and_at_borders() -> None:
    a, b = np.zeros((2, 10, 3), np.float32), np.zeros((2, 10, 3), np.float32)
    out = W.swipe_composite(a, b, 0.5, line_width=2, line_color=(1.0, 0.0, 0.0))
    red_cols = np.flatnonzero(out[0, :, 0] == 1.0).tolist()
    assert red_cols == [4, 5]
    assert (out[..., 1:] == 0).all()
    # At either border the line keeps its width instead of falling off the image.
    assert np.flatnonzero(W.swipe_composite(a, b, 1.0, line_width=2)[0, :, 0]).tolist() == [8, 9]
    assert np.flatnonzero(W.swipe_composite(a, b, 0.0, line_width=2)[0, :, 0]).tolist() == [0, 1]


def test_swipe_composite_gray_and_errors() -> None:
    g = np.full((4, 4), 0.25, np.float32)
    assert W.swipe_composite(g, g, 0.5).shape == (4, 4, 3)
    with pytest.raises(ValueError, match="same shape"):
        W.swipe_composite(np.zeros((4, 4, 3), np.float32), np.zeros((4, 5, 3), np.float32), 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        W.swipe_composite(g, g, 1.5)


# ---------------------------------------------------------------- zoom


def test_zoom_boxes_same_scale_centre_and_clamp() -> None:
    assert W.zoom_boxes([(100, 100)], 0.5, 0.5, 0.2) == [(40, 40, 60, 60)]
    # A region asked for beyond the border slides inside and keeps its size.
    assert W.zoom_boxes([(100, 100)], 0.0, 1.0, 0.2) == [(80, 0, 100, 20)]
    assert W.zoom_boxes([(100, 100)], 1.0, 0.0, 0.2) == [(0, 80, 20, 100)]
    # size 1 is the whole shorter side.
    assert W.zoom_boxes([(50, 100)], 0.5, 0.5, 1.0) == [(0, 25, 50, 75)]


def test_zoom_boxes_different_scales_cover_the_same_scene() -> None:
    boxes = W.zoom_boxes([(16, 24), (64, 96), (32, 48)], 0.3, 0.7, 0.25)
    lr, x4, x2 = boxes
    assert [v * 4 for v in lr] == list(x4)
    assert [v * 2 for v in lr] == list(x2)


def test_zoom_crops_lr_pixels_become_blocks_aligned_with_sr() -> None:
    lr = np.random.default_rng(0).random((16, 16, 3), dtype=np.float32)
    sr = np.repeat(np.repeat(lr, 4, axis=0), 4, axis=1)  # a "perfect" nearest 4× upscale
    crops = W.zoom_crops({"lr": lr, "sr": sr}, 0.4, 0.6, 0.25, magnify=2)
    assert list(crops) == ["lr", "sr"]
    assert crops["lr"].shape == crops["sr"].shape == (32, 32, 3)
    # Same scene, same place: the LR crop magnified 8× equals the SR crop magnified 2×.
    np.testing.assert_array_equal(crops["lr"], crops["sr"])
    (t, lft, _, _), _ = W.zoom_boxes([lr.shape, sr.shape], 0.4, 0.6, 0.25)
    np.testing.assert_array_equal(crops["lr"][::8, ::8], lr[t : t + 4, lft : lft + 4])


def test_zoom_crops_border_and_errors() -> None:
    img = _ramp(20, 20)
    crop = W.zoom_crops({"a": img}, 1.0, 1.0, 0.5, magnify=1)["a"]
    np.testing.assert_array_equal(crop, img[10:, 10:])
    with pytest.raises(ValueError, match="magnify"):
        W.zoom_crops({"a": img}, 0.5, 0.5, 0.5, magnify=0)
    with pytest.raises(ValueError, match="size"):
        W.zoom_crops({"a": img}, 0.5, 0.5, 0.0)
    with pytest.raises(ValueError, match="x is the region centre"):
        W.zoom_crops({"a": img}, 1.2, 0.5, 0.5)
    with pytest.raises(ValueError, match="at least one"):
        W.zoom_crops({}, 0.5, 0.5, 0.5)


def test_side_by_side_and_draw_box() -> None:
    a, b = np.zeros((2, 3, 3), np.float32), np.full((4, 1), 0.5, np.float32)
    out = W.side_by_side([a, b], gap=2, background=1.0)
    assert out.shape == (4, 6, 3)
    assert (out[:2, :3] == 0).all() and (out[:, 3:5] == 1).all() and (out[:, 5] == 0.5).all()
    assert (out[2:, :3] == 1).all()  # padding below the shorter tile
    boxed = W.draw_box(np.zeros((6, 6, 3), np.float32), (1, 1, 5, 5), color=(1, 0, 0), width=1)
    ring = np.zeros((6, 6), bool)
    ring[1:5, 1:5] = True
    ring[2:4, 2:4] = False
    np.testing.assert_array_equal(boxed[..., 0] == 1, ring)
    with pytest.raises(ValueError, match="box"):
        W.draw_box(np.zeros((6, 6, 3), np.float32), (4, 4, 2, 2))


# ---------------------------------------------------------------- blend / heat


def test_blend_residual_endpoints_linearity_and_clip() -> None:
    rng = np.random.default_rng(1)
    base, model = rng.random((8, 8, 3), dtype=np.float32), rng.random((8, 8, 3), dtype=np.float32)
    np.testing.assert_allclose(W.blend_residual(base, model, 0.0), base)
    np.testing.assert_allclose(W.blend_residual(base, model, 1.0), model, atol=1e-6)
    half = W.blend_residual(base, model, 0.5)
    np.testing.assert_allclose(half, (base + model) / 2, atol=1e-6)
    over = W.blend_residual(base, model, 1.5)
    expect = np.clip(base + 1.5 * (model - base), 0, 1)
    np.testing.assert_allclose(over, expect, atol=1e-6)
    assert over.min() >= 0 and over.max() <= 1
    with pytest.raises(ValueError, match="finite"):
        W.blend_residual(base, model, float("nan"))


def test_heatmap_rgb_uses_colormap_ends_and_fixed_vmax() -> None:
    import matplotlib

    lut = matplotlib.colormaps["magma"]
    v = np.array([[0.0, 0.5, 1.0, 2.0]], np.float32)
    out = W.heatmap_rgb(v, vmax=1.0)
    np.testing.assert_allclose(out[0, 0], lut(0.0)[:3], atol=1e-6)
    np.testing.assert_allclose(out[0, 2], lut(1.0)[:3], atol=1e-6)
    np.testing.assert_array_equal(out[0, 3], out[0, 2])  # saturates above vmax
    assert (W.heatmap_rgb(np.zeros((2, 2), np.float32)) == out[0, 0]).all()  # all-zero map is safe
    with pytest.raises(KeyError, match="colormap"):
        W.heatmap_rgb(v, cmap="magmaa")


def test_overlay_heatmap_blends_and_resizes() -> None:
    img = np.full((4, 4, 3), 0.2, np.float32)
    heat = np.ones((2, 2), np.float32)
    top = W.heatmap_rgb(np.ones((1, 1), np.float32), vmax=1.0)[0, 0]
    out = W.overlay_heatmap(img, heat, 0.5, vmax=1.0)
    assert out.shape == (4, 4, 3)
    np.testing.assert_allclose(out, np.broadcast_to(0.5 * 0.2 + 0.5 * top, out.shape), atol=1e-5)
    np.testing.assert_array_equal(W.overlay_heatmap(img, heat, 0.0), img)
    with pytest.raises(ValueError, match="opacity"):
        W.overlay_heatmap(img, heat, 2.0)


def test_local_metrics_behave() -> None:
    lr = _ramp(16, 16) * 0.8 + 0.1
    up = resize(lr, scale=4, method="bicubic")
    assert float(W._invented_local(lr, up).max()) == 0.0  # bicubic invents nothing
    noisy = np.clip(up + np.random.default_rng(2).normal(0, 0.1, up.shape).astype(np.float32), 0, 1)
    assert W._invented_local(lr, noisy).mean() > 0.05
    assert W._lr_consistency_local(lr, up) > W._lr_consistency_local(lr, noisy)


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


def test_cached_run_shares_results_by_pixels() -> None:
    calls = []

    def run(method: str, lr: np.ndarray, scale: int) -> np.ndarray:
        calls.append(method)
        return resize(lr, scale=scale, method=method)

    cached = W.cached_run(run)
    lr = _ramp(8, 8)
    first = cached("bicubic", lr, 2)
    assert cached("bicubic", lr.copy(), 2) is first and calls == ["bicubic"]
    other = lr.copy()
    other[0, 0, 0] = 0.5  # one pixel differs: a new run
    cached("bicubic", other, 2)
    cached("bicubic", lr, 3)
    cached("nearest", lr, 2)
    assert calls == ["bicubic", "bicubic", "bicubic", "nearest"] and len(cached.cache) == 4
    # A ScaleCompare rebuilding the same LR reuses the notebook's earlier result.
    gt = _ramp(32, 32)
    lr4 = resize(gt, size=(8, 8), method="bicubic")
    out = cached("lanczos", lr4, 4)
    sc = W.ScaleCompare(gt, ["lanczos"], cached, make_lr=lambda img, s: resize(img, size=(32 // s, 32 // s)))
    assert sc.results["lanczos"] is out and calls.count("lanczos") == 1


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
    top = np.rint(W.heatmap_rgb(np.ones((1, 1), np.float32))[0, 0] * 255)
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


def test_ipython_display_shows_the_widget(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    sw = W.SwipeCompare(np.zeros((4, 4, 3), np.float32), np.ones((4, 4, 3), np.float32))
    sw._ipython_display_()
    assert shown == [sw.widget]
