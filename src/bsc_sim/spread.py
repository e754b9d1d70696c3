"""The adoption (spread) kernel: a public, model-independent function over a sparse network.

One synchronous step of a hybrid contagion. Node ``i`` not yet adopting practice ``k`` adopts with
probability

    h = 1 - (1 - p_spontaneous) * (1 - q_imitation * share) * (1 - p_threshold * [share >= theta and count >= m])

where ``share`` is the weighted share of its (active) contacts adopting at the start of the step
and ``count`` the number of adopting contacts. The three terms are

* **spontaneous** adoption (Bass p; external influence),
* **imitation** linear in the adopting share (Bass q; simple contagion), and
* **complex contagion**: a threshold on the share plus reinforcement from ``m`` different
  sources (Granovetter 1978; Watts 2002; Centola & Macy 2007).

With ``q = 0, m = 1`` it is Watts' threshold model; with only ``p`` and ``q`` on a complete graph
it is a discrete-time Bass model. The model (its spread phase, :mod:`bsc_sim.model.spread`) calls the same function.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

try:  # the C kernels behind scipy's sparse products, called without its per-call Python overhead
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover - a scipy without the private module: use the public operator
    _sparsetools = None


_F64 = np.dtype(np.float64)
_SCALAR = (int, float, np.number)


def _kernel_works() -> bool:
    """The private kernels answer as scipy's own product does (checked once; else the public operator)."""
    if _sparsetools is None:
        return False
    W = sp.csr_array(np.array([[0.0, 2.0, 0.5], [1.0, 0.0, 0.0], [0.25, 0.0, 3.0]]))
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    try:
        y, v = np.zeros((3, 2)), np.zeros(3)
        _sparsetools.csr_matvecs(3, 3, 2, W.indptr, W.indices, W.data, x.ravel(), y.ravel())
        _sparsetools.csr_matvec(3, 3, W.indptr, W.indices, W.data, x[:, 0].copy(), v)
    except Exception:  # noqa: BLE001 - any failure means: do not use them
        return False
    return bool(np.array_equal(y, W @ x) and np.array_equal(v, W @ x[:, 0]))


if not _kernel_works():  # pragma: no cover
    _sparsetools = None

__all__ = ["SpreadNetwork", "adoption_hazard", "contagion_step", "simulate_contagion"]


class SpreadNetwork:
    """An undirected weighted network as CSR matrices: ``weights`` and its 0/1 pattern ``links``.

    A network is fixed once built: its weighted degree and the stacked matrix of weights over
    links (one product gives the weighted sums and the counts) are formed here.

    Args:
        adjacency: a scipy sparse matrix/array, a dense array, or a networkx graph (edge
            attribute ``weight`` is used when present, else 1).
    """

    def __init__(self, adjacency) -> None:
        if hasattr(adjacency, "nodes") and hasattr(adjacency, "edges"):  # networkx graph
            import networkx as nx

            adjacency = nx.to_scipy_sparse_array(adjacency, nodelist=sorted(adjacency.nodes), weight="weight", format="csr")
        W = sp.csr_array(adjacency, dtype=np.float64)
        W.eliminate_zeros()
        self.weights = W
        self.links = sp.csr_array((np.ones_like(W.data), W.indices, W.indptr), shape=W.shape)
        # Weighted degree as a product, so it is summed in the same (CSR) order as the numerator:
        # a node whose contacts all adopt then has a share of exactly 1.
        self.strength = W @ np.ones(W.shape[0])
        # The weights stacked over the links (2N, N): one product gives the weighted sums and the
        # counts, each row summed exactly as in its own product.
        n, nnz = W.shape[0], W.nnz
        self._both = (np.concatenate([W.indptr, W.indptr[1:] + nnz]), np.concatenate([W.indices, W.indices]),
                      np.concatenate([W.data, np.ones(nnz)]), (2 * n, W.shape[1]))
        self._active_strength: tuple[bytes, np.ndarray] | None = None   # the last active mask and its strength

    @property
    def n_nodes(self) -> int:
        return self.weights.shape[0]

    def exposure(self, adopted: np.ndarray, active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Weighted share and count of adopting contacts, per node and practice.

        Args:
            adopted: bool (N,) or (N, P).
            active: optional bool (N,) of nodes that exist now; inactive contacts are ignored
                in both the numerator and the denominator of the share.
        """
        # For 0/1 adoption the masked product is the same 0/1 floats, formed without mixed types.
        x, strength = self._adopting(adopted, active)
        weighted, count = self._sums(x)
        return self._share(weighted, strength), count

    def _adopting(self, adopted: np.ndarray, active: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The 0/1 floats of adopting (active) nodes and the weighted degree over active contacts."""
        if active is None:
            return adopted.astype(np.float64), self.strength
        mask = active[:, None] if adopted.ndim == 2 else active
        x = (adopted & mask if adopted.dtype == bool else adopted.astype(np.float64) * mask).astype(np.float64)
        # Who is active changes seldom: the weighted degree is kept with the mask it was computed for.
        key = active.dtype.str.encode() + active.tobytes()
        if self._active_strength is None or self._active_strength[0] != key:
            self._active_strength = key, csr_product(self.weights, active.astype(np.float64))
        return x, self._active_strength[1]

    def _sums(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``weights @ x`` and ``links @ x`` from one product of the stacked matrix (rows summed as in their own)."""
        indptr, indices, data, shape = self._both
        both = csr_product_parts(indptr, indices, data, shape, x)
        n = shape[0] // 2
        return both[:n], both[n:]

    @staticmethod
    def _share(weighted: np.ndarray, strength: np.ndarray) -> np.ndarray:
        denom = strength[:, None] if weighted.ndim == 2 else strength
        if (strength > 0).all():  # the common case: a plain division gives the same floats
            return weighted / denom
        return np.divide(weighted, denom, out=np.zeros(weighted.shape), where=denom > 0)


def csr_product(matrix: sp.csr_array, x: np.ndarray) -> np.ndarray:
    """``matrix @ x`` for a float64 CSR ``matrix`` and float64 ``x`` (N,) or (N, K), bit for bit.

    It calls the kernel scipy's ``@`` calls (``csr_matvec`` / ``csr_matvecs``: each row's sum in
    CSR order) on a zeroed output, as scipy does, without the 10-15 µs of Python around it.
    """
    if matrix.format != "csr":
        return matrix @ x
    return csr_product_parts(matrix.indptr, matrix.indices, matrix.data, matrix.shape, x)


def csr_product_parts(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int],
                      x: np.ndarray) -> np.ndarray:
    """:func:`csr_product` of the CSR matrix given by its arrays (``indices`` sorted or not, no duplicates needed)."""
    n_row, n_col = shape
    xs = x.shape
    # Builtin dtypes are singletons, so identity is the cheap exact test (anything else: scipy's operator).
    if (_sparsetools is None or data.dtype is not _F64 or x.dtype is not _F64 or not 0 < len(xs) < 3
            or xs[0] != n_col or indptr.dtype is not indices.dtype or len(indptr) != n_row + 1):
        return sp.csr_array((data, indices, indptr), shape=shape) @ x
    x = np.ascontiguousarray(x)
    if len(xs) == 1:
        y = np.zeros(n_row)
        _sparsetools.csr_matvec(n_row, n_col, indptr, indices, data, x, y)
        return y
    y = np.zeros((n_row, xs[1]))
    _sparsetools.csr_matvecs(n_row, n_col, xs[1], indptr, indices, data, x.reshape(-1), y.reshape(-1))
    return y


def adoption_hazard(share, count, threshold, *, p_spontaneous=0.0, q_imitation=0.0, p_threshold=1.0, min_sources=1):
    """Per-step adoption probability from exposure (all arguments broadcast)."""
    triggered = (share >= threshold) & (count >= min_sources)
    stay = (1.0 - p_spontaneous) * (1.0 - q_imitation * share) * (1.0 - p_threshold * triggered)
    return 1.0 - stay


def contagion_step(
    network: SpreadNetwork,
    adopted: np.ndarray,
    rng: np.random.Generator,
    *,
    threshold,
    p_spontaneous=0.0,
    q_imitation=0.0,
    p_threshold=1.0,
    min_sources=1,
    eligible: np.ndarray | None = None,
    active: np.ndarray | None = None,
    draws: np.ndarray | None = None,
) -> np.ndarray:
    """New adopters after one synchronous step (bool, same shape as ``adopted``).

    Rates, thresholds and ``min_sources`` may be scalars or arrays broadcastable to
    ``adopted``. ``eligible`` masks nodes that may adopt; ``active`` masks nodes that exist.
    One uniform draw per (node, practice) is taken from ``rng`` every step, whatever the
    rates, so runs that differ only in rates share their random numbers.

    ``threshold`` may also be a function of flat indices into ``adopted`` that returns the
    thresholds of those entries. With scalar rates and ``min_sources >= 1`` it is then called
    only for the entries that may adopt and have an adopting contact: without one the share is 0,
    the threshold term cannot fire and every such entry has the same hazard, so the result is
    the same as with the whole array, at a fraction of the work when few are exposed.

    ``draws``, a float64 array of ``adopted``'s shape, receives the uniform draws (the same
    numbers), so a caller that steps every week can reuse one buffer instead of a new array.
    """
    rates = dict(p_spontaneous=p_spontaneous, q_imitation=q_imitation, p_threshold=p_threshold, min_sources=min_sources)
    # A threshold function with scalar rates is asked only where exposure makes it matter (below).
    fast = (callable(threshold) and isinstance(p_spontaneous, _SCALAR) and isinstance(q_imitation, _SCALAR)
            and isinstance(p_threshold, _SCALAR) and isinstance(min_sources, _SCALAR) and min_sources >= 1)
    x, strength = network._adopting(adopted, active)
    weighted, count = network._sums(x)
    can = ~adopted
    if eligible is not None:
        can &= eligible
    if active is not None:
        can &= active[:, None] if adopted.ndim == 2 else active
    if draws is None or draws.shape != adopted.shape or draws.dtype != np.float64:
        draws = np.empty(adopted.shape)
    u = rng.random(out=draws)
    if not fast:
        share = network._share(weighted, strength)
        if callable(threshold):
            threshold = threshold(np.arange(adopted.size).reshape(adopted.shape))
        return can & (u < adoption_hazard(share, count, threshold, **rates))
    # Unexposed entries: share 0 and no source, so only the spontaneous and imitation terms act.
    unexposed = adoption_hazard(0.0, 0.0, 1.0, **rates)
    new = np.empty(adopted.shape, dtype=bool)   # C order, so its flat view below is a view
    np.logical_and(can, u < unexposed, out=new)
    exposed = (can & (count > 0)).ravel().nonzero()[0]
    if len(exposed):
        # The share is formed at these entries only: the same division as over the whole array.
        K = adopted.shape[1] if adopted.ndim == 2 else 1
        denom = strength.take(exposed // K)
        share = np.divide(weighted.take(exposed), denom, out=np.zeros(len(exposed)), where=denom > 0)
        hazard = adoption_hazard(share, count.take(exposed), threshold(exposed), **rates)
        new.reshape(-1)[exposed] = u.take(exposed) < hazard
    return new


def simulate_contagion(
    network: SpreadNetwork,
    seeds: np.ndarray,
    n_steps: int,
    rng: np.random.Generator,
    **rates,
) -> np.ndarray:
    """Run the kernel alone from initial adopters ``seeds`` (bool (N,)); adoption is permanent.

    Returns the number of adopters after each step, shape (n_steps + 1,), starting with the seeds.
    """
    adopted = seeds.astype(bool).copy()
    counts = np.empty(n_steps + 1, dtype=np.int64)
    counts[0] = adopted.sum()
    for t in range(1, n_steps + 1):
        adopted |= contagion_step(network, adopted, rng, **rates)
        counts[t] = adopted.sum()
    return counts
