"""``bsc-sim report``: one self-contained HTML page a planner reads, from an experiment store.

The page (``report.html`` in the store) says what was asked, which designs were compared and what
each is, the headline table with intervals, the cost-effectiveness plane and acceptability curve,
where the money goes, the assumptions behind the numbers, whether the intervals include
uncertainty about the parameters, and how the numbers were made (version, revision, command,
seeds). Figures are embedded (base64), so the file can be mailed or archived on its own; it
fetches nothing.

The page is built from what the store holds (:mod:`.context`) with the Jinja2 template
``templates/report.html.j2``; it reads the store and writes only ``report.html``, atomically.
"""

from __future__ import annotations

from .build import build_report, cmd_report, render_report

__all__ = ["build_report", "cmd_report", "render_report"]
