"""``bsc-sim report``: one self-contained page from an experiment store, with the comparison's table;
refuses anything that is not a finished store, in one line, writing nothing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from bsc_sim.experiments.cli import cmd_compare, cmd_sweep
from bsc_sim.formatting import usd
from bsc_sim.report import cmd_report

SMALL = ["cohort.n_programs=3", "followup_weeks=8", "executor=serial", "progress=false"]


class _Tables(HTMLParser):
    """The text of every cell of the table with id ``headline-table``, row by row."""

    def __init__(self):
        super().__init__()
        self.rows, self._in, self._cell = [], False, None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == "headline-table":
            self._in = True
        elif self._in and tag == "tr":
            self.rows.append([])
        elif self._in and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._in = False
        elif self._in and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "cmp"
    assert cmd_compare(["designs=[bsc,coach]", "replications=3", "seed=2", f"out_dir={out}", *SMALL]) == 0
    return out


def test_the_report_of_a_comparison_holds_its_table_and_nothing_external(store, capsys):
    before = {p.name for p in store.iterdir()}
    assert cmd_report([f"out_dir={store}", "question=Which design should the next phase fund?"]) == 0
    assert {p.name for p in store.iterdir()} - before == {"report.html"}
    html = (store / "report.html").read_text()
    parser = _Tables()
    parser.feed(html)
    header, *rows = parser.rows
    by_design = {re.split(r" (frontier|D:|ED:)", row[0])[0]: row for row in rows}
    assert set(by_design) == {"business as usual", "BSC (default)", "coach"}
    assert all(re.search(r" (frontier|D: dominated \(\d+% of draws|ED: extendedly dominated \(\d+% of draws)", row[0])
               for row in rows)  # each design's status under its name, with its probability
    ce = pd.read_csv(store / "cost_effectiveness.csv").query("effect == 'classrooms_sustained'").set_index("design")
    comparison = pd.read_csv(store / "comparison.csv").set_index(["outcome", "design"])
    # Cheapest first, as a decision table.
    labels = {"business_as_usual": "business as usual", "bsc": "BSC (default)", "coach": "coach"}
    assert list(by_design) == [labels[d] for d in ce.sort_values("mean_cost").index]
    # The table's numbers are the store's: total cost, net benefit, probability of the best buy, and
    # the ICER against the next cheaper frontier design only where the design is on the frontier.
    for name, label in (("bsc", "BSC (default)"), ("coach", "coach")):
        row = " | ".join(by_design[label])
        assert usd(comparison.loc[("cost_total", name), "mean"]) in row
        assert usd(ce.loc[name, "nmb"], signed=True) in row
        assert f"{100 * ce.loc[name, 'prob_best']:.0f}%" in row
        if ce.loc[name, "status"] == "frontier" and ce.loc[name, "icer"] == ce.loc[name, "icer"]:
            assert f"{usd(ce.loc[name, 'icer'])} " in row
        else:
            assert by_design[label][-3] == "-"
    assert "only 3 paired replicates" in html  # the caution at small n
    assert any("cost per extra classroom sustained" in h for h in header)
    assert "Which design should the next phase fund?" in html
    for figure in ("fig-ce_plane", "fig-acceptability", "fig-costs", "fig-differences"):
        assert re.search(rf'id="{figure}"><img src="data:image/(png|svg\+xml);base64,', html), figure
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "http://" not in html and "https://" not in html
    assert "assumption" in html and "costs.faculty_day_rate" in html  # the unit costs, labelled
    unit_costs = html[html.index('id="cost-assumptions"'):].split("</table>")[0]
    assert "[RECALL]" not in unit_costs and "[bls2024]" in unit_costs and "SOC 25-2011" in unit_costs  # real citations
    # the default: one posterior world per replicate, and the chance that each design is best
    assert "include what calibration left uncertain" in html and "seed noise only" not in html
    assert "the chance that each design gives the most classrooms sustained is" in html
    assert "replications=3 seed=2 uncertainty=posterior" in html  # how to make the same numbers again


def test_the_report_says_when_the_intervals_include_parameter_uncertainty(store, tmp_path):
    import json
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    info = json.loads((copy / "experiment.json").read_text())
    (copy / "experiment.json").write_text(json.dumps({**info, "uncertainty": "parameters"}))
    assert cmd_report([f"out_dir={copy}"]) == 0
    assert "include uncertainty about the parameters" in (copy / "report.html").read_text()
    for kind in ("none", "seed"):  # seed: what stores made before the posterior record
        (copy / "experiment.json").write_text(json.dumps({**info, "uncertainty": kind}))
        assert cmd_report([f"out_dir={copy}"]) == 0
        html = (copy / "report.html").read_text()
        assert "seed noise only: no parameter uncertainty was included" in html and "uncertainty=none" in html


def test_the_report_of_a_sweep_shows_what_it_has(tmp_path):
    cfg = tmp_path / "grid.yaml"
    cfg.write_text("parameters:\n  collaborative.modality: {values: [in_person, virtual]}\nreplications: 2\n"
                   "outcomes: [frac_classrooms_reached_end, cost_total]\nquestion: Does modality matter?\n")
    out = tmp_path / "sweep"
    assert cmd_sweep([f"experiment={cfg}", f"out_dir={out}", *SMALL]) == 0
    assert cmd_report([f"out_dir={out}"]) == 0
    html = (out / "report.html").read_text()
    assert "Does modality matter?" in html and 'id="fig-sweep"' in html and "points.csv" in html


@pytest.mark.parametrize("make, fragment", [
    (lambda p: None, "does not exist"),
    (lambda p: p.mkdir(), "is not an experiment store"),
    (lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")), "is not an experiment store"),
    (lambda p: p.write_text("a file"), "is a file"),
    (lambda p: (p.mkdir(), (p / "experiment.json").write_text('{"kind": "compare"}')), "no finished analysis"),
])
def test_anything_but_a_finished_store_is_refused_in_one_line(tmp_path, capsys, make, fragment):
    target = tmp_path / "target"
    make(target)
    before = sorted(p.name for p in target.iterdir()) if target.is_dir() else None
    assert cmd_report([f"out_dir={target}"]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err
    assert (sorted(p.name for p in target.iterdir()) if target.is_dir() else None) == before


def test_report_settings_are_checked(tmp_path, capsys):
    assert cmd_report([]) == 2 and "out_dir: required" in capsys.readouterr().err
    assert cmd_report([f"out_dir={tmp_path}", "cohort.n_programs=3"]) == 2
    assert "unknown setting" in capsys.readouterr().err
