"""Motion model of a synthetic person: action schedule -> smooth joint angles and ground path.

A person follows a schedule of actions (``walk``, ``stand``, ``wave``, ``crouch``, ``turn``),
each a few seconds long. The schedule becomes per-frame intents (speed, heading, wave and crouch
weights) that are Gaussian-smoothed, so every joint-angle trajectory is smooth; a gait phase
integrated from the speed drives the legs and the counter-swinging arms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .skeleton import ANGLE_NAMES

ACTIONS = ('walk', 'stand', 'wave', 'crouch', 'turn')


@dataclass
class PersonMotion:
    """Per-frame motion of one person (all arrays have length T).

    Attributes:
        x: Ground position across the view (metres, relative to the start).
        z: Ground position in depth (metres, relative to the start; positive = away).
        yaw: Body heading (0 faces the camera, +pi/2 faces image right).
        angles: Joint angles (``skeleton.ANGLE_NAMES``), radians.
        actions: The scheduled action name of every frame.
    """

    x: np.ndarray
    z: np.ndarray
    yaw: np.ndarray
    angles: Dict[str, np.ndarray]
    actions: List[str]


def plan_actions(rng: np.random.Generator, num_frames: int, fps: float,
                 role: str) -> List[Tuple[str, int]]:
    """A schedule of ``(action, num_frames)`` segments covering the video.

    Args:
        rng: Random generator.
        num_frames: Frames to cover.
        fps: Frame rate (segment lengths are drawn in seconds).
        role: ``'walker'`` (mostly walking, sometimes stopping or turning) or ``'stander'``
            (stays near a spot: stand, wave, crouch, turn, short walks).

    Returns:
        Segments whose lengths sum to ``num_frames``.
    """
    if role == 'walker':
        actions, probs = ['walk', 'stand', 'wave', 'turn', 'crouch'], [0.7, 0.07, 0.1, 0.1, 0.03]
    elif role == 'stander':
        actions, probs = ['stand', 'wave', 'crouch', 'turn', 'walk'], [0.2, 0.3, 0.25, 0.15, 0.1]
    else:
        raise ValueError(f'plan_actions: unknown role {role!r} (walker | stander)')
    segments: List[Tuple[str, int]] = []
    left = num_frames
    first = True
    while left > 0:
        act = 'walk' if (first and role == 'walker') else str(rng.choice(actions, p=probs))
        while segments and act == segments[-1][0] and act != 'walk':
            act = str(rng.choice(actions, p=probs))  # no long repeats of one pose
        length = int(round(rng.uniform(1.0, 2.5) * fps))
        length = max(2, min(length, left))
        segments.append((act, length))
        left -= length
        first = False
    return segments


def synthesize_motion(rng: np.random.Generator, num_frames: int, fps: float, role: str,
                      heading: float, speed: float) -> PersonMotion:
    """Joint angles, heading and ground path of one person.

    Args:
        rng: Random generator.
        num_frames: T.
        fps: Frame rate.
        role: ``'walker'`` or ``'stander'`` (see :func:`plan_actions`).
        heading: Initial yaw (radians).
        speed: Walking speed in m/s.

    Returns:
        The :class:`PersonMotion` (path starts at the origin).
    """
    t_count = num_frames
    dt = 1.0 / fps
    segments = plan_actions(rng, t_count, fps, role)
    speed_i = np.zeros(t_count)
    heading_i = np.zeros(t_count)
    wave_i = np.zeros(t_count)
    crouch_i = np.zeros(t_count)
    actions: List[str] = []
    cur_heading = heading
    start = 0
    for act, length in segments:
        sl = slice(start, start + length)
        if act == 'walk':
            speed_i[sl] = speed
            cur_heading += rng.normal(0, 0.25)  # slight change of direction
        elif act == 'turn':
            cur_heading += rng.choice([-1, 1]) * rng.uniform(np.pi / 2, np.pi)
        elif act == 'wave':
            wave_i[sl] = 1.0
        elif act == 'crouch':
            crouch_i[sl] = 1.0
        heading_i[sl] = cur_heading
        actions.extend([act] * length)
        start += length
    sigma = 0.25 * fps  # transitions over ~half a second
    smooth = lambda a, s=sigma: gaussian_filter1d(a, s, mode='nearest')  # noqa: E731
    spd = smooth(speed_i)
    yaw = smooth(heading_i, 0.35 * fps)
    wave = smooth(wave_i)
    crouch = smooth(crouch_i)

    # ground path (forward direction of a yaw in (X, Z): (sin, -cos))
    x = np.concatenate([[0.0], np.cumsum(spd * np.sin(yaw) * dt)[:-1]])
    z = np.concatenate([[0.0], np.cumsum(-spd * np.cos(yaw) * dt)[:-1]])

    # gait: stride frequency grows with speed; amplitude ~ speed
    gait = np.clip(spd / 1.3, 0.0, 1.2)
    cadence = 0.95 * np.sqrt(np.maximum(spd, 1e-3) / 1.3)
    phase = rng.uniform(0, 2 * np.pi) + np.cumsum(2 * np.pi * cadence * dt)
    sin_p, cos_p = np.sin(phase), np.cos(phase)
    idle = 0.04 * np.sin(2 * np.pi * 0.3 * np.arange(t_count) * dt + rng.uniform(0, 6.3))

    a: Dict[str, np.ndarray] = {}
    walk_keep = 1.0 - crouch
    a['lean'] = 0.06 * gait + 0.5 * crouch + 0.5 * idle
    a['head_nod'] = 0.1 * np.sin(2 * np.pi * 0.2 * np.arange(t_count) * dt + rng.uniform(0, 6))
    hip_amp, knee_amp, arm_amp = rng.uniform(0.38, 0.5), rng.uniform(0.55, 0.8), \
        rng.uniform(0.25, 0.45)
    for name, sgn in (('l', 1.0), ('r', -1.0)):
        a[f'{name}_hip_flex'] = walk_keep * gait * hip_amp * sgn * sin_p + 1.55 * crouch
        swing = (0.5 + 0.5 * sgn * cos_p) ** 2  # smooth bump while the leg swings forward
        a[f'{name}_knee'] = walk_keep * gait * (0.1 + knee_amp * swing) + 2.2 * crouch
        a[f'{name}_hip_abd'] = 0.04 + 0.18 * crouch
        a[f'{name}_sh_flex'] = walk_keep * (-gait * arm_amp * sgn * sin_p) + idle * sgn + \
            0.6 * crouch
        a[f'{name}_sh_abd'] = 0.1 + 0.05 * crouch + np.abs(idle)
        a[f'{name}_elbow_flex'] = 0.2 + gait * 0.3 * (0.5 + 0.5 * sgn * sin_p) + 0.5 * crouch
        a[f'{name}_elbow_side'] = np.zeros(t_count)
    # waving arm: raised to the side, forearm swinging in the body plane
    side = 'l' if rng.random() < 0.4 else 'r'
    freq = rng.uniform(1.0, 1.8)
    osc = np.sin(2 * np.pi * freq * np.arange(t_count) * dt)
    blend = lambda base, target: (1 - wave) * base + wave * target  # noqa: E731
    a[f'{side}_sh_abd'] = blend(a[f'{side}_sh_abd'], 2.1 + 0.15 * osc)
    a[f'{side}_sh_flex'] = blend(a[f'{side}_sh_flex'], 0.15)
    a[f'{side}_elbow_side'] = blend(a[f'{side}_elbow_side'], 0.45 + 0.45 * osc)
    a[f'{side}_elbow_flex'] = blend(a[f'{side}_elbow_flex'], 0.1)
    assert set(a) == set(ANGLE_NAMES)
    return PersonMotion(x=x, z=z, yaw=yaw, angles=a, actions=actions)


def still_motion(num_frames: int, yaw: float = 0.0) -> PersonMotion:
    """A person standing still in a neutral pose (arms slightly apart), e.g. for tests.

    Args:
        num_frames: T.
        yaw: Constant heading (0 faces the camera).

    Returns:
        The :class:`PersonMotion` at the origin.
    """
    zero = np.zeros(num_frames)
    angles = {name: zero.copy() for name in ANGLE_NAMES}
    for side in ('l', 'r'):
        angles[f'{side}_sh_abd'] = zero + 0.25
        angles[f'{side}_hip_abd'] = zero + 0.05
        angles[f'{side}_elbow_flex'] = zero + 0.2
    return PersonMotion(x=zero.copy(), z=zero.copy(), yaw=zero + yaw, angles=angles,
                        actions=['stand'] * num_frames)
