"""Body model and motion model of the synthetic people."""
import numpy as np

from plugins.datasets.synthetic.motion import synthesize_motion
from plugins.datasets.synthetic.skeleton import (forward_kinematics, rotate_yaw,
                                                 sample_body_shape)


def test_bones_keep_their_length_and_feet_touch_the_ground():
    rng = np.random.default_rng(0)
    shape = sample_body_shape(rng, height=1.8)
    motion = synthesize_motion(rng, 60, 10.0, 'walker', heading=np.pi / 2, speed=1.2)
    pts = forward_kinematics(shape, motion.angles)
    for a, b, length in (('l_hip', 'l_knee', shape.thigh), ('r_knee', 'r_ankle', shape.shin),
                         ('l_shoulder', 'l_elbow', shape.upper_arm),
                         ('r_elbow', 'r_wrist', shape.forearm), ('pelvis', 'neck', shape.torso)):
        np.testing.assert_allclose(np.linalg.norm(pts[a] - pts[b], axis=1), length, rtol=1e-6)
    lowest = np.minimum(pts['l_ankle'][:, 2], pts['r_ankle'][:, 2])
    np.testing.assert_allclose(lowest, shape.ankle_height, atol=1e-9)
    # head top about the body height above the ground when standing upright
    assert 0.85 * shape.height < pts['head_top'][:, 2].max() < 1.1 * shape.height
    # yaw turns the body but keeps distances
    turned = rotate_yaw(pts, motion.yaw)
    np.testing.assert_allclose(np.linalg.norm(turned['l_hip'] - turned['l_knee'], axis=1),
                               shape.thigh, rtol=1e-6)


def test_walking_is_smooth_and_alternating():
    rng = np.random.default_rng(1)
    fps = 30.0  # motion is defined in seconds; sample finely to check smoothness
    m = synthesize_motion(rng, 240, fps, 'walker', heading=np.pi / 2, speed=1.3)
    for name, a in m.angles.items():
        # second differences of a smooth trajectory shrink with dt^2: no jumps or kinks
        assert np.abs(np.diff(a, 2)).max() < 0.1, name
    assert np.abs(np.diff(m.yaw, 2)).max() < 0.05
    walking = np.array([act == 'walk' for act in m.actions])
    walking[:3] = False
    if walking.sum() > 10:  # legs swing in opposition while walking
        corr = np.corrcoef(m.angles['l_hip_flex'][walking], m.angles['r_hip_flex'][walking])[0, 1]
        assert corr < -0.5
    step = np.hypot(np.diff(m.x), np.diff(m.z)) * fps
    assert step.max() <= 1.3 + 1e-6  # never faster than the walking speed
    assert step.max() > 0.5 and walking.any()
