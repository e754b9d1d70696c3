"""Where each staff post and family sits in the network picture.

Each programme is drawn as a wheel a room can read without a key: its leaders (director,
education manager, family-services staff) in the middle, its classrooms around them, each
classroom's lead and assistant teacher side by side, and the classroom's families in a ring
around the two teachers. Programmes sit in a grid whose shape follows the picture's aspect
ratio. The layout is pure geometry (no random numbers), so the same cohort always gives the
same picture, in the live view, the animation and the slides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEADER_RING = 0.45      # leaders other than the director sit on this circle around the programme's centre
TEACHER_GAP = 0.19      # half the distance between a classroom's two teachers
FAMILY_RING = 0.6       # radius of a classroom's ring of families
RING_GAP = 0.30         # space between neighbouring classrooms' rings
CLUSTER_GAP = 0.6       # space between neighbouring programmes


@dataclass(frozen=True)
class NetworkLayout:
    """Positions of the picture: staff posts (S, 2), families (F, 2), programme centres (M, 2)
    and each programme's radius (M,) (its outermost family ring)."""

    staff: np.ndarray
    families: np.ndarray
    centres: np.ndarray
    radius: np.ndarray

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) that holds every programme whole."""
        lo = self.centres - self.radius[:, None]
        hi = self.centres + self.radius[:, None]
        return float(lo[:, 0].min()), float(hi[:, 0].max()), float(lo[:, 1].min()), float(hi[:, 1].max())


def _ring(n: int, radius: float, start: float = np.pi / 2) -> np.ndarray:
    angle = start + 2 * np.pi * np.arange(n) / max(n, 1)
    return radius * np.column_stack([np.cos(angle), np.sin(angle)])


def _wheel_radius(n_rooms: int) -> float:
    """Distance from a programme's centre to its classrooms: rings never overlap each other or the leaders."""
    clear_leaders = LEADER_RING + FAMILY_RING + 0.35
    if n_rooms < 2:
        return clear_leaders
    return max(clear_leaders, (FAMILY_RING + RING_GAP / 2) / np.sin(np.pi / n_rooms))


def _grid_shape(n: int, aspect: float) -> tuple[int, int]:
    """Columns and rows for ``n`` equal cells filling a picture ``aspect`` times wider than tall."""
    cols = max(1, min(n, int(round(np.sqrt(n * aspect)))))
    return cols, int(np.ceil(n / cols))


def wheel_layout(program: np.ndarray, classroom: np.ndarray, family_classroom: np.ndarray,
                 classroom_program: np.ndarray, *, aspect: float = 1.6) -> NetworkLayout:
    """Positions of every staff post and family (see the module docstring).

    Args:
        program: programme of each staff post (S,).
        classroom: global classroom of each post (S,), -1 for posts outside classrooms (leaders).
        family_classroom: classroom of each family (F,).
        classroom_program: programme of each classroom (C,).
        aspect: width / height of the picture the programmes should fill.
    """
    program, classroom = np.asarray(program), np.asarray(classroom)
    family_classroom, classroom_program = np.asarray(family_classroom), np.asarray(classroom_program)
    M = int(classroom_program.max()) + 1 if len(classroom_program) else int(program.max()) + 1
    staff = np.zeros((len(program), 2))
    families = np.zeros((len(family_classroom), 2))
    room_centre = np.zeros((len(classroom_program), 2))
    radius = np.zeros(M)
    for m in range(M):
        rooms = np.flatnonzero(classroom_program == m)
        wheel = _wheel_radius(len(rooms))
        radius[m] = wheel + FAMILY_RING
        room_centre[rooms] = _ring(len(rooms), wheel)
        leaders = np.flatnonzero((program == m) & (classroom < 0))
        if len(leaders):  # the first post is the director (population's slot order): at the centre
            staff[leaders[0]] = 0.0
            staff[leaders[1:]] = _ring(len(leaders) - 1, LEADER_RING, start=np.pi / 2 + np.pi / 4)
    # A classroom's two teachers side by side, across the line from the programme's centre.
    for room in range(len(classroom_program)):
        posts = np.flatnonzero(classroom == room)
        c = room_centre[room]
        norm = np.hypot(*c)
        tangent = np.array([-c[1], c[0]]) / norm if norm else np.array([1.0, 0.0])
        offsets = np.linspace(-TEACHER_GAP, TEACHER_GAP, len(posts)) if len(posts) > 1 else np.zeros(1)
        staff[posts] = c + offsets[:, None] * tangent
        fams = np.flatnonzero(family_classroom == room)
        families[fams] = c + _ring(len(fams), FAMILY_RING)
    # Programmes on a grid of equal cells, row by row from the top left.
    cell = 2 * radius.max() + CLUSTER_GAP
    cols, _ = _grid_shape(M, aspect)
    index = np.arange(M)
    centres = np.column_stack([(index % cols) * cell, -(index // cols) * cell]).astype(float)
    centres -= centres.mean(axis=0) if M else 0.0
    staff += centres[program]
    families += centres[classroom_program[family_classroom]] if len(families) else 0.0
    return NetworkLayout(staff=staff, families=families, centres=centres, radius=radius)


def layout_of(pop, aspect: float = 1.6) -> NetworkLayout:
    """:func:`wheel_layout` of a model's population (``model.pop``)."""
    return wheel_layout(pop.staff.program, pop.staff.classroom, pop.families.classroom, pop.classroom_program,
                        aspect=aspect)


def program_centres(positions: np.ndarray, program: np.ndarray) -> np.ndarray:
    """Centroid (M, 2) of each programme's posts."""
    M = int(program.max()) + 1
    counts = np.maximum(np.bincount(program, minlength=M), 1)[:, None]
    return np.column_stack([np.bincount(program, weights=positions[:, i], minlength=M) for i in (0, 1)]) / counts
