"""Design references: what ``designs=`` and ``reference=`` of ``compare`` accept.

A reference is one of

- a **name** from ``configs/design/`` (``bsc``, ``coach``; ``bsc-sim designs`` lists them);
- a **path** to a design file (``next_phase.yaml``, ``/any/dir/file.yaml``) in the shape of the
  shipped ones, e.g. ``configs/design/bsc_virtual.yaml``::

      # @package _global_
      defaults:
        - bsc                    # the shipped design it starts from (default: bsc)
      description: "Online sessions, four of them"
      design: next_phase         # its name: the label in every result (default: the file's stem)
      collaborative:
        modality: virtual
        n_sessions: 4

- an **inline variant**: a name or path followed by ``+KEY=VALUE`` overrides, as many as needed
  (``bsc+collaborative.modality=virtual+collaborative.n_sessions=4``).

Each resolves to a :class:`Design`: a label (unique in an experiment, the ``design`` column of
every result), the shipped design it starts from, Hydra overrides applied on top, and a
description. Nothing is imported from a file: it is read as plain data (no YAML tags, no
interpolations) and turned into the same override strings a command line would give, so a file
and the equivalent variant give identical parameters.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..config import DESIGN_TEXT_KEYS, config_dir, design_names, known_keys, load_params
from ..datafiles import interpolated_keys, read_yaml_file
from ..paramtools import ParamError
from ..params import Params

__all__ = ["Design", "resolve_design", "resolve_designs", "cross_designs", "shipped_description", "DEFAULT_REFERENCE",
           "STATEWIDE_REFERENCE", "matching_reference"]

DEFAULT_REFERENCE = "business_as_usual"
# Statewide systems are measured against the same state without collaboratives.
STATEWIDE_REFERENCE = "statewide_business_as_usual"
# What a design's own name may contain (labels of files; variants add "+KEY=VALUE").
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# Strings Hydra reads back as the same string without quotes (anything else is quoted).
PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
RESERVED = {"true", "false", "null", "none", "yes", "no", "on", "off", "nan", "inf"}
# Caps on what a design reference may hold (issue 17): a description goes into every table and
# report; a comparison of more designs than this is refused unless max_designs= confirms it.
MAX_DESCRIPTION = 2000
MAX_DESIGNS = 100
# Keys a variant or a design file may not set: they would swap the design it starts from (or
# Hydra's own settings) while the results still carry the first design's label.
SWAPS_BASE = ("design", "hydra", "defaults")


def _key_of(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0].strip()


def check_variant_keys(text: str, overrides: Sequence[str]) -> None:
    """Refuse a variant that changes the design it starts from, or sets one key twice (one line)."""
    seen: set[str] = set()
    for override in overrides:
        key = _key_of(override)
        if key.split(".")[0].split("@")[0] in SWAPS_BASE:
            raise ParamError(f"designs: {text!r}: {key} cannot be changed in a variant (it would swap the design "
                             "the variant starts from); name that design instead, e.g. coach+KEY=VALUE")
        if key in seen:
            raise ParamError(f"designs: {text!r}: {key} is set twice; give each key once")
        seen.add(key)


def check_design_count(n_designs: int, replications: int, max_designs: int | None) -> None:
    """Refuse more than ``max_designs`` designs (default :data:`MAX_DESIGNS`) in one line that
    states designs x runs, before any of them is set up."""
    cap = MAX_DESIGNS if max_designs is None else max_designs
    if n_designs > cap:
        raise ParamError(f"designs: {n_designs:,} designs x {replications:,} replications = "
                         f"{n_designs * replications:,} runs, more than max_designs={cap:,}; add max_designs="
                         f"{n_designs} to run them all, or cross fewer values")


def count_crossed(n_designs: int, cross: Mapping[str, Any] | None) -> int:
    """How many designs crossing ``n_designs`` designs with ``cross`` makes (without making them)."""
    if not isinstance(cross, Mapping) or not cross:
        return n_designs
    n = n_designs
    for values in cross.values():
        n *= max(len(values) if isinstance(values, list) else 1, 1)
    return n


@dataclass(frozen=True)
class Design:
    """A design to run: a shipped design plus overrides, under a label.

    Attributes:
        label: the name results carry (``bsc``, ``next_phase``, ``bsc+collaborative.modality=virtual``).
        base: the shipped design (``configs/design/``) the overrides apply to.
        overrides: Hydra override strings applied after ``base``, before the command's own overrides.
        description: what the design is, in plain language.
        source: "shipped", "file" or "variant".
        path: the design file, for a file or a variant of one.
        ref: the reference as it was given.
    """

    label: str
    base: str
    overrides: tuple[str, ...] = ()
    description: str = ""
    source: str = "shipped"
    path: str | None = None
    ref: str = field(default="", compare=False)

    def params(self, extra: Sequence[str] = ()) -> Params:
        """Validated parameters: ``base``, then this design's overrides, then ``extra`` (which win).

        ``Params.design`` is set to the label, so each run's provenance names it.
        """
        try:
            params = load_params([f"design={self.base}", *self.overrides, *extra])
        except ParamError as exc:  # name the reference: the key alone may not say which design it was
            raise ParamError(f"designs: {self.ref or self.label!r}: {exc}") from None
        if params.design != self.label:
            params = replace(params, design=self.label)
        return params

    def describe(self) -> dict[str, Any]:
        """A plain dict for experiment records (``designs.csv``, the report)."""
        return {"design": self.label, "ref": self.ref or self.label, "source": self.source, "base": self.base,
                "overrides": " ".join(self.overrides), "path": self.path or "", "description": self.description}


@lru_cache(maxsize=None)
def _shipped_file(name: str) -> dict[str, Any]:
    data = read_yaml_file(config_dir() / "design" / f"{name}.yaml", f"design {name!r}")
    return data if isinstance(data, dict) else {}


def shipped_description(name: str) -> str:
    """The ``description:`` of a design in ``configs/design/`` ("" if it has none)."""
    text = _shipped_file(name).get("description") or ""
    return " ".join(str(text).split())


def _is_path(text: str) -> bool:
    return "/" in text or text.endswith((".yaml", ".yml")) or text.startswith("~")


def _hydra_value(value: Any) -> str:
    """A YAML value as Hydra override text (strings quoted, so '3' stays a string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if PLAIN.match(value) and value.lower() not in RESERVED:
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_hydra_value(v)}" for k, v in value.items()) + "}"
    raise ParamError(f"{value!r}: not a plain value")


def _flatten(node: Mapping[str, Any], keys: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Nested overrides as ``KEY=VALUE`` strings; a practice the package lacks is added whole."""
    out = []
    for name, value in node.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key not in keys:
            parts = key.split(".")
            if parts[0] == "practices" and len(parts) == 2 and f"{key}.level" not in keys:
                out.append(f"+{key}={_hydra_value(value)}")  # a new practice: unset fields take defaults
            else:
                out.extend(_flatten(value, keys, f"{key}."))
        else:
            out.append(f"{key}={_hydra_value(value)}")
    return out


def _base_of(defaults: Any, where: str) -> str:
    """The shipped design named in a design file's ``defaults:`` list."""
    if defaults is None:
        return "bsc"
    entries = defaults if isinstance(defaults, list) else [defaults]
    names = []
    for entry in entries:
        if isinstance(entry, dict) and len(entry) == 1 and next(iter(entry)) in ("design", "/design"):
            entry = next(iter(entry.values()))
        if entry == "_self_":
            continue
        if not isinstance(entry, str):
            raise ParamError(f"{where}: defaults = {defaults!r}: expected a list naming one design, e.g. [bsc]")
        names.append(entry.removeprefix("/design/"))
    if len(names) != 1:
        raise ParamError(f"{where}: defaults = {defaults!r}: name exactly one design to start from, e.g. [bsc]")
    if names[0] not in design_names():
        raise ParamError(f"{where}: defaults names unknown design {names[0]!r} "
                         f"(available: {', '.join(design_names())})")
    return names[0]


def _from_file(text: str) -> Design:
    path = Path(text).expanduser()
    where = f"designs: {text!r}"
    if not path.is_file():
        raise ParamError(f"{where}: no such design file" if not path.exists() else f"{where}: not a file")
    shipped = config_dir() / "design" / f"{path.stem}.yaml"
    if shipped.is_file() and shipped.resolve() == path.resolve():  # a shipped file given by its path
        return replace(_from_name(path.stem), ref=text)
    data = read_yaml_file(path, where)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamError(f"{where}: expected a mapping of keys to values (a design file), not {type(data).__name__}")
    for key in interpolated_keys(data):
        raise ParamError(f"{where}: {key}: interpolations (${{...}}) are not accepted; give the value itself")
    base = _base_of(data.get("defaults"), where)
    label = data.get("design", path.stem)
    if not isinstance(label, str) or not NAME.match(label):
        raise ParamError(f"{where}: design = {label!r}: a name of letters, digits, '_', '.' or '-'")
    if label in design_names():
        raise ParamError(f"{where}: design = {label!r} is the name of a shipped design; give the file's design "
                         "its own name (design: my_name)")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ParamError(f"{where}: description = {description!r:.60}: expected text")
    if len(description) > MAX_DESCRIPTION:
        raise ParamError(f"{where}: description is {len(description):,} characters; at most {MAX_DESCRIPTION:,} "
                         "(it is printed in every table and report)")
    body = {k: v for k, v in data.items() if k not in ("defaults", "design", *DESIGN_TEXT_KEYS)}
    for key in body:
        if str(key).split(".")[0] in SWAPS_BASE:
            raise ParamError(f"{where}: {key} cannot be set in a design file; its design comes from defaults:")
    overrides = tuple(_flatten(body, known_keys()))
    return Design(label=label, base=base, overrides=overrides, description=" ".join(description.split()),
                  source="file", path=str(path), ref=text)


def _from_name(text: str) -> Design:
    if text not in design_names():
        raise ParamError(f"designs: unknown design {text!r} (available: {', '.join(design_names())}; "
                         "or a path to a design file, or a variant such as bsc+collaborative.modality=virtual)")
    return Design(label=text, base=text, description=shipped_description(text), ref=text)


def _split_variant(text: str) -> tuple[str, list[str]]:
    """``bsc+a.b=1+c.d=x`` -> (``bsc``, [``a.b=1``, ``c.d=x``]); a '+' inside a value stays in it
    (``1e+3``), and ``++practices.NAME={...}`` adds a practice."""
    head, *parts = text.split("+")
    overrides: list[str] = []
    plus = False
    for part in parts:
        if part == "":
            plus = True  # "++key=..." : Hydra's append prefix
            continue
        if "=" in part.split("{")[0] or part.startswith("~"):
            overrides.append(("+" if plus else "") + part)
        elif overrides:
            overrides[-1] += "+" + part
        else:
            raise ParamError(f"designs: {text!r}: expected DESIGN+KEY=VALUE, e.g. bsc+collaborative.modality=virtual")
        plus = False
    return head, overrides


def resolve_design(text: str) -> Design:
    """Resolve one reference (a name, a design file or an inline variant).

    Its parameters are checked when :meth:`Design.params` builds them (with the command's own
    overrides, which may be what makes a design valid).

    Raises:
        ParamError: one line naming the reference: unknown design, unreadable or malformed file.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParamError(f"designs: {text!r}: expected a design name, a path to a design file or a variant")
    text = text.strip()
    if Path(text).expanduser().is_file() or "+" not in text:
        design = _from_file(text) if _is_path(text) else _from_name(text)
    else:
        head, overrides = _split_variant(text)
        check_variant_keys(text, overrides)
        base = _from_file(head) if _is_path(head) else _from_name(head)
        label = "+".join([base.label, *overrides])
        about = f"{base.description} Changed: {', '.join(overrides)}." if base.description else \
            f"Changed: {', '.join(overrides)}."
        design = Design(label=label, base=base.base, overrides=(*base.overrides, *overrides), description=about,
                        source="variant", path=base.path, ref=text)
    return design


def cross_designs(designs: Sequence[Design], cross: Mapping[str, Any], skip: str | None = None) -> list[Design]:
    """Every design in ``designs`` (except the label ``skip``, the reference) crossed with every
    combination of the values in ``cross`` (``{"collaborative.n_sessions": [3, 4], ...}``), as variants."""
    if not isinstance(cross, Mapping) or not cross:
        raise ParamError(f"cross = {cross!r}: expected a mapping of keys to lists of values, "
                         "e.g. {collaborative.n_sessions: [3, 4], collaborative.modality: [in_person, virtual]}")
    levels = []
    for key, values in cross.items():
        values = values if isinstance(values, list) else [values]
        if not values:
            raise ParamError(f"cross: {key} = []: give at least one value")
        levels.append([(str(key), v) for v in values])
    out = []
    for design in designs:
        if design.label == skip:
            out.append(design)
            continue
        for combo in itertools.product(*levels):
            texts = [f"{k}={_plain(v)}" for k, v in combo]
            overrides = tuple(f"{k}={_hydra_value(v)}" for k, v in combo)
            variant = Design(label="+".join([design.label, *texts]), base=design.base,
                             overrides=(*design.overrides, *overrides),
                             description=f"{design.description} Changed: {', '.join(texts)}.".strip(),
                             source="variant", path=design.path, ref="+".join([design.ref or design.label, *texts]))
            out.append(variant)
    return out


def _plain(value: Any) -> str:
    """A value as a person would type it after KEY= (true, 4, virtual)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return _hydra_value(value)


def matching_reference(refs: Sequence[str], reference: str | None, overrides: Sequence[str] = ()) -> str | None:
    """The reference to measure ``refs`` against, checked to simulate the same kind of thing.

    A statewide system and a single collaborative differ in what one run is (a state over five
    years, or one cohort), so their costs and effects cannot be set against each other: designs
    of both kinds in one comparison, or a reference of the other kind, are refused in one line.
    The default reference of statewide designs is :data:`STATEWIDE_REFERENCE`.
    """
    def is_system(text: str) -> bool:
        return resolve_design(text).params(overrides).system.enabled

    kinds = {text: is_system(text) for text in refs}
    if len(set(kinds.values())) > 1:
        systems = [t for t, k in kinds.items() if k]
        single = [t for t, k in kinds.items() if not k]
        raise ParamError(f"designs: {systems[0]!r} is a statewide system but {single[0]!r} is one collaborative; "
                         "a run of each is a different thing (a state, a cohort): compare like with like")
    systems = bool(kinds) and all(kinds.values())
    if reference == DEFAULT_REFERENCE and systems:
        return STATEWIDE_REFERENCE
    if reference is not None and kinds and is_system(reference) != systems:
        kind = "a statewide system" if not systems else "one collaborative"
        raise ParamError(f"reference = {reference!r}: {kind}, unlike the designs; use "
                         f"reference={STATEWIDE_REFERENCE if systems else DEFAULT_REFERENCE}")
    return reference


def resolve_designs(refs: Sequence[str], reference: str | None = DEFAULT_REFERENCE,
                    cross: Mapping[str, Any] | None = None, *, replications: int = 1,
                    max_designs: int | None = None) -> tuple[list[Design], str | None]:
    """Resolve ``designs=`` (and ``cross=``) and the reference; return the designs to run and the
    reference's label.

    The reference is added in front when it is not among the designs, so that every design can
    be measured against it. Labels must be unique.

    Raises:
        ParamError: a bad reference (one line naming it), or two designs with one label.
    """
    if not refs:
        raise ParamError("designs = []: name at least one design")
    designs = [resolve_design(r) for r in refs]
    ref_design = resolve_design(reference) if reference else None
    ref_label = ref_design.label if ref_design else None
    if ref_design is not None and ref_label not in [d.label for d in designs]:
        designs.insert(0, ref_design)
    skipped = int(ref_label is not None and cross is not None and bool(cross))
    check_design_count(count_crossed(len(designs) - skipped, cross) + skipped, replications, max_designs)
    if cross:
        designs = cross_designs(designs, cross, skip=ref_label)
    seen: dict[str, str] = {}
    for d in designs:
        if d.label in seen:
            if seen[d.label] == d.ref:
                raise ParamError(f"designs: {d.ref!r} is listed twice")
            raise ParamError(f"designs: {seen[d.label]!r} and {d.ref!r} are both labelled {d.label!r}; "
                             "labels name the results, so give one file another name (design: my_name)")
        seen[d.label] = d.ref
    return designs, ref_label
