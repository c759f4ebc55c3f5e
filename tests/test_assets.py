"""Weight sources: download (served from a loopback HTTP server), cache, registry and safe loading."""

from __future__ import annotations

import hashlib
import http.server
import os
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from upscalekit import assets as W

PAYLOAD = os.urandom(300_000)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        _Handler.hits.append(self.headers.get("Range") or "")
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            body = PAYLOAD[start:]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            body = PAYLOAD
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    _Handler.hits.clear()
    yield f"http://127.0.0.1:{srv.server_address[1]}/w.pth"
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("UPSCALEKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("UPSCALEKIT_OFFLINE", raising=False)
    monkeypatch.delenv("UPSCALEKIT_WEIGHTS_DIR", raising=False)
    return tmp_path / "cache"


def test_download_checks_sha_and_is_atomic(server, tmp_path):
    dest = W.download(server, tmp_path / "w.pth", sha256=SHA, size=len(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "w.pth.part").exists()


def test_download_mismatch_leaves_nothing(server, tmp_path):
    with pytest.raises(OSError, match="sha256 mismatch"):
        W.download(server, tmp_path / "bad.pth", sha256="0" * 64, progress=False)
    assert not (tmp_path / "bad.pth").exists()
    assert not (tmp_path / "bad.pth.part").exists()


def test_download_resumes_partial_file(server, tmp_path):
    (tmp_path / "w.pth.part").write_bytes(PAYLOAD[:100_000])
    W.download(server, tmp_path / "w.pth", sha256=SHA, progress=False)
    assert (tmp_path / "w.pth").read_bytes() == PAYLOAD
    assert _Handler.hits == ["bytes=100000-"]


def test_offline_refuses_download(tmp_path, monkeypatch):
    monkeypatch.setenv("UPSCALEKIT_OFFLINE", "1")
    with pytest.raises(OSError, match="UPSCALEKIT_OFFLINE"):
        W.download("http://127.0.0.1:9/none", tmp_path / "x.pth", progress=False)


def test_resolve_order_and_provenance(server, cache, tmp_path, monkeypatch):
    spec = W.WeightSpec("w.pth", url=server, sha256=SHA)
    first = W.resolve(spec, progress=False)
    assert first.source == "url" and Path(first.path).read_bytes() == PAYLOAD
    again = W.resolve(spec, progress=False)
    assert again.source == "cache" and len(_Handler.hits) == 1  # no second download
    wdir = tmp_path / "mine"
    wdir.mkdir()
    (wdir / "w.pth").write_bytes(b"mine")
    monkeypatch.setenv("UPSCALEKIT_WEIGHTS_DIR", str(wdir))
    assert W.resolve(spec).source == "weights_dir"
    assert W.resolve(spec, path=wdir / "w.pth").source == "path"


def test_resolve_missing_everywhere_says_where_to_put_it(cache, monkeypatch):
    monkeypatch.setenv("UPSCALEKIT_OFFLINE", "1")
    spec = W.WeightSpec("GFPGANv1.4.pth", url="https://example.invalid/GFPGANv1.4.pth")
    with pytest.raises(FileNotFoundError) as err:
        W.resolve(spec)
    msg = str(err.value)
    assert "https://example.invalid/GFPGANv1.4.pth" in msg
    assert str(cache / "weights" / "GFPGANv1.4.pth") in msg


def test_registry_source_offline_from_clean_cache(cache, monkeypatch):
    # The URL is unreachable (offline); the registry artifact (a real PyPI wheel) answers.
    monkeypatch.setenv("UPSCALEKIT_OFFLINE", "1")
    src = W.RegistrySource("lpips", "0.1.4", "lpips/weights/v0.1/alex.pth")
    spec = W.WeightSpec("alex.pth", url="https://example.invalid/alex.pth", registry=(src,))
    prov = W.resolve(spec)
    assert prov.source == "registry" and "lpips==0.1.4" in prov.detail
    assert any("UPSCALEKIT_OFFLINE" in t for t in prov.tried)
    sd = W.load_state_dict(prov.path)
    assert {k: tuple(v.shape) for k, v in sd.items()}["lin0.model.1.weight"] == (1, 64, 1, 1)


def test_registry_missing_member_lists_members(cache):
    with pytest.raises(KeyError, match="has no member"):
        W.registry_file("lpips", "0.1.4", "lpips/weights/v9/none.pth")
    assert not (cache / "registry" / "lpips-0.1.4" / "lpips/weights/v9/none.pth").exists()


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_restricted_unpickle_admits_arrays_only(tmp_path):
    good = {"a": np.arange(3, dtype=np.float32), "nested": {"b": [np.ones((2, 2))]}}
    out = W.restricted_unpickle(pickle.dumps(good))
    assert out["a"].tolist() == [0, 1, 2] and out["nested"]["b"][0].shape == (2, 2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle"):
        W.restricted_unpickle(pickle.dumps(_Evil()))
    with pytest.raises(ValueError, match="corrupt or truncated"):
        W.restricted_unpickle(pickle.dumps(good)[:20])


def test_load_state_dict_unwraps_and_names_corrupt_files(tmp_path):
    import torch
    from safetensors.torch import save_file

    sd = {"module.conv.weight": torch.ones(2, 2)}
    torch.save({"params_ema": sd}, tmp_path / "a.pth")
    got = W.load_state_dict(tmp_path / "a.pth", strip_prefixes=("module.",))
    assert list(got) == ["conv.weight"]
    save_file({"x": torch.zeros(3)}, str(tmp_path / "b.safetensors"))
    assert W.load_state_dict(tmp_path / "b.safetensors")["x"].shape == (3,)
    data = (tmp_path / "a.pth").read_bytes()
    (tmp_path / "trunc.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="trunc.pth"):
        W.load_state_dict(tmp_path / "trunc.pth")
