"""Tests for upscalekit.models.tiling: the overhead factor against a count of what the network is fed."""

from __future__ import annotations

import pytest

from upscalekit.models.tiling import overhead, run_tiled


@pytest.mark.parametrize(("h", "w", "tile", "overlap"),
                         [(100, 70, 40, 4), (512, 512, 128, 32), (64, 64, None, 8)])
def test_overhead_equals_pixels_fed_to_the_network(h: int, w: int, tile: int | None, overlap: int) -> None:
    import torch

    fed = []

    def fn(t: torch.Tensor) -> torch.Tensor:
        fed.append(t.shape[-2] * t.shape[-1])
        return t

    run_tiled(fn, torch.zeros(1, 1, h, w), scale=1, tile=tile, overlap=overlap)
    assert overhead(h, w, tile, overlap) == pytest.approx(sum(fed) / (h * w))


def test_official_layout_abuts_tiles() -> None:
    # RealESRGANer: ceil(512/128) = 4 tiles per axis, each padded by tile_pad inside the image
    per_axis = (128 + 10) * 2 + (128 + 20) * 2
    assert overhead(512, 512, 128, 10, abut=True) == pytest.approx((per_axis / 512) ** 2)
