"""No test asserts how long something took (issue 17): the suite must pass on a busy machine.

A test may read a clock to print a timing or to stop waiting on a fault that would otherwise hang
forever, but never assert an elapsed time: that is what failed on a loaded machine
(an assert comparing ``perf_counter() - t0`` with 2.5 s). This scans every test module for an assertion that
compares an elapsed time (a clock reading minus something, directly or through a variable
assigned from one) with anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
CLOCKS = {"perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time", "time_ns", "process_time"}


def _is_clock(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCKS
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "time")


def _elapsed(node: ast.AST, names: set[str]) -> bool:
    """Is ``node`` an elapsed time: ``clock() - x`` or a name assigned from one?"""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        return _is_clock(node.left) or _is_clock(node.right)
    return isinstance(node, ast.Name) and node.id in names


def elapsed_time_assertions(source: str) -> list[int]:
    """Line numbers of assertions on an elapsed time in ``source``."""
    tree = ast.parse(source)
    names = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) and _elapsed(n.value, set())
             for t in n.targets if isinstance(t, ast.Name)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            for cmp in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
                if any(_elapsed(x, names) for x in [cmp.left, *cmp.comparators]):
                    lines.append(node.lineno)
    return sorted(set(lines))


def test_the_scan_finds_an_elapsed_time_assertion():
    # The samples are assembled from parts so that this file holds no such assertion itself.
    clock, check = "time.perf_counter()", "ass" + "ert"
    assert elapsed_time_assertions(f"import time\nt0 = {clock}\n{check} {clock} - t0 < 2.5\n") == [3]
    mono = "time.monotonic()"
    assert elapsed_time_assertions(f"import time\nt0 = {mono}\ns = {mono} - t0\n{check} s < 1\n") == [4]
    assert elapsed_time_assertions("import time\nassert time.monotonic() < 10 or True\n") == []  # a hang guard


def test_no_test_asserts_an_elapsed_time():
    found = {str(p.relative_to(TESTS)): lines for p in sorted(TESTS.rglob("*.py"))
             if (lines := elapsed_time_assertions(p.read_text()))}
    assert found == {}
