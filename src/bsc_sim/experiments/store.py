"""The on-disk store of an experiment: resumable, append-only, atomic.

Layout of ``out_dir``::

    experiment.json       what this experiment is (kind, settings, fingerprint of all specs)
    specs.parquet         one row per run: run_id, index, seed and the label columns
    manifest.json         run_id -> {"status": "done", "part": k} or {"status": "failed", "error", "traceback"}
    parts/outcomes-K.parquet   outcomes of the runs finished in checkpoint K
    parts/curves-K.parquet     their weekly cohort curves
    parts/runs-K.parquet       their provenance (version, git revision, seed, full config as JSON, seconds)
    results.parquet, curves.parquet, runs.parquet   the consolidated tables, written at the end
    .lock                 held (flock) by the one command writing here
    comparison.csv, sweep.png, ...   the analysis, published as one set (publish_analysis)

Every file is written to a temporary name and renamed into place, and a part is listed in the
manifest only after it is complete. So a run killed at any moment (even SIGKILL) leaves a store
whose manifest names only whole parts; re-running the same command skips the runs marked done,
deletes parts the manifest never listed, and retries failed runs.

The analysis files (tables and figures) appear as a complete set or not at all: they are written
into ``.analysis-staging/``, which is renamed to ``.analysis-ready/`` once every file is in it, and
then moved into place one rename at a time. A command killed while writing leaves only the
staging directory, deleted next time; one killed among the final renames (a few microseconds)
leaves the ready set, whose moves the next command on the store completes first.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..paramtools import ParamError
from ..results import _clean, atomic_write, check_dir_target, dumps_json
from ..safe_paths import is_link, refuse_links, remove_file, remove_tree
from .lock import LOCK_FILE
from .specs import RunSpec, fingerprint

# Runs per chunk when the curves and runs tables are consolidated (about 200,000 curve rows).
CONSOLIDATE_CHUNK = 2000
# What a store holds before its experiment.json is written (an interrupted creation).
STORE_START = ("specs.parquet", "parts")
# Every name bsc_sim writes in a store: only these are deleted when a store is replaced.
STORE_TABLES = frozenset({"experiment.json", "specs.parquet", "manifest.json", "results.parquet", "curves.parquet",
                          "runs.parquet", "failures.csv"})
ANALYSIS_FILES = frozenset({"comparison.csv", "results.csv", "differences.png", "adoption_curves.png", "points.csv",
                            "sweep.png", "indices.csv", "indices_second_order.csv", "indices.png", "validation.csv", "facts.csv",
                            "cost_effectiveness.csv", "acceptability.csv", "designs.csv", "ce_plane.png",
                            "acceptability.png", "report.html"})
ANALYSIS_FILES |= {"prim_boxes.csv", "prim_peeling.csv", "prim.png", "discover.json"}  # bsc-sim discover (analysis/discover.py)
ANALYSIS_FILES |= {"switch_prices.csv", "budget.csv"}  # compare's decision table (experiments/ce_outputs.py)
ANALYSIS_FILES |= {"flips.csv", "best.csv"}  # compare: the chance each design is best; what flips it (bsc_sim/flips.py)
ANALYSIS_FILES |= {"voi.csv", "voi_designs.csv", "voi_wtp.csv", "voi.png"}  # bsc-sim voi (analysis/voi_cli.py)
ANALYSIS_FILES |= {"plans.csv", "budget_by_year.csv", "plan.png", "plan.json"}  # bsc-sim plan (analysis/plan.py)
# A re-analysis of discover with other settings writes its set beside the first, numbered (points-2.csv, ...).
NUMBERED_ANALYSIS = re.compile(r"(discover|points|prim_boxes|prim_peeling|prim)-\d+\.(json|csv|png)")


def is_analysis_file(name: str) -> bool:
    """Is ``name`` one of the analysis files bsc_sim writes in a store?"""
    return name in ANALYSIS_FILES or NUMBERED_ANALYSIS.fullmatch(name) is not None

__all__ = ["ExperimentStore", "atomic_write", "specs_frame", "publish_analysis", "finish_publishing"]

ANALYSIS_STAGING = ".analysis-staging"
ANALYSIS_READY = ".analysis-ready"
# The files bsc_sim writes in parts/ (and its temporary files there and in the store).
PART_NAME = re.compile(r"(outcomes|curves|runs)-(\d{6})\.parquet")
TMP_PREFIX = ".tmp-"


def _part_number(name: str) -> int | None:
    match = PART_NAME.fullmatch(name)
    return int(match.group(2)) if match else None


def publish_analysis(root: Path, writers: Mapping[str, Callable[[Path], object]]) -> list[str]:
    """Write an experiment's analysis files into ``root`` as one set (see the module docstring)."""
    unknown = {name for name in writers if not is_analysis_file(name)}
    if unknown:  # a replaced store deletes only names it knows
        raise ValueError(f"not an analysis file name: {sorted(unknown)}")
    finish_publishing(root)
    staging = root / ANALYSIS_STAGING
    staging.mkdir()  # (a link left there since the check: mkdir fails, nothing followed)
    for name, write in writers.items():
        write(staging / name)
    os.replace(staging, root / ANALYSIS_READY)  # from here on the set is complete
    finish_publishing(root)
    return list(writers)


def finish_publishing(root: Path) -> None:
    """Complete a set whose moves were interrupted; drop one that was not finished being written."""
    ready = root / ANALYSIS_READY
    refuse_links(root, (ANALYSIS_READY, ANALYSIS_STAGING), f"out_dir = {str(root)!r}")
    if ready.is_dir():
        for path in sorted(ready.iterdir()):
            if not is_link(path):
                os.replace(path, root / path.name)
        remove_tree(root, ready)  # (anything else in it was not bsc_sim's analysis)
    remove_tree(root, root / ANALYSIS_STAGING)


def _parquet_readable(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
        return True
    except Exception:
        return False


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: p.write_text(text))


def _write_parquet(path: Path, df: pd.DataFrame) -> None:
    atomic_write(path, lambda p: df.to_parquet(p, index=False))


def _outcomes_frame(done: Sequence[dict[str, Any]]) -> pd.DataFrame:
    keys = list(done[0]["summary"])
    columns = {"run_id": [r["run_id"] for r in done]}
    for key in keys:
        columns[key] = [r["summary"].get(key) for r in done]
    extra = {k for r in done for k in r["summary"]} - set(keys)  # (runs of different designs report the same keys)
    for key in sorted(extra):
        columns[key] = [r["summary"].get(key) for r in done]
    return pd.DataFrame(columns)


def _curves_frame(done: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The weekly curves of many runs as one long table, built column by column."""
    lengths = [len(r["curves"]["week"]) for r in done]
    columns: dict[str, Any] = {"run_id": np.repeat(np.array([r["run_id"] for r in done], dtype=object), lengths)}
    for key in done[0]["curves"]:
        columns[key] = np.concatenate([np.asarray(r["curves"][key]) for r in done])
    return pd.DataFrame(columns)


def _runs_frame(done: Sequence[dict[str, Any]]) -> pd.DataFrame:
    meta = [r["meta"] for r in done]
    return pd.DataFrame({
        "run_id": [r["run_id"] for r in done], "seed": [m["seed"] for m in meta],
        "version": [m["version"] for m in meta], "git_revision": [m["git_revision"] for m in meta],
        "python": [m["python"] for m in meta], "numpy": [m["numpy"] for m in meta],
        "seconds": [r["seconds"] for r in done],
        "config_json": [m["config_json"] if "config_json" in m else json.dumps(m["config"], sort_keys=True)
                        for m in meta],
    })


def specs_frame(specs: Sequence[RunSpec]) -> pd.DataFrame:
    """One row per spec: run_id, index, seed and its labels."""
    rows = [{"run_id": s.run_id, "index": s.index, "seed": s.seed, **s.labels} for s in specs]
    return pd.DataFrame(rows)


class ExperimentStore:
    """Results of one experiment under ``out_dir``; see the module docstring for the layout."""

    def __init__(self, out_dir: str | Path) -> None:
        self.root = Path(out_dir)
        self.parts_dir = self.root / "parts"
        self.manifest: dict[str, dict[str, Any]] = {}
        self._entry_json: dict[str, str] = {}
        self._next_part = 0

    # -- opening ----------------------------------------------------------------------------
    def check(self, specs: Sequence[RunSpec], *, overwrite: bool = False) -> set[str]:
        """Read-only: the run ids already done here; refuse anything that is not this experiment's store.

        With ``overwrite``, another experiment's store is accepted (and nothing counts as done),
        as long as it holds nothing bsc_sim did not write: :meth:`open` then replaces it.

        Raises:
            ParamError: ``out_dir`` is a file, lies under one, cannot be written, holds another
                experiment's results (different specs; unless ``overwrite``), or holds files
                bsc_sim did not write.
        """
        shown = f"out_dir = {str(self.root)!r}"
        self.check_location()
        fp = fingerprint(specs)
        info_path = self.root / "experiment.json"
        if not info_path.exists():  # new, empty, or interrupted while being created: start over
            return set()
        try:
            info = json.loads(info_path.read_text())
            if info.get("fingerprint") != fp:
                if not overwrite:
                    raise ParamError(
                        f"{shown}: holds a different experiment ({info.get('kind')}, {info.get('n_runs')} runs, "
                        f"fingerprint {info.get('fingerprint')}; this one is {fp}); add overwrite=true to "
                        "replace it, or use another out_dir")
                foreign = self._foreign()
                if foreign:
                    raise ParamError(f"{shown}: holds a different experiment and {foreign[0]!r}, which bsc_sim "
                                     "did not write; nothing was replaced: use another out_dir")
                return set()
            manifest_path = self.root / "manifest.json"
            manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
            raise ParamError(f"{shown}: cannot read the store ({reason})") from None
        if not isinstance(manifest, dict) or not all(isinstance(e, dict) and "status" in e for e in manifest.values()):
            raise ParamError(f"{shown}: manifest.json is not a bsc_sim manifest; move the store away or use another "
                             "out_dir")
        damaged = self._damaged_parts(manifest)  # their runs are run again (self-repair)
        return {rid for rid, entry in manifest.items() if entry["status"] == "done" and entry.get("part") not in damaged}

    def _damaged_parts(self, manifest: Mapping[str, Mapping[str, Any]]) -> set[int]:
        """Parts the manifest lists whose files are missing or unreadable (a disk fault, a hand edit)."""
        import pyarrow.parquet as pq

        listed = {e["part"] for e in manifest.values() if e.get("status") == "done" and isinstance(e.get("part"), int)}
        damaged = set()
        for part in listed:
            for table in ("outcomes", "curves", "runs"):
                try:
                    pq.read_metadata(self.parts_dir / f"{table}-{part:06d}.parquet")
                except Exception:  # missing (OSError) or not Parquet (ArrowInvalid)
                    damaged.add(part)
                    break
        return damaged

    def check_location(self) -> None:
        """Read-only, and needing no specs: ``out_dir`` can hold a store (a new or empty directory,
        or a store) and can be written. The first half of :meth:`check`, for commands to call
        before they do anything else.

        Raises:
            ParamError: as :meth:`check`, except for another experiment's store.
        """
        shown = f"out_dir = {str(self.root)!r}"
        check_dir_target(self.root, shown)
        self._refuse_links_and_strangers(shown)
        try:
            if (self.root / "experiment.json").exists():
                if not os.access(self.root, os.W_OK | os.X_OK):
                    raise ParamError(f"{shown}: is not writable")
                return
            leftovers = sorted(p.name for p in self.root.iterdir()) if self.root.exists() else []
        except OSError as exc:
            raise ParamError(f"{shown}: cannot read the store ({exc.strerror or exc})") from None
        foreign = [name for name in leftovers if name not in (*STORE_START, LOCK_FILE) and not name.startswith(".tmp-")]
        if foreign:
            raise ParamError(f"{shown}: is not empty and is not an experiment store (it holds {foreign[0]!r}"
                             f"{f' and {len(foreign) - 1} more' if len(foreign) > 1 else ''}); bsc_sim never writes "
                             "into or deletes what it did not write: use a new or empty directory")

    def _refuse_links_and_strangers(self, shown: str) -> None:
        """Refuse a store with a symbolic link in it, or a file in ``parts/`` that bsc_sim did not
        write (issue 17): nothing is ever followed out of ``out_dir`` or deleted that is not ours."""
        if not self.root.is_dir():
            return
        try:
            refuse_links(self.root, sorted(p.name for p in self.root.iterdir()), shown)
            if self.parts_dir.is_dir():
                refuse_links(self.parts_dir, sorted(p.name for p in self.parts_dir.iterdir()), f"{shown} ('parts')")
                strangers = sorted(p.name for p in self.parts_dir.iterdir()
                                   if _part_number(p.name) is None and not p.name.startswith(TMP_PREFIX)
                                   or not p.is_file())
                if strangers:
                    raise ParamError(f"{shown}: parts/{strangers[0]!r} is not a file bsc_sim wrote; bsc_sim never "
                                     "deletes or reads what it did not write: move it out of the store")
            elif self.parts_dir.exists():
                raise ParamError(f"{shown}: 'parts' is not a directory; move it away or use another out_dir")
        except OSError as exc:
            raise ParamError(f"{shown}: cannot read the store ({exc.strerror or exc})") from None

    def _foreign(self) -> list[str]:
        """Entries of the store that bsc_sim did not write (sorted)."""
        names = [p.name for p in self.root.iterdir()]
        return sorted(n for n in names if n not in STORE_TABLES and not is_analysis_file(n)
                      and n not in ("parts", LOCK_FILE, ANALYSIS_STAGING, ANALYSIS_READY) and not n.startswith(".tmp-"))

    def _clear(self) -> None:
        """Delete a replaced store: only the names bsc_sim writes (experiment.json first, so an
        interrupted clear leaves an unfinished store, which the next command starts over)."""
        numbered = [p.name for p in self.root.iterdir() if NUMBERED_ANALYSIS.fullmatch(p.name)]
        for name in ("experiment.json", *sorted(STORE_TABLES | ANALYSIS_FILES), *sorted(numbered)):
            remove_file(self.root, self.root / name)
        for name in (ANALYSIS_STAGING, ANALYSIS_READY):
            remove_tree(self.root, self.root / name)
        if self.parts_dir.is_dir() and not is_link(self.parts_dir):
            for path in self.parts_dir.iterdir():
                if _part_number(path.name) is not None or path.name.startswith(TMP_PREFIX):
                    remove_file(self.root, path)
            self.parts_dir.rmdir()

    def open(self, specs: Sequence[RunSpec], description: Mapping[str, Any], *, overwrite: bool = False) -> None:
        """Create the store, or reopen it to resume (after :meth:`check` passes); with
        ``overwrite``, first delete another experiment's store found there.

        ``experiment.json`` is written last, so a store interrupted while being created is
        recognised as unfinished and started over.
        """
        self.check(specs, overwrite=overwrite)
        try:
            info_path = self.root / "experiment.json"
            if overwrite and info_path.exists() and json.loads(info_path.read_text()).get("fingerprint") != fingerprint(specs):
                self._clear()
            self._open(specs, description)
        except OSError as exc:
            raise ParamError(f"out_dir = {str(self.root)!r}: cannot be written ({exc.strerror or exc})") from None

    def _open(self, specs: Sequence[RunSpec], description: Mapping[str, Any]) -> None:
        info_path = self.root / "experiment.json"
        self.root.mkdir(parents=True, exist_ok=True)
        if not info_path.exists():
            _write_parquet(self.root / "specs.parquet", specs_frame(specs))
            self.parts_dir.mkdir(exist_ok=True)
            _write_text(info_path, dumps_json({**description, "fingerprint": fingerprint(specs), "n_runs": len(specs)}))
        self.parts_dir.mkdir(exist_ok=True)
        finish_publishing(self.root)
        for path in self.root.glob(f"{TMP_PREFIX}*"):  # temporary files of an interrupted write
            remove_file(self.root, path)
        manifest_path = self.root / "manifest.json"
        self.manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        damaged = self._damaged_parts(self.manifest)
        if damaged:  # forget their runs (run again now) and delete what is left of them (bsc_sim's own files)
            import sys

            lost = [rid for rid, e in self.manifest.items() if e.get("part") in damaged]
            print(f"bsc-sim: {len(damaged)} damaged or missing part(s) in {str(self.parts_dir)!r}; their "
                  f"{len(lost)} runs are run again", file=sys.stderr)
            for rid in lost:
                del self.manifest[rid]
            self._write_manifest()
        if not _parquet_readable(self.root / "specs.parquet"):  # rewritten: the specs are known
            _write_parquet(self.root / "specs.parquet", specs_frame(specs))
        listed = {entry["part"] for entry in self.manifest.values() if "part" in entry}
        for path in self.parts_dir.iterdir():  # parts left by a run killed between part and manifest
            number = _part_number(path.name)
            if (number is not None and number not in listed) or path.name.startswith(TMP_PREFIX):
                remove_file(self.root, path)
        self._next_part = max(listed, default=-1) + 1

    # -- writing ----------------------------------------------------------------------------
    def checkpoint(self, records: Iterable[dict[str, Any]], specs_by_id: Mapping[str, RunSpec]) -> None:
        """Persist a batch of worker records: one part per table, then the manifest."""
        records = list(records)
        if not records:
            return
        done = [r for r in records if r["status"] == "done"]
        part = self._next_part
        if done:
            _write_parquet(self.parts_dir / f"outcomes-{part:06d}.parquet", _outcomes_frame(done))
            _write_parquet(self.parts_dir / f"curves-{part:06d}.parquet", _curves_frame(done))
            _write_parquet(self.parts_dir / f"runs-{part:06d}.parquet", _runs_frame(done))
            self._next_part += 1
        for r in records:
            if r["status"] == "done":
                self._set(r["run_id"], {"status": "done", "part": part})
            else:
                spec = specs_by_id[r["run_id"]]
                self._set(r["run_id"], {"status": "failed", "error": r["error"], "traceback": r["traceback"],
                                        "seed": spec.seed, "labels": dict(spec.labels)})
        self._write_manifest()

    def _set(self, run_id: str, entry: dict[str, Any]) -> None:
        self.manifest[run_id] = entry
        self._entry_json[run_id] = f"{json.dumps(run_id)}: {json.dumps(_clean(entry), sort_keys=False)}"

    def _write_manifest(self) -> None:
        # One entry per line, each serialised once when it changes: rewriting the manifest at a
        # checkpoint costs a join, not a re-encoding of every run so far.
        for run_id in self.manifest.keys() - self._entry_json.keys():
            self._set(run_id, self.manifest[run_id])
        _write_text(self.root / "manifest.json", "{\n" + ",\n".join(self._entry_json[k] for k in self.manifest) + "\n}\n")

    # -- reading ----------------------------------------------------------------------------
    def _read_parts(self, table: str) -> pd.DataFrame:
        wanted: dict[int, set[str]] = {}
        for rid, entry in self.manifest.items():
            if entry["status"] == "done":
                wanted.setdefault(entry["part"], set()).add(rid)
        frames = []
        for part, ids in sorted(wanted.items()):
            df = self._read_part(f"{table}-{part:06d}.parquet", pd.read_parquet)
            frames.append(df[df["run_id"].isin(ids)])  # a part may hold runs redone later
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"run_id": []})

    def _read_part(self, name: str, read: Callable[[Path], Any]) -> Any:
        """Read a part; one damaged past what :meth:`check` can see (its footer reads) is one line."""
        try:
            return read(self.parts_dir / name)
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            first = (str(exc).strip().splitlines() or ["unreadable"])[0][:200]
            raise ParamError(f"out_dir = {str(self.root)!r}: parts/{name} is damaged ({first}); delete it and re-run "
                             "the command: its runs are run again") from None

    def specs(self) -> pd.DataFrame:
        return pd.read_parquet(self.root / "specs.parquet")

    def failures(self) -> pd.DataFrame:
        rows = [{"run_id": rid, "seed": e["seed"], **e["labels"], "error": e["error"], "traceback": e["traceback"]}
                for rid, e in self.manifest.items() if e["status"] == "failed"]
        return pd.DataFrame(rows)

    def consolidate(self) -> dict[str, pd.DataFrame]:
        """Write ``results``, ``curves`` and ``runs`` (finished runs in spec order); return
        ``results`` and ``failures``.

        ``results`` has the spec labels then the outcomes; nothing in it depends on the
        executor, the number of workers or interruptions (timings live in ``runs``). The weekly
        ``curves`` and the provenance table ``runs`` are streamed from the parts to their files a
        few thousand runs at a time, so consolidating never holds them all in memory.
        """
        return self._consolidate()

    def _consolidate(self) -> dict[str, pd.DataFrame]:
        specs = self.specs()
        outcomes = self._read_parts("outcomes")
        results = specs.merge(outcomes, on="run_id", how="inner", validate="one_to_one")
        results = results.sort_values("index", kind="stable").reset_index(drop=True)
        _write_parquet(self.root / "results.parquet", results)
        order = specs.sort_values("index", kind="stable")["run_id"].tolist()
        self._stream_in_spec_order("curves", order, by_week=True)
        self._stream_in_spec_order("runs", order, drop=("seed",))  # the seed is in results
        failures = self.failures()
        if len(failures):
            atomic_write(self.root / "failures.csv", lambda p: failures.to_csv(p, index=False))
        elif (self.root / "failures.csv").exists():
            remove_file(self.root, self.root / "failures.csv")
        return {"results": results, "failures": failures}

    def _stream_in_spec_order(self, table: str, order: Sequence[str], *, by_week: bool = False,
                              drop: Sequence[str] = ()) -> None:
        """Write ``<table>.parquet`` from the parts, in spec order (then week), chunk by chunk.

        Runs finish roughly in spec order, so a chunk of consecutive specs needs only a few
        parts; the parts of the current chunk are the only ones held in memory.
        """
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        part_of = {rid: e["part"] for rid, e in self.manifest.items() if e["status"] == "done"}
        ids = [rid for rid in order if rid in part_of]

        def write(path: Path) -> None:
            writer, cache = None, {}
            for start in range(0, len(ids), CONSOLIDATE_CHUNK):
                chunk_ids = ids[start:start + CONSOLIDATE_CHUNK]
                by_part: dict[int, list[str]] = {}
                for rid in chunk_ids:
                    by_part.setdefault(part_of[rid], []).append(rid)
                cache = {p: cache.get(p) or self._read_part(f"{table}-{p:06d}.parquet", pq.read_table)
                         for p in by_part}
                # Each part keeps only the runs the manifest credits to it (a run redone later
                # also sits, stale, in an older part).
                pieces = [cache[p].filter(pc.is_in(cache[p]["run_id"], value_set=pa.array(rids)))
                          for p, rids in sorted(by_part.items())]
                chunk = pa.concat_tables([t.replace_schema_metadata(None) for t in pieces],
                                         promote_options="permissive")
                position = pc.index_in(chunk["run_id"], value_set=pa.array(chunk_ids))
                keys = [("_position", "ascending")] + ([("week", "ascending")] if by_week else [])
                chunk = chunk.append_column("_position", position)
                chunk = chunk.take(pc.sort_indices(chunk, sort_keys=keys))
                chunk = chunk.drop_columns(["_position", *[c for c in drop if c in chunk.column_names]])
                if writer is None:
                    writer = pq.ParquetWriter(path, chunk.schema)
                writer.write_table(chunk.cast(writer.schema))
            if writer is None:
                pd.DataFrame({"run_id": pd.Series([], dtype=str)}).to_parquet(path, index=False)
            else:
                writer.close()

        atomic_write(self.root / f"{table}.parquet", write)
