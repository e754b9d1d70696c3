"""The only module that touches Hydra/OmegaConf: compose a config and turn it into ``Params``.

The defaults live once, in the dataclasses of :mod:`bsc_sim.params`; they are registered in
Hydra's ConfigStore as the config ``base``. ``configs/config.yaml`` puts ``base`` first and
then a design from ``configs/design/``. Configs are data only: nothing is instantiated from
them (no ``_target_``), so a config file can never run code.
"""

from __future__ import annotations

import difflib
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
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="base", node=to_dict(Params()))


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
    import yaml
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    overrides = list(overrides or [])
    _check_override_keys(overrides)
    _check_config_files(overrides)
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
    for key in interpolated_keys(data):
        refuse_interpolation(key, INTERPOLATION)
    return data  # type: ignore[return-value]


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
