"""Append-only SQLite storage for blind A/B votes: one row per judgement, nothing lost.

Why SQLite in WAL mode: several raters in separate Jupyter kernels can append to the
same file at once (writers queue on a lock, readers never block), and every vote is
its own transaction, so a kernel killed mid-vote leaves either the whole row or
nothing. The file carries a schema name and version; a file written by a newer
upscalekit or by another program is refused with an error, never rewritten.

A file is either *real* (votes from people) or *simulated* (votes from
:class:`upscalekit.human.simulate.SimulatedRater`), fixed when it is created, so
simulated votes can never end up inside a real study's file.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CHOICES",
    "COLUMNS",
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "SchemaError",
    "Vote",
    "VoteStore",
    "read_votes",
]

SCHEMA_NAME = "upscalekit.human"
SCHEMA_VERSION = 1
CHOICES = ("left", "right", "tie")
Kind = Literal["real", "simulated"]

#: Columns of the votes table, in export order.
COLUMNS = (
    "id", "timestamp", "rater", "session_id", "study_id", "item", "method_a", "method_b",
    "left_method", "right_method", "choice", "chosen_method", "response_ms", "trial_index",
    "is_attention_check", "is_simulated",
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies (
    study_id TEXT PRIMARY KEY,
    simulated INTEGER NOT NULL CHECK (simulated IN (0, 1)),
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp REAL NOT NULL,
    rater TEXT NOT NULL CHECK (length(rater) > 0),
    session_id TEXT NOT NULL,
    study_id TEXT NOT NULL REFERENCES studies(study_id),
    item TEXT NOT NULL,
    method_a TEXT NOT NULL,
    method_b TEXT NOT NULL,
    left_method TEXT NOT NULL,
    right_method TEXT NOT NULL,
    choice TEXT NOT NULL CHECK (choice IN {CHOICES}),
    chosen_method TEXT,
    response_ms REAL,
    trial_index INTEGER,
    is_attention_check INTEGER NOT NULL CHECK (is_attention_check IN (0, 1)),
    is_simulated INTEGER NOT NULL CHECK (is_simulated IN (0, 1)),
    CHECK (method_a < method_b),
    CHECK ((left_method = method_a AND right_method = method_b)
        OR (left_method = method_b AND right_method = method_a)),
    CHECK ((choice = 'tie' AND chosen_method IS NULL)
        OR (choice = 'left' AND chosen_method = left_method)
        OR (choice = 'right' AND chosen_method = right_method))
);
CREATE TRIGGER IF NOT EXISTS votes_no_update BEFORE UPDATE ON votes
BEGIN SELECT RAISE(ABORT, 'votes are append-only: rows cannot be updated'); END;
CREATE TRIGGER IF NOT EXISTS votes_no_delete BEFORE DELETE ON votes
BEGIN SELECT RAISE(ABORT, 'votes are append-only: rows cannot be deleted'); END;
"""


_INSERT = f"INSERT INTO votes({', '.join(COLUMNS[1:])}) VALUES ({', '.join('?' * (len(COLUMNS) - 1))})"


class SchemaError(RuntimeError):
    """The file is not an upscalekit vote database this version can safely write to."""


@dataclass(frozen=True)
class Vote:
    """One blind 2AFC judgement.

    The pair is stored in canonical (sorted) order as ``method_a < method_b``; which
    method the rater saw on the left is kept separately in ``left_method`` so side
    bias can be analysed.

    Attributes
    ----------
    rater, session_id, study_id : str
        Who voted, in which sitting, for which study.
    item : str
        The image or clip judged (e.g. ``"brick"``).
    left_method, right_method : str
        The candidates as shown, left and right.
    choice : str
        ``"left"``, ``"right"`` or ``"tie"`` ("can't tell").
    response_ms : float or None
        Time from the pair appearing to the click.
    trial_index : int or None
        Position of the trial in the session's design.
    is_attention_check, is_simulated : bool
        Flags kept in every row.
    timestamp : float
        Unix time (UTC seconds) of the vote.

    Examples
    --------
    >>> v = Vote("ana", "s1", "pilot", "brick", "bicubic", "realesrgan-x4plus", "right", 812.0)
    >>> v.chosen_method, v.pair
    ('realesrgan-x4plus', ('bicubic', 'realesrgan-x4plus'))
    """

    rater: str
    session_id: str
    study_id: str
    item: str
    left_method: str
    right_method: str
    choice: str
    response_ms: float | None = None
    trial_index: int | None = None
    is_attention_check: bool = False
    is_simulated: bool = False
    timestamp: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        for name in ("rater", "session_id", "study_id", "item", "left_method", "right_method", "choice"):
            _check_text(name, getattr(self, name))
        if self.choice not in CHOICES:
            raise ValueError(f"choice must be one of {CHOICES}, got {self.choice!r}")
        if self.left_method == self.right_method:
            raise ValueError(f"a pair needs two different methods, got {self.left_method!r} twice")
        if not str(self.rater).strip():
            raise ValueError("rater is empty: type a rater name (any pseudonym) before voting")

    @property
    def pair(self) -> tuple[str, str]:
        """The two methods in canonical (sorted) order."""
        return tuple(sorted((self.left_method, self.right_method)))  # type: ignore[return-value]

    @property
    def chosen_method(self) -> str | None:
        """The method the rater preferred, ``None`` for a tie."""
        return {"left": self.left_method, "right": self.right_method}.get(self.choice)


def _check_text(name: str, value: object) -> None:
    """Vote fields are text SQLite can store: a str, encodable as UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}; "
                        f"e.g. {name}=str(value)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = value[err.start]
        raise ValueError(
            f"{name} {value!r} holds a character that cannot be stored (U+{ord(bad):04X} at position "
            f"{err.start}, a lone surrogate, usually from a mis-decoded file name or paste); retype it"
        ) from None


def _is_readonly(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _read_meta(path: Path, timeout_s: float = 60.0) -> dict[str, str] | None:
    """The meta table of an existing file via a read-only connection; ``None`` for an empty database."""
    try:
        ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout_s)
    except sqlite3.Error as exc:  # pragma: no cover - unreadable file
        raise SchemaError(f"{path}: cannot open as SQLite ({exc}); refusing to touch it") from exc
    try:
        tables = {r[0] for r in ro.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return None  # empty SQLite file (e.g. 0 bytes): ours to initialise
        if "meta" not in tables:
            raise SchemaError(
                f"{path}: not an upscalekit vote database (tables: {', '.join(sorted(tables))}); "
                "refusing to write into a foreign database, pick another file name"
            )
        meta = dict(ro.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        raise SchemaError(
            f"{path}: not an SQLite database ({exc}); refusing to overwrite it, pick another file"
        ) from exc
    finally:
        ro.close()
    return meta


class VoteStore:
    """An append-only vote database file (SQLite, WAL mode).

    The file is created on the first :meth:`add` (reading a missing file gives an
    empty table), so displaying a study widget leaves no empty database behind.

    Parameters
    ----------
    path
        The ``.sqlite`` file.
    kind
        ``"real"`` for votes from people, ``"simulated"`` for a simulated rater.
        Fixed at creation; opening an existing file with the other kind raises.
    timeout_s
        How long a write waits for other writers before giving up (busy timeout plus
        retries with jitter). Several kernels voting at once queue; nothing is dropped.

    Raises
    ------
    SchemaError
        The file exists but is not an upscalekit vote database, has a newer schema
        version, or is of the other kind. The file is never modified in that case.

    Examples
    --------
    >>> store = VoteStore("votes.sqlite")  # doctest: +SKIP
    >>> vote = Vote("ana", "s1", "pilot", "brick", "bicubic", "realesrgan-x4plus", "right")
    >>> store.add(vote)  # doctest: +SKIP
    >>> store.to_dataframe()  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str], *, kind: Kind = "real", timeout_s: float = 60.0) -> None:
        if kind not in ("real", "simulated"):
            raise ValueError(f"kind must be 'real' or 'simulated', got {kind!r}")
        self.path = Path(path)
        self.kind: Kind = kind
        self.timeout_s = float(timeout_s)
        self._conn: sqlite3.Connection | None = None
        self._readonly = False
        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path}: is a folder, not a vote database file; pass a file path "
                                    f"such as {self.path / 'votes.sqlite'}")
        if self.path.exists():
            self._inspect()  # read-only: refuses foreign/newer files before touching them

    @property
    def simulated(self) -> bool:
        """True for a file that holds only simulated votes."""
        return self.kind == "simulated"

    # -- opening ---------------------------------------------------------------------------------
    def _inspect(self) -> None:
        """Check an existing file's schema through a read-only connection (never writes)."""
        meta = _read_meta(self.path, self.timeout_s)
        if meta is not None:
            self._check_meta(meta)


    def _check_meta(self, meta: dict[str, str]) -> None:
        name, version = meta.get("schema"), meta.get("schema_version")
        if name != SCHEMA_NAME:
            raise SchemaError(
                f"{self.path}: foreign schema {name!r} version {version!r} (expected {SCHEMA_NAME!r}); "
                "refusing to write into it, pick another file name"
            )
        try:
            v = int(version)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise SchemaError(f"{self.path}: unreadable schema version {version!r}") from None
        if v > SCHEMA_VERSION:
            raise SchemaError(
                f"{self.path}: schema version {v} is newer than this upscalekit understands "
                f"(version {SCHEMA_VERSION}); upgrade upscalekit to read or append to it. "
                "The file was not changed."
            )
        if v < SCHEMA_VERSION:  # pragma: no cover - no older version exists yet
            raise SchemaError(f"{self.path}: schema version {v} is older than {SCHEMA_VERSION}; no migration")
        file_kind = meta.get("kind")
        if file_kind != self.kind:
            raise SchemaError(
                f"{self.path}: this file holds {file_kind} votes but was opened as kind={self.kind!r}; "
                "real and simulated votes are never mixed in one file, use a separate file"
            )

    def _readonly_error(self, exc: BaseException) -> PermissionError:
        return PermissionError(
            f"{self.path}: cannot write votes here, the file or its folder is read-only ({exc}); copy the "
            "file to a writable folder to add votes (reading still works: read_votes(path))"
        )

    def _connect_readonly(self) -> sqlite3.Connection:
        """Reading a file this process may not write (or a read-only folder): no WAL files needed."""
        uri = self.path.resolve().as_uri()
        for query in ("?mode=ro", "?immutable=1"):
            try:
                conn = sqlite3.connect(f"{uri}{query}", uri=True, timeout=self.timeout_s)
                conn.execute("SELECT count(*) FROM votes").fetchone()
                return conn
            except sqlite3.Error as exc:
                last = exc
        raise self._readonly_error(last)

    def _reader(self) -> sqlite3.Connection:
        """A connection for reading: the normal one, or a read-only one where writing is impossible."""
        if self._conn is not None:
            return self._conn
        if not os.access(self.path, os.W_OK) or not os.access(self.path.parent, os.W_OK):
            self._inspect()
            self._conn = self._connect_readonly()
            self._readonly = True
            return self._conn
        try:
            return self._connect()
        except PermissionError:
            self._conn = self._connect_readonly()
            self._readonly = True
            return self._conn

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._readonly:
            raise self._readonly_error("opened read-only")
        if self._conn is not None:
            return self._conn
        try:
            return self._connect_rw()
        except sqlite3.OperationalError as exc:
            if _is_readonly(exc):
                raise self._readonly_error(exc) from exc
            raise

    def _connect_rw(self) -> sqlite3.Connection:
        if self.path.exists():
            self._inspect()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per vote.
        conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
        self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone())
        # FULL: a committed vote survives even a power cut, not just a killed kernel.
        conn.execute("PRAGMA synchronous=FULL")

        meta = [("schema", SCHEMA_NAME), ("schema_version", str(SCHEMA_VERSION)), ("kind", self.kind),
                ("created", repr(time.time()))]
        inserts = "".join(f"INSERT OR IGNORE INTO meta(key, value) VALUES ('{k}', '{v}');\n" for k, v in meta)

        def init() -> None:
            # One transaction: a kernel killed during creation leaves no half-made schema.
            try:
                conn.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}\n{inserts}COMMIT;")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        self._retry(init)
        self._check_meta(dict(conn.execute("SELECT key, value FROM meta").fetchall()))
        self._conn = conn
        return conn

    def _retry(self, fn):  # type: ignore[no-untyped-def]
        """Run ``fn`` retrying on 'database is locked' until ``timeout_s`` (busy_timeout covers most)."""
        deadline = time.monotonic() + self.timeout_s
        delay = 0.005
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.2)

    def close(self) -> None:
        """Close the connection (the file stays valid whether or not this is called)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> VoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------
    def add(self, vote: Vote) -> int:
        """Append one vote in its own transaction and return its row id.

        Raises
        ------
        ValueError
            A simulated vote into a real file or a real vote into a simulated file.
        """
        if bool(vote.is_simulated) != self.simulated:
            raise ValueError(
                f"{self.path}: refusing to write a {'simulated' if vote.is_simulated else 'real'} vote "
                f"into a {self.kind} vote file; simulated and real votes live in separate files"
            )
        conn = self._connect()
        a, b = vote.pair
        row = (
            float(vote.timestamp), vote.rater.strip(), vote.session_id, vote.study_id, vote.item, a, b,
            vote.left_method, vote.right_method, vote.choice, vote.chosen_method,
            None if vote.response_ms is None else float(vote.response_ms),
            None if vote.trial_index is None else int(vote.trial_index),
            int(bool(vote.is_attention_check)), int(bool(vote.is_simulated)),
        )

        def write() -> int:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT OR IGNORE INTO studies(study_id, simulated, created) VALUES (?, ?, ?)",
                    (vote.study_id, int(self.simulated), time.time()),
                )
                cur = conn.execute(_INSERT, row)
                conn.execute("COMMIT")
                return int(cur.lastrowid)  # type: ignore[arg-type]
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        try:
            return self._retry(write)
        except sqlite3.OperationalError as exc:
            if _is_readonly(exc):
                raise self._readonly_error(exc) from exc
            raise

    def add_many(self, votes: Iterable[Vote]) -> list[int]:
        """Append votes one transaction each (so a crash keeps every vote written before it)."""
        return [self.add(v) for v in votes]

    # -- reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        if not self.path.exists():
            return 0
        return int(self._reader().execute("SELECT count(*) FROM votes").fetchone()[0])

    def to_dataframe(self) -> pd.DataFrame:
        """All votes as a DataFrame (columns :data:`COLUMNS`, ``timestamp`` as UTC datetimes).

        A missing file gives an empty frame with the same columns.
        """
        import pandas as pd

        if not self.path.exists():
            df = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        else:
            conn = self._reader()
            df = pd.read_sql_query(f"SELECT {', '.join(COLUMNS)} FROM votes ORDER BY id", conn)
        df["timestamp"] = pd.to_datetime(df["timestamp"].astype(float), unit="s", utc=True)
        for col in ("is_attention_check", "is_simulated"):
            df[col] = df[col].astype(bool)
        return df

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Export all votes to CSV and return the path."""
        path = Path(path)
        self.to_dataframe().to_csv(path, index=False)
        return path

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result (``"ok"`` for a healthy file)."""
        return str(self._reader().execute("PRAGMA integrity_check").fetchone()[0])

    def __repr__(self) -> str:
        return f"VoteStore({str(self.path)!r}, kind={self.kind!r})"


def read_votes(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read every vote of a file, real or simulated (the file's own kind is used).

    A missing file gives an empty DataFrame; a foreign or newer file raises :class:`SchemaError`.

    Examples
    --------
    >>> read_votes("no_such_votes.sqlite").shape[0]
    0
    """
    path = Path(path)
    meta = _read_meta(path) if path.exists() else None
    kind = (meta or {}).get("kind", "real")
    store = VoteStore(path, kind=kind if kind in ("real", "simulated") else "real")  # type: ignore[arg-type]
    try:
        return store.to_dataframe()
    finally:
        store.close()
