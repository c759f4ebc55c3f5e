"""The validation set: split by source photo, labels by construction, and a floor on a fixed subset.

The floor test builds a small fixed subset (``validation.QUICK_SOURCES``: two
held-out photos; the text cases go through the five ``validation.TEXT_MODELS``,
the rest through the compact ``realesr-animevideov3-x4``) and asserts every
detector's recall and false-positive rate on it at the shipped thresholds. The
full held-out numbers come from ``benchmarks/bench_diagnose.py``. The text
cases are labelled by Tesseract OCR; without the ``tesseract`` program the
tests that need it are skipped with that reason.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from upscalekit.diagnose import DETECTORS, validation
from upscalekit.io import write_image

QUICK_FAMILIES = ("bicubic", "text", "seams", "halo", "noise", "jpeg", "smooth", "stamp")


@pytest.fixture(scope="module")
def quick_rows() -> list[dict]:
    cases = validation.build(sources=validation.QUICK_SOURCES, families=QUICK_FAMILIES)
    return validation.score_cases(cases)


def test_split_is_by_source_and_disjoint() -> None:
    assert not set(validation.CALIBRATION_SOURCES) & set(validation.HELD_OUT_SOURCES)
    assert set(validation.QUICK_SOURCES) <= set(validation.HELD_OUT_SOURCES)
    cases = validation.build(sources=["coins", "clock"], families=["bicubic"])
    assert {c.split for c in cases if c.source == "coins"} == {"calibration"}
    assert {c.split for c in cases if c.source == "clock"} == {"held-out"}
    with pytest.raises(ValueError, match="unknown validation source"):
        validation.build(sources=["moon"], families=["bicubic"])
    with pytest.raises(KeyError, match="bicubic"):
        validation.build(sources=["coins"], families=["bicubc"])


def test_build_is_reproducible() -> None:
    a = validation.build(sources=["coins"], families=["jpeg"])
    b = validation.build(sources=["coins"], families=["jpeg"])
    assert [c.id for c in a] == [c.id for c in b]
    assert all(np.array_equal(x.sr, y.sr) and np.array_equal(x.lr, y.lr) for x, y in zip(a, b, strict=True))


def test_glyph_measure_on_the_rendered_text() -> None:
    rng = np.random.default_rng(0)
    hr = np.full((96, 192, 3), 0.5, np.float32)
    out, items = validation._draw_text(hr, rng, n_items=1, sizes=(24,))
    assert validation.glyph_iou(out, items[0]) == 1.0  # the rendered glyphs against themselves
    blurred = validation.resize(validation.resize(out, scale=0.25), scale=4)
    assert validation.glyph_iou(blurred, items[0]) < 1.0
    assert validation.glyph_iou(hr, items[0]) < 0.1  # no text at all


needs_ocr = pytest.mark.skipif(
    not validation.ocr_available(),
    reason="the text cases are labelled by Tesseract OCR: apt install tesseract-ocr")


@needs_ocr
def test_the_reader_reads_printed_truth_and_not_blur() -> None:
    rng = np.random.default_rng(3)
    hr = np.full((96, 256, 3), 0.6, np.float32)
    out, items = validation._draw_text(hr, rng, n_items=1, sizes=(28,))
    item = items[0]
    box = validation._ink_box(item)
    assert validation.char_error_rate(validation.read_text(out, box), item.text) <= validation.READABLE_CER
    # ×8 down and back: the letters are gone, the reader cannot read them
    smeared = validation.resize(validation.resize(out, scale=0.125), size=out.shape[:2])
    assert validation.char_error_rate(validation.read_text(smeared, box), item.text) > validation.SOUP_CER
    assert validation.char_error_rate("", "abc") == 1.0 and validation.char_error_rate("a-b c", "abc") == 0.0


@needs_ocr
def test_reported_slide_label_is_flagged_as_soup_and_not_as_seams() -> None:
    """The failure that opened the work: alphabet soup missed, seams claimed on an untiled image."""
    from upscalekit.diagnose import diagnose

    case = validation.reported_label_case()
    assert case.split == "held-out" and case.artifact == "text_warping"
    assert max(case.check["cer_truth"]) <= validation.READABLE_CER  # the reader reads the printed label
    assert max(case.check["cer"]) >= validation.SOUP_CER  # ...and not x4plus's redrawing of it
    rep = diagnose(case.lr, case.sr)
    text = rep["text_warping"]
    assert text.flagged, text.explanation
    y0, x0, y1, x1 = (text.details["worst_box"][k] for k in ("y0", "x0", "y1", "x1"))
    assert 355 <= y0 and y1 <= 475 and x1 <= 340  # the worst line is on the label, not in the tissue
    assert not rep["tile_seams"].flagged, rep["tile_seams"].explanation


def test_labels_and_calibration_logic() -> None:
    cases = validation.build(sources=["coins"], families=["bicubic", "jpeg"])
    by = {c.id: c for c in cases}
    assert by["coins/jpeg:nearest"].label("jpeg_blocks") is True
    assert by["coins/jpeg:bicubic"].label("jpeg_blocks") is False
    assert by["coins/jpeg:nearest"].label("haloing") is None  # not labelled for halos
    rows = validation.score_cases(cases, detectors=["jpeg_blocks"])
    t = validation.calibrate(rows)["jpeg_blocks"]
    res = validation.evaluate(rows, {"jpeg_blocks": t})["jpeg_blocks"]
    assert res["recall"] == 1.0 and res["fpr"] == 0.0


#: The floor every detector must hold on the quick subset (recall, false-positive rate)...
FLOOR = (0.8, 0.1)
#: ...except the ones that do not reach it on held-out photos (benchmarks/bench_diagnose.py; their
#: explanations say how far to trust them): these bounds are what they measured here, so a regression
#: still fails. text_warping: gravel's small-print soup missed, gravel texture read as text on plain paper;
#: noise_amplification: gravel texture read as noise; false_regularity: one of two simulated stamps missed.
KNOWN_WEAK = {"text_warping": (0.5, 0.15), "noise_amplification": (0.8, 0.15), "false_regularity": (0.5, 0.1)}


def test_floor_on_the_quick_subset(quick_rows: list[dict]) -> None:
    res = validation.evaluate(quick_rows)
    print("\n" + validation.format_table(res, validation.confusion(quick_rows)))
    for d, r in res.items():
        min_recall, max_fpr = KNOWN_WEAK.get(d, FLOOR)
        if r["positives"]:
            assert r["recall"] >= min_recall, (d, r["missed"])
        if r["negatives"]:
            assert r["fpr"] <= max_fpr, (d, r["false_alarms"])
    assert sum(r["positives"] for r in res.values()) >= 10
    assert all(not math.isnan(r["fpr"]) for r in res.values())


def test_heatmaps_follow_scores(quick_rows: list[dict]) -> None:
    for r in quick_rows:
        for f in r["findings"].values():
            if not f.judged or f.score == 0:
                assert not f.heatmap.any(), (r["case"].id, f.name)
            if f.judged and not f.flagged and f.threshold:
                assert f.heatmap.max() <= f.score / f.threshold + 1e-6


def _files(tmp_path, case: validation.Case) -> tuple[str, str, str]:
    paths = []
    for tag, img in (("lr", case.lr), ("sr", case.sr), ("hr", case.hr)):
        p = tmp_path / f"{tag}.png"
        write_image(p, img, bit_depth=16)
        paths.append(str(p))
    return tuple(paths)  # type: ignore[return-value]


def test_cli_diagnose_end_to_end(tmp_path, capsys, quick_rows: list[dict]) -> None:
    from upscalekit.cli.main import main

    cases = {r["case"].id: r["case"] for r in quick_rows}
    seam = next(c for c in cases.values() if c.artifact == "tile_seams")
    lr, sr, hr = _files(tmp_path, seam)
    assert main(["diagnose", lr, sr, "--hr", hr, "-o", str(tmp_path / "seam")]) == 0
    out = capsys.readouterr().out
    assert "tile_seams" in out.splitlines()[-2]  # the "flagged:" line
    data = json.loads((tmp_path / "seam" / "report.json").read_text())
    assert "tile_seams" in data["flagged"]
    page = (tmp_path / "seam" / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= len(DETECTORS) and "threshold" in page
    assert (tmp_path / "seam" / "tile_seams.png").exists()

    # a text case from the set (printed text, a real model, soup by the reader): flagged end to end
    soup = next((r["case"] for r in quick_rows if r["case"].artifact == "text_warping"
                 and r["findings"]["text_warping"].flagged), None)
    if soup is None:
        pytest.skip("no soup case in the quick subset (Tesseract OCR not installed?)")
    lr, sr, _ = _files(tmp_path, soup)
    assert main(["diagnose", lr, sr, "-o", str(tmp_path / "text")]) == 0
    data = json.loads((tmp_path / "text" / "report.json").read_text())
    assert "text_warping" in data["flagged"]
    found = {f["name"]: f for f in data["findings"]}["text_warping"]
    assert found["details"]["lines"] and found["details"]["text_fraction"] > 0
    assert "text_warping" in (tmp_path / "text" / "report.html").read_text()


def test_cli_diagnose_bad_files(tmp_path, capsys) -> None:
    from upscalekit.cli.main import main

    good = tmp_path / "lr.png"
    write_image(good, np.zeros((16, 16, 3), np.float32))
    assert main(["diagnose", str(tmp_path / "missing.png"), str(good), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "missing.png" in err and "Traceback" not in err
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    assert main(["diagnose", str(good), str(bad), "-o", str(tmp_path / "o")]) == 2
    odd = tmp_path / "odd.png"
    write_image(odd, np.zeros((33, 33, 3), np.float32))
    assert main(["diagnose", str(good), str(odd), "-o", str(tmp_path / "o")]) == 2
    assert "integer factor" in capsys.readouterr().err



def test_pair_check_on_real_model_outputs(quick_rows: list[dict]) -> None:
    from upscalekit.diagnose import diagnose
    from upscalekit.diagnose._common import check_pair
    from upscalekit.pixels import luma

    cases = {r["case"].id: r["case"] for r in quick_rows}
    checks = {k: check_pair(luma(c.lr), luma(c.sr)) for k, c in cases.items()}
    print(f"\nmatching pairs: lowest correlation {min(c.correlation for c in checks.values()):.3f}, highest "
          f"shift gain {max(c.shift_gain for c in checks.values()):.3f}")
    assert all(c.ok for c in checks.values()), {k: c.reason for k, c in checks.items() if not c.ok}
    # the same real model outputs, each given the other photo's LR (the two files swapped)
    a, b = cases["clock/stamp:plain"], cases["gravel/stamp:plain"]
    for lr, sr in ((a.lr, b.sr), (b.lr, a.sr)):
        with pytest.raises(ValueError, match=r"does not look like an upscale of this LR: .*(r = |PSNR )-?\d"):
            diagnose(lr, sr)


def test_cli_diagnose_refuses_a_mismatched_pair(tmp_path, capsys, quick_rows: list[dict]) -> None:
    from upscalekit.cli.main import main

    cases = {r["case"].id: r["case"] for r in quick_rows}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    lr, _, _ = _files(tmp_path / "a", cases["clock/stamp:plain"])
    _, sr, _ = _files(tmp_path / "b", cases["gravel/stamp:plain"])
    assert main(["diagnose", lr, sr, "-o", str(tmp_path / "o")]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("upscalekit: the SR does not look like an upscale of this")
    assert "Traceback" not in captured.err and "--no-pair-check" in lines[0] and captured.out == ""
    assert main(["diagnose", lr, sr, "--no-pair-check", "-o", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "report.json").exists()
