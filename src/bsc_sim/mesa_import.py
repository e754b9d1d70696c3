"""Import Mesa without the two optional parts of it the model never uses (start-up, issue 19).

``import mesa`` runs Mesa's package ``__init__``, which imports ``mesa.discrete_space`` (cell
spaces) and, through ``mesa.experimental``, ``mesa.experimental.continuous_space``. The model uses
neither (its agents and model are ``mesa.Agent`` and ``mesa.Model``), and the two bring in
``scipy.spatial``: 0.14-0.18 CPU-seconds of every process that runs the model, against about
0.45 s for importing numpy and pandas.

:func:`import_mesa` imports Mesa with those two deferred. While Mesa's ``__init__`` runs, each is
registered in ``sys.modules`` as a :class:`Deferred` placeholder carrying the real package's spec,
file and path, so Mesa's own ``import mesa.discrete_space`` binds the placeholder instead of running
the package. The placeholders leave ``sys.modules`` as soon as ``import mesa`` returns, so any later
``import mesa.discrete_space`` (or of a module inside it) imports the real package the usual way,
and reading a name through a placeholder still bound as ``mesa.discrete_space`` imports the real
package then and answers from it. Mesa therefore behaves as before for anything that uses these
parts; only the moment they are imported changes, and no random number or result can depend on it.

``importlib.util.LazyLoader`` cannot do this: an ``import`` statement that finds a lazy module in
``sys.modules`` reads its ``__spec__`` and so loads it at once.

Nothing is deferred when Mesa is already imported or cannot be found; it is then imported as usual.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types

# (module, its path below Mesa's package directory)
DEFERRED = (("mesa.discrete_space", ""), ("mesa.experimental.continuous_space", "experimental"))

_LOCK = threading.RLock()


class Deferred(types.ModuleType):
    """Stands for a package that has not been imported yet; the first name read from it imports it."""

    def __init__(self, name: str, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(name)
        self.__spec__, self.__loader__, self.__file__ = spec, spec.loader, spec.origin
        self.__path__, self.__package__ = list(spec.submodule_search_locations or ()), name

    def __getattr__(self, attr: str):
        return getattr(real_module(self), attr)

    def __dir__(self) -> list[str]:
        return dir(real_module(self))


def real_module(stub: Deferred) -> types.ModuleType:
    """The real module behind ``stub``, imported (once) now if need be, bound on its parent package."""
    name = stub.__name__
    with _LOCK:
        if sys.modules.get(name) is stub:  # only while Mesa's __init__ runs
            del sys.modules[name]
        module = importlib.import_module(name)
        parent, _, child = name.rpartition(".")
        if getattr(sys.modules.get(parent), child, None) is stub:
            setattr(sys.modules[parent], child, module)
    return module


def import_mesa() -> types.ModuleType:
    """``import mesa``, with :data:`DEFERRED` imported only when something uses them."""
    if "mesa" in sys.modules:
        return sys.modules["mesa"]
    with _LOCK:
        placed = []
        try:
            spec = importlib.util.find_spec("mesa")  # a top-level name: found without importing anything
        except (ImportError, ValueError):
            spec = None
        roots = list(spec.submodule_search_locations or ()) if spec is not None else []
        for name, below in DEFERRED if roots else ():
            found = importlib.machinery.PathFinder.find_spec(name, [f"{r}/{below}" if below else r for r in roots])
            if name not in sys.modules and found is not None and found.submodule_search_locations:
                sys.modules[name] = stub = Deferred(name, found)
                placed.append(stub)
        try:
            import mesa
        finally:
            for stub in placed:
                if sys.modules.get(stub.__name__) is stub:
                    del sys.modules[stub.__name__]
    return mesa
