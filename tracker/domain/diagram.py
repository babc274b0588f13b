"""Where each state of a workflow sits in its diagram, computed from the definition.

Pure layout (no markup): states become boxes in columns by phase, a phase with
a chain inside it (ministry review → consent received) gets sub-columns, and
parallel branches share a column on different rows. Terminal states sit in a
band below. Transitions become arrows: forward ones straight or elbowed,
backward ones arched above the boxes. Transitions that can start from many
states (abandon, terminate) are not drawn as arrows — the terminal band says
"possible from several steps" instead, which keeps the picture readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .definitions import WorkflowDef
from .text import pick

BOX_W = 136
BOX_H = 52
GAP_X = 34
GAP_Y = 22
MARGIN = 16
ARCH = 26
LINE_CHARS = 17
MAX_LINES = 3
#: Transitions starting from more states than this are summarised, not drawn.
MANY_SOURCES = 3

Kind = Literal["forward", "back", "down"]


@dataclass(frozen=True)
class Box:
    """A state's box: top-left corner, size and its title wrapped into lines."""

    state: str
    x: int
    y: int
    w: int
    h: int
    lines: tuple[str, ...]
    terminal: bool

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2


@dataclass(frozen=True)
class Arrow:
    """One drawn transition, as an SVG path ``d`` between two boxes."""

    key: str
    source: str
    target: str
    d: str
    kind: Kind
    auto: bool


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    summarised: tuple[str, ...]

    def box(self, state: str) -> Box:
        return next(b for b in self.boxes if b.state == state)


def wrap(text: str, width: int = LINE_CHARS, max_lines: int = MAX_LINES) -> tuple[str, ...]:
    """Break a title into short lines at spaces; the last line ends with … if cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1] + "…"]
    return tuple(lines)


def _columns(defn: WorkflowDef) -> dict[str, tuple[int, int]]:
    """(phase, depth inside the phase) per non-terminal state, in definition order."""
    order = list(defn.states)
    preds: dict[str, set[str]] = {s: set() for s in order}
    for t in defn.transitions.values():
        for src in t.source:
            for dst in t.target:
                preds[dst.state].add(src.state)
    depth: dict[str, int] = {}
    for s in order:
        sdef = defn.states[s]
        if sdef.terminal:
            continue
        same = [
            p
            for p in preds[s]
            if p in depth and defn.states[p].phase == sdef.phase and order.index(p) < order.index(s)
        ]
        depth[s] = max((depth[p] + 1 for p in same), default=0)
    return {s: (defn.states[s].phase, d) for s, d in depth.items()}


def _rows(defn: WorkflowDef, cols: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Row per state: a state follows its same-phase predecessor's row when it is free."""
    order = list(defn.states)
    preds: dict[str, list[str]] = {s: [] for s in order}
    for t in defn.transitions.values():
        for src in t.source:
            for dst in t.target:
                preds[dst.state].append(src.state)
    rows: dict[str, int] = {}
    taken: dict[tuple[int, int], set[int]] = {}
    for col in sorted(set(cols.values())):
        used = taken.setdefault(col, set())
        for s in (s for s in order if cols.get(s) == col):
            wanted = [
                rows[p] for p in preds[s] if p in rows and cols[p][0] == col[0] and cols[p] < col
            ]
            row = next((r for r in wanted if r not in used), None)
            if row is None:
                row = next(r for r in range(len(order)) if r not in used)
            used.add(row)
            rows[s] = row
    return rows


def layout(defn: WorkflowDef, lang: str = "el") -> Diagram:
    """Boxes and arrows for ``defn`` with titles in ``lang``."""
    cols = _columns(defn)
    rows = _rows(defn, cols)
    col_index = {c: i for i, c in enumerate(sorted(set(cols.values())))}
    top = MARGIN + ARCH + 8
    boxes: dict[str, Box] = {}
    for s, col in cols.items():
        boxes[s] = Box(
            s,
            MARGIN + col_index[col] * (BOX_W + GAP_X),
            top + rows[s] * (BOX_H + GAP_Y),
            BOX_W,
            BOX_H,
            wrap(pick(defn.states[s].title, lang)),
            False,
        )
    n_cols = max(len(col_index), 1)
    n_rows = max(rows.values(), default=0) + 1
    width = MARGIN * 2 + n_cols * BOX_W + (n_cols - 1) * GAP_X
    band_y = top + n_rows * (BOX_H + GAP_Y) + GAP_Y
    terminals = [s for s, sdef in defn.states.items() if sdef.terminal]
    for s, x in _terminal_positions(defn, boxes, terminals, width).items():
        title = wrap(pick(defn.states[s].title, lang))
        boxes[s] = Box(s, x, band_y, BOX_W, BOX_H, title, True)
    height = (band_y + BOX_H if terminals else band_y - GAP_Y) + MARGIN
    arrows, summarised = _arrows(defn, boxes)
    ordered = tuple(boxes[s] for s in defn.states)
    return Diagram(width, height, ordered, tuple(arrows), tuple(summarised))


def _terminal_positions(
    defn: WorkflowDef, boxes: dict[str, Box], terminals: list[str], width: int
) -> dict[str, int]:
    """Each terminal box under the middle of the states that lead to it, without overlaps."""
    wanted: dict[str, float] = {}
    for s in terminals:
        xs = [
            boxes[src.state].cx
            for t in defn.transitions.values()
            if any(p.state == s for p in t.target)
            for src in t.source
            if src.state in boxes
        ]
        wanted[s] = (sum(xs) / len(xs) if xs else width / 2) - BOX_W / 2
    placed: dict[str, int] = {}
    edge = MARGIN
    for s in sorted(terminals, key=lambda k: wanted[k]):
        x = max(int(wanted[s]), edge)
        placed[s] = min(x, width - MARGIN - BOX_W)
        edge = placed[s] + BOX_W + GAP_X
    return placed


def _arrows(defn: WorkflowDef, boxes: dict[str, Box]) -> tuple[list[Arrow], list[str]]:
    arrows: list[Arrow] = []
    summarised: list[str] = []
    seen: set[tuple[str, str]] = set()
    arches = 0
    for t in defn.transitions.values():
        if len(t.source) > MANY_SOURCES:
            summarised.append(t.key)
            continue
        for src in t.source:
            for dst in t.target:
                pair = (src.state, dst.state)
                if pair in seen or src.state == dst.state:
                    continue
                seen.add(pair)
                a, b = boxes[src.state], boxes[dst.state]
                d, kind = _path(a, b, arches, _blocked(boxes.values(), a, b))
                if kind == "back" and boxes[src.state].y == boxes[dst.state].y:
                    arches += 1
                arrows.append(Arrow(t.key, src.state, dst.state, d, kind, t.auto))
    return arrows, summarised


def _blocked(boxes: Iterable[Box], a: Box, b: Box) -> bool:
    """Whether another box stands in the way of a straight arrow from ``a`` to ``b``."""
    others = [c for c in boxes if c is not a and c is not b]
    if b.terminal:
        return any(c.x == a.x and a.y < c.y < b.y for c in others)
    lo, hi = sorted((a.x, b.x))
    return any(c.y == a.y and lo < c.x < hi for c in others)


def _path(a: Box, b: Box, arch: int, blocked: bool) -> tuple[str, Kind]:
    """An orthogonal path from box ``a`` to box ``b``.

    ``arch`` staggers backward arches; ``blocked`` (a box in the way) sends a
    forward arrow underneath its row, and a downward one along the gap beside it.
    """
    if b.terminal:
        mid = b.y - GAP_Y // 2
        if blocked:  # a box below in the same column: go down the gap on the left
            side = a.x - 8
            return f"M{a.x},{a.y + a.h - 10} H{side} V{mid} H{b.cx} V{b.y}", "down"
        return f"M{a.cx},{a.y + a.h} V{mid} H{b.cx} V{b.y}", "down"
    if b.x > a.x:
        x1, y1, x2, y2 = a.x + a.w, a.cy, b.x, b.cy
        if y1 == y2 and blocked:
            below = a.y + a.h + GAP_Y // 2
            return f"M{a.cx + 10},{a.y + a.h} V{below} H{b.cx - 10} V{b.y + b.h}", "forward"
        if y1 == y2:
            return f"M{x1},{y1} H{x2}", "forward"
        mid = x1 + GAP_X // 2
        return f"M{x1},{y1} H{mid} V{y2} H{x2}", "forward"
    if b.x == a.x:
        if b.y > a.y:
            return f"M{a.cx},{a.y + a.h} V{b.y}", "forward"
        return f"M{a.cx},{a.y} V{b.y + b.h}", "back"
    if a.y > b.y:
        # From a lower row: along the gap under the target's row, then up into it.
        x2 = b.cx + 12
        return f"M{a.x},{a.cy} H{x2} V{b.y + b.h}", "back"
    # Same row (or higher): arch over the boxes, each arch on its own level.
    lift = b.y - 8 - 6 * (arch % 4)
    return f"M{a.cx - 10},{a.y} V{lift} H{b.cx + 10} V{b.y}", "back"
