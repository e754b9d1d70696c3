"""Node positions for drawing the staff network with each programme as its own cluster.

Positions are computed once per model (or recorded run) and reused for every frame. They are
deterministic: every random number comes from :func:`layout_rng`, a child of the model's seed
that no model component uses, so drawing never changes a run and the same seed always gives
the same picture.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

# Spawn key of the layout stream: BSCModel spawns its component streams from SeedSequence(seed)
# with keys (0,) .. (7,); this key is far from them, so the layout never shares their numbers.
LAYOUT_SPAWN_KEY = 0xB5C0


def layout_rng(seed: int) -> np.random.Generator:
    """The generator of the drawing layout: a child of ``SeedSequence(seed)`` unused by the model."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(LAYOUT_SPAWN_KEY,)))


def cluster_layout(graph: nx.Graph, program: np.ndarray, seed: int, *, gap: float = 0.6) -> np.ndarray:
    """Positions (S, 2) of the staff posts: a spring layout per programme, programmes on a circle.

    Args:
        graph: the staff network (``pop.staff_graph``); nodes are post indices 0..S-1.
        program: programme of each post (S,).
        seed: the model's seed (positions come from :func:`layout_rng`).
        gap: space between neighbouring clusters, in units of a cluster radius of 1.

    Each programme's posts are laid out with ``networkx.spring_layout`` on the programme's own
    ties, scaled to a radius that grows with the square root of its size, and the clusters are
    placed around a circle in programme order (one cluster sits at the origin).
    """
    program = np.asarray(program)
    S = len(program)
    M = int(program.max()) + 1 if S else 0
    rng = layout_rng(seed)
    pos = np.zeros((S, 2))
    radius = np.zeros(M)
    for m in range(M):
        nodes = np.flatnonzero(program == m)
        sub = graph.subgraph(nodes.tolist())
        local = nx.spring_layout(sub, seed=int(rng.integers(2**31)), iterations=100)
        xy = np.array([local[n] for n in nodes], dtype=float).reshape(len(nodes), 2)
        xy -= xy.mean(axis=0)
        extent = np.sqrt((xy**2).sum(axis=1)).max() if len(nodes) > 1 else 0.0
        radius[m] = 0.35 * np.sqrt(max(len(nodes), 1))
        if extent > 0:
            xy *= radius[m] / extent
        pos[nodes] = xy
    centres = _cluster_centres(radius, gap)
    pos += centres[program]
    return pos


def _cluster_centres(radius: np.ndarray, gap: float) -> np.ndarray:
    """Centres of clusters with the given radii, spaced around a circle in order."""
    M = len(radius)
    if M <= 1:
        return np.zeros((M, 2))
    widths = 2 * radius + gap
    ring = max(widths.sum() / (2 * np.pi), radius.max() + gap)  # circumference fits every cluster
    angle = 2 * np.pi * (np.cumsum(widths) - widths / 2) / widths.sum() + np.pi / 2
    return ring * np.column_stack([np.cos(angle), np.sin(angle)])


def program_centres(positions: np.ndarray, program: np.ndarray) -> np.ndarray:
    """Centroid (M, 2) of each programme's posts."""
    M = int(program.max()) + 1
    counts = np.maximum(np.bincount(program, minlength=M), 1)[:, None]
    return np.column_stack([np.bincount(program, weights=positions[:, i], minlength=M) for i in (0, 1)]) / counts
