"""Teaching helpers for ``notebooks/01_how_practices_spread``: the spread kernel on its own.

The model's kernel (:func:`bsc_sim.spread.simulate_contagion`) runs on one programme's staff
network as :func:`bsc_sim.model.population.build_population` builds it, or on ring lattices and rewired
(small-world) networks. Adoption is permanent here and nothing else happens: no PDSA, no lapse,
no turnover, no threshold shifts from belief, culture or endorsement (ODD 7.9).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..model import BSCModel
from ..params import Params
from ..model.population import KIND_NAMES
from ..spread import SpreadNetwork, simulate_contagion
from ._common import _child_seeds, _params

TEACHERS = ("lead_teacher", "assistant_teacher")
LEADERS = ("director", "education_manager")

RULES = {
    "simple": "simple contagion: one contact who uses the practice is enough",
    "complex": "complex contagion: a share of one's contacts (the threshold) and at least two of them",
    "model": "the model's rule: complex contagion plus small spontaneous and imitation chances (Bass p, q)",
}

SEEDING_STRATEGIES = {  # key: short label for figures
    "teacher": "one teacher",
    "director": "the director alone",
    "classroom": "one classroom's two teachers",
    "two_teachers": "two teachers, different rooms",
    "leaders": "director + education manager",
}


# -- How practices spread ---------------------------------------------------------------------

def programme_network(params: Params | None = None, seed: int = 0, kind: str = "head_start") -> nx.Graph:
    """The staff network of one programme, exactly as the model builds it for ``seed``.

    The cohort is the one ``run_sim(params, seed)`` would draw; the first programme of ``kind`` is
    returned with its posts renumbered ``0 … n−1`` (leaders first, then a lead and an assistant
    teacher per classroom).

    Args:
        params: model parameters (default: ``load_params()``).
        seed: model seed.
        kind: ``"head_start"`` or ``"child_care"``.

    Returns:
        An undirected networkx graph. Nodes carry ``role``, ``classroom`` (0, 1, … within the
        programme, −1 for leaders) and ``threshold`` (the person's drawn adoption threshold, a share
        of their weighted contacts); edges carry ``weight``.

    Raises:
        ValueError: if the cohort has no programme of that kind.

    Examples:
        >>> g = programme_network(seed=0)
        >>> g.nodes[0]["role"]
        'director'
    """
    p = _params(params)
    pop = BSCModel(p, seed=seed, create_agents=False).pop
    kinds = np.flatnonzero(pop.programs.kind == KIND_NAMES.index(kind))
    if not len(kinds):
        raise ValueError(f"the cohort of seed {seed} has no {kind} programme")
    m = int(kinds[0])
    nodes = sorted(n for n, d in pop.staff_graph.nodes(data=True) if d["program"] == m)
    g = nx.Graph()
    rooms = sorted({pop.staff_graph.nodes[n]["classroom"] for n in nodes} - {-1})
    local_room = {c: i for i, c in enumerate(rooms)} | {-1: -1}
    index = {n: i for i, n in enumerate(nodes)}
    for n in nodes:
        d = pop.staff_graph.nodes[n]
        g.add_node(index[n], role=d["role"], classroom=local_room[d["classroom"]],
                   threshold=float(pop.staff.threshold[n]))
    ties = pop.staff_graph.subgraph(nodes).edges(data="weight")
    g.add_edges_from((index[a], index[b], {"weight": w}) for a, b, w in ties)
    return g


def spread_rule(rule: str, params: Params | None = None, threshold: float | None = None) -> dict[str, Any]:
    """Keyword rates for :func:`bsc_sim.spread.simulate_contagion` for one named rule.

    Every rule uses the model's weekly chance ``spread.p_threshold`` of starting once the
    condition holds. ``"simple"``: one adopting contact is enough (threshold 0, one source).
    ``"complex"``: the adopting share of contacts must reach the threshold *and* at least
    ``spread.min_sources`` contacts must use it. ``"model"``: ``"complex"`` plus the model's small
    spontaneous and imitation chances (Bass p and q per week).

    Args:
        rule: ``"simple"``, ``"complex"`` or ``"model"``.
        params: model parameters (default: ``load_params()``).
        threshold: one threshold for everybody; None leaves ``threshold`` None, meaning "each
            person's own" (see :func:`spread_in_programmes`). Ignored by ``"simple"``.
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose from {sorted(RULES)}")
    s = _params(params).spread
    if rule == "simple":
        return {"threshold": 0.0, "min_sources": 1, "p_threshold": s.p_threshold}
    rates = {"threshold": threshold, "min_sources": s.min_sources, "p_threshold": s.p_threshold}
    if rule == "model":
        rates |= {"p_spontaneous": s.p_spontaneous, "q_imitation": s.q_imitation}
    return rates


def seed_staff(graph: nx.Graph, strategy: str, rng: np.random.Generator) -> np.ndarray:
    """The first users of a practice in a programme network, as a boolean array over its nodes.

    Strategies (:data:`SEEDING_STRATEGIES`): ``"teacher"``, ``"director"``, ``"classroom"`` (the
    two teachers of one random classroom), ``"two_teachers"`` (two random teachers, from different
    classrooms when there are two), ``"leaders"`` (the director and the education manager; the
    director alone where there is no manager).
    """
    if strategy not in SEEDING_STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {sorted(SEEDING_STRATEGIES)}")
    nodes = sorted(graph.nodes)
    role = {n: graph.nodes[n]["role"] for n in nodes}
    room = {n: graph.nodes[n]["classroom"] for n in nodes}
    teachers = [n for n in nodes if role[n] in TEACHERS]
    chosen: list[int]
    if strategy == "director":
        chosen = [n for n in nodes if role[n] == "director"]
    elif strategy == "leaders":
        chosen = [n for n in nodes if role[n] in LEADERS]
    elif strategy == "teacher":
        chosen = [int(rng.choice(teachers))]
    elif strategy == "classroom":
        c = int(rng.choice(sorted({room[n] for n in teachers})))
        chosen = [n for n in teachers if room[n] == c]
    else:  # two_teachers
        first = int(rng.choice(teachers))
        others = [n for n in teachers if room[n] != room[first]] or [n for n in teachers if n != first]
        chosen = [first, int(rng.choice(others))]
    seeds = np.zeros(len(nodes), dtype=bool)
    seeds[chosen] = True
    return seeds


def _thresholds(graph: nx.Graph) -> np.ndarray:
    return np.array([graph.nodes[n]["threshold"] for n in sorted(graph.nodes)])


def spread_in_programmes(params: Params | None = None, *, strategies: Sequence[str] = ("classroom",),
                         rules: Sequence[str] = ("simple", "complex"), n_reps: int = 30, n_weeks: int = 52,
                         seed: int = 0, threshold: float | None = None, kind: str = "head_start") -> pd.DataFrame:
    """Adoption curves from different first users and spread rules, over many programmes.

    Replicate ``r`` draws a new programme network (:func:`programme_network` with a seed spawned
    from ``seed``) and one spread stream; every strategy and rule of that replicate uses the same
    network and the same random numbers (common random numbers), so differences between them
    are not luck of the draw. Everybody on staff may take up the practice (in the full model a
    classroom practice is open to teachers only).

    Args:
        params: model parameters (default: ``load_params()``).
        strategies: keys of :data:`SEEDING_STRATEGIES`.
        rules: keys of :data:`RULES`.
        n_reps: replicates (programmes).
        n_weeks: weeks simulated.
        seed: root seed.
        threshold: one threshold for everybody; None uses each person's drawn threshold.
        kind: programme kind, ``"head_start"`` or ``"child_care"``.

    Returns:
        One row per replicate × strategy × rule × week (0 … ``n_weeks``): ``rep``, ``strategy``,
        ``rule``, ``week``, ``n_adopted``, ``n_staff``, ``frac_adopted``.
    """
    p = _params(params)
    rows = []
    for rep, child in enumerate(_child_seeds(seed, n_reps)):
        net_seed, seed_seed, spread_seed = child.spawn(3)
        graph = programme_network(p, seed=int(net_seed.generate_state(1)[0]), kind=kind)
        net, n = SpreadNetwork(graph), graph.number_of_nodes()
        own = _thresholds(graph)
        for strategy in strategies:
            seeds = seed_staff(graph, strategy, np.random.default_rng(seed_seed))
            for rule in rules:
                rates = spread_rule(rule, p, threshold)
                if rates["threshold"] is None:
                    rates["threshold"] = own
                counts = simulate_contagion(net, seeds, n_weeks, np.random.default_rng(spread_seed), **rates)
                rows.append(pd.DataFrame({"rep": rep, "strategy": strategy, "rule": rule,
                                          "week": np.arange(n_weeks + 1),
                                          "n_adopted": counts, "n_staff": n, "frac_adopted": counts / n}))
    return pd.concat(rows, ignore_index=True)


def threshold_sweep(params: Params | None = None, *, thresholds: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5),
                    strategies: Sequence[str] = ("classroom", "leaders"), rule: str = "complex", n_reps: int = 30,
                    n_weeks: int = 52, seed: int = 0, kind: str = "head_start") -> pd.DataFrame:
    """Reach after ``n_weeks`` when everybody in the programme has the same threshold.

    Each threshold reuses the same programmes, first users and random numbers
    (:func:`spread_in_programmes` with the same ``seed``), so only the threshold differs.

    Returns:
        One row per threshold × replicate × strategy: ``threshold``, ``rep``, ``strategy``,
        ``rule``, ``frac_adopted`` (share of staff using at the end) and ``weeks_to_half`` (first
        week at least half the staff use it; NaN if never).
    """
    out = []
    for th in thresholds:
        curves = spread_in_programmes(params, strategies=strategies, rules=(rule,), n_reps=n_reps, n_weeks=n_weeks,
                                      seed=seed, threshold=th, kind=kind)
        final = curves[curves["week"] == n_weeks].drop(columns=["week"]).copy()
        half = weeks_to_reach(curves, 0.5, by=("rep", "strategy", "rule"))
        half = half.rename(columns={"weeks_to_reach": "weeks_to_half"})
        final = final.merge(half, on=["rep", "strategy", "rule"])
        final.insert(0, "threshold", th)
        out.append(final)
    return pd.concat(out, ignore_index=True)[["threshold", "rep", "strategy", "rule", "frac_adopted", "weeks_to_half"]]


def weeks_to_reach(curves: pd.DataFrame, share: float, by: Sequence[str] = ("rep", "strategy", "rule"),
                   time: str = "week") -> pd.DataFrame:
    """First time each curve reaches ``share`` adopted (NaN if it never does).

    Args:
        curves: a table with ``frac_adopted`` and a time column, e.g. from :func:`spread_in_programmes`.
        share: the share of nodes to reach, 0–1.
        by: the columns that identify one curve.
        time: the time column (``"week"`` or ``"step"``).

    Returns:
        One row per curve: the ``by`` columns and ``weeks_to_reach``.
    """
    name = "weeks_to_reach"
    reached = curves[curves["frac_adopted"] >= share].groupby(list(by), observed=True)[time].min()
    keys = curves[list(by)].drop_duplicates()
    return keys.merge(reached.rename(name).reset_index(), on=list(by), how="left").reset_index(drop=True)


def clustering_experiment(params: Params | None = None, *, p_rewire: Sequence[float] = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0),
                          rules: Sequence[str] = ("simple", "complex"), n_nodes: int = 100, k: int = 4,
                          n_reps: int = 20, n_steps: int = 52, seed: int = 0,
                          threshold: float | None = None) -> pd.DataFrame:
    """Simple and complex contagion on a ring lattice and on rewired (small-world) versions of it.

    Each replicate builds a Watts–Strogatz network (``n_nodes`` people in a ring, each tied to
    the ``k`` nearest, then each tie rewired to a random person with probability ``p_rewire``;
    0 is the clustered ring, 1 an almost random network). The first users are one person and all
    their contacts (Centola & Macy 2007). Ties are unweighted.

    Args:
        params: model parameters for the weekly chance and the number of sources (default: ``load_params()``).
        p_rewire: rewiring probabilities.
        rules: keys of :data:`RULES`.
        n_nodes, k: ring size and contacts per person (even).
        n_reps: replicates per rewiring probability.
        n_steps: weeks simulated.
        seed: root seed.
        threshold: the complex-contagion threshold (default: the model's mean staff threshold).

    Returns:
        One row per rewiring probability × replicate × rule × step: ``p_rewire``, ``rep``,
        ``rule``, ``step``, ``clustering`` (the network's average clustering coefficient),
        ``n_adopted``, ``frac_adopted``.

    References:
        Centola, D. & Macy, M. (2007). Complex contagions and the weakness of long ties. *American
        Journal of Sociology* 113(3):702–734. https://doi.org/10.1086/521848
    """
    p = _params(params)
    th = p.staff.threshold_mean if threshold is None else threshold
    children = [c.spawn(2) for c in _child_seeds(seed, n_reps)]  # replicate r uses the same streams at every p_rewire
    rows = []
    for pr in p_rewire:
        for rep, (net_seed, spread_seed) in enumerate(children):
            g = small_world(n_nodes, k, pr, seed=int(net_seed.generate_state(1)[0]))
            seeds = neighbourhood(g, 0)
            net, clust = SpreadNetwork(g), nx.average_clustering(g)
            for rule in rules:
                counts = simulate_contagion(net, seeds, n_steps, np.random.default_rng(spread_seed),
                                            **spread_rule(rule, p, th))
                rows.append(pd.DataFrame({"p_rewire": pr, "rep": rep, "rule": rule, "step": np.arange(n_steps + 1),
                                          "clustering": clust, "n_adopted": counts, "frac_adopted": counts / n_nodes}))
    return pd.concat(rows, ignore_index=True)


def small_world(n_nodes: int = 100, k: int = 4, p_rewire: float = 0.0, seed: int = 0) -> nx.Graph:
    """A Watts–Strogatz network: a ring where each person knows the ``k`` nearest, each tie rewired
    to a random person with probability ``p_rewire`` (0: clustered ring lattice; 1: nearly random).

    References:
        Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of 'small-world' networks.
        *Nature* 393:440–442. https://doi.org/10.1038/30918
    """
    return nx.watts_strogatz_graph(n_nodes, k, p_rewire, seed=seed)


def neighbourhood(graph: nx.Graph, node: int = 0) -> np.ndarray:
    """Boolean array over the sorted nodes: ``node`` and everyone tied to it (first users in a cluster)."""
    nodes = sorted(graph.nodes)
    chosen = {node, *graph.neighbors(node)}
    return np.array([n in chosen for n in nodes])


ROLE_COLOURS = {"director": "#b2182b", "education_manager": "#ef8a62", "family_services": "#999999",
                "lead_teacher": "#2166ac", "assistant_teacher": "#67a9cf"}


def _role_layout(graph: nx.Graph) -> dict[int, tuple[float, float]]:
    """Leaders on top, then one column per classroom (lead above assistant)."""
    nodes = sorted(graph.nodes)
    rooms = sorted({graph.nodes[n]["classroom"] for n in nodes} - {-1})
    width = max(len(rooms) - 1, 1)
    top = [n for n in nodes if graph.nodes[n]["classroom"] == -1]
    pos = {n: (width * (i + 0.5) / len(top), 2.0 + (0.6 if graph.nodes[n]["role"] == "director" else 0.0))
           for i, n in enumerate(top)}
    for n in nodes:
        c = graph.nodes[n]["classroom"]
        if c >= 0:
            pos[n] = (float(rooms.index(c)), 0.8 if graph.nodes[n]["role"] == "lead_teacher" else 0.0)
    return pos


def draw_network(graph: nx.Graph, ax=None, *, layout: str = "roles", adopted: np.ndarray | None = None,
                 label: str | None = None, title: str = ""):
    """Draw a network on a matplotlib Axes and return the Axes.

    Args:
        graph: a network from :func:`programme_network` (``layout="roles"``: colours by role,
            leaders on top, one column per classroom) or any graph (``layout="circle"``).
        ax: the Axes to draw on (default: a new figure).
        adopted: optional boolean array over the sorted nodes; these are drawn as first users
            (a thick black ring).
        label: optional numeric node attribute (e.g. ``"threshold"``) printed under each node.
        title: Axes title.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    nodes = sorted(graph.nodes)
    if layout == "roles":
        pos = _role_layout(graph)
        colours = [ROLE_COLOURS.get(graph.nodes[n].get("role"), "#cccccc") for n in nodes]
    elif layout == "circle":
        pos = nx.circular_layout(nodes)
        colours = ["#67a9cf"] * len(nodes)
    else:
        raise ValueError(f"unknown layout {layout!r}; use 'roles' or 'circle'")
    widths = [0.4 + 1.6 * d["weight"] if "weight" in d else 1.0 for _, _, d in graph.edges(data=True)]
    nx.draw_networkx_edges(graph, pos, ax=ax, width=widths, edge_color="0.6", alpha=0.7)
    size = 260 if len(nodes) <= 40 else 40
    edge = ["black" if adopted is not None and adopted[i] else "white" for i in range(len(nodes))]
    nx.draw_networkx_nodes(graph, pos, nodelist=nodes, ax=ax, node_color=colours, node_size=size,
                           edgecolors=edge, linewidths=2.5 if adopted is not None else 1.0)
    if label is not None:
        below = {n: (x, y - 0.22) for n, (x, y) in pos.items()}
        nx.draw_networkx_labels(graph, below, labels={n: f"{graph.nodes[n][label]:.2f}" for n in nodes}, ax=ax,
                                font_size=8)
        ax.margins(y=0.12)
    if layout == "roles":
        present = [r for r in ROLE_COLOURS if any(graph.nodes[n]["role"] == r for n in nodes)]
        handles = [Line2D([], [], marker="o", ls="", color=ROLE_COLOURS[r], label=r.replace("_", " ")) for r in present]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    ax.set_title(title)
    ax.set_axis_off()
    return ax
