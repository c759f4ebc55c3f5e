"""Tests for upscalekit.faces: detection vs hand labels, alignment round trip, restore mechanics, messages.

Hand labels were read off 6× nearest-neighbour crops with a 10 px grid (astronaut) and 4× crops of the
6×-upsampled LFW faces with a 5 px grid; they are the labeller's estimate, not detector output.
"""

from __future__ import annotations

import numpy as np
import pytest

from upscalekit.faces import (
    FFHQ_TEMPLATE_512,
    align_face,
    compose_faces,
    detect_faces,
    face_invention,
    face_mask,
    load_face_restorer,
    paste_back,
    pipeline_orders,
    prepare_faces,
    restore_faces,
    similarity_transform,
    texture_energy,
)
from upscalekit.faces.detect import nms
from upscalekit.resize import resize

# (x, y): eye on the image's left, eye on the right, nose tip, mouth corner left, mouth corner right
ASTRONAUT_HAND = np.array([[203, 101], [244, 102], [223, 127], [202, 139], [246, 137]], float)
ASTRONAUT_TOL = 6.0
# LFW subset faces 0 and 1, upsampled 6× (150×150 pixels); one LFW pixel = 6 px here
LFW_HAND = {
    0: np.array([[50, 52], [97, 50], [76, 84], [54, 114], [90, 112]], float),
    1: np.array([[24, 51], [82, 51], [55, 85], [36, 110], [72, 109]], float),
}
LFW_TOL = 12.0  # two LFW pixels


@pytest.fixture(scope="module")
def astronaut(skimage_photo) -> np.ndarray:
    return skimage_photo("astronaut")


def _lfw(i: int) -> np.ndarray:
    from skimage import data

    g = data.lfw_subset()[i].astype(np.float32)
    return resize(np.repeat(g[..., None], 3, axis=2), scale=6)


def test_astronaut_one_face_landmarks_match_hand_labels(astronaut):
    faces = detect_faces(astronaut)
    print("astronaut:", len(faces), "face(s); score", [round(f.score, 4) for f in faces])
    assert len(faces) == 1
    err = np.abs(faces[0].landmarks - ASTRONAUT_HAND)
    print("detected", faces[0].landmarks.round(1).tolist(), "\nmax |dx|,|dy| vs hand labels", err.max(0))
    assert err.max() <= ASTRONAUT_TOL
    x0, y0, x1, y1 = faces[0].box
    assert x0 < ASTRONAUT_HAND[:, 0].min() and x1 > ASTRONAUT_HAND[:, 0].max()
    assert y0 < ASTRONAUT_HAND[:, 1].min() and y1 > ASTRONAUT_HAND[:, 1].max()


@pytest.mark.parametrize("i", [0, 1])
def test_lfw_faces_landmarks_match_hand_labels(i):
    faces = detect_faces(_lfw(i))
    assert len(faces) == 1
    err = np.linalg.norm(faces[0].landmarks - LFW_HAND[i], axis=1)
    print(f"lfw[{i}] landmark errors (px at 6x):", err.round(1))
    assert err.max() <= LFW_TOL


def test_lfw_counts_faces_and_non_faces():
    # lfw_subset: the first 100 crops are faces, the last 100 are not
    face_counts = [len(detect_faces(_lfw(i))) for i in range(8)]
    other_counts = [len(detect_faces(_lfw(i))) for i in range(100, 106)]
    print("faces:", face_counts, "non-faces:", other_counts)
    assert face_counts == [1] * 8
    assert other_counts == [0] * 6


def test_detect_rejects_bad_input_and_downscaled_detection_agrees(astronaut):
    with pytest.raises(ValueError, match="0–255|divide by 255"):
        detect_faces(astronaut * 255)
    small = detect_faces(astronaut, max_side=384)
    full = detect_faces(astronaut)
    assert len(small) == 1
    # 3/4 resolution: landmarks come back in full-resolution pixels; 8 px here = 6 px where it looked
    err = np.abs(small[0].landmarks - ASTRONAUT_HAND).max()
    print("detected at 3/4 resolution, max error vs hand labels (full-res px):", round(float(err), 2))
    assert err <= 8 and len(full) == 1


def test_mtcnn_second_detector_agrees_with_hand_labels(astronaut):
    faces = detect_faces(astronaut, detector="mtcnn", threshold=0.9)
    print("mtcnn astronaut:", len(faces), "face(s);", faces[0].landmarks.round(1).tolist() if faces else None)
    assert len(faces) == 1
    assert np.abs(faces[0].landmarks - ASTRONAUT_HAND).max() <= ASTRONAUT_TOL
    retina = detect_faces(astronaut)[0]
    print("mtcnn vs retinaface landmark distance (px):",
          np.linalg.norm(faces[0].landmarks - retina.landmarks, axis=1).round(1))
    for i, hand in LFW_HAND.items():
        f = detect_faces(_lfw(i), detector="mtcnn")
        assert len(f) == 1
        err = np.linalg.norm(f[0].landmarks - hand, axis=1)
        print(f"mtcnn lfw[{i}] landmark errors (px at 6x):", err.round(1))
        assert err.max() <= LFW_TOL
    assert [len(detect_faces(_lfw(i), detector="mtcnn")) for i in (100, 101, 102)] == [0, 0, 0]
    with pytest.raises(KeyError, match="mtcnn"):
        detect_faces(astronaut, detector="mtcnnn")


def test_nms_keeps_best_of_overlapping():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], float)
    assert nms(boxes, np.array([0.6, 0.9, 0.5])).tolist() == [1, 2]


def test_similarity_transform_recovers_known_transform():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (5, 2))
    ang, s, t = 0.3, 1.7, np.array([5.0, -2.0])
    r = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    m = similarity_transform(src, src @ (s * r).T + t)
    np.testing.assert_allclose(m[:, :2], s * r, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], t, atol=1e-9)


def test_aligned_landmarks_land_on_template(astronaut):
    face = detect_faces(astronaut)[0]
    aligned = align_face(astronaut, face)
    mapped = face.landmarks @ aligned.matrix[:, :2].T + aligned.matrix[:, 2]
    resid = np.linalg.norm(mapped - FFHQ_TEMPLATE_512, axis=1)
    print("template residuals (px):", resid.round(2))
    # five points, four degrees of freedom: a real (here smiling: wide mouth) face never fits exactly
    assert resid.max() < 20 and np.median(resid) < 15
    again = detect_faces(aligned.image)[0]
    print("re-detected on aligned face vs template (px):",
          np.linalg.norm(again.landmarks - FFHQ_TEMPLATE_512, axis=1).round(1))
    assert np.linalg.norm(again.landmarks - FFHQ_TEMPLATE_512, axis=1).max() < 20


def test_mask_is_zero_on_border_and_one_in_centre():
    m = face_mask(512)
    assert m[0].max() == 0 and m[-1].max() == 0 and m[:, 0].max() == 0 and m[:, -1].max() == 0
    assert m[300, 256] == 1.0
    sq = face_mask(512, shape="square")
    assert sq[0].max() == 0 and sq[256, 256] == 1.0
    with pytest.raises(ValueError, match="ellipse"):
        face_mask(64, shape="circle")


def test_round_trip_identity_restorer_returns_input(astronaut):
    import cv2

    bg, faces = prepare_faces(astronaut, "identity")
    out = compose_faces(bg, faces, fidelity=1.0)
    alpha = cv2.warpAffine(faces[0].mask, cv2.invertAffineTransform(faces[0].matrix), astronaut.shape[1::-1])
    d = np.abs(out - astronaut).max(-1)
    outside, inside = d[alpha == 0], d[alpha > 0.99]
    band = d[(alpha > 0) & (alpha <= 0.99)]
    print(f"round trip max diff: outside {outside.max():.2e}, inside {inside.max():.4f} "
          f"(mean {inside.mean():.2e}), feather band {band.max():.4f}")
    assert outside.max() == 0.0
    assert inside.max() < 0.03 and inside.mean() < 2e-3
    assert band.max() < 0.03  # no halo: the feather blends two nearly equal images
    # without colour matching the same holds (colour matching an image onto itself is a no-op)
    out2 = compose_faces(bg, faces, fidelity=1.0, color=False)
    assert np.abs(out2 - out).max() < 1e-4


def test_paste_back_puts_restored_content_at_the_face(astronaut):
    face = detect_faces(astronaut)[0]
    aligned = align_face(astronaut, face)
    white = np.ones_like(aligned.image)
    out = paste_back(astronaut, white, aligned.matrix)
    nose = np.round(face.landmarks[2]).astype(int)
    assert out[nose[1], nose[0]].min() > 0.99  # the aligned centre lands on the nose
    assert np.array_equal(out[320:], astronaut[320:])  # far below the face nothing changed


def test_fidelity_zero_is_background_and_blend_is_monotone(astronaut):
    crop = astronaut[:256, 100:356]
    bg, faces = prepare_faces(crop, lambda f: np.clip(f * 0.5, 0, 1), scale=2)
    assert bg.shape == (512, 512, 3)
    assert np.array_equal(compose_faces(bg, faces, fidelity=0.0), bg)
    d = [np.abs(compose_faces(bg, faces, fidelity=v, color=False) - bg).mean() for v in (0.25, 0.5, 1.0)]
    print("mean change vs fidelity 0.25/0.5/1:", np.round(d, 5))
    assert d[0] < d[1] < d[2]
    with pytest.raises(ValueError, match="fidelity"):
        compose_faces(bg, faces, fidelity=1.5)
    # a precomputed background gives the same result as computing it inside
    bg2, faces2 = prepare_faces(crop, lambda f: np.clip(f * 0.5, 0, 1), background=resize(crop, scale=2))
    half = compose_faces(bg, faces, fidelity=0.5)
    np.testing.assert_array_equal(compose_faces(bg2, faces2, fidelity=0.5), half)
    with pytest.raises(ValueError, match="uniform upscale"):
        prepare_faces(crop, "identity", background=np.zeros((512, 256, 3), np.float32))


def test_restore_path_mechanics_with_random_init_gfpgan(tmp_path, astronaut):
    """MECHANICS ONLY: a seeded random-init GFPGAN arch saved to a file, loaded through weights=.

    The output is noise-like garbage by construction; this checks loading, the [-1, 1] convention,
    shapes, paste-back and determinism (fixed stored noise), not restoration quality.
    """
    import torch
    from spandrel.architectures.GFPGAN import GFPGAN

    torch.manual_seed(0)
    # the hyper-parameters spandrel's GFPGAN loader uses for v1.3/v1.4
    net = GFPGAN(out_size=512, num_style_feat=512, channel_multiplier=2, decoder_load_path=None,
                 fix_decoder=False, num_mlp=8, input_is_latent=True, different_w=True, narrow=1,
                 sft_half=True)
    path = tmp_path / "GFPGANv1.4-random.pth"
    torch.save({"params_ema": net.state_dict()}, path)
    del net
    restorer = load_face_restorer("gfpgan-v1.4", weights=path)
    assert restorer.provenance.source == "path"
    crop = astronaut[:256, 100:356]
    bg, faces = prepare_faces(crop, restorer)
    assert len(faces) == 1 and faces[0].restored.shape == (512, 512, 3)
    crop_aligned = align_face(crop, faces[0].face).image  # scale 1: the restorer's own input
    again = restorer(crop_aligned)
    print("random GFPGAN: repeat-call max diff", np.abs(again - faces[0].restored).max())
    assert np.array_equal(again, faces[0].restored)  # no per-call noise
    out = compose_faces(bg, faces, fidelity=1.0)
    assert out.shape == crop.shape and np.isfinite(out).all()
    assert np.abs(out - crop).max() > 0.05  # the random restorer did change the face region
    assert np.array_equal(out[:20], crop[:20])


def test_missing_weights_offline_message(tmp_path, monkeypatch):
    monkeypatch.setenv("UPSCALEKIT_OFFLINE", "1")
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("UPSCALEKIT_WEIGHTS_DIR", raising=False)
    with pytest.raises(FileNotFoundError) as err:
        load_face_restorer("gfpgan-v1.4")
    msg = str(err.value)
    print(msg)
    assert "no registry package ships GFPGANv1.4.pth" in msg
    assert "https://github.com/TencentARC/GFPGAN/releases/download/v1.3.4/GFPGANv1.4.pth" in msg
    assert str(tmp_path / "cache" / "weights" / "GFPGANv1.4.pth") in msg


def test_unknown_and_unsupported_restorers():
    with pytest.raises(KeyError, match="gfpgan-v1.4"):
        load_face_restorer("gfpgan-v1.5")
    with pytest.raises(ValueError, match="spandrel_extra_arches"):
        load_face_restorer("codeformer")


def test_pipeline_orders_with_identity_restorer(astronaut):
    class Bicubic:
        def __init__(self, s: int) -> None:
            self.s = s

        def upscale(self, image: np.ndarray) -> np.ndarray:
            return resize(image, scale=self.s)

    lr = resize(astronaut[:256, 100:356], scale=0.5, method="area")
    res = pipeline_orders(lr, model="identity", upscaler_x2=Bicubic(2), upscaler_x4=Bicubic(4))
    assert res["2x-restore-2x"].shape == res["4x-restore"].shape == (512, 512, 3)
    diff = np.abs(res["2x-restore-2x"] - res["4x-restore"]).mean()
    print("identity restorer, bicubic 2x2x vs 4x mean diff:", diff)
    assert diff < 0.02

    class WithOutscale:  # the models' Upscaler interface: one network, any outscale
        def upscale(self, image: np.ndarray, *, outscale: float = 4) -> np.ndarray:
            return resize(image, scale=outscale)

    res2 = pipeline_orders(lr, model="identity", upscaler=WithOutscale())
    np.testing.assert_array_equal(res2["4x-restore"], res["4x-restore"])
    with pytest.raises(ValueError, match="upscaler"):
        pipeline_orders(lr, model="identity", upscaler_x2=Bicubic(2))


def test_face_invention_scores_rank_smooth_and_blocky(astronaut):
    hr = astronaut[:256, 100:356]
    lr = resize(hr, scale=0.25, method="area")
    smooth = face_invention(hr, resize(lr, scale=4, method="bicubic"))[0]
    blocky = face_invention(hr, resize(lr, scale=4, method="nearest"))[0]
    same = face_invention(hr, hr)[0]
    print(f"plastic ratio: bicubic {smooth.plastic_ratio:.3f}, nearest {blocky.plastic_ratio:.3f}, "
          f"self {same.plastic_ratio:.3f}; landmark shift px: bicubic {smooth.landmark_shift_px:.2f}, "
          f"nearest {blocky.landmark_shift_px:.2f}, self {same.landmark_shift_px:.2f}; lpips {smooth.lpips}")
    assert same.plastic_ratio == pytest.approx(1.0) and same.landmark_shift_px == pytest.approx(0.0, abs=1e-6)
    assert smooth.plastic_ratio < 0.5 < 1.5 < blocky.plastic_ratio
    assert smooth.skin.sum() > 1000
    assert texture_energy(np.full((16, 16, 3), 0.3, np.float32)) < 1e-12


def test_plots_run(astronaut):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from upscalekit.faces import plot_face_invention, plot_faces

    ax = plot_faces(astronaut, detect_faces(astronaut))
    assert len(ax.patches) == 1
    hr = astronaut[:256, 100:356]
    fig = plot_face_invention(face_invention(hr, resize(resize(hr, scale=0.5), scale=2)))
    assert len(fig.axes) == 5
    plt.close("all")


def test_restore_faces_upscaler_sets_output_size(astronaut):
    class Twice:
        def upscale(self, image: np.ndarray) -> np.ndarray:
            return resize(image, scale=2)

    crop = astronaut[:128, 150:278]
    out = restore_faces(crop, model="identity", upscaler=Twice())
    assert out.shape == (256, 256, 3)
    # identity restorer: the face region is the input face warped (OpenCV cubic) instead of Pillow's
    # bicubic background, so the two differ only by interpolation-kernel detail
    diff = np.abs(out - resize(crop, scale=2))
    print(f"identity restore at 2x vs bicubic 2x: max {diff.max():.4f}, mean {diff.mean():.2e}")
    assert diff.max() < 0.08 and diff.mean() < 3e-3


def test_identity_distance_dlib_same_face_is_zero_and_other_face_far(astronaut):
    pytest.importorskip("dlib")
    from upscalekit.faces import SAME_PERSON_THRESHOLD, face_embedding, identity_distance

    hr = astronaut[40:200, 145:305]
    face = detect_faces(hr)[0]
    assert identity_distance(hr, hr, face=face) == 0.0
    e = face_embedding(hr, face)
    assert e.shape == (128,) and np.isfinite(e).all()
    # Different people (LFW faces, enlarged) embed farther apart than dlib's same-person threshold.
    others = [resize(_lfw(i), size=(160, 160)) for i in (0, 1)]
    emb = [face_embedding(o, detect_faces(o)[0]) for o in others]
    assert all(np.linalg.norm(e - o) > SAME_PERSON_THRESHOLD for o in emb)
