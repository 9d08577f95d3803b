"""Articulated 3D stick-figure body model of the synthetic people (forward kinematics).

A person is a kinematic tree in body coordinates ``(x = person's left, y = forward, z = up)``
with the ground under the pelvis as origin. Joint angles (radians, arrays over frames) bend the
limbs; a yaw angle turns the body about the vertical axis into camera-aligned world offsets
``(dX = image right, dZ = away from the camera, up)``. All functions are vectorised over frames.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Dict

import numpy as np

# joint angles (radians) driving the body; positive flexion moves a limb forward, positive
# abduction moves it away from the body midline
ANGLE_NAMES = (
    'lean', 'head_nod',
    'l_hip_flex', 'r_hip_flex', 'l_hip_abd', 'r_hip_abd', 'l_knee', 'r_knee',
    'l_sh_flex', 'r_sh_flex', 'l_sh_abd', 'r_sh_abd',
    'l_elbow_flex', 'r_elbow_flex', 'l_elbow_side', 'r_elbow_side',
)


@dataclass
class BodyShape:
    """Segment lengths and thicknesses of one person, in metres.

    Attributes:
        height: Standing height.
        shoulder_width, hip_width, chest_depth, torso, neck, head_radius, upper_arm, forearm,
        hand, thigh, shin, foot, ankle_height: segment sizes.
        arm_radius, forearm_radius, thigh_radius, shin_radius, neck_radius: capsule radii.
    """

    height: float
    shoulder_width: float
    hip_width: float
    chest_depth: float
    torso: float
    neck: float
    head_radius: float
    upper_arm: float
    forearm: float
    hand: float
    thigh: float
    shin: float
    foot: float
    ankle_height: float
    arm_radius: float
    forearm_radius: float
    thigh_radius: float
    shin_radius: float
    neck_radius: float


def sample_body_shape(rng: np.random.Generator, height: float = None) -> BodyShape:
    """Draw plausible adult proportions (fractions of height after anthropometric tables).

    Args:
        rng: Random generator.
        height: Standing height in metres; drawn from ``U(1.5, 1.95)`` when ``None``.

    Returns:
        The :class:`BodyShape`.
    """
    h = float(rng.uniform(1.5, 1.95)) if height is None else float(height)
    bulk = float(rng.uniform(0.85, 1.25))  # slim .. broad
    j = lambda frac, spread=0.04: h * frac * float(rng.uniform(1 - spread, 1 + spread))  # noqa
    return BodyShape(
        height=h, shoulder_width=j(0.215) * (0.9 + 0.1 * bulk), hip_width=j(0.11) * bulk,
        chest_depth=j(0.12) * bulk, torso=j(0.29), neck=j(0.05), head_radius=j(0.056),
        upper_arm=j(0.17), forearm=j(0.155), hand=j(0.05), thigh=j(0.245), shin=j(0.245),
        foot=j(0.13), ankle_height=j(0.04), arm_radius=j(0.032) * bulk,
        forearm_radius=j(0.026) * bulk, thigh_radius=j(0.048) * bulk,
        shin_radius=j(0.034) * bulk, neck_radius=j(0.03) * bulk)


def limb_direction(flex: np.ndarray, abd: np.ndarray, side: float) -> np.ndarray:
    """Unit direction of a limb hanging down, abducted then flexed.

    Args:
        flex: (T,) flexion about the lateral axis (forward positive).
        abd: (T,) abduction about the forward axis (outward positive).
        side: +1 for the left side (outward = +x), -1 for the right.

    Returns:
        (T, 3) unit vectors in body coordinates.
    """
    cb = np.cos(abd)
    return np.stack([side * np.sin(abd), cb * np.sin(flex), -cb * np.cos(flex)], axis=-1)


def forward_kinematics(shape: BodyShape, angles: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Body-frame 3D points of every frame, feet on the ground.

    Args:
        shape: Body proportions.
        angles: ``ANGLE_NAMES`` -> (T,) radians.

    Returns:
        Named points -> (T, 3) in body coordinates (x left, y forward, z up), the lowest ankle at
        ``ankle_height`` above the ground. Names: pelvis, neck, head_bottom, head_centre,
        head_top, nose, l/r_eye, l/r_ear, l/r_shoulder, l/r_elbow, l/r_wrist, l/r_hand,
        l/r_hip, l/r_knee, l/r_ankle, l/r_toe, and the torso box corners ``torso_0..7``.
    """
    missing = [n for n in ANGLE_NAMES if n not in angles]
    if missing:
        raise KeyError(f'forward_kinematics: missing joint angles {missing}')
    a = {k: np.asarray(v, np.float64) for k, v in angles.items()}
    t = len(a['lean'])
    zero = np.zeros(t)
    s = shape
    pts: Dict[str, np.ndarray] = {}
    pelvis = np.zeros((t, 3))
    spine = np.stack([zero, np.sin(a['lean']), np.cos(a['lean'])], -1)
    lateral = np.array([1.0, 0.0, 0.0])
    neck = pelvis + s.torso * spine
    pts['pelvis'] = pelvis
    pts['neck'] = neck
    head_tilt = 0.5 * a['lean'] + a['head_nod']
    head_up = np.stack([zero, np.sin(head_tilt), np.cos(head_tilt)], -1)
    head_fwd = np.stack([zero, np.cos(head_tilt), -np.sin(head_tilt)], -1)
    r = s.head_radius
    pts['head_bottom'] = neck + s.neck * head_up
    centre = pts['head_bottom'] + 1.25 * r * head_up
    pts['head_centre'] = centre
    pts['head_top'] = centre + 1.25 * r * head_up
    pts['nose'] = centre + 0.95 * r * head_fwd - 0.15 * r * head_up
    for name, side in (('l', 1.0), ('r', -1.0)):
        pts[f'{name}_eye'] = centre + 0.8 * r * head_fwd + 0.1 * r * head_up + \
            side * 0.38 * r * lateral
        pts[f'{name}_ear'] = centre + side * 0.95 * r * lateral - 0.05 * r * head_fwd
        shoulder = neck + side * 0.5 * s.shoulder_width * lateral - 0.04 * s.height * spine
        elbow = shoulder + s.upper_arm * limb_direction(a[f'{name}_sh_flex'],
                                                        a[f'{name}_sh_abd'], side)
        fore = limb_direction(a[f'{name}_sh_flex'] + a[f'{name}_elbow_flex'],
                              a[f'{name}_sh_abd'] + a[f'{name}_elbow_side'], side)
        wrist = elbow + s.forearm * fore
        pts[f'{name}_shoulder'], pts[f'{name}_elbow'] = shoulder, elbow
        pts[f'{name}_wrist'], pts[f'{name}_hand'] = wrist, wrist + s.hand * fore
        hip = pelvis + side * 0.5 * s.hip_width * lateral
        knee = hip + s.thigh * limb_direction(a[f'{name}_hip_flex'], a[f'{name}_hip_abd'], side)
        ankle = knee + s.shin * limb_direction(a[f'{name}_hip_flex'] - a[f'{name}_knee'],
                                               a[f'{name}_hip_abd'], side)
        pts[f'{name}_hip'], pts[f'{name}_knee'], pts[f'{name}_ankle'] = hip, knee, ankle
        pts[f'{name}_toe'] = ankle + s.foot * np.array([0.0, 0.97, -0.25])
    # torso box (shoulder and hip level, front and back) for the torso silhouette
    half_d = 0.5 * s.chest_depth
    for i, (lvl, half_w) in enumerate(((neck - 0.03 * s.height * spine, 0.5 * s.shoulder_width),
                                       (pelvis - 0.02 * s.height * spine,
                                        0.5 * s.hip_width + s.thigh_radius))):
        for k, (sx, sy) in enumerate(((1, 1), (-1, 1), (-1, -1), (1, -1))):
            pts[f'torso_{4 * i + k}'] = lvl + np.array([sx * half_w, sy * half_d, 0.0])
    # put the feet on the ground
    lowest = np.minimum(pts['l_ankle'][:, 2], pts['r_ankle'][:, 2])
    lift = (s.ankle_height - lowest)[:, None] * np.array([0.0, 0.0, 1.0])
    return {k: v + lift for k, v in pts.items()}


def rotate_yaw(points: Dict[str, np.ndarray], yaw: np.ndarray) -> Dict[str, np.ndarray]:
    """Turn body-frame points into camera-aligned offsets.

    Args:
        points: Name -> (T, 3) body coordinates.
        yaw: (T,) heading; 0 faces the camera, +pi/2 faces image right.

    Returns:
        Name -> (T, 3) ``(dX right, dZ away from camera, up)``.
    """
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    out = {}
    for k, p in points.items():
        x, y, z = p[:, 0:1], p[:, 1:2], p[:, 2:3]
        out[k] = np.concatenate([x * c + y * s, x * s - y * c, z], axis=1)
    return out


def shape_as_dict(shape: BodyShape) -> Dict[str, float]:
    """The fields of a :class:`BodyShape` as a plain dict."""
    return {f.name: getattr(shape, f.name) for f in fields(shape)}
