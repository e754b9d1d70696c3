"""Parameter values quoted in docs/ODD.md match the defaults in params.py.

Convention (docs/ODD.md, section 1): a default is quoted as "`key` = value" or "`key` (value",
where ``key`` is a dotted override key (``sustain.culture_feedback``) or a leaf name. A leaf name
is resolved to the group of the last dotted key quoted in the same section when that group has it,
otherwise to the only parameter of that name. Values are numbers (with ``%``, ``$``, thousands
commas or a fraction ``a/b``) or true/false. A value that is not a default (a search range, a
hypothetical) is written without the backticks around the name, or after ``=`` with no spaces.
"""

from __future__ import annotations

import re
from pathlib import Path

from bsc_sim.paramtools import iter_fields
from bsc_sim.params import Params

ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"
MENTION = re.compile(r"`([a-z_][a-z0-9_.]*)`(?: = | \()(\$?-?[0-9][0-9,]*(?:\.[0-9]+)?(?:/[0-9]+)?(?: ?%)?|true|false)(?![0-9a-z_])")


def defaults() -> dict[str, object]:
    return {k: v for k, v, _ in iter_fields(Params) if not isinstance(v, dict)}


def parse(text: str) -> float | bool:
    if text in ("true", "false"):
        return text == "true"
    t = text.replace("$", "").replace(",", "").strip()
    pct = t.endswith("%")
    t = t.rstrip("% ")
    num, _, den = t.partition("/")
    value = float(num) / float(den) if den else float(num)
    return value / 100 if pct else value


def mentions(text: str, values: dict[str, object]) -> list[tuple[int, str, str, str]]:
    """(line, name, resolved key or '', quoted value) for every quoted default."""
    by_leaf: dict[str, list[str]] = {}
    for key in values:
        by_leaf.setdefault(key.rsplit(".", 1)[-1], []).append(key)
    out, group = [], None
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            group = None
        for m in re.finditer(r"`([a-z_][a-z0-9_]*)\.[a-z0-9_.]+`", line):
            group = m.group(1)
        for m in MENTION.finditer(line):
            name, quoted = m.group(1), m.group(2)
            if name in values:
                key = name
            elif "." not in name and group and f"{group}.{name}" in values:
                key = f"{group}.{name}"
            elif "." not in name and len(by_leaf.get(name, [])) == 1:
                key = by_leaf[name][0]
            else:
                key = ""
            out.append((lineno, name, key, quoted))
    return out


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 + 0.005 * max(abs(a), abs(b)) or f"{b:.2g}" == f"{a:.2g}"


def test_every_default_quoted_in_the_odd_matches_params():
    values = defaults()
    found = mentions(ODD.read_text(), values)
    assert len([f for f in found if f[2]]) >= 100, "the convention no longer finds the quoted defaults"
    wrong = []
    for lineno, name, key, quoted in found:
        if not key:
            continue
        have, said = values[key], parse(quoted)
        if isinstance(have, bool) or isinstance(said, bool):
            ok = have == said
        elif isinstance(have, (int, float)):
            ok = close(float(have), float(said))
        else:
            continue
        if not ok:
            wrong.append(f"ODD.md:{lineno}: `{name}` = {quoted}, but {key} = {have!r}")
    assert not wrong, "\n".join(wrong)


def test_the_convention_catches_a_stale_value():
    values = defaults()
    text = "## 7.12\n`sustain.lapse_weekly` = 0.02 and `culture_feedback` = 0.42 while `w_culture` (1.5, x)\n"
    found = {(name, key): quoted for _, name, key, quoted in mentions(text, values)}
    assert found[("culture_feedback", "sustain.culture_feedback")] == "0.42"
    assert found[("w_culture", "sustain.w_culture")] == "1.5"
    assert not close(float(values["sustain.culture_feedback"]), parse("0.42"))
    assert parse("$1,000") == 1000 and parse("25 %") == 0.25 and parse("8/6") == 8 / 6
