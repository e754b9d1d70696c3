"""``RunResult``: tidy tables, a flat summary and provenance of one run; saving it to disk."""

from __future__ import annotations

import fcntl
import json
import math
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .safe_paths import file_id, is_link, is_own_file, real, remove_file, unproven

TABLES = ("timeseries", "program_timeseries", "programs", "events", "costs", "regions")

# The columns and in-memory dtypes of the two weekly tables. On disk their integer columns may be
# narrower (int16 weeks, int32 programme ids, counts as wide as the run needs); load_result widens
# them back, so a table read from disk equals the one run_sim returned.
TIMESERIES_DTYPES: dict[str, Any] = {
    "week": np.int64, "program_id": np.int64, "practice": "category",
    "n_eligible": np.int32, "n_using": np.int32, "n_fidelity": np.int32,
    "frac_staff_using": np.float64, "frac_staff_fidelity": np.float64,
    "frac_classrooms_fidelity": np.float64, "frac_families_home_use": np.float64,
}
PROGRAM_TIMESERIES_DTYPES: dict[str, Any] = {
    "week": np.int64, "program_id": np.int64, "culture": np.float64, "momentum": np.float64,
    "derailed": np.bool_, "in_collaborative": np.bool_, "n_staff_present": np.int32, "n_team_present": np.int32,
    "cum_pdsa_cycles": np.int32, "frac_classrooms_reached": np.float64, "mean_family_engagement": np.float64,
    "cum_child_weeks_reached": np.int64,
}
WIDE_DTYPES = {"timeseries": TIMESERIES_DTYPES, "program_timeseries": PROGRAM_TIMESERIES_DTYPES}
# Rows per Parquet row group when a weekly table is streamed (whole weeks; at least one week).
ROWS_PER_GROUP = 2**18


class LazyTable:
    """A weekly table kept as the run's count arrays and built only when needed.

    :meth:`frame` builds the whole table (``dtypes``); :meth:`write_parquet` writes it a few weeks
    at a time as row groups with the narrower integer types of ``narrow``, so a state's tens of
    millions of rows never sit in memory at once. Subclasses give ``n_weeks``, ``rows_per_week``,
    ``dtypes``, ``narrow`` and :meth:`columns`; they hold arrays only, so they pickle.
    """

    n_weeks: int
    rows_per_week: int
    dtypes: dict[str, Any] = {}
    narrow: dict[str, Any] = {}

    def columns(self, w0: int, w1: int) -> dict[str, Any]:
        """The table's columns for weeks ``w0`` to ``w1 - 1`` (in-memory dtypes)."""
        raise NotImplementedError

    def __len__(self) -> int:
        return self.n_weeks * self.rows_per_week

    def frame(self, w0: int = 0, w1: int | None = None) -> pd.DataFrame:
        cols = self.columns(w0, self.n_weeks if w1 is None else w1)
        return pd.DataFrame(cols, copy=False)  # fresh columns: no need to consolidate them into blocks

    def narrow_frames(self, rows_per_group: int | None = None) -> Iterator[pd.DataFrame]:
        """The table in pieces of whole weeks (about ``rows_per_group`` rows, default
        :data:`ROWS_PER_GROUP`), integers narrowed."""
        step = max(1, (rows_per_group or ROWS_PER_GROUP) // max(self.rows_per_week, 1))
        for w0 in range(0, max(self.n_weeks, 1), step):
            cols = self.columns(w0, min(self.n_weeks, w0 + step))
            for name, dtype in self.narrow.items():
                cols[name] = cols[name].astype(dtype)
            yield pd.DataFrame(cols, copy=False)

    def write_parquet(self, path: Path, rows_per_group: int | None = None) -> None:
        """Write the table to ``path``: one ``to_parquet`` when it fits in one row group, else streamed."""
        pieces = self.narrow_frames(rows_per_group)
        first = next(pieces)
        if len(first) == len(self):
            first.to_parquet(path, index=False)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(first, preserve_index=False)
        with pq.ParquetWriter(path, table.schema) as writer:
            writer.write_table(table)
            del first, table
            for piece in pieces:
                writer.write_table(pa.Table.from_pandas(piece, preserve_index=False))


def _widen(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A weekly table read from disk with the dtypes run_sim gives it (integers stored narrower)."""
    wide = {c: d for c, d in WIDE_DTYPES.get(name, {}).items() if c in df and d != "category" and df[c].dtype != d}
    return df.astype(wide) if wide else df


@dataclass
class RunResult:
    """Everything one run produced.

    Attributes:
        timeseries: week x programme x practice (staff using / at fidelity, classrooms, families).
        program_timeseries: week x programme (culture, headcount, team, PDSA cycles, reach, engagement).
        programs: one row per programme (kind, size, readiness, turnover, progress score).
        events: the PDSA log, one row per cycle.
        costs: week x cost category (USD), non-zero rows.
        summary: flat dict of scalar outcomes.
        meta: package version, resolved config, seed, git revision, timings.
        regions: region x wave x quarter (programmes enrolled, classrooms reached and sustained,
            children reached, cost); one region and wave for a single collaborative (issue 11).

    ``timeseries`` and ``program_timeseries`` may be given as :class:`LazyTable` (``run_sim`` does):
    the table is built the first time it is read, and :meth:`save` streams it to Parquet without
    building it at all (issue 19: a state's week x programme x practice table was the run's peak).
    """

    timeseries: pd.DataFrame
    program_timeseries: pd.DataFrame
    programs: pd.DataFrame
    events: pd.DataFrame
    costs: pd.DataFrame
    summary: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)
    regions: pd.DataFrame = field(default_factory=pd.DataFrame)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def _table_or_source(self, name: str) -> pd.DataFrame | LazyTable:
        return self.__dict__.get(f"_{name}", None) if name in LAZY_TABLES else getattr(self, name)

    def is_built(self, name: str) -> bool:
        """Whether table ``name`` is in memory (a lazy weekly table not yet read is not)."""
        return isinstance(self._table_or_source(name), pd.DataFrame)

    def save(self, out_dir: str | Path, extras: Mapping[str, Callable[[Path], object]] | None = None, *,
             overwrite: bool = False, into_existing: bool = False, created: bool = False) -> Path:
        """Write the run to ``out_dir``: Parquet tables, ``summary.json``, ``meta.json`` and ``extras``.

        ``extras`` maps file names to writers called with the file's path (the CLI adds the
        resolved config and the figure). ``out_dir`` must be new, empty, or an earlier bsc_sim
        run's output, which is replaced only with ``overwrite`` (see :func:`check_out_dir`):
        nothing that bsc_sim did not write is ever deleted or overwritten.

        A new directory, or an earlier run's directory, is written as a temporary sibling that
        then takes its place whole, so an interrupted or failed save leaves either the previous
        complete results or none, never a mixture. The current directory (or one that contains
        it) cannot be swapped: there the files are renamed in one by one, ``meta.json`` last.

        With ``into_existing`` (a directory bsc_sim's own Hydra multirun created for the job) the
        files are renamed in one by one, leaving its other contents (``.hydra/``) alone. ``created``
        says that ``out_dir`` is an empty directory this process made (see :func:`run_dir_lock`).

        ``meta.json`` records the device, inode and change time of every file the run wrote (``written_files``):
        a later ``--overwrite`` replaces only files that still have them (:mod:`bsc_sim.safe_paths`).
        If ``out_dir`` is a symbolic link, the directory it points to is replaced and the link kept.
        """
        names = [*(f"{name}.parquet" for name in TABLES), "summary.json", "meta.json", *(extras or {})]
        given = Path(out_dir)
        out = _real_if_link(given)  # a link to an earlier run: the run it points to is replaced, the link kept
        if not into_existing:
            state = check_out_dir(out, overwrite=overwrite, extra_names=names)
            if state == "empty" and created:
                state = "new"  # the empty directory this process made (and holds locked): swapped in whole
        writers = {f"{name}.parquet": _table_writer(self._table_or_source(name)) for name in TABLES}
        writers["summary.json"] = lambda p: p.write_text(dumps_json(self.summary))
        writers.update(extras or {})

        def write_meta(path: Path) -> None:  # last: it marks a whole run, and records what the run wrote
            self.meta[WRITTEN_KEY] = {name: file_id(path.parent / name) for name in writers if name != "meta.json"}
            path.write_text(dumps_json(self.meta))

        writers["meta.json"] = write_meta
        if into_existing or state == "empty" or _holds_cwd(out):
            for name, write in writers.items():
                atomic_write(out / name, write)
            return given
        _swap_in(out, writers, replace=state == "previous")
        return given


LAZY_TABLES = ("timeseries", "program_timeseries")


def _lazy_table(name: str) -> property:
    key = f"_{name}"

    def get(self: RunResult) -> pd.DataFrame:
        value = self.__dict__[key]
        if isinstance(value, LazyTable):
            value = self.__dict__[key] = value.frame()  # built once, kept; the arrays are let go
        return value

    def set(self: RunResult, value: pd.DataFrame | LazyTable) -> None:
        self.__dict__[key] = value

    return property(get, set, doc=f"The {name} table (built on first use when the run gave it lazily).")


for _name in LAZY_TABLES:
    setattr(RunResult, _name, _lazy_table(_name))


def _table_writer(table: pd.DataFrame | LazyTable) -> Callable[[Path], object]:
    if isinstance(table, LazyTable):
        return table.write_parquet
    return lambda path: table.to_parquet(path, index=False)


# Files a bsc_sim run writes. A run since issue 17 records its files' identities in meta.json
# (WRITTEN_KEY); an older run's files are recognised by these names (and the talk figures it listed).
RUN_FILES = frozenset({*(f"{name}.parquet" for name in TABLES), "summary.json", "meta.json",
                       "config.yaml", "adoption.png", "coverage.png"})
WRITTEN_KEY = "written_files"


def _real_if_link(path: Path) -> Path:
    return real(path) if is_link(path) else path


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(path.anchor or ".")


def _holds_cwd(path: Path) -> bool:
    """Is ``path`` the current directory or one of its ancestors (which cannot be renamed away)?"""
    try:
        cwd, target = Path.cwd().resolve(), path.resolve()
    except OSError:
        return True
    return cwd == target or target in cwd.parents


def _read_meta(path: Path) -> dict | None:
    meta_path = path / "meta.json"
    if not is_own_file(path, meta_path):
        return None
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("package") == "bsc_sim" else None


def _recorded(meta: dict) -> dict[str, list[int]] | None:
    """The files an earlier run recorded as written by it, with their identities (None: an older run)."""
    files = meta.get(WRITTEN_KEY)
    if not isinstance(files, dict):
        return None
    return {n: v for n, v in files.items() if isinstance(n, str) and n == Path(n).name and isinstance(v, list)}


def _not_the_runs(path: Path, meta: dict) -> list[str]:
    """Entries of an earlier run's directory that bsc_sim cannot show that run wrote (sorted)."""
    names = [e.name for e in path.iterdir() if e.name != "meta.json"]
    recorded = _recorded(meta)
    legacy = RUN_FILES | {n for n in meta.get("talk_figures", []) if isinstance(n, str) and n == Path(n).name}
    return unproven(path, names, recorded, allowed=legacy)


def is_run_output(path: Path, extra_names: Sequence[str] = ()) -> bool:
    """True when ``path`` holds an earlier bsc_sim run and nothing else: its ``meta.json`` says so,
    and every other entry is a file that run wrote (recorded in ``meta.json`` with the same device
    and inode; for a run older than that record, a plain file with one of a run's names). A file
    the user put there under a name this run asks for (``--slides talk.png``) is the user's.
    ``extra_names`` is accepted for compatibility and grants nothing."""
    meta = _read_meta(path)
    try:
        return meta is not None and not _not_the_runs(path, meta)
    except OSError:
        return False


def check_dir_target(path: Path, shown: str) -> Path:
    """Read-only: may a directory be created at, or written in, ``path``? Return its nearest existing part.

    Raises:
        ParamError: ``path`` is a file, lies under a file, or its nearest existing directory is not
            writable (``shown`` names the setting in the message, e.g. ``out_dir = 'x'``).
    """
    from .paramtools import ParamError

    base = _nearest_existing(path)
    if base == path and path.exists() and not path.is_dir():
        raise ParamError(f"{shown}: is a file, not a directory; choose a directory")
    if not base.is_dir():
        raise ParamError(f"{shown}: lies under {str(base)!r}, which is a file, not a directory")
    if not os.access(base, os.W_OK | os.X_OK):
        raise ParamError(f"{shown}: {str(base)!r} is not writable")
    return base


def check_out_dir(out_dir: str | Path, *, overwrite: bool = False, extra_names: Sequence[str] = ()) -> str:
    """Check, before anything runs, that a run may be written to ``out_dir``; return its state.

    Returns ``"new"`` (it does not exist), ``"empty"`` or ``"previous"`` (an earlier bsc_sim
    run, replaced only with ``overwrite``).

    Raises:
        ParamError: one line naming ``out_dir``: it is a file or lies under one, cannot be
            written, holds anything bsc_sim did not write, or holds an earlier run and
            ``overwrite`` is off.
    """
    from .paramtools import ParamError

    shown = f"out_dir = {str(out_dir)!r}"
    path = _real_if_link(Path(out_dir))
    if check_dir_target(path, shown) != path:
        return "new"
    try:
        entries = sorted(e.name for e in path.iterdir())
    except OSError as exc:
        raise ParamError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if not entries:
        return "empty"
    meta = _read_meta(path)
    theirs = _not_the_runs(path, meta) if meta is not None else entries
    if not theirs:
        if not overwrite:
            raise ParamError(f"{shown}: holds an earlier bsc_sim run; add --overwrite to replace it, "
                             "or choose another out_dir")
        swapped = not _holds_cwd(path)  # replaced by a rename in its parent
        if not os.access(path, os.W_OK | os.X_OK) or (swapped and not os.access(path.parent, os.W_OK | os.X_OK)):
            raise ParamError(f"{shown}: is not writable")
        return "previous"
    more = f" and {len(theirs) - 1} more" if len(theirs) > 1 else ""
    if meta is not None:
        raise ParamError(f"{shown}: holds {theirs[0]!r}{more}, which is not a bsc_sim run's output (the earlier "
                         "run there did not write it, or it changed since); bsc_sim never replaces what it did not "
                         "write: move it away or choose another out_dir")
    raise ParamError(f"{shown}: is not empty and is not a bsc_sim run's output (it holds {theirs[0]!r}{more}); "
                     "bsc_sim never writes into or deletes what it did not write: choose a new or empty directory")


def _swap_in(out: Path, writers: Mapping[str, Callable[[Path], object]], *, replace: bool) -> None:
    """Write every file into a temporary sibling, then rename it onto ``out`` (new or ours)."""
    out = out.resolve() if out.name in ("", ".", "..") else _real_if_link(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(out.parent, f".{out.name}.")
    try:
        for name, write in writers.items():
            with naming_the_file(out / name):
                write(tmp / name)
        if not replace:
            os.replace(tmp, out)  # onto nothing, or an empty directory; a non-empty one raises
            return
        old = make_temp_dir(out.parent, f".{out.name}.old.")
        os.replace(out, old / "previous")  # a rename: out vanishes only while tmp is complete
        if not is_run_output(old / "previous", list(writers)):  # changed since it was checked
            os.replace(old / "previous", out)
            old.rmdir()
            from .paramtools import ParamError

            raise ParamError(f"out_dir = {str(out)!r}: changed while the run was saved; nothing was replaced")
        os.replace(tmp, out)
        _remove_run(old / "previous")
        try:
            old.rmdir()
        except OSError:
            pass
    finally:
        if tmp.is_dir() and not is_link(tmp):
            shutil.rmtree(tmp, ignore_errors=True)  # our own temporary directory only


def _remove_run(path: Path) -> None:
    """Delete a replaced run: only the files it can be shown to have written, then the directory
    (left in place, with anything else, if anything else appeared)."""
    meta = _read_meta(path)
    recorded = _recorded(meta) if meta else None
    for entry in sorted(path.iterdir()):
        if entry.name == "meta.json":
            continue
        if recorded is not None:
            if entry.name in recorded:
                remove_file(path, entry, recorded[entry.name])
        elif meta is not None and entry.name not in _not_the_runs(path, meta):  # a run older than the record
            remove_file(path, entry)
    remove_file(path, path / "meta.json")
    try:
        path.rmdir()
    except OSError:
        pass


@contextmanager
def run_dir_lock(out_dir: str | Path) -> Iterator[bool]:
    """Hold ``out_dir`` (created if new) for one ``bsc-sim run``: an exclusive ``flock`` on the
    directory itself, so a second run into it refuses at once (issue 17). Yields whether this
    process created the directory; one it created and left empty is removed again.

    Raises:
        ParamError: another command holds it, or it cannot be created.
    """
    from .paramtools import ParamError

    shown = f"out_dir = {str(out_dir)!r}"
    root = _real_if_link(Path(out_dir))
    created = [p for p in (root, *root.parents) if not p.exists() and not p.is_symlink()]
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise ParamError(f"{shown}: cannot be created ({exc.strerror or exc})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ParamError(f"{shown}: another bsc-sim command is writing there; let it finish or choose "
                             "another out_dir") from None
        try:
            yield bool(created)
        finally:
            for path in created:  # deepest first; only while empty
                try:
                    path.rmdir()
                except OSError:
                    break
    finally:
        os.close(fd)


def _unique_name(directory: Path, prefix: str, suffix: str = "") -> Path:
    return directory / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}{suffix}"


def make_temp_dir(parent: Path, prefix: str) -> Path:
    """A new, uniquely named directory in ``parent`` with the umask's permissions.

    (``tempfile.mkdtemp`` makes 0700 directories whatever the umask, which would hide results from
    colleagues sharing a project directory.)
    """
    while True:
        path = _unique_name(parent, prefix)
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it onto ``path``.

    The temporary name keeps the extension (``.tmp-PID-XXXX-name.png``), so writers that infer the
    format from it (matplotlib) work; readers never see a partial file. The file is created with
    mode 0666 less the umask, as any ordinary file would be (``tempfile.mkstemp`` would make it 0600).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = _unique_name(path.parent, ".tmp-", f"-{path.name}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        with naming_the_file(path):
            write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def naming_the_file(path: Path) -> Iterator[None]:
    """Give ``path`` to an OSError that names no file, so a full disk is reported with the file that
    was being written (Pillow, writing a PNG, raises ``[Errno 28] No space left on device`` alone)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; null marks "undefined" (e.g. cost per classroom when none)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def dumps_json(obj: Any) -> str:
    return json.dumps(_clean(obj), indent=2, sort_keys=False) + "\n"


def load_result(out_dir: str | Path) -> RunResult:
    """Read a saved run back."""
    out = Path(out_dir)
    # Runs saved before issue 11 have no regions table.
    tables = {name: _widen(name, pd.read_parquet(out / f"{name}.parquet"))
              for name in TABLES if (out / f"{name}.parquet").exists()}
    summary = {k: (float("nan") if v is None else v) for k, v in json.loads((out / "summary.json").read_text()).items()}
    meta = json.loads((out / "meta.json").read_text())
    return RunResult(**tables, summary=summary, meta=meta)
