"""User input stays data: YAML without tags, configs without interpolations.

A YAML tag (``!!python/object:...``, ``!!binary``, ``!custom``) asks the loader to build something
other than plain data, and an OmegaConf interpolation (``${oc.env:HOME}``, ``${other.key}``)
asks the config to compute a value, for example from the environment. Neither belongs in a
parameter file, and a resolver that reads the environment could echo a secret into an error
message. So both are refused, with one line naming where they were found and never the value
they would produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .paramtools import ParamError

__all__ = ["load_yaml", "read_yaml_file", "refuse_interpolation", "interpolated_keys", "INTERPOLATION",
           "MAX_YAML_BYTES", "MAX_YAML_NODES"]

INTERPOLATION = "${"
# A parameter or design file is a few kilobytes; these caps stop a hostile or mistaken file (a
# "billion laughs" of nested YAML aliases, a 50 MB description) before it is expanded (issue 17).
MAX_YAML_BYTES = 1_000_000
MAX_YAML_NODES = 100_000  # values once every alias is expanded


def _expanded_size(text: str, where: str) -> None:
    """Refuse YAML whose aliases expand beyond :data:`MAX_YAML_NODES` values, or refer to themselves.

    The document is composed (a graph in which an alias is a shared node, so this is linear in
    the text) and its size counted as if every alias were copied out, which is what loading does.
    """
    if "*" not in text:  # no alias at all
        return
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ParamError(f"{where}: a YAML alias refers to itself (line {node.start_mark.line + 1}); "
                             "files and values are plain data")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        sizes[key] = min(total, MAX_YAML_NODES + 1)
        if total > MAX_YAML_NODES:
            raise ParamError(f"{where}: its YAML aliases expand to more than {MAX_YAML_NODES:,} values; "
                             "write the values out (a parameter file is plain data)")
        return sizes[key]

    if root is not None:
        size(root)


def _first_tag(text: str) -> tuple[str, int] | None:
    """The first explicit tag in ``text`` and its line (1-based), or None; ``text`` must scan."""
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.TagToken):
            handle, suffix = token.value
            return f"{handle or ''}{suffix}", token.start_mark.line + 1
    return None


def load_yaml(text: str, where: str) -> Any:
    """Parse ``text`` as plain YAML data; refuse tags and syntax errors with one line.

    Args:
        text: the YAML document.
        where: how to name the input in the error (``experiment = 'sweep.yaml'``).
    """
    if len(text) > MAX_YAML_BYTES:
        raise ParamError(f"{where}: {len(text):,} characters, more than the {MAX_YAML_BYTES:,} a parameter or design "
                         "file may have")
    try:
        tag = _first_tag(text)
        if tag is not None:
            raise ParamError(f"{where}: YAML tag {tag[0]!r} on line {tag[1]} is not accepted; "
                             "files and values are plain data")
        _expanded_size(text, where)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid YAML"
        raise ParamError(f"{where}: not valid YAML ({first})") from None


def read_yaml_file(path: str | Path, where: str) -> Any:
    """Read and parse a YAML file as plain data (see :func:`load_yaml`)."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_YAML_BYTES:
            raise ParamError(f"{where}: {size:,} bytes, more than the {MAX_YAML_BYTES:,} a parameter or design file "
                             "may have")
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ParamError(f"{where}: cannot read ({reason})") from None
    return load_yaml(text, where)


def interpolated_keys(node: Any, prefix: str = "") -> Iterator[str]:
    """Dotted keys of every string value (in a nested dict/list) holding an interpolation."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from interpolated_keys(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from interpolated_keys(value, f"{prefix}[{i}]")
    elif isinstance(node, str) and INTERPOLATION in node:
        yield prefix or "(value)"


def refuse_interpolation(key: str, text: str) -> None:
    """Raise if ``text`` holds an interpolation; the message names the key, not what it would resolve to."""
    if INTERPOLATION in text:
        raise ParamError(f"{key}: interpolations (${{...}}) are not accepted; configs are data, "
                         "give the value itself")
