"""Visibility flags of the synthetic renderer follow depth order and truncation.

Constructed scene: two people standing still and facing the camera, the nearer one covering
part of the farther one. The reference for "covered" is analytic geometry of the nearer person's
parts (distance to capsule axes, discs, shapely polygon), independent of the rasteriser and of
the label-buffer bookkeeping that produces the flags.
"""
import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from plugins.datasets.posetrack_json import POSETRACK18_KEYPOINT_NAMES as NAMES
from plugins.datasets.synthetic.motion import still_motion
from plugins.datasets.synthetic.video import (SyntheticVideo, SyntheticVideoConfig,
                                              make_person)

CFG = SyntheticVideoConfig(width=192, height=144, num_frames=1, pan_prob=0.0, zoom_prob=0.0,
                           blur_prob=0.0, crowd_prob=0.0)
FACE = {'nose', 'left_ear', 'right_ear'}


def _signed_distance_outside(prims, p):
    """Signed distance of point p to the union of parts (negative inside)."""
    best = np.inf
    for q in prims:
        if q.kind == 'capsule':
            a, b = q.points
            ab = b - a
            t = np.clip(np.dot(p - a, ab) / max(np.dot(ab, ab), 1e-9), 0, 1)
            d = np.linalg.norm(p - (a + t * ab)) - q.radius
        elif q.kind == 'disc':
            d = np.linalg.norm(p - q.points[0]) - q.radius
        else:
            poly = Polygon(q.points)
            d = poly.exterior.distance(Point(p)) * (-1 if poly.contains(Point(p)) else 1)
        best = min(best, d)
    return best


def _scene(z_first, z_second, x_second=0.25, x_first=0.0, first_at_border=False):
    """Two still people facing the camera; the scene (background, camera) is fixed by seed."""
    people_rng = np.random.default_rng(3)
    people = [make_person(people_rng, CFG, 'stander', 0.0, 0.0, (x_first, z_first), 0,
                          height=1.75, motion=still_motion(1)),
              make_person(people_rng, CFG, 'stander', 0.0, 0.0, (x_second, z_second), 0,
                          height=1.75, motion=still_motion(1))]
    video = SyntheticVideo(CFG, np.random.default_rng(5), NAMES, people=people, crowd=[])
    if first_at_border:  # move the first person so that its pelvis is on the right border
        u = CFG.width / 2 / video.camera.zoom[0] + video.camera.centre[0, 0]
        x = float(video.ground.x_at(u, z_first))
        people[0] = make_person(np.random.default_rng(3), CFG, 'stander', 0.0, 0.0,
                                (x, z_first), 0, height=1.75, motion=still_motion(1))
        video = SyntheticVideo(CFG, np.random.default_rng(5), NAMES, people=people, crowd=[])
    (img, persons, ignore, label), = list(video.frames())
    return video, {p['track_id']: p for p in persons}


@pytest.mark.parametrize('depths', [(6.0, 4.5), (4.5, 6.0)])
def test_visibility_follows_depth_order(depths):
    video, persons = _scene(*depths)
    far, near = (0, 1) if depths[0] > depths[1] else (1, 0)
    near_prims = video.person_primitives(near, 0)
    far_person = persons[far]
    checked = occluded = visible = 0
    for k, name in enumerate(NAMES):
        if name in FACE:
            continue  # face points also depend on head orientation
        p = far_person['keypoints'][k].astype(np.float64) + 0.5  # pixel centre sampled
        d = _signed_distance_outside(near_prims, p)
        if abs(d) < 1.5:
            continue  # too close to the silhouette edge to decide by geometry
        checked += 1
        assert far_person['visible'][k] == (d > 0), (name, d)
        occluded += d < 0
        visible += d > 0
    assert checked >= 10 and occluded >= 2 and visible >= 2  # the scene is a real partial cover
    # the nearer person is never occluded (everything is inside the frame)
    assert persons[near]['visible'][[n not in FACE for n in NAMES]].all()


def test_truncated_joints_are_invisible():
    # one person half out of the right frame border, nobody in front
    video, persons = _scene(4.0, 30.0, x_second=100.0, first_at_border=True)
    p = persons[0]
    x, y = p['keypoints'][:, 0], p['keypoints'][:, 1]
    inside = (x >= 0) & (x < CFG.width) & (y >= 0) & (y < CFG.height)
    body = np.array([n not in FACE for n in NAMES])
    assert inside[body].any() and (~inside[body]).any()
    np.testing.assert_array_equal(p['visible'][body], inside[body])
    assert 1 not in persons  # the far-away person is outside the view: not annotated
    np.testing.assert_array_less(p['bbox'][[0, 1]] - 1e-3, p['bbox'][[2, 3]])
    assert p['bbox'][2] <= CFG.width - 1  # boxes are clipped to the frame


def test_face_points_follow_head_orientation():
    rng = np.random.default_rng(0)
    cfg = CFG
    people = [make_person(rng, cfg, 'stander', 0, 0, (-0.6, 4.0), 0, motion=still_motion(1)),
              make_person(rng, cfg, 'stander', 0, 0, (0.6, 4.0), 0,
                          motion=still_motion(1, yaw=np.pi))]  # back to the camera
    video = SyntheticVideo(cfg, rng, NAMES, people=people, crowd=[])
    (_, persons, _, _), = list(video.frames())
    front, back = persons[0], persons[1]
    idx = {n: i for i, n in enumerate(NAMES)}
    assert front['visible'][idx['nose']] and not back['visible'][idx['nose']]
    assert back['visible'][idx['left_ear']] and back['visible'][idx['right_ear']]
    # seen from behind, the person's left side is on the image left
    assert back['keypoints'][idx['left_shoulder'], 0] < back['keypoints'][idx['right_shoulder'], 0]
    assert front['keypoints'][idx['left_shoulder'], 0] > \
        front['keypoints'][idx['right_shoulder'], 0]
