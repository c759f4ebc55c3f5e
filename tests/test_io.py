"""Tests for upscalekit.io: file formats round trip, and every bad input fails loudly with the file's name."""

from __future__ import annotations

import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from _photos import load_photo
from PIL import Image, ImageFile

from upscalekit import io
from upscalekit.pixels import Box


def _levels(shape: tuple[int, ...], bit_depth: int, seed: int = 0) -> np.ndarray:
    """A random float image holding exactly representable levels (k / (2**bits - 1))."""
    top = 255 if bit_depth == 8 else 65535
    ints = np.random.default_rng(seed).integers(0, top + 1, size=shape)
    return (ints / top).astype(np.float32)


def _photo(size: int = 64) -> np.ndarray:
    return load_photo("astronaut", Box(100, 180, 100 + size, 180 + size))


# ---------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("bit_depth", [8, 16])
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_lossless_round_trip_is_exact(tmp_path: Path, ext: str, bit_depth: int, channels: int) -> None:
    img = _levels((12, 17, channels), bit_depth)
    path = io.write_image(tmp_path / f"x{ext}", img, bit_depth=bit_depth)
    back, info = io.read_image(path, mode="keep", with_info=True)
    assert back.dtype == np.float32
    assert back.shape == img.shape
    assert info.bit_depth == bit_depth
    assert info.channels == channels
    # Exact: the stored integers come back as the same k / (2**bits - 1) floats.
    np.testing.assert_array_equal(io.to_uint(back, bit_depth), io.to_uint(img, bit_depth))


def test_rgb_mode_repeats_gray_and_drops_alpha(tmp_path: Path) -> None:
    gray = _levels((8, 9, 1), 8)
    rgba = _levels((8, 9, 4), 8, seed=1)
    g = io.read_image(io.write_image(tmp_path / "g.png", gray))
    a = io.read_image(io.write_image(tmp_path / "a.png", rgba))
    assert g.shape == (8, 9, 3) and a.shape == (8, 9, 3)
    np.testing.assert_array_equal(g, np.repeat(gray, 3, axis=2))
    np.testing.assert_array_equal(a, rgba[..., :3])


@pytest.mark.parametrize("ext", [".jpg", ".webp"])
def test_lossy_formats_round_trip_close(tmp_path: Path, ext: str) -> None:
    img = _photo()
    back, info = io.read_image(io.write_image(tmp_path / f"x{ext}", img, quality=95), with_info=True)
    err = float(np.abs(back - img).mean())
    print(f"{ext} q95 mean abs error {err:.4f}")
    assert back.shape == img.shape
    assert info.format == {".jpg": "JPEG", ".webp": "WEBP"}[ext]
    assert err < 0.02


def _oriented_jpeg(path: Path, array: np.ndarray, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation tag
    Image.fromarray(io.to_uint(array)).save(path, quality=100, subsampling=0, exif=exif.tobytes())


@pytest.mark.parametrize(("orientation", "expected"), [
    (1, lambda a: a),
    (3, lambda a: np.rot90(a, 2)),
    (6, lambda a: np.rot90(a, -1)),  # camera held rotated: display rotated 90° clockwise
    (8, lambda a: np.rot90(a, 1)),
])
def test_jpeg_exif_orientation_is_honoured(tmp_path: Path, orientation: int, expected) -> None:
    # A non-symmetric picture: 16 × 32, white block in the top-left corner only.
    stored = np.zeros((16, 32, 3), np.float32)
    stored[:8, :8] = 1.0
    path = tmp_path / f"o{orientation}.jpg"
    _oriented_jpeg(path, stored, orientation)
    back = io.read_image(path)
    want = expected(stored)
    assert back.shape == want.shape
    assert float(np.abs(back - want).mean()) < 0.02
    if orientation != 1:  # and it is not merely the stored pixels
        assert back.shape != stored.shape or float(np.abs(back - stored).mean()) > 0.1


def test_cmyk_jpeg_is_converted_to_rgb(tmp_path: Path) -> None:
    # CMYK (0, 255, 255, 0) is pure red; K=128 alone is mid grey.
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    cmyk.paste((0, 0, 0, 128), (0, 8, 16, 16))
    path = tmp_path / "cmyk.jpg"
    cmyk.save(path, quality=100)
    back, info = io.read_image(path, with_info=True)
    assert info.mode == "CMYK"
    assert back.shape == (16, 16, 3)
    np.testing.assert_allclose(back[2:6, 2:14].mean(axis=(0, 1)), [1.0, 0.0, 0.0], atol=0.03)
    np.testing.assert_allclose(back[10:14, 2:14].mean(axis=(0, 1)), [127 / 255] * 3, atol=0.03)


def test_palette_png_is_converted_exactly(tmp_path: Path) -> None:
    pal = Image.new("P", (6, 4), 0)
    pal.putpalette([255, 0, 0, 0, 128, 255] + [0] * (254 * 3))
    pal.paste(1, (3, 0, 6, 4))
    path = tmp_path / "pal.png"
    pal.save(path)
    back, info = io.read_image(path, with_info=True)
    assert info.mode == "P"
    u = io.to_uint(back)
    np.testing.assert_array_equal(u[:, :3], np.broadcast_to([255, 0, 0], (4, 3, 3)))
    np.testing.assert_array_equal(u[:, 3:], np.broadcast_to([0, 128, 255], (4, 3, 3)))


def test_palette_png_with_transparency_keeps_alpha(tmp_path: Path) -> None:
    pal = Image.new("P", (4, 2), 0)
    pal.putpalette([10, 20, 30, 200, 100, 0] + [0] * (254 * 3))
    pal.paste(1, (2, 0, 4, 2))
    path = tmp_path / "palt.png"
    pal.save(path, transparency=0)
    back = io.read_image(path, mode="keep")
    assert back.shape == (2, 4, 4)
    np.testing.assert_array_equal(back[:, :2, 3], 0.0)
    np.testing.assert_array_equal(back[:, 2:, 3], 1.0)
    np.testing.assert_array_equal(io.to_uint(back)[0, 2, :3], [200, 100, 0])


# ---------------------------------------------------------------------------------------------- bad input


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _bomb_png(path: Path, side: int = 100_000) -> None:
    """A 100 000 × 100 000 RGB PNG header with valid CRCs and a few bytes of data."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    chunks = _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunks)


def _truncated(tmp_path: Path, name: str, **kw) -> Path:
    full = io.write_image(tmp_path / f"full_{name}", _photo(), **kw)
    data = full.read_bytes()
    cut = tmp_path / name
    cut.write_bytes(data[: len(data) * 2 // 3])
    return cut


def _raises_naming(exc: type[BaseException], path: Path, *words: str) -> str:
    with pytest.raises(exc) as info:
        io.read_image(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    for w in words:
        assert w in msg.lower(), msg
    print(f"{type(info.value).__name__}: {msg}")
    return msg


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    _raises_naming(ValueError, path, "empty")


def test_text_file_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("this is a shopping list, not a picture\n" * 20)
    _raises_naming(ValueError, path, "not an image")


@pytest.mark.parametrize(("name", "kw"), [
    ("cut.png", {}),
    ("cut16.png", {"bit_depth": 16}),
    ("cut.jpg", {"quality": 90}),
])
def test_truncated_file_is_an_oserror(tmp_path: Path, name: str, kw: dict) -> None:
    _raises_naming(OSError, _truncated(tmp_path, name, **kw), "truncated")


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.8, 0.95, 0.99])
def test_truncated_jpeg_never_decodes_partially(tmp_path: Path, fraction: float) -> None:
    full = io.write_image(tmp_path / "full.jpg", _photo(128), quality=90)
    data = full.read_bytes()
    cut = tmp_path / f"cut{fraction}.jpg"
    cut.write_bytes(data[: int(len(data) * fraction)])
    _raises_naming(OSError, cut, "truncated")


def test_truncation_still_detected_if_user_enabled_load_truncated(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    _raises_naming(OSError, _truncated(tmp_path, "cut.jpg"), "truncated")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the user's setting is restored


def test_huge_header_is_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    _bomb_png(path)
    assert path.stat().st_size < 200
    tracemalloc.start()
    try:
        msg = _raises_naming(ValueError, path, "100000 × 100000", "pixels")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "max_pixels" in msg
    print(f"peak traced allocation while refusing: {peak / 1e6:.2f} MB")
    assert peak < 20e6  # 30 GB would be needed to decode it
    assert Image.MAX_IMAGE_PIXELS is not None  # Pillow's own guard is restored afterwards


def test_max_pixels_is_adjustable(tmp_path: Path) -> None:
    path = io.write_image(tmp_path / "small.png", _levels((10, 10, 3), 8))
    with pytest.raises(ValueError, match="100 pixels"):
        io.read_image(path, max_pixels=99)
    assert io.read_image(path, max_pixels=100).shape == (10, 10, 3)


def test_directory_is_not_an_image(tmp_path: Path) -> None:
    _raises_naming(ValueError, tmp_path, "directory")


def test_missing_file(tmp_path: Path) -> None:
    _raises_naming(FileNotFoundError, tmp_path / "nope.png", "no such file")


def test_bad_arguments_teach(tmp_path: Path) -> None:
    img = _levels((4, 4, 3), 8)
    with pytest.raises(ValueError, match="unknown image extension"):
        io.write_image(tmp_path / "x.gif", img)
    with pytest.raises(ValueError, match="16-bit output needs"):
        io.write_image(tmp_path / "x.jpg", img, bit_depth=16)
    with pytest.raises(ValueError, match="no alpha"):
        io.write_image(tmp_path / "x.jpg", _levels((4, 4, 4), 8))
    with pytest.raises(ValueError, match="mode must be"):
        io.read_image(io.write_image(tmp_path / "x.png", img), mode="bgr")
    with pytest.raises(ValueError, match="divide by 255"):
        io.write_image(tmp_path / "y.png", img * 255)


def test_jpeg_roundtrip_matches_file_codec(tmp_path: Path) -> None:
    img = _photo()
    mem = io.jpeg_roundtrip(img, 40, subsampling="4:2:0")
    Image.fromarray(io.to_uint(img)).save(tmp_path / "q40.jpg", quality=40, subsampling=2)
    np.testing.assert_array_equal(mem, io.read_image(tmp_path / "q40.jpg"))
    with pytest.raises(ValueError, match="quality"):
        io.jpeg_roundtrip(img, 0)
    with pytest.raises(ValueError, match="subsampling"):
        io.jpeg_roundtrip(img, 50, subsampling="4:1:1")


def test_tensor_round_trip() -> None:
    torch = pytest.importorskip("torch")
    a, b = _levels((5, 6, 3), 8), _levels((5, 6, 3), 8, seed=3)
    t = io.to_tensor([a, b])
    assert tuple(t.shape) == (2, 3, 5, 6) and t.dtype == torch.float32
    back = io.from_tensor(t)
    np.testing.assert_array_equal(back[0], a)
    np.testing.assert_array_equal(back[1], b)
    with pytest.raises(ValueError, match="share a shape"):
        io.to_tensor([a, a[:4]])


def test_encode_png_is_lossless_8bit() -> None:
    import io as _io

    from PIL import Image

    from upscalekit.io import encode_png, to_uint

    rng = np.random.default_rng(0)
    img = rng.random((7, 9, 3), dtype=np.float32)
    back = np.asarray(Image.open(_io.BytesIO(encode_png(img))))
    np.testing.assert_array_equal(back, to_uint(img, 8))
    gray = np.asarray(Image.open(_io.BytesIO(encode_png(img[..., :1]))))
    assert gray.shape == (7, 9)
