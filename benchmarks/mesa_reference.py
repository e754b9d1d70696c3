"""Per-agent Mesa versions of the spread rule of :mod:`bsc_sim.spread`, in two styles.

They exist for two reasons:

* as **oracles**: in a deterministic configuration each must reproduce the vectorised kernel
  step for step (``tests/test_mesa_reference.py``);
* as the **baselines** the benchmark compares the kernel against (``run_benchmarks.py``).

The two styles:

* :class:`NetworkSpreadReference`, the **idiomatic** Mesa 3 form, written the way Mesa's own
  network examples are: a networkx graph wrapped in ``mesa.discrete_space.Network`` (with
  ``layout=None``), one ``FixedAgent`` per node placed with ``agent.cell = grid[node]``, and every
  step each agent reads its neighbours through ``self.cell.neighborhood.agents`` and the weight of
  a tie to an adopting neighbour from the graph, ``G[me][other.cell.coordinate]["weight"]`` (with
  ``G[me]`` looked up once per agent step, as a careful user would).
* :class:`TunedSpreadReference` (alias ``SpreadReference``), a **tuned** per-agent form: still one
  ``mesa.Agent`` per node, but each agent holds its present neighbours as a Python list of
  ``(agent, weight)`` pairs resolved once at construction, and has a flat loop for the common
  case of a single practice left to decide. It skips Mesa's space entirely, so it is the
  stronger (faster) baseline.

Both keep per agent: ``adopted`` (P bools), ``threshold`` and ``min_sources`` (P values each),
``present``, the list of practices still ``open`` (eligible and not yet adopted; an agent with
none left skips its step), and ``strength``, its weighted degree over present contacts. Both run a
synchronous two-phase update, ``agents.do("step")`` then ``agents.do("advance")``: every agent
decides from its neighbours' state at the start of the step, because nobody changes ``adopted``
until ``advance``.

The rule is :func:`bsc_sim.spread.adoption_hazard`, applied to each of P practices at once, as
:func:`bsc_sim.spread.contagion_step` does for ``adopted`` of shape (N, P):

    hazard = 1 - (1 - p) * (1 - q * share) * (1 - p_threshold * [share >= theta and count >= m])

with ``share`` the weighted share of (present) contacts adopting the practice and ``count`` their
number. Adoption is permanent. A node adopts a practice only if it is eligible for it and present
(``eligible``, ``active`` as in the kernel); absent nodes are ignored as contacts, in the share's
numerator and denominator. ``active`` is fixed for the life of a reference model. Random draws come
from the model's stdlib ``random`` (Mesa's ``self.random``), so stochastic runs match the kernel in
distribution only, never draw for draw.

Exact agreement in the deterministic case (p = q = 0, p_threshold = 1) needs the same float sums
as the kernel:

* the numerator: scipy's CSR mat-vec adds a row's terms one by one in stored (CSR) order, for
  each of the P columns. The tuned form keeps each contact list in CSR order. The idiomatic form
  adds in the order ``cell.neighborhood`` yields neighbours, the graph's adjacency order, which
  as the graph is built here is ascending node id. That *is* CSR order when the matrix has
  sorted indices (``W.has_sorted_indices``: true of the model's staff network and of the
  networkx-built graphs the tests and benchmark use); for an unsorted matrix the idiomatic form
  can differ from the kernel by an ulp in the share.
* the denominator: the kernel sums each node's weights over present contacts in CSR order
  (``W @ active``, all-ones when no ``active`` is given). Both forms take ``strength`` from that
  same numpy expression, computed once at construction (not timed as a step), so it is
  bit-identical.
"""

from __future__ import annotations

import mesa
import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.discrete_space import Cell, FixedAgent, Network

__all__ = ["NetworkSpreadReference", "SpreadReference", "TunedSpreadReference"]


class _SpreadModel(mesa.Model):
    """What both styles share: inputs as per-node Python lists, stepping, reading state back.

    Args:
        weights: symmetric (N, N) weight matrix: scipy sparse, or dense. Use
            ``SpreadNetwork.weights`` to run on exactly the kernel's network.
        threshold: share thresholds broadcastable to ``seeds`` (scalar, (N,), (P,), (N, P)).
        seeds: bool (N,) initial adopters of one practice, or (N, P) for P practices.
        p_spontaneous, q_imitation, p_threshold: scalar rates of ``adoption_hazard``.
        min_sources: adopting contacts needed for the threshold term, broadcastable like
            ``threshold``.
        eligible: optional bool broadcastable to ``seeds``: who may adopt which practice.
        active: optional bool (N,): nodes that exist now (the model's ``staff.present``).
        rng: seed of Mesa's generators (only the stochastic terms use it).
    """

    def __init__(self, weights, threshold, seeds, *, p_spontaneous: float = 0.0, q_imitation: float = 0.0,
                 p_threshold: float = 1.0, min_sources=1, eligible=None, active=None,
                 rng: int | None = None) -> None:
        super().__init__(rng=rng)
        W = sp.csr_array(weights, dtype=np.float64)
        W.eliminate_zeros()  # the kernel drops explicit zeros too, so counts agree
        self.W = W
        seeds = np.asarray(seeds, dtype=bool)
        if seeds.ndim not in (1, 2) or seeds.shape[0] != W.shape[0]:
            raise ValueError(f"seeds must be (N,) or (N, P) with N = {W.shape[0]}, got {seeds.shape}")
        self.single = seeds.ndim == 1  # read state back as (N,) rather than (N, 1)
        n = seeds.shape[0]
        shape = (n, 1) if self.single else seeds.shape

        def per_node(x, dtype):  # broadcast like the kernel does, then one row per node
            return np.broadcast_to(np.asarray(x, dtype=dtype), seeds.shape).reshape(shape).tolist()

        self.p_spontaneous, self.q_imitation, self.p_threshold = p_spontaneous, q_imitation, p_threshold
        self.n_practices = shape[1]
        self._seeds = per_node(seeds, bool)
        self._theta = per_node(threshold, np.float64)
        self._need = per_node(min_sources, None)  # kept as given: the kernel compares count >= m as is
        self._eligible = per_node(True if eligible is None else eligible, bool)
        self._active = np.ones(n, dtype=bool) if active is None else np.asarray(active, dtype=bool).copy()
        if self._active.shape != (n,):
            raise ValueError(f"active must be (N,), got {self._active.shape}")
        # Each node's weighted degree over present contacts, the share's denominator, computed
        # once and exactly as the kernel computes it (see the module docstring); ``active`` is
        # fixed for the life of a reference model.
        self._strength = (W @ self._active.astype(np.float64)).tolist()
        # A node list keeps the network's order: model.agents gives no index to read arrays back by.
        self.nodes: list = []

    def _agent_kwargs(self, i: int) -> dict:
        return {"threshold": self._theta[i], "min_sources": self._need[i], "eligible": self._eligible[i],
                "adopted": self._seeds[i], "present": bool(self._active[i]), "strength": self._strength[i]}

    def step(self) -> None:
        """One synchronous step: everybody decides, then everybody applies."""
        self.agents.do("step")
        self.agents.do("advance")

    def adopted(self) -> np.ndarray:
        """Bool adoption state in node order: (N,) for 1-D seeds, else (N, P)."""
        state = np.array([a.adopted for a in self.nodes], dtype=bool).reshape(len(self.nodes), self.n_practices)
        return state[:, 0] if self.single else state

    def run(self, n_steps: int) -> np.ndarray:
        """Step ``n_steps`` times; adopter counts after each step, starting with the seeds.

        Shape (n_steps + 1,) for 1-D seeds, the same as :func:`bsc_sim.spread.simulate_contagion`'s
        return value; (n_steps + 1, P) per practice for (N, P) seeds.
        """
        counts = [self.adopted().sum(axis=0)]
        for _ in range(n_steps):
            self.step()
            counts.append(self.adopted().sum(axis=0))
        return np.array(counts, dtype=np.int64)


class _AdopterState:
    """Per-agent state both styles share (a mixin; the Mesa base class comes after it)."""

    def _init_state(self, threshold, min_sources, eligible, adopted, present, strength) -> None:
        self.threshold: list[float] = threshold      # (P,)
        self.min_sources: list[int] = min_sources    # (P,)
        self.adopted: list[bool] = list(adopted)     # (P,), changed only in advance()
        self.present = present
        self.strength = strength                     # weighted degree over present contacts
        # Practices this node may still adopt: eligible, not adopted yet, and present (``active``
        # is fixed for the life of the model, so an absent node has none).
        self.open = [k for k, (ok, done) in enumerate(zip(eligible, self.adopted)) if ok and not done and present]
        self.adopts_next: list[int] | tuple = ()

    def _decide(self, weighted: list[float], count: list[int]) -> None:
        """The hazard of ``adoption_hazard`` for each open practice, and one draw each."""
        m = self.model
        p, q, pt = m.p_spontaneous, m.q_imitation, m.p_threshold
        strength = self.strength
        new = []
        for k in self.open:
            share = weighted[k] / strength if strength > 0 else 0.0
            triggered = share >= self.threshold[k] and count[k] >= self.min_sources[k]
            stay = (1.0 - p) * (1.0 - q * share) * (1.0 - pt * triggered)
            # Same comparison as the kernel: a hazard of exactly 1 always adopts, 0 never does.
            if self.random.random() < 1.0 - stay:
                new.append(k)
        self.adopts_next = new

    def advance(self) -> None:
        """Apply the decisions taken in ``step``."""
        if self.adopts_next:
            for k in self.adopts_next:
                self.adopted[k] = True
            self.open = [k for k in self.open if not self.adopted[k]]


# --- the idiomatic Mesa 3 form ------------------------------------------------------------------

class NetworkAdopter(_AdopterState, FixedAgent):
    """One node of a ``mesa.discrete_space.Network``; neighbours read through its cell each step."""

    def __init__(self, model: NetworkSpreadReference, **state) -> None:
        super().__init__(model)
        self._init_state(**state)

    def step(self) -> None:
        """Decide from the neighbours' state at the start of the step (nothing changes yet)."""
        self.adopts_next = ()
        open_ = self.open
        if not open_:
            return
        ties = self.model.grid.G[self.cell.coordinate]  # this node's edges: neighbour -> attributes
        n_practices = len(self.adopted)
        weighted, count = [0.0] * n_practices, [0] * n_practices
        for other in self.cell.neighborhood.agents:  # ascending node id: CSR order for sorted W
            if not other.present:
                continue
            theirs = other.adopted
            for k in open_:
                if theirs[k]:
                    weighted[k] += ties[other.cell.coordinate]["weight"]
                    count[k] += 1
        self._decide(weighted, count)


class NetworkSpreadReference(_SpreadModel):
    """The spread rule, idiomatic Mesa 3: ``Network`` space, ``FixedAgent``s, ``cell.neighborhood``.

    Same arguments as :class:`_SpreadModel`; ``weights`` must be symmetric (an undirected graph).
    """

    def __init__(self, weights, threshold, seeds, **kwargs) -> None:
        super().__init__(weights, threshold, seeds, **kwargs)
        W = self.W
        if (W != W.T).nnz:
            raise ValueError("weights must be symmetric: Network holds an undirected graph")
        n = W.shape[0]
        G = nx.Graph()
        G.add_nodes_from(range(n))
        # Row by row: node i's adjacency gets its lower-id neighbours in ascending order (from their
        # rows), then its higher-id ones in row i's stored order: ascending when W's indices are sorted.
        coo = W.tocoo()
        G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
        # layout=None: a purely topological network; the default spring layout takes seconds.
        self.grid = Network(G, capacity=1, layout=None, random=self.random)
        for i in range(n):
            agent = NetworkAdopter(self, **self._agent_kwargs(i))
            agent.cell = self.grid[i]
            self.nodes.append(agent)

    @staticmethod
    def release_caches() -> None:
        """Empty Mesa's neighbourhood caches.

        Mesa 3.5 memoises ``Cell.get_neighborhood`` with a process-wide ``functools.cache``, so the
        last Network built stays alive (cells, agents, model) until another one clears it. The
        benchmark calls this after each run so that a dead model does not weigh on the garbage
        collector while the next implementation is timed.
        """
        Cell.get_neighborhood.cache_clear()
        Cell._neighborhood.cache_clear()


# --- the tuned per-agent form -------------------------------------------------------------------

class TunedAdopter(_AdopterState, mesa.Agent):
    """One node; its present contacts as a list of ``(their adopted list, weight)`` in CSR order."""

    def __init__(self, model: TunedSpreadReference, **state) -> None:
        super().__init__(model)
        self._init_state(**state)
        # (that neighbour's ``adopted`` list, weight) per present contact, filled once every agent
        # exists; advance() changes ``adopted`` in place, so the lists stay current.
        self.contacts: list[tuple[list[bool], float]] = []

    def step(self) -> None:
        """Decide from the neighbours' state at the start of the step (nothing changes yet)."""
        self.adopts_next = ()
        open_ = self.open
        if not open_:
            return
        if len(open_) == 1:  # one practice left to decide (always so for P = 1): a flat loop
            k = open_[0]
            weighted, count = 0.0, 0
            for theirs, w in self.contacts:  # CSR order, so float sums match scipy's mat-vec
                if theirs[k]:
                    weighted += w
                    count += 1
            m, strength = self.model, self.strength
            share = weighted / strength if strength > 0 else 0.0
            triggered = share >= self.threshold[k] and count >= self.min_sources[k]
            stay = (1.0 - m.p_spontaneous) * (1.0 - m.q_imitation * share) * (1.0 - m.p_threshold * triggered)
            if self.random.random() < 1.0 - stay:
                self.adopts_next = open_  # == [k]; advance() only reads it
            return
        n_practices = len(self.adopted)
        weighted, count = [0.0] * n_practices, [0] * n_practices
        for theirs, w in self.contacts:
            for k in open_:
                if theirs[k]:
                    weighted[k] += w
                    count[k] += 1
        self._decide(weighted, count)


class TunedSpreadReference(_SpreadModel):
    """The spread rule, one Mesa agent per node, neighbours pre-resolved into Python lists.

    Same arguments as :class:`_SpreadModel`. ``active`` is fixed for the life of the model, so
    absent contacts are dropped from the lists at construction.
    """

    def __init__(self, weights, threshold, seeds, **kwargs) -> None:
        super().__init__(weights, threshold, seeds, **kwargs)
        W, active = self.W, self._active
        self.nodes = [TunedAdopter(self, **self._agent_kwargs(i)) for i in range(W.shape[0])]
        for i, agent in enumerate(self.nodes):
            row = slice(W.indptr[i], W.indptr[i + 1])
            agent.contacts = [(self.nodes[j].adopted, w)
                              for j, w in zip(W.indices[row].tolist(), W.data[row].tolist()) if active[j]]


SpreadReference = TunedSpreadReference  # the name the first version of this module used
