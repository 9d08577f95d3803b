"""IoU and OKS trackers: identities through crossing/occlusion, id rules, empty frames,
assignment strategies."""
import numpy as np
import pytest
from tracking_test_sequences import (POSETRACK_METAINFO, assert_identities_kept,
                                     crossing_sequence, identity_map, make_instances, pose_at,
                                     run_tracker)

from plugins.registry import TRACKERS
from plugins.tracking.assignment import sequential_assignment
from plugins.tracking.base_tracker import validate_instances

GEOMETRIC = [
    dict(type='IoUTracker', assignment='greedy'),
    dict(type='IoUTracker', assignment='hungarian'),
    dict(type='OKSTracker', metainfo=POSETRACK_METAINFO),
    dict(type='OKSTracker', metainfo=POSETRACK_METAINFO, assignment='hungarian'),
    dict(type='FlowTracker', metainfo=POSETRACK_METAINFO),  # no frames: plain OKS
]


def _build(cfg, **kw):
    return TRACKERS.build({**cfg, **kw})


@pytest.mark.filterwarnings('ignore:FlowTracker got no frame')
@pytest.mark.parametrize('cfg', GEOMETRIC, ids=lambda c: f'{c["type"]}-{c.get("assignment")}')
def test_crossing_keeps_identities(cfg):
    seq = crossing_sequence()
    assert_identities_kept(run_tracker(_build(cfg), seq), [g for _, g in seq])


@pytest.mark.filterwarnings('ignore:FlowTracker got no frame')
@pytest.mark.parametrize('cfg', GEOMETRIC, ids=lambda c: f'{c["type"]}-{c.get("assignment")}')
def test_occlusion_during_crossing_needs_max_age(cfg):
    # person 1 is hidden for two frames right at the crossing
    seq = crossing_sequence(occluded=(15, 16))
    gt = [g for _, g in seq]
    assert_identities_kept(run_tracker(_build(cfg, max_age=3), seq), gt)
    # with max_age=1 the person comes back with a new id, and never with person 0's id
    mapping = identity_map(run_tracker(_build(cfg, max_age=1), seq), gt)
    assert len(mapping[0]) == 1 and len(mapping[1]) == 2
    assert not mapping[0] & mapping[1]


@pytest.mark.parametrize('cfg', GEOMETRIC[:3], ids=lambda c: c['type'])
def test_ids_unique_and_never_reused(cfg):
    tracker = _build(cfg, max_age=2)
    first_seen = {}
    # a person appears, leaves for longer than max_age, comes back at the same place
    frames = [[pose_at(0, 0)], [pose_at(0, 0)], [], [], [], [pose_at(0, 0)],
              [pose_at(0, 0), pose_at(300, 0)], [pose_at(300, 0), pose_at(0, 0)]]
    for t, poses in enumerate(frames):
        ids = tracker.update(None, make_instances(poses)).track_ids
        assert len(set(ids.tolist())) == len(ids), 'ids within a frame must differ'
        for i in ids.tolist():
            first_seen.setdefault(i, t)
    # ids 0 (frames 0-1), 1 (back after 3 empty frames), 2 (the second person)
    assert first_seen == {0: 0, 1: 5, 2: 6}
    tracker.reset()
    assert tracker.update(None, make_instances([pose_at(0, 0)])).track_ids.tolist() == [0]


@pytest.mark.filterwarnings('ignore:FlowTracker got no frame')
@pytest.mark.parametrize('cfg', GEOMETRIC, ids=lambda c: f'{c["type"]}-{c.get("assignment")}')
def test_empty_frames(cfg):
    tracker = _build(cfg, max_age=2)
    empty = make_instances([])
    res = tracker.update(None, empty)
    assert res.track_ids.shape == (0, ) and res.track_ids.dtype == np.int64
    a = tracker.update(None, make_instances([pose_at(10, 10)])).track_ids
    assert tracker.update(None, empty).track_ids.shape == (0, )
    # one empty frame is within max_age=2: the same person keeps its id
    b = tracker.update(None, make_instances([pose_at(12, 10)])).track_ids
    assert a.tolist() == b.tolist() == [0]


def _interval_boxes(intervals):
    """Instances whose boxes span the x-intervals (height 10), for hand-computable IoUs."""
    inst = make_instances(np.zeros((len(intervals), 17, 2)))
    inst.bboxes = np.array([[a, 0, b, 10] for a, b in intervals], np.float32)
    return inst


def test_hungarian_and_greedy_differ_on_built_case():
    # tracks T0=[0,10], T1=[4,14]; detections D0=[1,11], D1=[-3,7]. Hand-computed IoUs:
    # T0-D0 9/11=.818, T0-D1 7/13=.538, T1-D0 7/13=.538, T1-D1 3/17=.176 (< threshold .3).
    # Greedy takes T0-D0 first and leaves T1-D1 unmatched; Hungarian maximises the total
    # (.538 + .538 = 1.077 > .818 + .176) and matches T0-D1, T1-D0.
    results = {}
    for assignment in ('greedy', 'hungarian'):
        tracker = TRACKERS.build(dict(type='IoUTracker', assignment=assignment,
                                      match_threshold=0.3))
        assert tracker.update(None, _interval_boxes([(0, 10), (4, 14)])).track_ids.tolist() \
            == [0, 1]
        results[assignment] = tracker.update(None, _interval_boxes([(1, 11),
                                                                    (-3, 7)])).track_ids.tolist()
    assert results['greedy'] == [0, 2]
    assert results['hungarian'] == [1, 0]


def test_sequential_assignment_follows_detection_order():
    sim = np.array([[0.9, 0.95], [0.5, 0.1]])
    # detection 0 comes first and takes track 0 even though detection 1 prefers it more
    assert sequential_assignment(sim, 0.3).tolist() == [[0, 0]]
    assert sequential_assignment(sim[:, ::-1], 0.3).tolist() == [[0, 0], [1, 1]]
    assert sequential_assignment(np.zeros((0, 3)), 0.3).shape == (0, 2)


def test_oks_tracker_errors_and_sigmas():
    tracker = TRACKERS.build(dict(type='OKSTracker', metainfo=POSETRACK_METAINFO))
    assert tracker.sigmas.shape == (17, )
    tracker.update(None, make_instances([pose_at(0, 0)]))
    with pytest.raises(ValueError, match='keypoints'):
        tracker.update(None, make_instances(np.zeros((1, 14, 2)), num_keypoints=14))
    with pytest.raises(ValueError, match='sigmas'):
        TRACKERS.build(dict(type='OKSTracker', sigmas=[0.1, -1.0]))
    with pytest.raises(ValueError, match='area_mode'):
        TRACKERS.build(dict(type='OKSTracker', area_mode='max'))
    with pytest.raises(ValueError, match='shape'):
        bad = make_instances([pose_at(0, 0)])
        bad.keypoint_scores = np.ones((1, 3), np.float32)
        tracker.update(None, bad)


def test_oks_tracker_similarity_closed_form():
    # one joint moved by d, the rest exact: OKS = (16 + exp(-d^2 / (2 s (2 sigma)^2))) / 17
    tracker = TRACKERS.build(dict(type='OKSTracker', metainfo=POSETRACK_METAINFO))
    a = pose_at(0, 0)
    b = a.copy()
    b[5] += [3.0, 4.0]
    first = make_instances([a])
    tracker.update(None, first)
    inst = make_instances([b])
    sim = tracker.similarity(tracker.active_tracks, validate_instances(inst), None)
    area_a = float(np.prod(first.bboxes[0, 2:] - first.bboxes[0, :2]))  # 80 x 200
    area_b = float(np.prod(inst.bboxes[0, 2:] - inst.bboxes[0, :2]))
    s = (area_a + area_b) / 2
    expected = (16 + np.exp(-25 / (2 * s * (2 * tracker.sigmas[5])**2))) / 17
    assert sim.shape == (1, 1)
    assert sim[0, 0] == pytest.approx(expected, rel=1e-9)
