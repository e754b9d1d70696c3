"""Solara's front-end files for machines without a route to a CDN.

A Solara page loads its JavaScript and CSS (the Vuetify app, RequireJS, Font Awesome) from
``/_solara/cdn/<package>@<version>/...``. The server answers from a cache directory and fills
misses from cdn.jsdelivr.net, which mirrors the npm registry file for file. On a machine that
reaches the npm registry but no CDN (this project's development machines and CI), the page would
stay blank. :func:`ensure_frontend_assets` fills the cache with ``npm pack`` instead, once; the
``solara-assets`` wheel on PyPI would do the same, but its newest release (1.58.2) predates the
``@widgetti/solara-vuetify3-app@5.2.0`` that Solara 1.64 asks for.

Nothing here imports Solara: the package list is read from Solara's page template.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# Solara files that name CDN packages: the page template, and components that load packages at
# run time (Markdown: KaTeX, Mermaid; GridDraggable, which Mesa's ComponentsView uses: vue-grid-layout).
SOURCES = ("server/templates/solara.html.j2", "components/markdown.py", "widgets/vue/gridlayout_v3.vue",
           "widgets/vue/gridlayout.vue")
FONTAWESOME = "font-awesome@4.5.0"  # Solara's default ``assets.fontawesome_path``
_PACKAGE = re.compile(r"(?:\{\{cdn\}\}|getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+[\w.+-]*)/")


class AssetsError(RuntimeError):
    """The front-end files could not be fetched."""


def cdn_cache_dir() -> Path:
    """Solara's CDN cache (``SOLARA_ASSETS_PROXY_CACHE_DIR``, default ``<prefix>/share/solara/cdn``)."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    return Path(env) if env else Path(sys.prefix) / "share" / "solara" / "cdn"


def _solara_dir() -> Path:
    spec = importlib.util.find_spec("solara")
    if spec is None or not spec.submodule_search_locations:
        raise AssetsError("solara is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def required_packages() -> list[str]:
    """``name@version`` of every npm package the Solara page loads through its CDN route."""
    root = _solara_dir()
    found = [pkg for rel in SOURCES if (root / rel).is_file() for pkg in _PACKAGE.findall((root / rel).read_text())]
    # The template names a Vue 2 and a Vue 3 app; Solara serves the one that matches ipyvue's major version.
    try:
        vue3 = version("ipyvue").startswith("3")
    except PackageNotFoundError:
        vue3 = False
    unused = "/solara-vuetify-app@" if vue3 else "/solara-vuetify3-app@"
    found = [p for p in found if unused not in p]
    return list(dict.fromkeys([*found, FONTAWESOME]))


def missing_packages(cache: Path | None = None) -> list[str]:
    cache = cdn_cache_dir() if cache is None else cache
    return [p for p in required_packages() if not (cache / p).is_dir()]


def _fetch(package: str, cache: Path, npm: str, timeout: float) -> None:
    """``npm pack`` one package and unpack its files into ``cache/<name>@<version>/``."""
    with tempfile.TemporaryDirectory(prefix="bsc-sim-npm-") as tmp:
        try:
            out = subprocess.run([npm, "pack", package, "--pack-destination", tmp, "--silent"], capture_output=True,
                                 text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AssetsError(f"npm pack {package}: {exc}") from None
        tgz = sorted(Path(tmp).glob("*.tgz"))
        if out.returncode != 0 or not tgz:
            detail = (out.stderr or out.stdout).strip().splitlines()
            raise AssetsError(f"npm pack {package} failed: {detail[-1] if detail else out.returncode}")
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tgz[0]) as tar:
            tar.extractall(staging, filter="data")
        root = staging / "package"  # npm tarballs keep their files under package/
        target = cache / package
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(root if root.is_dir() else staging, partial)
        os.replace(partial, target)  # appears whole or not at all


def ensure_frontend_assets(cache: Path | None = None, *, timeout: float = 120.0) -> list[str]:
    """Fetch the packages missing from Solara's CDN cache with npm; returns those fetched.

    Raises:
        AssetsError: npm is not on the PATH or a package could not be fetched.
    """
    cache = cdn_cache_dir() if cache is None else cache
    missing = missing_packages(cache)
    if not missing:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError(f"npm not found; cannot fetch {', '.join(missing)} into {cache}")
    for package in missing:
        _fetch(package, cache, npm, timeout)
    return missing
