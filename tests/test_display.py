"""Tests for upscalekit.display and upscalekit.pixels: the pure drawing helpers, pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest

from upscalekit import display as D
from upscalekit.pixels import Box, as_rgb, luma


def _ramp(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([x / max(1, w - 1), y / max(1, h - 1), np.full_like(x, 0.5)], axis=2)


# ---------------------------------------------------------------- swipe_composite


def test_swipe_composite_exact_split() -> None:
    a, b = np.zeros((3, 10, 3), np.float32), np.ones((3, 10, 3), np.float32)
    out = D.swipe_composite(a, b, 0.3, line_width=0)
    assert (out[:, :3] == 0).all() and (out[:, 3:] == 1).all()
    assert (D.swipe_composite(a, b, 0.0, line_width=0) == b).all()
    assert (D.swipe_composite(a, b, 1.0, line_width=0) == a).all()


def test_swipe_composite_draws_line_centred_and_at_borders() -> None:
    a, b = np.zeros((2, 10, 3), np.float32), np.zeros((2, 10, 3), np.float32)
    out = D.swipe_composite(a, b, 0.5, line_width=2, line_color=(1.0, 0.0, 0.0))
    red_cols = np.flatnonzero(out[0, :, 0] == 1.0).tolist()
    assert red_cols == [4, 5]
    assert (out[..., 1:] == 0).all()
    # At either border the line keeps its width instead of falling off the image.
    assert np.flatnonzero(D.swipe_composite(a, b, 1.0, line_width=2)[0, :, 0]).tolist() == [8, 9]
    assert np.flatnonzero(D.swipe_composite(a, b, 0.0, line_width=2)[0, :, 0]).tolist() == [0, 1]


def test_swipe_composite_gray_and_errors() -> None:
    g = np.full((4, 4), 0.25, np.float32)
    assert D.swipe_composite(g, g, 0.5).shape == (4, 4, 3)
    with pytest.raises(ValueError, match="same shape"):
        D.swipe_composite(np.zeros((4, 4, 3), np.float32), np.zeros((4, 5, 3), np.float32), 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        D.swipe_composite(g, g, 1.5)


# ---------------------------------------------------------------- zoom


def test_zoom_boxes_same_scale_centre_and_clamp() -> None:
    assert D.zoom_boxes([(100, 100)], 0.5, 0.5, 0.2) == [(40, 40, 60, 60)]
    # A region asked for beyond the border slides inside and keeps its size.
    assert D.zoom_boxes([(100, 100)], 0.0, 1.0, 0.2) == [(80, 0, 100, 20)]
    assert D.zoom_boxes([(100, 100)], 1.0, 0.0, 0.2) == [(0, 80, 20, 100)]
    # size 1 is the whole shorter side.
    assert D.zoom_boxes([(50, 100)], 0.5, 0.5, 1.0) == [(0, 25, 50, 75)]


def test_zoom_boxes_different_scales_cover_the_same_scene() -> None:
    boxes = D.zoom_boxes([(16, 24), (64, 96), (32, 48)], 0.3, 0.7, 0.25)
    lr, x4, x2 = boxes
    assert [v * 4 for v in lr] == list(x4)
    assert [v * 2 for v in lr] == list(x2)


def test_zoom_crops_lr_pixels_become_blocks_aligned_with_sr() -> None:
    lr = np.random.default_rng(0).random((16, 16, 3), dtype=np.float32)
    sr = np.repeat(np.repeat(lr, 4, axis=0), 4, axis=1)  # a "perfect" nearest 4× upscale
    crops = D.zoom_crops({"lr": lr, "sr": sr}, 0.4, 0.6, 0.25, magnify=2)
    assert list(crops) == ["lr", "sr"]
    assert crops["lr"].shape == crops["sr"].shape == (32, 32, 3)
    # Same scene, same place: the LR crop magnified 8× equals the SR crop magnified 2×.
    np.testing.assert_array_equal(crops["lr"], crops["sr"])
    (t, lft, _, _), _ = D.zoom_boxes([lr.shape, sr.shape], 0.4, 0.6, 0.25)
    np.testing.assert_array_equal(crops["lr"][::8, ::8], lr[t : t + 4, lft : lft + 4])


def test_zoom_crops_border_and_errors() -> None:
    img = _ramp(20, 20)
    crop = D.zoom_crops({"a": img}, 1.0, 1.0, 0.5, magnify=1)["a"]
    np.testing.assert_array_equal(crop, img[10:, 10:])
    with pytest.raises(ValueError, match="magnify"):
        D.zoom_crops({"a": img}, 0.5, 0.5, 0.5, magnify=0)
    with pytest.raises(ValueError, match="size"):
        D.zoom_crops({"a": img}, 0.5, 0.5, 0.0)
    with pytest.raises(ValueError, match="region centre"):
        D.zoom_crops({"a": img}, 1.2, 0.5, 0.5)
    with pytest.raises(ValueError, match="at least one"):
        D.zoom_crops({}, 0.5, 0.5, 0.5)


def test_side_by_side_and_draw_box() -> None:
    a, b = np.zeros((2, 3, 3), np.float32), np.full((4, 1), 0.5, np.float32)
    out = D.side_by_side([a, b], gap=2, background=1.0)
    assert out.shape == (4, 6, 3)
    assert (out[:2, :3] == 0).all() and (out[:, 3:5] == 1).all() and (out[:, 5] == 0.5).all()
    assert (out[2:, :3] == 1).all()  # padding below the shorter tile
    boxed = D.draw_box(np.zeros((6, 6, 3), np.float32), (1, 1, 5, 5), color=(1, 0, 0), width=1)
    ring = np.zeros((6, 6), bool)
    ring[1:5, 1:5] = True
    ring[2:4, 2:4] = False
    np.testing.assert_array_equal(boxed[..., 0] == 1, ring)
    with pytest.raises(ValueError, match="box"):
        D.draw_box(np.zeros((6, 6, 3), np.float32), (4, 4, 2, 2))


# ---------------------------------------------------------------- heat


def test_heatmap_rgb_uses_colormap_ends_and_fixed_vmax() -> None:
    import matplotlib

    lut = matplotlib.colormaps["magma"]
    v = np.array([[0.0, 0.5, 1.0, 2.0]], np.float32)
    out = D.heatmap_rgb(v, vmax=1.0)
    np.testing.assert_allclose(out[0, 0], lut(0.0)[:3], atol=1e-6)
    np.testing.assert_allclose(out[0, 2], lut(1.0)[:3], atol=1e-6)
    np.testing.assert_array_equal(out[0, 3], out[0, 2])  # saturates above vmax
    assert (D.heatmap_rgb(np.zeros((2, 2), np.float32)) == out[0, 0]).all()  # all-zero map is safe
    with pytest.raises(KeyError, match="colormap"):
        D.heatmap_rgb(v, cmap="magmaa")


def test_overlay_heatmap_blends_and_resizes() -> None:
    img = np.full((4, 4, 3), 0.2, np.float32)
    heat = np.ones((2, 2), np.float32)
    top = D.heatmap_rgb(np.ones((1, 1), np.float32), vmax=1.0)[0, 0]
    out = D.overlay_heatmap(img, heat, 0.5, vmax=1.0)
    assert out.shape == (4, 4, 3)
    np.testing.assert_allclose(out, np.broadcast_to(0.5 * 0.2 + 0.5 * top, out.shape), atol=1e-5)
    np.testing.assert_array_equal(D.overlay_heatmap(img, heat, 0.0), img)
    with pytest.raises(ValueError, match="opacity"):
        D.overlay_heatmap(img, heat, 2.0)


def test_tile_grid_rows_and_padding() -> None:
    tiles = [np.full((2, 2, 3), v, np.float32) for v in (0.0, 0.25, 0.5)]
    grid = D.tile_grid(tiles, columns=2, gap=1, background=1.0)
    assert grid.shape == (5, 5, 3)
    assert (grid[:2, :2] == 0).all() and (grid[:2, 3:] == 0.25).all() and (grid[3:, :2] == 0.5).all()
    assert (grid[2] == 1).all() and (grid[3:, 2:] == 1).all()  # gap row and the empty cell
    with pytest.raises(ValueError, match="columns"):
        D.tile_grid(tiles, columns=0)


def test_box_fractions_slices_and_scaling() -> None:
    b = Box.from_fractions((100, 200), x=0.0, y=1.0, size=0.5)
    assert b == (50, 0, 100, 50) and (b.height, b.width) == (50, 50)
    assert np.zeros((100, 200))[b.slices].shape == (50, 50)
    assert b.scaled((100, 200), (25, 50)) == (12, 0, 25, 12)
    with pytest.raises(ValueError, match="fraction"):
        Box.from_fractions((10, 10), x=0.5, y=0.5, size=0.0)


def test_as_rgb_and_luma_match_bt601() -> None:
    rgba = np.random.default_rng(0).random((4, 5, 4), dtype=np.float32)
    assert as_rgb(rgba).shape == (4, 5, 3) and as_rgb(rgba[..., 0]).shape == (4, 5, 3)
    from skimage.color import rgb2gray  # BT.709 weights: a different convention, checked to differ

    y = luma(rgba)
    np.testing.assert_allclose(y, rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32), atol=1e-6)
    assert np.abs(y - rgb2gray(rgba[..., :3])).max() > 1e-3
    np.testing.assert_array_equal(luma(rgba[..., 0]), rgba[..., 0])


def test_box_from_fractions_stays_inside_and_keeps_size() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w = rng.integers(8, 300, 2)
        x, y, size = rng.random(), rng.random(), rng.uniform(0.05, 1)
        y0, x0, y1, x1 = Box.from_fractions((h, w), x=x, y=y, size=size)
        side = max(1, round(size * min(h, w)))
        assert 0 <= y0 and y1 <= h and 0 <= x0 and x1 <= w
        assert y1 - y0 == side == x1 - x0
    assert Box.from_fractions((64, 64), x=0.5, y=0.5, size=1.0) == (0, 0, 64, 64)
    with pytest.raises(ValueError, match="fractions"):
        Box.from_fractions((64, 64), x=1.5, y=0.5, size=0.5)
