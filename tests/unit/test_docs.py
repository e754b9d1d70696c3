"""Documentation that is generated from code stays in sync with it."""

from pathlib import Path

from bsc_sim.cli import params_document

ROOT = Path(__file__).resolve().parents[2]


def test_parameter_table_in_docs_matches_code():
    text = (ROOT / "docs" / "parameters.md").read_text()
    assert text == params_document(), "stale: run `uv run bsc-sim params --markdown > docs/parameters.md`"


def test_readme_lever_figures_are_those_of_docs_levers():
    """Every figure in the README's lever summary is a difference printed in docs/levers.md."""
    import re

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    start = readme.index("intermediate state it acts on ([docs/levers.md]")
    paragraph = readme[start:readme.index("\n\n", start)]
    levers = (root / "docs" / "levers.md").read_text()
    printed = set(re.findall(r"\| \**([+-][\d,.]+ pts|[+-]\$[\d,]+)", levers))
    quoted = re.findall(r"([+-][\d,.]+ pts|[+-]\$[\d,]+)", paragraph)
    assert len(quoted) >= 8
    missing = [q for q in quoted if q not in printed]
    assert not missing, f"README lever figures not in docs/levers.md (re-run bsc-sim levers or fix the README): {missing}"
