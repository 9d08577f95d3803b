"""Painter's-algorithm renderer of synthetic people.

People are drawn far to near; each person's parts are drawn far to near as shaded capsules,
convex polygons and discs into a ``uint16`` *label buffer* whose code packs
``(person index + 1, part id, shade level)``. Colours are applied afterwards in one vectorised
pass through per-code colour tables and per-pixel clothing patterns. The same label buffer tells
which person is in front at any pixel, which is what the visibility flags are computed from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from .appearance import NUM_PARTS, PATTERNS, PersonAppearance

SHIFT = 4  # sub-pixel bits for OpenCV drawing
_ONE = 1 << SHIFT
PART_BITS = 4
LEVEL_BITS = 2
PID_SHIFT = PART_BITS + LEVEL_BITS
SHADE_FACTORS = np.array([0.62, 0.8, 0.97, 1.12], np.float32)
assert NUM_PARTS <= (1 << PART_BITS)


def label_code(pid: int, part: int, level: int) -> int:
    """Label-buffer code of person ``pid`` (1-based), part id and shade level."""
    return (pid << PID_SHIFT) | (part << LEVEL_BITS) | level


def label_person(label: np.ndarray) -> np.ndarray:
    """Person index + 1 (0 = background) of label-buffer codes."""
    return label >> PID_SHIFT


@dataclass
class Primitive:
    """One body part in frame pixels.

    Attributes:
        kind: ``'capsule'`` (``points`` (2, 2), ``radius``), ``'disc'`` (``points`` (1, 2),
            ``radius``) or ``'poly'`` (convex ``points`` (M, 2)).
        part: Part id (``appearance.PART_IDS``).
        depth: Distance from the camera (larger is drawn first).
        points: Geometry, see ``kind``.
        radius: Capsule/disc radius in pixels.
        shaded: Whether to draw highlight layers.
    """

    kind: str
    part: int
    depth: float
    points: np.ndarray
    radius: float = 0.0
    shaded: bool = True


@dataclass
class RenderPerson:
    """A person to draw in one frame.

    Attributes:
        pid: 1-based index into the video's colour tables.
        primitives: Its parts (any order; sorted by depth here).
        anchor: (2,) frame pixel of the pattern origin (the pelvis).
        scale: Pixels per metre (pattern scale).
    """

    pid: int
    primitives: List[Primitive]
    anchor: np.ndarray
    scale: float
    depth: float = 0.0
    extent: np.ndarray = field(default_factory=lambda: np.zeros(4, np.float32))


def _fx(p: np.ndarray) -> Tuple[int, int]:
    return int(round(float(p[0]) * _ONE)), int(round(float(p[1]) * _ONE))


def _draw_primitive(buf: np.ndarray, prim: Primitive, pid: int, light: np.ndarray) -> None:
    """Draw one primitive with up to three shade layers (outer dark rim -> highlight)."""
    levels = ((0, 1.0, 0.0), (1, 0.72, 0.22), (2, 0.38, 0.42)) if prim.shaded else ((1, 1.0, 0),)
    if prim.kind == 'poly':
        pts = prim.points.astype(np.float64)
        centre = pts.mean(0)
        size = np.sqrt(max(cv2.contourArea(pts.astype(np.float32)), 1.0))
        for level, frac, off in levels:
            q = centre + (pts - centre) * frac + light * off * size * 0.5
            cv2.fillConvexPoly(buf, np.round(q * _ONE).astype(np.int32),
                               label_code(pid, prim.part, level), cv2.LINE_8, SHIFT)
        return
    r = prim.radius
    for level, frac, off in levels:
        rr = r * frac
        shift = light * off * r
        if prim.kind == 'capsule':
            thick = max(1, int(round(2 * rr)))
            cv2.line(buf, _fx(prim.points[0] + shift), _fx(prim.points[1] + shift),
                     label_code(pid, prim.part, level), thick, cv2.LINE_8, SHIFT)
        else:
            cv2.circle(buf, _fx(prim.points[0] + shift), max(int(round(rr * _ONE)), 1),
                       label_code(pid, prim.part, level), -1, cv2.LINE_8, SHIFT)


def draw_label_buffer(size: Tuple[int, int], people: Sequence[RenderPerson],
                      light: np.ndarray) -> np.ndarray:
    """Rasterise people (far to near) into a label buffer.

    Args:
        size: ``(width, height)``.
        people: Persons to draw, any order (sorted here by ``depth``, far first).
        light: (2,) unit image direction towards the light (highlights shift that way).

    Returns:
        (height, width) uint16 codes (see :func:`label_code`; 0 = background).
    """
    w, h = size
    buf = np.zeros((h, w), np.uint16)
    for person in sorted(people, key=lambda p: -p.depth):
        for prim in sorted(person.primitives, key=lambda q: -q.depth):
            _draw_primitive(buf, prim, person.pid, light)
    return buf


@dataclass
class ColourTables:
    """Per-code colour tables of a video (built once from the persons' appearances)."""

    primary: np.ndarray     # (C, 3) float32, shaded
    secondary: np.ndarray   # (C, 3) float32, shaded
    pattern: np.ndarray     # (C,) int
    period: np.ndarray      # (C,) float32, metres

    @classmethod
    def build(cls, appearances: Sequence[PersonAppearance]) -> 'ColourTables':
        """Tables for persons ``1..len(appearances)`` (index 0 is the background)."""
        n_codes = (len(appearances) + 1) << PID_SHIFT
        prim = np.zeros((n_codes, 3), np.float32)
        sec = np.zeros((n_codes, 3), np.float32)
        pat = np.zeros(n_codes, np.int64)
        per = np.ones(n_codes, np.float32)
        levels = np.arange(1 << LEVEL_BITS)
        for i, app in enumerate(appearances):
            pid = i + 1
            parts = np.arange(NUM_PARTS)
            codes = (pid << PID_SHIFT) | (parts[:, None] << LEVEL_BITS) | levels[None, :]
            shade = SHADE_FACTORS[None, :, None]
            prim[codes] = app.primary[:, None, :] * shade
            sec[codes] = app.secondary[:, None, :] * shade
            pat[codes] = app.pattern[:, None]
            per[codes] = app.period[:, None]
        return cls(prim, sec, pat, per)


def composite(background: np.ndarray, label: np.ndarray, tables: ColourTables,
              anchors: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Colour the person pixels of ``label`` over ``background`` (vectorised).

    Args:
        background: (H, W, 3) uint8.
        label: (H, W) uint16 label buffer.
        tables: The video's :class:`ColourTables`.
        anchors: (P + 1, 2) pattern origin (frame pixels) per person index (row 0 unused).
        scales: (P + 1,) pixels per metre per person index.

    Returns:
        (H, W, 3) uint8 image.
    """
    out = background.copy()
    flat = label.reshape(-1)
    idx = np.flatnonzero(flat >= (1 << PID_SHIFT))
    if idx.size == 0:
        return out
    codes = flat[idx].astype(np.int64)
    pid = codes >> PID_SHIFT
    w = label.shape[1]
    ys, xs = np.divmod(idx, w)
    scale = scales[pid] * tables.period[codes]
    u = np.floor((xs - anchors[pid, 0]) / scale).astype(np.int64)
    v = np.floor((ys - anchors[pid, 1]) / scale).astype(np.int64)
    pat = tables.pattern[codes]
    m = np.zeros(idx.size, bool)
    m = np.where(pat == PATTERNS['hstripes'], (v & 1) == 1, m)
    m = np.where(pat == PATTERNS['vstripes'], (u & 1) == 1, m)
    m = np.where(pat == PATTERNS['checks'], ((u + v) & 1) == 1, m)
    w_diag = np.floor((xs + ys - anchors[pid, 0] - anchors[pid, 1]) / scale).astype(np.int64)
    m = np.where(pat == PATTERNS['diagonal'], (w_diag & 1) == 1, m)
    colour = np.where(m[:, None], tables.secondary[codes], tables.primary[codes])
    out.reshape(-1, 3)[idx] = np.clip(colour, 0, 255).astype(np.uint8)
    return out


def motion_blur(img: np.ndarray, direction: np.ndarray, length: float) -> np.ndarray:
    """Blur along ``direction`` (unit (2,) vector) over ``length`` pixels (no-op below 1.5)."""
    n = int(round(length))
    if n < 2:
        return img
    k = np.zeros((n | 1, n | 1), np.float32)
    c = (n | 1) // 2
    d = direction / max(np.linalg.norm(direction), 1e-6)
    p0 = (int(round(c - d[0] * c)), int(round(c - d[1] * c)))
    p1 = (int(round(c + d[0] * c)), int(round(c + d[1] * c)))
    cv2.line(k, p0, p1, 1.0, 1)
    k /= k.sum()
    return cv2.filter2D(img, -1, k, borderType=cv2.BORDER_REFLECT)
