"""Print the table of ODD 9.2 ("Behaviour with the defaults"): 20 replicates (root seed 0, common
random numbers) of every shipped single-collaborative design; shares are ratios of pooled sums.

    uv run python docs/tools/odd_defaults_table.py > /tmp/table.md
"""

from __future__ import annotations

import numpy as np

from bsc_sim import load_params, run_sim
from bsc_sim.experiments.specs import replicate_seeds

DESIGNS = ("bsc", "bsc_4_sessions", "bsc_virtual", "bsc_no_families", "bsc_no_leaders", "bsc_teachers_only",
           "bsc_leaders_only", "bsc_readiness_selection", "bsc_followup_support", "bsc_no_data_support",
           "bsc_large_cohort", "coach", "training", "business_as_usual")
COLUMNS = (  # header, numerator, denominator (None: mean over runs), format
    ("reached, end", "n_classrooms_reached_end", "n_classrooms", "f2"),
    ("reached, follow-up", "n_classrooms_reached_followup", "n_classrooms", "f2"),
    ("sustained", "n_classrooms_sustained_followup", "n_classrooms", "f2"),
    ("reached, lag", "n_classrooms_reached_lag", "n_classrooms", "f2"),
    ("sustained, lag", "n_classrooms_sustained_lag", "n_classrooms", "f2"),
    ("using, follow-up", "frac_classrooms_using_followup", None, "f2"),
    ("improved, end", "frac_programs_improved_end", None, "f2"),
    ("enrolled fidelity", "n_enrolled_teaching_fidelity_end", "n_enrolled_teaching_staff", "f2"),
    ("front-line fidelity", "n_teaching_fidelity_end", "n_teaching_staff_end", "f2"),
    ("PDSA well run", "frac_pdsa_well_run", None, "f2"),
    ("dropped out", "n_programs_dropped", "n_programs", "f2"),
    ("culture end / follow-up", ("culture_end", "culture_followup"), None, "pair"),
    ("progress score", "mean_progress_score", None, "f2"),
    ("cost", "cost_total", None, "usd"),
)


def table(n: int = 20) -> str:
    seeds = replicate_seeds(0, n)
    lines = ["| Design | " + " | ".join(c[0] for c in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for design in DESIGNS:
        params = load_params([f"design={design}"])
        runs = [run_sim(params, s).summary for s in seeds]
        cells = []
        for _, num, den, fmt in COLUMNS:
            if fmt == "pair":
                cells.append(" / ".join(f"{np.nanmean([r[k] for r in runs]):.2f}" for k in num))
                continue
            if den is None:
                v = np.nanmean([r[num] for r in runs])
            else:
                d = sum(r[den] for r in runs)
                v = sum(r[num] for r in runs) / d if d > 0 else float("nan")
            cells.append("–" if v != v else (f"${v:,.0f}" if fmt == "usd" else f"{v:.2f}"))
        lines.append(f"| `{design}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
