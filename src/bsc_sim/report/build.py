"""Render an experiment store's report and write it (``bsc-sim report out_dir=PATH``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..exits import DONE, EXIT_HELP, guarded
from ..paramtools import ParamError

__all__ = ["build_report", "render_report", "cmd_report", "REPORT_FILE"]

REPORT_FILE = "report.html"
USAGE = f"""usage: bsc-sim report out_dir=PATH [question=TEXT]

Turn the experiment store at PATH (written by bsc-sim compare, sweep or sensitivity, or the out_dir
of bsc-sim plan, whose report has a plan section) into one
self-contained page, PATH/report.html: the question, the designs compared, the headline table
with intervals, the cost-effectiveness plane and acceptability curve, the cost breakdown, the
assumptions behind the numbers, and how they were made. Figures are embedded; the page fetches
nothing. Only report.html is written (replaced if there), and only in an experiment store.

  bsc-sim report out_dir=outputs/compare
  bsc-sim report out_dir=outputs/compare question="Which design should the next phase fund?"

Settings:
  out_dir   the experiment store (required)
  question  the question the report answers, in your words (default: one built from the experiment)

{EXIT_HELP}"""


def _store_info(root: Path) -> dict[str, Any]:
    """``experiment.json`` of the store at ``root``; one-line errors for anything else."""
    shown = f"out_dir = {str(root)!r}"
    if not root.exists():
        raise ParamError(f"{shown}: does not exist")
    if not root.is_dir():
        raise ParamError(f"{shown}: is a file, not an experiment store")
    info_path = root / "experiment.json"
    if not info_path.is_file() and (root / "plan.json").is_file() and (root / "plans.csv").is_file():
        info_path = root / "plan.json"   # a bsc-sim plan's out_dir (issue 22)
    if not info_path.is_file():
        raise ParamError(f"{shown}: is not an experiment store (no experiment.json); give the out_dir of a "
                         "bsc-sim compare, sweep or sensitivity")
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError) as exc:
        raise ParamError(f"{shown}: cannot read experiment.json ({getattr(exc, 'strerror', None) or exc})") from None
    if not isinstance(info, dict) or "kind" not in info:
        raise ParamError(f"{shown}: experiment.json does not describe an experiment")
    if info["kind"] == "plan":
        return info
    if not (root / "results.csv").is_file() and info["kind"] not in ("compare", "sweep", "sensitivity"):
        raise ParamError(f"{shown}: holds a bsc-sim {info['kind']} store, which has no report; report covers the "
                         "stores of bsc-sim compare, sweep and sensitivity")
    if not (root / "results.csv").is_file():
        raise ParamError(f"{shown}: holds no finished analysis yet (some runs failed or were not run); re-run the "
                         f"bsc-sim {info['kind']} command that made it, then the report")
    return info


def render_report(context: dict[str, Any]) -> str:
    """The HTML page for a :func:`~.context.report_context`."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("bsc_sim.report", "templates"), autoescape=select_autoescape(["j2", "html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(**context)


def build_report(out_dir: str | Path, *, question: str | None = None) -> Path:
    """Write ``report.html`` into the experiment store ``out_dir`` (atomically) and return its path.

    Raises:
        ParamError: ``out_dir`` is not an experiment store, holds no finished analysis, or another
            command is writing it.
    """
    from ..experiments.lock import store_lock
    from ..results import atomic_write
    from .context import report_context

    root = Path(out_dir)
    _store_info(root)  # before taking the lock, which would create a file
    with store_lock(root, wait=False):
        info = _store_info(root)
        html = render_report(report_context(root, info, question=question))
        target = root / REPORT_FILE
        atomic_write(target, lambda p: p.write_text(html, encoding="utf-8"))
    return target


def cmd_report(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return DONE

    def body() -> int:
        from ..experiments.cli import parse_settings

        settings, _ = parse_settings(argv, {"out_dir", "question"}, overrides_allowed=False, command="report")
        if not settings.get("out_dir"):
            raise ParamError("out_dir: required, e.g. bsc-sim report out_dir=outputs/compare")
        question = settings.get("question")
        if question is not None and not isinstance(question, str):
            question = str(question)
        path = build_report(settings["out_dir"], question=question)
        print(f"wrote {path}")
        return DONE

    return guarded("report", body)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cmd_report(sys.argv[1:]))
