"""Sources stay inside the repository: every citation is a key of docs/references.md."""

from __future__ import annotations

import re
from pathlib import Path


from bsc_sim.paramtools import iter_fields
from bsc_sim.params import Params

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "docs" / "references.md"


# A key: first author's surname (lower case) + year, or "nd" for undated pages, + optional letter.
KEY = r"[a-z][a-z]*(?:\d{4}|nd)[a-z]?"
# In running text only dated keys are recognised: "[command]" or "[end]" in code also end in "nd".
DATED = r"[a-z][a-z]*\d{4}[a-z]?"
CITATION = re.compile(rf"\[((?:{KEY}; ?)*{DATED}(?:; ?{KEY})*|[a-z]+nd(?=\]))\]")
# Pointers to notes that live outside the repository.
OUTSIDE = re.compile(r"MODEL-BRIEF|\bDF §?\d|\bmechanisms §?\d|\bM \d+\.\d+|domain-facts|evidence-priors"
                     r"|mechanisms\.md|/work/shared|\.\./shared/|shared/seeds")
STRUCTURAL = {"-", "design"}


def reference_keys() -> dict[str, str]:
    entries = re.findall(rf"^- \[({KEY})\] (.+)$", REFERENCES.read_text(), flags=re.M)
    keys = [k for k, _ in entries]
    assert len(keys) == len(set(keys)), "a key is listed twice"
    return dict(entries)


def cited_keys(text: str, undated: frozenset[str] = frozenset()) -> set[str]:
    """Keys cited in ``text``: dated keys, and undated ones (``...nd``) only when listed in ``undated``."""
    out = set()
    for group in CITATION.findall(text):
        for k in (k.strip() for k in group.split(";")):
            if re.fullmatch(DATED, k) or k in undated:
                out.add(k)
    return out


def scanned_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for top in ("src", "docs", "configs", "notebooks"):
        files += [p for p in (ROOT / top).rglob("*") if p.is_file() and p.suffix in (".py", ".md", ".yaml", ".yml", ".ipynb", ".txt", ".html", ".j2")]
    return sorted(files)


def test_every_entry_has_authors_year_title_and_a_locator():
    keys = reference_keys()
    assert len(keys) >= 54
    for key, text in keys.items():
        year = re.search(r"\((\d{4}|n\.d\.)", text)
        assert year, f"{key}: no year in parentheses"
        if not key.endswith("nd"):
            assert key[-5:-1].isdigit() or key[-4:].isdigit(), key
        assert re.search(r"doi:|https?://|\*[^*]+\*|Report|REL|Institute|Office|Press|University|Bureau|reported in \[", text), f"{key}: no venue or locator"


def test_the_evidence_base_is_in_the_bibliography():
    keys = reference_keys()
    # The evidence base of issue 18 (R1-R54, in order; R37 is merged into opre2016, R53 into klinger2018).
    evidence = """arthur1998 tatel2025 noell1997 wolf2019 kraft2014 barton2020 wong2022 casline2024 helseth2020
        nese2016 nevedal2024 nevedal2020 wiltseystirman2012 hailemariam2019 shelton2018 kraft2018 blazar2021
        egert2018 werner2016 brunsek2020 murano2020 elek2019 artmanmeeker2014 sung2023 markussenbrown2017
        zaslow2010 ohs2019 ohs2012 foundationsforfamilies2017 wells2018 schouten2008 nadeem2013 nadeem2014
        amayajackson2018 ebert2012 tout2021 opre2016 bromer2020 americanhumane2010 bassok2021 bellows2021
        doromal2022 mathematica2022 researchforactionnd caven2021 amadon2023 occ2019 strong2014 baiond
        alaridescuderond jacksonnd klinger2018 talts2018 hemmeter2018""".split()
    missing = [k for k in evidence if k not in keys]
    assert not missing, missing


def _source_ok(source: str, keys: dict[str, str]) -> bool:
    s = source.strip()
    if s in STRUCTURAL or s.startswith("design"):
        return True
    if "assumption" in s.lower():
        return True
    return bool(cited_keys(s, frozenset(keys)) & set(keys))


def _params_of() -> list[tuple[str, str]]:
    return [(key, meta.get("source", "")) for key, _, meta in iter_fields(Params)]


def test_every_parameter_cites_a_key_or_says_assumption():
    keys = reference_keys()
    bad = [f"{k}: {s!r}" for k, s in _params_of() if not _source_ok(s, keys) or OUTSIDE.search(s)]
    assert not bad, "sources without a key of docs/references.md or 'assumption':\n" + "\n".join(bad)


def _outside_citations() -> list[str]:
    hits = []
    for path in scanned_files():
        rel = path.relative_to(ROOT).as_posix()
        for i, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{rel}:{i}: {line.strip()[:120]}")
    return hits


def test_nothing_cites_a_file_outside_the_repository():
    hits = _outside_citations()
    assert not hits, "cite a key of docs/references.md instead:\n" + "\n".join(hits)


def test_every_cited_key_is_in_the_bibliography():
    keys = set(reference_keys())
    undated = frozenset(k for k in keys if k.endswith("nd"))
    files = scanned_files() + sorted((ROOT / "tests").rglob("*.py")) + [ROOT / "CHANGELOG.md"]
    missing = []
    for path in files:
        if path in (REFERENCES, Path(__file__).resolve()):
            continue
        for key in sorted(cited_keys(path.read_text(errors="replace"), undated) - keys):
            missing.append(f"{path.relative_to(ROOT).as_posix()}: [{key}]")
    assert not missing, "add these to docs/references.md:\n" + "\n".join(missing)


def test_the_checks_can_fail():
    keys = reference_keys()
    assert not _source_ok("DF 2.1: IHI standard", keys)
    assert not _source_ok("[nosuchwork2099]: made up", keys)
    assert _source_ok("[wells2018]: 83% of studies", keys) and _source_ok("assumption: none", keys)
    assert OUTSIDE.search("(MODEL-BRIEF 3)") and OUTSIDE.search("mechanisms 7.5") and OUTSIDE.search("M 1.2")
    assert cited_keys("see [wells2018; wong2022] and [x]") == {"wells2018", "wong2022"}
