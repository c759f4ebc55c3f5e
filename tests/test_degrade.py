"""Tests for upscalekit.degrade: seeded, replayable degradations that really degrade."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from upscalekit import degrade, io
from upscalekit.pixels import Box


@pytest.fixture(scope="module")
def photo(skimage_photo) -> np.ndarray:
    """A real 128 × 128 photo crop (astronaut's face) from scikit-image."""
    return skimage_photo("astronaut", Box(30, 160, 158, 288))


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(a, b, data_range=1.0))


# Every operation, called the way a user would; seeded ones take the seed as an argument.
OPS = {
    "downscale": lambda im, s: degrade.downscale(im, 2.5, method="bicubic"),
    "resize_to": lambda im, s: degrade.resize_to(im, (50, 70), method="lanczos"),
    "gaussian_blur": lambda im, s: degrade.gaussian_blur(im, (1.3, 0.7)),
    "motion_blur": lambda im, s: degrade.motion_blur(im, 7.5, 33),
    "gaussian_noise": lambda im, s: degrade.gaussian_noise(im, 0.05, seed=s),
    "gaussian_noise_gray": lambda im, s: degrade.gaussian_noise(im, 0.05, seed=s, gray=True),
    "poisson_noise": lambda im, s: degrade.poisson_noise(im, 40.0, seed=s),
    "poisson_noise_gray": lambda im, s: degrade.poisson_noise(im, 40.0, seed=s, gray=True),
    "jpeg": lambda im, s: degrade.jpeg(im, 35, subsampling="4:2:2"),
    "jpeg_generations": lambda im, s: degrade.jpeg_generations(im, 3, quality=70, seed=s),
    "chroma_subsample": lambda im, s: degrade.chroma_subsample(im, "4:2:0"),
    "second_order": lambda im, s: degrade.second_order(im, scale=4, seed=s),
    "pipeline": lambda im, s: degrade.pipeline(im, [
        {"op": "gaussian_blur", "sigma": 1.0},
        {"op": "downscale", "factor": 3, "method": "area"},
        {"op": "gaussian_noise", "sigma": 0.02, "seed": s},
        {"op": "jpeg", "quality": 60},
    ]),
}
SEEDED = ["gaussian_noise", "gaussian_noise_gray", "poisson_noise", "poisson_noise_gray",
          "jpeg_generations", "second_order", "pipeline"]


@pytest.mark.parametrize("name", sorted(OPS))
def test_recipe_replays_bit_identically_even_through_json(photo: np.ndarray, name: str) -> None:
    out, recipe = OPS[name](photo, 7)
    assert out.dtype == np.float32 and out.ndim == 3 and out.shape[2] == 3
    assert 0.0 <= out.min() and out.max() <= 1.0
    wire = json.loads(json.dumps(recipe))  # plain JSON types only, or this raises
    assert wire == recipe  # recipes hold lists, not tuples, so nothing changes on the wire
    np.testing.assert_array_equal(degrade.apply(photo, wire), out)
    assert not np.array_equal(out, photo[: out.shape[0], : out.shape[1]])  # it did something


@pytest.mark.parametrize("name", SEEDED)
def test_same_seed_same_result_other_seed_other_result(photo: np.ndarray, name: str) -> None:
    a, ra = OPS[name](photo, 1)
    b, _ = OPS[name](photo, 1)
    c, rc = OPS[name](photo, 2)
    np.testing.assert_array_equal(a, b)
    assert ra != rc
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_jpeg_generations_lose_information_every_generation() -> None:
    from upscalekit import samples

    hr = samples.load("astronaut").hr
    scores = [_psnr(hr, degrade.jpeg_generations(hr, n, quality=80, seed=0)[0]) for n in range(1, 6)]
    print("PSNR to the original per JPEG generation (astronaut, q80, ±10% resizes):",
          ", ".join(f"gen {i + 1}: {p:.2f} dB" for i, p in enumerate(scores)))
    assert all(later < earlier for earlier, later in zip(scores, scores[1:], strict=False)), scores
    one = _psnr(hr, degrade.jpeg(hr, 80)[0])
    print(f"single q80 encode: {one:.2f} dB")
    assert scores[-1] < one - 1.0  # five generations cost more than a decibel over one encode


def test_jpeg_generations_are_prefixes_of_each_other(photo: np.ndarray) -> None:
    five, rec5 = degrade.jpeg_generations(photo, 5, seed=4)
    three, rec3 = degrade.jpeg_generations(photo, 3, seed=4)
    assert rec5["steps"][: len(rec3["steps"])] == rec3["steps"]
    replay = degrade.apply(photo, {"op": "pipeline", "steps": rec5["steps"][: len(rec3["steps"])]})
    np.testing.assert_array_equal(replay, three)
    assert not np.array_equal(three, five)


def test_pure_reencoding_without_resizes_still_matches_the_real_codec(photo: np.ndarray) -> None:
    out, rec = degrade.jpeg_generations(photo, 2, quality=50, resize_jitter=0.0, seed=0)
    assert [s["op"] for s in rec["steps"]] == ["jpeg", "jpeg"]
    np.testing.assert_array_equal(out, io.jpeg_roundtrip(io.jpeg_roundtrip(photo, 50), 50))


@pytest.mark.parametrize("sigma", [0.01, 0.05, 0.1])
def test_gaussian_noise_has_the_requested_spread(sigma: float) -> None:
    grey = np.full((256, 256, 3), 0.5, np.float32)  # mid-grey: clipping is negligible up to sigma 0.1
    out, _ = degrade.gaussian_noise(grey, sigma, seed=0)
    measured = float((out - grey).std())
    print(f"gaussian sigma requested {sigma}, measured {measured:.4f}")
    assert measured == pytest.approx(sigma, rel=0.02)
    assert float((out - grey).mean()) == pytest.approx(0.0, abs=sigma * 0.02)


def test_gray_noise_is_the_same_in_every_channel() -> None:
    grey = np.full((64, 64, 3), 0.5, np.float32)
    out, _ = degrade.gaussian_noise(grey, 0.05, seed=0, gray=True)
    np.testing.assert_array_equal(out[..., 0], out[..., 1])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    pout, _ = degrade.poisson_noise(grey, 50.0, seed=0, gray=True)
    np.testing.assert_allclose(pout[..., 0], pout[..., 2], atol=1e-6)


@pytest.mark.parametrize(("value", "peak"), [(0.5, 100.0), (0.2, 30.0), (0.8, 1000.0)])
def test_poisson_noise_follows_photon_statistics(value: float, peak: float) -> None:
    flat = np.full((256, 256, 3), value, np.float32)
    out, _ = degrade.poisson_noise(flat, peak, seed=0)
    expected = (value / peak) ** 0.5  # Poisson: variance equals the mean photon count
    measured = float(out.std())
    print(f"poisson v={value} peak={peak}: std expected {expected:.4f}, measured {measured:.4f}")
    assert measured == pytest.approx(expected, rel=0.03)
    assert float(out.mean()) == pytest.approx(value, abs=3 * expected / 256)
    # Discrete photons: every value is a whole number of photons divided by the peak.
    np.testing.assert_allclose(out * peak, np.rint(out * peak), atol=1e-3)


@pytest.mark.parametrize(("shape", "factor", "expected"), [
    ((101, 77, 3), 2.5, (40, 31)),   # 40.4 → 40, 30.8 → 31
    ((256, 256, 3), 3, (85, 85)),    # 85.33 → 85
    ((128, 96, 3), 4, (32, 24)),
    ((10, 7, 3), 1.5, (7, 5)),       # 6.67 → 7, 4.67 → 5
    ((5, 5, 3), 100, (1, 1)),        # never below one pixel
])
@pytest.mark.parametrize("method", ["area", "bicubic", "bilinear", "nearest"])
def test_downscale_shapes_for_any_factor(shape, factor, expected, method) -> None:
    img = np.random.default_rng(0).random(shape).astype(np.float32)
    out, rec = degrade.downscale(img, factor, method=method)
    assert out.shape == (*expected, 3)
    assert rec == {"op": "downscale", "factor": float(factor), "method": method}


def test_area_downscale_averages_blocks(photo: np.ndarray) -> None:
    out, _ = degrade.downscale(photo, 4, method="area")
    blocks = photo.reshape(32, 4, 32, 4, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(out, blocks, atol=1e-5)


def test_gaussian_blur_matches_skimage(photo: np.ndarray) -> None:
    from skimage.filters import gaussian

    out, _ = degrade.gaussian_blur(photo, 2.0)
    ref = gaussian(photo, sigma=2.0, mode="mirror", truncate=4.0, channel_axis=-1, preserve_range=True)
    np.testing.assert_allclose(out, ref, atol=1e-5)
    assert float(out.std()) < float(photo.std())
    np.testing.assert_array_equal(degrade.gaussian_blur(photo, 0)[0], photo)


@pytest.mark.parametrize(("angle", "axis"), [(0, 1), (90, 0), (180, 1)])
def test_motion_blur_streaks_along_the_angle(angle: float, axis: int) -> None:
    dot = np.zeros((21, 21, 3), np.float32)
    dot[10, 10] = 1.0
    out, _ = degrade.motion_blur(dot, 7, angle)
    assert float(out.sum()) == pytest.approx(3.0, rel=1e-5)  # light is moved, not lost
    lit = np.argwhere(out[..., 0] > 1e-4)
    spread = lit[:, axis].max() - lit[:, axis].min() + 1
    across = lit[:, 1 - axis].max() - lit[:, 1 - axis].min() + 1
    assert 7 <= spread <= 8 and across <= 2, (spread, across)


def test_motion_blur_diagonal_is_diagonal() -> None:
    dot = np.zeros((21, 21, 3), np.float32)
    dot[10, 10] = 1.0
    out, _ = degrade.motion_blur(dot, 9, 45)
    # 45° counter-clockwise from +x: light goes up-right and down-left, not up-left.
    # Length 9 at 45°: the streak reaches about 4 / sqrt(2) ≈ 2.8 px along each axis.
    assert out[8, 12, 0] > 0.05 and out[12, 8, 0] > 0.05
    assert out[8, 8, 0] < 1e-4 and out[12, 12, 0] < 1e-4


def test_chroma_subsampling_keeps_luma_and_resembles_the_jpeg_codec(photo: np.ndarray) -> None:
    out, _ = degrade.chroma_subsample(photo, "4:2:0")

    def luma(x: np.ndarray) -> np.ndarray:
        return x @ np.array([0.299, 0.587, 0.114], np.float32)

    np.testing.assert_allclose(luma(out), luma(photo), atol=0.02)
    codec = io.jpeg_roundtrip(photo, 100, subsampling="4:2:0")
    ours, real = _psnr(codec, out), _psnr(photo, out)
    print(f"4:2:0 vs libjpeg q100 4:2:0: {ours:.2f} dB; vs original: {real:.2f} dB")
    assert ours > 38.0
    assert real < 60.0  # colour detail was really lost
    np.testing.assert_array_equal(degrade.chroma_subsample(photo, "4:4:4")[0], photo)


def test_second_order_draws_within_real_esrgan_ranges(photo: np.ndarray) -> None:
    for seed in range(6):
        out, rec = degrade.second_order(photo, scale=4, seed=seed)
        assert out.shape == (32, 32, 3)
        steps = rec["steps"]
        assert steps[0]["op"] == "gaussian_blur" and all(0.2 <= s <= 3.0 for s in steps[0]["sigma"])
        assert steps[-1]["op"] == "jpeg" and steps[-2] == {**steps[-2], "op": "resize_to", "size": [32, 32]}
        qualities = [s["quality"] for s in steps if s["op"] == "jpeg"]
        assert len(qualities) == 2 and all(30 <= q <= 95 for q in qualities)
        for s in steps:
            if s["op"] == "gaussian_noise":
                assert 1 / 255 <= s["sigma"] <= 30 / 255
            if s["op"] == "poisson_noise":
                assert 256 / 3.0**2 <= s["peak"] <= 256 / 0.05**2
        assert rec["source"] == {"op": "second_order", "scale": 4, "seed": seed}


def test_bad_arguments_teach(photo: np.ndarray) -> None:
    gray = photo[..., 0]
    cases = [
        (ValueError, "times smaller", lambda: degrade.downscale(photo, 0.5)),
        (ValueError, "must be a number", lambda: degrade.downscale(photo, "4")),
        (KeyError, "did you mean 'bicubic'", lambda: degrade.downscale(photo, 2, method="bicubc")),
        (ValueError, "sigma must be >= 0", lambda: degrade.gaussian_blur(photo, -1)),
        (ValueError, "sigma_y, sigma_x", lambda: degrade.gaussian_blur(photo, (1, 2, 3))),
        (ValueError, "length must be >= 1", lambda: degrade.motion_blur(photo, 0.5)),
        (ValueError, "seed is required", lambda: degrade.gaussian_noise(photo, 0.1, seed=None)),
        (ValueError, "seed must be an int", lambda: degrade.poisson_noise(photo, 10, seed=1.5)),
        (ValueError, "0.02 ≈ 5/255", lambda: degrade.gaussian_noise(photo, 25, seed=0)),
        (ValueError, "peak must be > 0", lambda: degrade.poisson_noise(photo, 0, seed=0)),
        (ValueError, "quality must be an int in 1..100", lambda: degrade.jpeg(photo, 101)),
        (ValueError, "quality must be an int in 1..100", lambda: degrade.jpeg(photo, 0.5)),
        (KeyError, "did you mean '4:2:0'", lambda: degrade.jpeg(photo, 50, subsampling="420")),
        (ValueError, "drop alpha", lambda: degrade.jpeg(np.dstack([photo, photo[..., :1]]), 50)),
        (ValueError, "np.repeat", lambda: degrade.chroma_subsample(gray)),
        (ValueError, "number of generations", lambda: degrade.jpeg_generations(photo, 0, seed=0)),
        (ValueError, "resize_jitter must be <= 0.5",
         lambda: degrade.jpeg_generations(photo, 2, resize_jitter=0.9, seed=0)),
        (ValueError, "scale must be an int", lambda: degrade.second_order(photo, scale=2.5, seed=0)),
        (ValueError, "divide by 255", lambda: degrade.gaussian_blur(photo * 255, 1)),
        (KeyError, "did you mean 'jpeg'", lambda: degrade.apply(photo, {"op": "jpg", "quality": 5})),
        (ValueError, "'op' key", lambda: degrade.apply(photo, {"quality": 5})),
        (ValueError, "lacks 'quality'", lambda: degrade.apply(photo, {"op": "jpeg"})),
        (ValueError, "does not take", lambda: degrade.apply(photo, {"op": "jpeg", "quality": 5, "q": 1})),
        (ValueError, "list of recipe dicts", lambda: degrade.pipeline(photo, {"op": "jpeg"})),
    ]
    for exc, words, call in cases:
        with pytest.raises(exc) as info:
            call()
        assert words in str(info.value), (words, str(info.value))


def test_gray_images_work_where_colour_is_not_needed(photo: np.ndarray) -> None:
    gray = np.ascontiguousarray(photo[..., 1])
    for out, _ in (degrade.downscale(gray, 2), degrade.gaussian_blur(gray, 1.0),
                   degrade.motion_blur(gray, 5, 10), degrade.gaussian_noise(gray, 0.05, seed=0),
                   degrade.poisson_noise(gray, 50, seed=0)):
        assert out.ndim == 2 and out.dtype == np.float32
