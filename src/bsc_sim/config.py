"""The only module that touches Hydra/OmegaConf: compose a config and turn it into ``Params``.

The defaults live once, in the dataclasses of :mod:`bsc_sim.params`; they are registered in
Hydra's ConfigStore as the config ``base``. ``configs/config.yaml`` puts ``base`` first and
then a design from ``configs/design/``. Configs are data only: nothing is instantiated from
them (no ``_target_``), so a config file can never run code.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
import threading
from pathlib import Path
from typing import Any

from .datafiles import INTERPOLATION, interpolated_keys, read_yaml_file, refuse_interpolation
from .paramtools import ParamError, iter_fields, to_dict
from .params import Params

__all__ = ["load_params", "compose_config", "config_dir", "design_names", "known_keys"]

# Keys of config.yaml that are settings of the command line, not of the model.
RUN_KEYS = {"out_dir": "directory for outputs (default: outputs/<design>-seed<seed>)",
            "memory_limit": "refuse a run whose estimated peak memory exceeds this (8GiB, 500MB; default: the memory "
                            "available; none: no check)"}


# Hydra keeps one global state (GlobalHydra, the ConfigStore) per process; `initialize_config_dir`
# sets it up and clears it on exit. Two threads composing at once (two browser sessions of
# `bsc-sim viz`) would find it already initialised, so every composition holds this lock.
_COMPOSE_LOCK = threading.RLock()


def config_dir() -> Path:
    """The Hydra config directory: ``configs/`` of a source checkout, or the copy in the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "configs", here.parents[1] / "configs"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"bsc_sim configs not found next to {here}")


def design_names() -> list[str]:
    """Names of the designs in ``configs/design/``."""
    return sorted(p.stem for p in (config_dir() / "design").glob("*.yaml"))


def known_keys() -> dict[str, Any]:
    """Every overridable dotted key with its default (model parameters and run settings)."""
    keys = {key: default for key, default, _ in iter_fields(Params)}
    keys.update({k: None for k in RUN_KEYS})
    return keys


def _check_override_keys(overrides: list[str]) -> None:
    """Reject unknown keys, interpolations and YAML tags before Hydra sees them, in one line."""
    keys = known_keys()
    groups = {"design"}
    for text in overrides:
        if "=" not in text and not text.startswith("~"):
            raise ParamError(f"{text}: expected key=value (Hydra override syntax)")
        key, _, value = text.partition("=")
        key = key.strip()
        refuse_interpolation(key, text)
        if value.lstrip().startswith("!"):
            raise ParamError(f"{key}: YAML tags are not accepted in values; configs are data, give the value itself")
        if key.startswith(("+", "~")):
            stripped = key.lstrip("+~")
            if stripped.startswith("practices."):
                continue  # adding or removing a practice of the change package is allowed
            raise ParamError(f"{key}: only single practices may be added (+practices.NAME=...) or removed "
                             f"(~practices.NAME); other keys exist already, set them without + or ~")
        if key in groups:  # a config group: a name of configs/design/ (Hydra would read 1e+3 as a float)
            if value.strip() not in design_names():
                raise ParamError(f"design = {value!r}: unknown design (no configs/design/{value.strip()}.yaml; "
                                 f"available: {', '.join(design_names())})")
            continue
        if key in keys:
            continue
        parts = key.split(".")
        if parts[0] == "practices" and len(parts) >= 2 and f"practices.{parts[1]}.level" not in keys:
            raise ParamError(f"{key}: unknown practice {parts[1]!r} (value {value!r}); add one with "
                             f"+practices.{parts[1]}={{level: classroom, effect: 0.6}} (unset fields take defaults)")
        hint = difflib.get_close_matches(key, list(keys) + list(groups), n=1)
        extra = f"; did you mean {hint[0]}?" if hint else ""
        raise ParamError(f"{key}: unknown key (value {value!r}){extra}")


def _register_base() -> None:
    """Register the defaults of :class:`Params` as Hydra's config ``base`` (once per process: they
    are code and cannot change while it runs; storing them again cost about 60 ms a composition)."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    if _BASE_STORED.get("store") is store and "base.yaml" in store.repo:
        return
    store.store(name="base", node=to_dict(Params()))
    _BASE_STORED["store"] = store


_BASE_STORED: dict[str, Any] = {}


def _check_config_files(overrides: list[str]) -> None:
    """The root config and the chosen design file must be plain data: no YAML tags, no interpolations.

    Hydra's own loader would reject some tags with a long traceback and accept others; checking
    the files first gives one line naming the file.
    """
    design = "bsc"
    for text in overrides:
        key, _, value = text.partition("=")
        if key.strip() == "design":
            design = value.strip()
    root = config_dir()
    for path in (root / "config.yaml", root / "design" / f"{design}.yaml"):
        if not path.is_file():
            continue  # an unknown design: Hydra names it, with the available ones
        data = read_yaml_file(path, f"config file {str(path)!r}")
        for key in interpolated_keys(data):
            if key != "defaults" and not key.startswith("defaults["):
                raise ParamError(f"{key} in {str(path)!r}: interpolations (${{...}}) are not accepted; "
                                 "configs are data, give the value itself")


def compose_config(overrides: list[str] | None = None) -> dict[str, Any]:
    """Compose ``configs/config.yaml`` with Hydra override strings into a plain nested dict.

    Nothing is resolved: an interpolation that reached the composed config from any source is
    refused, naming its key, so no resolver (``oc.env`` and friends) ever runs.
    """
    overrides = list(overrides or [])
    _check_override_keys(overrides)
    _check_config_files(overrides)
    model_overrides, settings = _split_settings(overrides)
    key = (_inputs_digest(), tuple(model_overrides))
    if key in _COMPOSED:
        data = copy.deepcopy(_COMPOSED[key])
    else:
        data = _read_cached(key)
        if data is None:
            data = _compose(model_overrides)
            _write_cached(key, data)
        if len(_COMPOSED) >= 256:
            _COMPOSED.clear()
        _COMPOSED[key] = copy.deepcopy(data)
    if not all(name in data for name in settings):
        return _compose(overrides)  # a root config without the setting: Hydra says what is wrong
    data.update(settings)
    return data


# A run setting's value that Hydra's override grammar reads as this very string, whatever the
# config: a path with a slash (no number, boolean or null has one), or a name that starts with a
# letter or underscore and is none of the grammar's words (true, false, null, inf, nan).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./-]*")
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_GRAMMAR_WORDS = {"true", "false", "null", "inf", "nan", "infinity"}


def _split_settings(overrides: list[str]) -> tuple[list[str], dict[str, str]]:
    """The overrides of the model, and run settings (``out_dir``, ``memory_limit``) whose values are
    plain strings that can be set after composing: a new out_dir then needs no new composition.
    Anything else (a quoted value, a number, a setting given twice) stays with Hydra."""
    model, settings, seen = [], {}, set()
    for text in overrides:
        key, eq, value = text.partition("=")
        name = key.strip()
        if name in RUN_KEYS:
            if name in seen:
                return list(overrides), {}
            seen.add(name)
            if eq and key == name and (("/" in value and _PLAIN_PATH.fullmatch(value)) or (
                    _PLAIN_NAME.fullmatch(value) and value.lower() not in _GRAMMAR_WORDS)):
                settings[name] = value
                continue
        model.append(text)
    return model, settings


def _compose(overrides: list[str]) -> dict[str, Any]:
    """Hydra's composition of ``configs/config.yaml`` with ``overrides``, as a plain dict."""
    import yaml
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        with _COMPOSE_LOCK:
            _register_base()
            with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
                cfg = compose(config_name="config", overrides=overrides)
            data = OmegaConf.to_container(cfg, resolve=False)
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "design" in first and "Could not" in first:
            first += f" (available designs: {', '.join(design_names())})"
        raise ParamError(first) from None
    for name in interpolated_keys(data):
        refuse_interpolation(name, INTERPOLATION)
    return data  # type: ignore[return-value]


# Configs composed in this process, by (_inputs_digest(), overrides). Hydra takes 0.1-0.3 s a
# composition, and experiments, the levers and the tests compose the same designs many times.
_COMPOSED: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}


def _inputs_digest() -> str:
    """A hash of everything a composition reads: the config directory's path and every file in it
    (names and bytes), and the defaults registered as ``base``. A cached config is used only when
    none of them changed, so editing a config file between two calls is always seen."""
    root = config_dir()
    digest = hashlib.sha256(str(root).encode())
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps(to_dict(Params()), sort_keys=True, default=str).encode())
    return digest.hexdigest()


# -- compositions kept on disk ----------------------------------------------------------------
# A command is a fresh process, so the memory above helps within one command only. Importing
# Hydra and composing cost about 0.4-0.6 s of CPU, a large part of a short ``bsc-sim run``; the
# composed config is therefore also kept as a JSON file, under a key that covers everything the
# composition depends on: the inputs of :func:`_inputs_digest` (every config file's bytes and the
# defaults registered as ``base``), the overrides, this module's own source, the installed Hydra
# and OmegaConf (their version files, and the time their site-packages directory last had an entry
# added or removed, which a new Hydra plugin would change). Any change gives another key, so a
# kept config is never stale. Only plain data that survives JSON exactly is kept; a file that
# cannot be read or does not match its key is ignored, and a cache that cannot be written is
# skipped silently. BSC_SIM_CACHE_DIR sets the directory (``none``: no cache on disk); the
# default is $XDG_CACHE_HOME/bsc_sim or ~/.cache/bsc_sim.
CACHE_ENV = "BSC_SIM_CACHE_DIR"
_CACHE_FORMAT = 2
_CACHE_MAX_FILES = 1000


def cache_dir() -> Path | None:
    """Where compositions are kept on disk, or None when switched off (``BSC_SIM_CACHE_DIR=none``)."""
    import os

    setting = os.environ.get(CACHE_ENV)
    if setting is not None:
        return None if setting.strip().lower() in ("", "none", "off", "0", "false") else Path(setting)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "bsc_sim"


def _environment_digest() -> str:
    """This module's source and the installed Hydra and OmegaConf, without importing either."""
    import importlib.util
    import os

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name, version_file in (("hydra", "__init__.py"), ("omegaconf", "version.py")):
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        if origin is None:
            digest.update(f"{name}: missing".encode())
            continue
        digest.update(str(origin).encode() + (origin.parent / version_file).read_bytes())
        digest.update(str(os.stat(origin.parent.parent).st_mtime_ns).encode())
    return digest.hexdigest()


def _cache_file(key: tuple[str, tuple[str, ...]]) -> tuple[Path, dict[str, Any]] | None:
    where = cache_dir()
    if where is None:
        return None
    stamp = {"format": _CACHE_FORMAT, "inputs": key[0], "overrides": list(key[1]), "code": _environment_digest()}
    name = hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()
    return where / "compose" / f"{name}.json", stamp


def _is_cache_name(stem: str) -> bool:
    return len(stem) == 64 and all(c in "0123456789abcdef" for c in stem)


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down, keys in the same order (the order of the
    practices is the order of the model's arrays); 1 and 1.0 differ, NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def _read_cached(key: tuple[str, tuple[str, ...]]) -> dict[str, Any] | None:
    try:
        found = _cache_file(key)
        if found is None:
            return None
        path, stamp = found
        with open(path, encoding="utf-8") as fh:
            kept = json.load(fh)
        if not isinstance(kept, dict) or kept.get("stamp") != stamp or not isinstance(kept.get("config"), dict):
            return None
        data = kept["config"]
    except (OSError, ValueError, TypeError, AttributeError, RuntimeError, KeyError):
        return None  # (RuntimeError: no home directory to find a cache in)
    if any(True for _ in interpolated_keys(data)):
        return None  # never written so; a file edited by hand is not trusted
    return data


def _write_cached(key: tuple[str, tuple[str, ...]], data: dict[str, Any]) -> None:
    import os
    import tempfile

    try:
        found = _cache_file(key)
        if found is None:
            return
        path, stamp = found
        text = json.dumps({"stamp": stamp, "config": data})  # keys kept in their order
        if not _same(json.loads(text)["config"], data):
            return  # something JSON would not give back exactly: compose it each time
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        # Only files this cache names (64 hex digits): anything else a user keeps there is never deleted.
        kept = sorted((p for p in path.parent.glob("*.json") if _is_cache_name(p.stem) and not p.is_symlink()),
                      key=lambda p: p.stat().st_mtime_ns)
        for old in kept[:max(0, len(kept) - _CACHE_MAX_FILES)]:
            old.unlink(missing_ok=True)
    except (OSError, ValueError, TypeError, RuntimeError):
        return


# Keys a design file may carry that describe it rather than parameterise the model.
DESIGN_TEXT_KEYS = ("description",)


def params_from_config(cfg: dict[str, Any]) -> Params:
    """Validate a composed config (without its run settings and design description) into Params."""
    model_cfg = {k: v for k, v in cfg.items() if k not in RUN_KEYS and k not in DESIGN_TEXT_KEYS}
    return Params.from_dict(model_cfg)


def load_params(overrides: list[str] | None = None) -> Params:
    """Compose the Hydra config with ``overrides`` and return validated, typed parameters.

    Examples:
        >>> load_params(["design=coach", "cohort.n_programs=20", "seed=7"]).cohort.n_programs
        20

    Raises:
        ParamError: one line naming the bad key and value.
    """
    return params_from_config(compose_config(overrides))
