"""``RunResult``: tidy tables, a flat summary and provenance of one run; saving it to disk."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

TABLES = ("timeseries", "program_timeseries", "programs", "events", "costs")


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
    """

    timeseries: pd.DataFrame
    program_timeseries: pd.DataFrame
    programs: pd.DataFrame
    events: pd.DataFrame
    costs: pd.DataFrame
    summary: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def save(self, out_dir: str | Path, extras: Mapping[str, Callable[[Path], object]] | None = None, *,
             into_existing: bool = False) -> Path:
        """Write the run to ``out_dir``: Parquet tables, ``summary.json``, ``meta.json`` and ``extras``.

        ``extras`` maps file names to writers called with the file's path (the CLI adds the
        resolved config and the figure). Everything is written into a temporary sibling directory,
        which then replaces ``out_dir`` whole, so an interrupted or failed save leaves either the
        previous complete results or none, never a mixture.

        With ``into_existing``, the files are instead renamed one by one into ``out_dir``, leaving
        its other contents alone (a Hydra job directory keeps its ``.hydra/``).
        """
        out = Path(out_dir)
        if into_existing:
            writers = {f"{name}.parquet": (lambda df: lambda p: df.to_parquet(p, index=False))(df)
                       for name, df in self.tables().items()}
            writers["summary.json"] = lambda p: p.write_text(dumps_json(self.summary))
            writers["meta.json"] = lambda p: p.write_text(dumps_json(self.meta))
            for name, write in {**writers, **(extras or {})}.items():
                atomic_write(out / name, write)
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            for name, df in self.tables().items():
                df.to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "summary.json").write_text(dumps_json(self.summary))
            (tmp / "meta.json").write_text(dumps_json(self.meta))
            for name, write in (extras or {}).items():
                write(tmp / name)
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
                os.replace(out, old / "previous")  # a rename: out vanishes only while tmp is complete
                os.replace(tmp, out)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it onto ``path``.

    The temporary name keeps the extension (``.tmp-XXXX-name.png``), so writers that infer the
    format from it (matplotlib) work; readers never see a partial file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=f"-{path.name}", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
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
    tables = {name: pd.read_parquet(out / f"{name}.parquet") for name in TABLES}
    summary = {k: (float("nan") if v is None else v) for k, v in json.loads((out / "summary.json").read_text()).items()}
    meta = json.loads((out / "meta.json").read_text())
    return RunResult(**tables, summary=summary, meta=meta)
