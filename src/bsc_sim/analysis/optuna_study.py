"""The Optuna study of a resumable search (``bsc-sim calibrate``, ``optimize`` and ``plan``).

Each of these commands keeps its study in ``out_dir/study.db`` (SQLite) and runs only the trials
still missing, so an interrupted or extended search resumes where it stopped. What they share is
here:

- **The out_dir** (:func:`foreign_in_study_dir`, :func:`refuse_foreign`): read-only, before
  anything runs, it must be new, empty or an earlier search's: a link in it is refused (never
  followed) and so is any file the command did not write.
- **The study** (:func:`storage`, :func:`load_study`, :func:`open_study`): its identity (the
  settings a resumed search must share) is kept in the study's user attribute ``spec``; a study of
  other settings, or a ``study.db`` that cannot be read, is refused in one line and left as it is.
- **Seeds** (:func:`seeded_tpe`, :func:`counted`): a TPE sampler seeded from whole numbers only
  (the search's seed and a trial count), so the same settings propose the same points.
- **Trial bookkeeping** (:func:`fail_interrupted`, :class:`TrialTally`): trials a killed session
  left running are told failed; the tally counts completed, new and failed trials and refuses a
  search in which most trials fail.
- **The commands** (:func:`search_command`, :func:`run_search`, :data:`RUN_SETTINGS`): help, a
  one-line refusal (exit 2) or an interruption (130, 143), and the executor, memory check and lock
  wait that the three commands read from the same settings.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..paramtools import ParamError

if TYPE_CHECKING:
    from ..params import Params

__all__ = ["STUDY_FILE", "INTERRUPTED", "storage", "foreign_in_study_dir", "refuse_foreign", "load_study",
           "open_study", "seeded_tpe", "counted", "fail_interrupted", "TrialTally", "error_text", "RUN_SETTINGS",
           "run_search", "search_command", "help_text"]

STUDY_FILE = "study.db"
INTERRUPTED = "interrupted"  # user attribute of a trial a killed session left running
R = TypeVar("R")


# ----------------------------------------------------------------------------------------------
# The out_dir and the study


def storage(out_dir: Path):
    """The study's SQLite storage. The file's path never passes through a URL, where '?', '%', '#'
    or braces in a directory name would be read as URL syntax (query, escapes, a format field)."""
    import sqlite3

    import optuna

    path = str((out_dir / STUDY_FILE).resolve())
    return optuna.storages.RDBStorage("sqlite://", engine_kwargs={"creator": lambda: sqlite3.connect(path)})


def foreign_in_study_dir(out_dir: Path, allowed: frozenset[str]) -> tuple[str, list[str]] | None:
    """Read-only: None when ``out_dir`` is not (yet) a directory to check, else its shown name and
    the names in it that are not ``allowed`` (links anywhere in it are refused first: never followed)."""
    from ..results import check_dir_target
    from ..safe_paths import refuse_links

    shown = f"out_dir = {str(out_dir)!r}"
    if check_dir_target(out_dir, shown) != out_dir:
        return None
    names = sorted(p.name for p in out_dir.iterdir())
    refuse_links(out_dir, names, shown)
    return shown, [n for n in names if n not in allowed and not n.startswith(".tmp-")]


def refuse_foreign(shown: str, foreign: list[str], who: str, earlier: str) -> None:
    """Refuse an out_dir holding ``foreign`` names: one line naming the first and how many more."""
    if foreign:
        raise ParamError(f"{shown}: holds {foreign[0]!r}{f' and {len(foreign) - 1} more' if len(foreign) > 1 else ''}, "
                         f"which {who} did not write; use a new or empty directory, or an earlier {earlier}'s")


def _other_setting(theirs: Any, ours: Any) -> str:
    """'another KEY (THEIR VALUE)' for the first setting two JSON identities disagree on."""
    import json

    theirs = json.loads(theirs or "{}")
    diff = [k for k, v in json.loads(ours).items() if theirs.get(k) != v]
    return f"another {diff[0] if diff else 'setting'} ({theirs.get(diff[0]) if diff else '?'})"


def load_study(out_dir: Path, name: str, identity: Any, what: str, *, other: str | None = None):
    """The study ``name`` in ``out_dir`` (None if there is none), read-only; refuse another search's.

    Args:
        identity: what a resumed search must share (``spec.identity()``); a JSON text names the
            first setting that differs in the refusal, else ``other`` says what may differ.
        what: the search in messages ("search", "plan", "calibration").

    Raises:
        ParamError: ``study.db`` cannot be read (it is kept), or holds a study of other settings.
    """
    import optuna

    if not (out_dir / STUDY_FILE).exists():
        return None
    try:
        study = optuna.load_study(study_name=name, storage=storage(out_dir))
    except KeyError:  # a database without this study
        return None
    except Exception as exc:  # noqa: BLE001 - a damaged study.db (sqlalchemy's DatabaseError, optuna's errors): one line
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        raise ParamError(f"out_dir = {str(out_dir)!r}: {STUDY_FILE} cannot be read ({reason}); bsc_sim does not "
                         f"delete it: move it away to start a new {what}, or use another out_dir") from None
    stored = study.user_attrs.get("spec")
    if stored != identity:
        raise ParamError(f"out_dir = {str(out_dir)!r}: holds a {what} with "
                         f"{other or _other_setting(stored, identity)}; use another out_dir")
    return study


def open_study(out_dir: Path, name: str, identity: Any, what: str, *, directions: Sequence[str], sampler=None,
               other: str | None = None):
    """Create the study in ``out_dir``, or resume it (after :func:`load_study` refused another's);
    a new study records ``identity``. Optuna's own log is kept to warnings."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    load_study(out_dir, name, identity, what, other=other)
    study = optuna.create_study(study_name=name, storage=storage(out_dir), sampler=sampler,
                                directions=list(directions), load_if_exists=True)
    if "spec" not in study.user_attrs:
        study.set_user_attr("spec", identity)
    return study


# ----------------------------------------------------------------------------------------------
# Seeds and trials


def seeded_tpe(*words: int):
    """A TPE sampler seeded from whole numbers only (e.g. the search's seed and a trial count): TPE's
    proposal depends on its seed and the finished trials, nothing else. It reads each trial's
    constraint (``trial.set_constraint``)."""
    import numpy as np
    import optuna

    return optuna.samplers.TPESampler(seed=int(np.random.SeedSequence(list(words)).generate_state(1)[0]))


def counted(study) -> int:
    """Trials that count towards the next one's seed: all but those an interruption cut short."""
    return sum(1 for t in study.get_trials(deepcopy=False) if not t.user_attrs.get(INTERRUPTED))


def fail_interrupted(study, *, mark: bool = True, error: str | None = None) -> None:
    """Tell failed the trials a killed session left running; ``mark`` them :data:`INTERRUPTED` (so
    :func:`counted` skips them) and record ``error`` on them when given."""
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if mark:
            study._storage.set_trial_user_attr(t._trial_id, INTERRUPTED, True)
        if error is not None:
            study._storage.set_trial_user_attr(t._trial_id, "error", error)
        study.tell(t.number, state=TrialState.FAIL)


class TrialTally:
    """The trials of one session of a search: ``complete`` (in every session so far, out of
    ``wanted``), ``new`` and ``failed`` (in this one). ``setting`` names what to change when most
    trials fail (e.g. "levers")."""

    def __init__(self, study, wanted: int, setting: str):
        from optuna.trial import TrialState

        self.study, self.wanted, self.setting = study, wanted, setting
        self.complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        self.new = self.failed = 0

    @property
    def missing(self) -> int:
        """Completed trials still wanted."""
        return self.wanted - self.complete

    def tell(self, trial, values) -> None:
        """A trial that finished with ``values`` (its objective or objectives)."""
        self.study.tell(trial, values)
        self.complete += 1
        self.new += 1

    def fail(self, trial, error: str) -> None:
        """A trial that could not run: ``error`` is kept in its user attribute ``error``."""
        from optuna.trial import TrialState

        trial.set_user_attr("error", error)
        self.study.tell(trial, state=TrialState.FAIL)
        self.failed += 1

    def refuse_if_failing(self, last: object) -> None:
        """Stop a search in which more than ``max(10, wanted)`` trials failed; ``last`` is the last
        error, or a function that gives it (called only then)."""
        if self.failed > max(10, self.wanted):
            raise ParamError(f"{self.setting}: {self.failed} trials failed, last with: "
                             f"{last() if callable(last) else last}") from None


def error_text(exc: BaseException) -> str:
    """How a failed trial records its error: the exception's type and message."""
    return f"{type(exc).__name__}: {exc}"


# ----------------------------------------------------------------------------------------------
# The commands

# The settings run_search reads, as every search command's help shows them.
RUN_SETTINGS = {
    "executor": "serial | processes | dask: where each trial's runs go (default serial)",
    "executor.workers": "worker processes (default: one per CPU)",
    "executor.address": "tcp://HOST:PORT of a running Dask scheduler (executor=dask)",
    "wait": "true: if another command is writing out_dir, wait for it instead of refusing (default false)",
    "memory_limit": "refuse runs whose estimated memory exceeds this: 8GiB, 500MB; default: the memory available; "
                    "none: no check",
}


def run_search(search: Callable[..., R], spec: Any, out_dir: Path, settings: dict[str, Any],
               largest: Params) -> R:
    """``search(spec, out_dir, executor=..., log=..., wait_for_lock=...)`` on the executor the
    settings name (``executor``, ``executor.workers``, ``executor.address``; ``wait``), after the
    memory check of ``largest`` (the largest model it runs) on every local worker at once
    (``memory_limit``). Each line the search logs is printed at once."""
    from ..experiments.cli import _bool
    from ..experiments.executors import ExecutorSpec, open_executor
    from ..memory import check_memory, limit_setting

    executor_spec = ExecutorSpec(kind=settings.get("executor") or "serial", workers=settings.get("executor.workers"),
                                 address=settings.get("executor.address"))
    wait = _bool(settings, "wait", False)
    local = 1 if executor_spec.kind == "dask" and executor_spec.address else executor_spec.n_workers
    check_memory([largest], n_concurrent=local, limit=limit_setting(settings.get("memory_limit")))
    log = lambda line: print(line, flush=True)  # noqa: E731
    if executor_spec.kind == "serial":
        return search(spec, out_dir, log=log, wait_for_lock=wait)
    with open_executor(executor_spec) as ex:
        return search(spec, out_dir, executor=ex, log=log, wait_for_lock=wait)


def search_command(command: str, argv: Sequence[str], usage: Callable[[], str], run: Callable[[Sequence[str]], R],
                   show: Callable[[R], None], kept: str) -> int:
    """How ``bsc-sim COMMAND`` runs a search: ``--help`` prints ``usage()``; ``run(argv)`` reads the
    settings and runs the search, where bad input is one line on stderr and exit 2 (before anything
    is written) and an interruption exit 130 or 143 saying what was ``kept``; then ``show`` prints
    what ``run`` returned."""
    from ..exits import BAD_INPUT, DONE, report_interrupt

    if any(a in ("-h", "--help") for a in argv):
        print(usage())
        return DONE
    try:
        found = run(argv)
    except ParamError as exc:
        print(f"bsc-sim {command}: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt as exc:
        return report_interrupt(command, exc, kept=kept)
    show(found)
    return DONE


def help_text(about: Sequence[str], settings: Mapping[str, str], notes: Sequence[str]) -> str:
    """A search command's ``--help``: ``about`` (usage line, what it does, examples), its settings
    in aligned columns, ``notes`` and the exit codes."""
    from ..exits import EXIT_HELP

    width = max(map(len, settings))
    return "\n".join([*about, "", "Settings:", *[f"  {k:<{width}}  {v}" for k, v in settings.items()], "", *notes,
                      EXIT_HELP])
