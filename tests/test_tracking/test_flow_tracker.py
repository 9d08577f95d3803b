"""FlowTracker follows textured persons moved by a known shift; falls back without frames."""
import cv2
import numpy as np
import pytest
from tracking_test_sequences import POSETRACK_METAINFO, make_instances, pose_at

from plugins.registry import TRACKERS

SHIFT = np.array([18.0, 6.0], np.float32)  # far more than OKS tolerates for a 50x110 person


def textured(h, w, seed):
    tex = np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)
    return cv2.GaussianBlur(tex, (5, 5), 1.0)


def scene(patches):
    img = np.full((240, 320, 3), 100, np.uint8)
    for (x, y), patch in patches:
        img[y:y + patch.shape[0], x:x + patch.shape[1]] = patch
    return img


def person_pose(x, y):
    """A 50x110 pose inside the 60x120 textured patch at (x, y)."""
    return pose_at(x + 5, y + 5, 50, 110)


@pytest.fixture(scope='module')
def moving_patch_frames():
    a, b = textured(120, 60, 0), textured(120, 60, 1)
    frame0 = scene([((40, 60), a), ((230, 60), b)])
    x1, y1 = 40 + int(SHIFT[0]), 60 + int(SHIFT[1])
    frame1 = scene([((x1, y1), a), ((230, 60), b)])
    poses0 = [person_pose(40, 60), person_pose(230, 60)]
    poses1 = [person_pose(230, 60), person_pose(x1, y1)]  # order changed on purpose
    return [(frame0, make_instances(poses0)), (frame1, make_instances(poses1))]


@pytest.mark.parametrize('method', ['dis', 'farneback'])
def test_flow_tracker_follows_shifted_patch(moving_patch_frames, method):
    (f0, d0), (f1, d1) = moving_patch_frames
    tracker = TRACKERS.build(dict(type='FlowTracker', metainfo=POSETRACK_METAINFO,
                                  flow_method=method))
    assert tracker.update(f0, d0).track_ids.tolist() == [0, 1]
    assert tracker.update(f1, d1).track_ids.tolist() == [1, 0]
    # before the update, the pose had been propagated by the flow to pose + SHIFT
    tracker.reset()
    tracker.update(f0, d0)
    tracker.frame_id += 1  # look at the propagation step alone
    tracker.propagate(tracker.active_tracks, f1)
    moving = tracker.tracks[0]
    np.testing.assert_allclose(moving.state['flow_pose'], d0.keypoints[0] + SHIFT, atol=1.0)
    np.testing.assert_allclose(tracker.tracks[1].state['flow_pose'], d0.keypoints[1], atol=0.5)


def test_without_flow_the_shift_breaks_the_track(moving_patch_frames):
    """Control: plain OKS (same thresholds) loses the moved person, so the flow is what helps."""
    (f0, d0), (f1, d1) = moving_patch_frames
    tracker = TRACKERS.build(dict(type='OKSTracker', metainfo=POSETRACK_METAINFO,
                                  assignment='greedy'))
    tracker.update(f0, d0)
    assert tracker.update(f1, d1).track_ids.tolist() == [1, 2]


def test_flow_keeps_propagating_a_missed_person(moving_patch_frames):
    """The moved person is missing in frame 1 and found in frame 2 after moving again."""
    (f0, d0), (f1, _) = moving_patch_frames
    a = textured(120, 60, 0)
    x2, y2 = 40 + 2 * int(SHIFT[0]), 60 + 2 * int(SHIFT[1])
    f2 = scene([((x2, y2), a), ((230, 60), textured(120, 60, 1))])
    tracker = TRACKERS.build(dict(type='FlowTracker', metainfo=POSETRACK_METAINFO, max_age=2))
    tracker.update(f0, d0)
    tracker.update(f1, make_instances([person_pose(230, 60)]))  # the moving one is missed
    ids = tracker.update(f2, make_instances([person_pose(x2, y2), person_pose(230, 60)]))
    assert ids.track_ids.tolist() == [0, 1]


def test_missing_frame_fallback_and_error(moving_patch_frames):
    (f0, d0), _ = moving_patch_frames
    tracker = TRACKERS.build(dict(type='FlowTracker', metainfo=POSETRACK_METAINFO))
    with pytest.warns(UserWarning, match='no frame'):
        tracker.update(None, d0)
    shifted = make_instances([p + 1.0 for p in d0.keypoints])
    assert tracker.update(None, shifted).track_ids.tolist() == [0, 1]
    strict = TRACKERS.build(dict(type='FlowTracker', metainfo=POSETRACK_METAINFO,
                                 missing_frame='error'))
    with pytest.raises(ValueError, match='needs the BGR frame'):
        strict.update(None, d0)
    with pytest.raises(ValueError, match='BGR'):
        strict.update(np.zeros((10, 10), np.uint8), d0)


def test_downscaled_flow(moving_patch_frames):
    (f0, d0), (f1, d1) = moving_patch_frames
    tracker = TRACKERS.build(dict(type='FlowTracker', metainfo=POSETRACK_METAINFO,
                                  flow_downscale=2))
    tracker.update(f0, d0)
    assert tracker.update(f1, d1).track_ids.tolist() == [1, 0]
