"""``RunResult``: tidy tables, a flat summary and provenance of one run; saving it to disk."""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

TABLES = ("timeseries", "program_timeseries", "programs", "events", "costs", "regions")


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

    def save(self, out_dir: str | Path, extras: Mapping[str, Callable[[Path], object]] | None = None, *,
             overwrite: bool = False, into_existing: bool = False) -> Path:
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
        files are renamed in one by one, leaving its other contents (``.hydra/``) alone.
        """
        names = [*(f"{name}.parquet" for name in TABLES), "summary.json", "meta.json", *(extras or {})]
        out = Path(out_dir)
        if not into_existing:
            state = check_out_dir(out, overwrite=overwrite, extra_names=names)
        writers = {f"{name}.parquet": (lambda df: lambda p: df.to_parquet(p, index=False))(df)
                   for name, df in self.tables().items()}
        writers["summary.json"] = lambda p: p.write_text(dumps_json(self.summary))
        writers.update(extras or {})
        writers["meta.json"] = lambda p: p.write_text(dumps_json(self.meta))  # last: it marks a whole run
        if into_existing or state == "empty" or _holds_cwd(out):
            for name, write in writers.items():
                atomic_write(out / name, write)
            return out
        _swap_in(out, writers, replace=state == "previous")
        return out


# Files a bsc_sim run writes; an existing out_dir is replaced only if it holds nothing else.
RUN_FILES = frozenset({*(f"{name}.parquet" for name in TABLES), "summary.json", "meta.json",
                       "config.yaml", "adoption.png"})


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


def _own_extras(path: Path) -> set[str]:
    """Names of the extra files an earlier run recorded in its ``meta.json`` as its own (talk figures)."""
    try:
        meta = json.loads((path / "meta.json").read_text())
        names = meta.get("talk_figures", []) if isinstance(meta, dict) else []
    except (OSError, ValueError):
        return set()
    return {n for n in names if isinstance(n, str) and n == Path(n).name}  # plain names in the run folder


def is_run_output(path: Path, extra_names: Sequence[str] = ()) -> bool:
    """True when ``path`` holds an earlier bsc_sim run: its ``meta.json`` says so, and every entry
    is a file a run writes (``extra_names`` adds the names of this run's extra files; the files
    the earlier run recorded as its own in ``meta.json`` count too)."""
    allowed = RUN_FILES | set(extra_names) | _own_extras(path)
    try:
        entries = list(path.iterdir())
        meta = json.loads((path / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    return (isinstance(meta, dict) and meta.get("package") == "bsc_sim"
            and all(e.name in allowed and e.is_file() and not e.is_symlink() for e in entries))


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

    path = Path(out_dir)
    shown = f"out_dir = {str(out_dir)!r}"
    if check_dir_target(path, shown) != path:
        return "new"
    entries = sorted(e.name for e in path.iterdir())
    if not entries:
        return "empty"
    if is_run_output(path, extra_names):
        if not overwrite:
            raise ParamError(f"{shown}: holds an earlier bsc_sim run; add --overwrite to replace it, "
                             "or choose another out_dir")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ParamError(f"{shown}: is not writable")
        return "previous"
    raise ParamError(f"{shown}: is not empty and is not a bsc_sim run's output (it holds {entries[0]!r}"
                     f"{f' and {len(entries) - 1} more' if len(entries) > 1 else ''}); bsc_sim never writes "
                     "into or deletes what it did not write: choose a new or empty directory")


def _swap_in(out: Path, writers: Mapping[str, Callable[[Path], object]], *, replace: bool) -> None:
    """Write every file into a temporary sibling, then rename it onto ``out`` (new or ours)."""
    out = out.resolve() if out.name in ("", ".", "..") else out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(out.parent, f".{out.name}.")
    try:
        for name, write in writers.items():
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
        _remove_run(old / "previous", list(writers))
        old.rmdir()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # our own temporary directory only


def _remove_run(path: Path, names: Sequence[str]) -> None:
    """Delete a replaced run: only files with a run's names, then the (now empty) directory."""
    for name in RUN_FILES | set(names) | _own_extras(path):
        (path / name).unlink(missing_ok=True)
    path.rmdir()  # fails, keeping everything, if anything else appeared


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
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
    tables = {name: pd.read_parquet(out / f"{name}.parquet") for name in TABLES if (out / f"{name}.parquet").exists()}
    summary = {k: (float("nan") if v is None else v) for k, v in json.loads((out / "summary.json").read_text()).items()}
    meta = json.loads((out / "meta.json").read_text())
    return RunResult(**tables, summary=summary, meta=meta)
