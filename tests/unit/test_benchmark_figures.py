"""Figures quoted from generated benchmark tables cannot drift from them (issue 19)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_state_memory_rows_in_the_benchmarks_readme_are_the_generated_ones():
    generated = [line for line in (ROOT / "benchmarks" / "state_memory.md").read_text().splitlines()
                 if line.startswith("| ") and not line.startswith("| tree")]
    readme = (ROOT / "benchmarks" / "README.md").read_text()
    start = readme.index("<!-- state_memory.md -->")
    quoted = [line for line in readme[start:readme.index("<!-- /state_memory.md -->")].splitlines()
              if line.startswith("| ") and not line.startswith("| tree")]
    assert generated and quoted == generated, "re-run benchmarks/state_memory.py --out and paste its rows"
    # Every figure the top-level README quotes for a state's memory is in the generated rows.
    top = (ROOT / "README.md").read_text()
    section = top[top.index("<!-- state memory -->"):top.index("<!-- /state memory -->")]
    cells = {cell.strip() for line in generated for cell in line.split("|")}
    words = [word.strip("*(),;") for word in section.split()]
    figures = [w for w in words if w.replace(".", "").replace(",", "").isdigit() and ("." in w or "," in w)]
    assert figures and all(f in cells for f in figures), (figures, cells)


def test_compiled_kernel_probe_rows_in_the_benchmarks_readme_are_the_generated_ones():
    import re

    generated = [line for line in (ROOT / "benchmarks" / "compiled_kernel_probe.md").read_text().splitlines()
                 if line.startswith("| ") and not line.startswith("| what")]
    readme = (ROOT / "benchmarks" / "README.md").read_text()
    section = readme[readme.index("<!-- compiled_kernel_probe.md -->"):readme.index("<!-- /compiled_kernel_probe.md -->")]
    quoted = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| what")]
    assert generated and quoted == generated, "re-run benchmarks/compiled_kernel_probe.py --out and paste its rows"
    # The kernels were checked bit for bit, in both cases, before any time was quoted.
    identity = [line for line in generated if line.startswith("| identity")]
    assert len(identity) == 2 and all(line.endswith("| identical |") for line in identity), identity

    def row(start: str) -> str:
        (line,) = [line for line in generated if start in line]
        return line

    def ratio(start: str) -> str:
        return re.search(r"\(([\d.]+)×\) \|$", row(start)).group(1)

    # Each figure the top-level README quotes is the one in its own row.
    top = (ROOT / "README.md").read_text()
    quote = " ".join(top[top.index("<!-- compiled kernel probe -->"):top.index("<!-- /compiled kernel probe -->")].split())
    expected = [f"sustainment at {ratio('sustainment phase')}×", f"spread at {ratio('spread phase')}×",
                f"weeks at {ratio('sustainment+spread compiled')}×",
                f"{row('`import numba`').split('|')[3].strip()} CPU-s to import"]
    missing = [phrase for phrase in expected if phrase not in quote]
    assert not missing, (missing, quote)
