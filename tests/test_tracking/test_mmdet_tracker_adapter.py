"""MMDetTrackerAdapter: mmdet's SORT / ByteTrack / OC-SORT / StrongSORT on pose instances.

The reference is mmdet's own tracker run directly on the same boxes (DetDataSample in,
``instances_id`` out): the adapter must give every detection the id mmdet gives its box, keep
each pose with its box, and return the kept poses in input order.
"""
import copy
import types

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from tracking_test_sequences import POSETRACK_METAINFO, make_instances, pose_at

from plugins.registry import TRACKERS
from plugins.tracking.base_tracker import keypoint_boxes
from plugins.tracking.mmdet_lap import lapjv

KF = dict(type='KalmanFilter')
CONFIGS = {
    'sort': dict(type='SORTTracker', motion=dict(type='KalmanFilter', center_only=False),
                 obj_score_thr=0.3, reid=None, match_iou_thr=0.3, num_frames_retain=5),
    'bytetrack': dict(type='ByteTracker', motion=KF, obj_score_thrs=dict(high=0.6, low=0.1),
                      init_track_thr=0.7, weight_iou_with_det_scores=True,
                      match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
                      num_tentatives=3, num_frames_retain=5),
    'ocsort': dict(type='OCSORTTracker', motion=KF, obj_score_thr=0.3, init_track_thr=0.7,
                   match_iou_thr=0.3, num_tentatives=3, vel_consist_weight=0.2,
                   vel_delta_t=3, num_frames_retain=5),
    'strongsort': dict(type='StrongSORTTracker',
                       motion=dict(type='KalmanFilter', center_only=False, use_nsa=True),
                       obj_score_thr=0.6, match_iou_thr=0.7, num_tentatives=2,
                       momentums=dict(embeds=0.1), num_frames_retain=5,
                       reid=dict(num_samples=None, img_scale=(16, 8), img_norm_cfg=None,
                                 match_score_thr=0.3, motion_weight=0.02)),
}


def random_sequence(num_frames=40, num_persons=6, seed=0, miss=0.15, fp=0.5):
    """Walkers with misses, score dips, false positives and shuffled order.

    Returns per frame ``(instances with bboxes from keypoints and 'embeddings', gt ids)``.
    """
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, 500, (num_persons, 2))
    vel = rng.uniform(-6, 6, (num_persons, 2))
    size = rng.uniform([50, 100], [90, 180], (num_persons, 2))
    identity = rng.normal(size=(num_persons + 1, 8))
    seq = []
    for _ in range(num_frames):
        pos += vel + rng.normal(0, 1.5, pos.shape)
        seen = np.flatnonzero(rng.random(num_persons) > miss)
        poses = [pose_at(*pos[i], *size[i]) + rng.normal(0, 2, (17, 2)) for i in seen]
        ids = list(seen)
        for _ in range(rng.poisson(fp)):
            poses.append(pose_at(*rng.uniform(0, 500, 2), *rng.uniform([50, 100], [90, 180])))
            ids.append(-1)
        order = rng.permutation(len(poses))
        inst = make_instances([poses[i] for i in order])
        ids = np.array(ids, np.int64)[order]
        inst.bbox_scores = np.where(ids >= 0, rng.uniform(0.05, 1, len(ids)),
                                    rng.uniform(0.05, 0.5, len(ids))).astype(np.float32)
        inst.embeddings = (identity[np.where(ids >= 0, ids, num_persons)]
                           + rng.normal(0, 0.3, (len(ids), 8))).astype(np.float32)
        seq.append((inst, ids))
    return seq


def run_mmdet_directly(cfg, seq):
    """mmdet's tracker on the boxes alone: per frame {box bytes: id}."""
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmengine.registry import DefaultScope

    from plugins.tracking.mmdet_lap import install_lap_fallback
    install_lap_fallback()
    with DefaultScope.overwrite_default_scope('mmdet'):
        tracker = MODELS.build(copy.deepcopy(cfg))
    out = []
    for t, (inst, _) in enumerate(seq):
        sample = DetDataSample(metainfo=dict(frame_id=t, img_shape=(600, 600),
                                             scale_factor=(1.0, 1.0)))
        pred = InstanceData()
        pred.bboxes = torch.from_numpy(inst.bboxes)
        pred.scores = torch.from_numpy(inst.bbox_scores)
        pred.labels = torch.zeros(len(inst), dtype=torch.long)
        sample.pred_instances = pred
        if cfg['type'] in ('SORTTracker', 'StrongSORTTracker'):
            # mmdet crops, in order, the boxes scored above obj_score_thr (its first step);
            # this stand-in re-ID model returns their embeddings
            kept = inst.embeddings[inst.bbox_scores > cfg['obj_score_thr']]
            model = types.SimpleNamespace(
                with_cmc=False, reid=lambda crops, mode='tensor', e=kept: torch.from_numpy(
                    e / np.linalg.norm(e, axis=1, keepdims=True)),
                )
            model.reid.head = types.SimpleNamespace(out_channels=8)
            res = tracker.track(model, torch.zeros(1, 3, 600, 600), sample)
        else:
            res = tracker.track(sample)
        out.append({b.numpy().tobytes(): int(i) for b, i in zip(res.bboxes, res.instances_id)})
    return out


def build(cfg, **kwargs):
    return TRACKERS.build(dict(type='MMDetTrackerAdapter', tracker=copy.deepcopy(cfg),
                               **kwargs))


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_same_ids_as_mmdet_on_the_same_boxes(name):
    cfg = CONFIGS[name]
    seq = random_sequence(seed=3)
    ref = run_mmdet_directly(cfg, seq)
    tracker = build(cfg)
    tracker.reset()
    num_dropped = 0
    for t, (inst, _) in enumerate(seq):
        res = tracker.update(None, inst)
        # every kept pose carries the id mmdet gave its box; nothing else is kept
        got = {b.tobytes(): int(i) for b, i in zip(res.bboxes, res.track_ids)}
        assert got == ref[t], f'frame {t}'
        # poses stay with their boxes (boxes were made from the keypoints)
        np.testing.assert_array_equal(keypoint_boxes(res.keypoints, res.keypoint_scores),
                                      res.bboxes)
        # the kept rows are in input order, with their other fields
        rows = [int(np.flatnonzero((inst.bboxes == b).all(1))[0]) for b in res.bboxes]
        assert rows == sorted(rows)
        np.testing.assert_array_equal(res.embeddings, inst.embeddings[rows])
        assert res.track_ids.dtype == np.int64
        num_dropped += len(inst) - len(res)
    assert num_dropped > 0  # the sequence makes every tracker drop some detections


def test_ids_unique_per_frame_and_never_reused():
    seq = random_sequence(num_frames=60, seed=5)
    tracker = build(CONFIGS['bytetrack'])
    tracker.reset()
    last_seen = {}
    for t, (inst, _) in enumerate(seq):
        ids = tracker.update(None, inst).track_ids
        assert len(set(ids.tolist())) == len(ids)
        for i in ids.tolist():
            # an id comes back only while mmdet still holds the track (num_frames_retain=5)
            assert i not in last_seen or t - last_seen[i] <= 5
            last_seen[i] = t
    tracker.reset()
    assert tracker.update(None, seq[0][0]).track_ids.min() == 0


def test_bytetrack_keeps_a_low_score_person_and_drops_unmatched_low_scores():
    """A person whose score dips to 0.3 for two frames (second association) keeps its id; a
    low-score detection that matches no track is not returned."""
    frames = []
    for t in range(8):
        inst = make_instances([pose_at(100 + 5 * t, 100), pose_at(400, 100 + 3 * t)])
        inst.bbox_scores = np.array([0.3 if t in (4, 5) else 0.9, 0.95], np.float32)
        if t == 5:  # plus a low-score false positive far from everybody
            fp = make_instances([pose_at(700, 400)])
            fp.bbox_scores = np.array([0.3], np.float32)
            inst = InstanceData.cat([inst, fp])
        frames.append(inst)
    tracker = build(CONFIGS['bytetrack'])
    tracker.reset()
    out = [tracker.update(None, f) for f in frames]
    assert [len(r) for r in out] == [2] * 8  # the false positive is dropped
    assert all(r.track_ids.tolist() == out[0].track_ids.tolist() for r in out)
    # SORT (obj_score_thr=0.3 keeps scores above it) loses the person while it scores 0.3
    sort = build(CONFIGS['sort'])
    sort.reset()
    out = [sort.update(None, f) for f in frames]
    assert [len(r) for r in out][4:6] == [1, 1]


def test_boxes_from_keypoints_when_the_instances_have_none():
    seq = random_sequence(seed=7)
    with_boxes, without = build(CONFIGS['ocsort']), build(CONFIGS['ocsort'])
    with_boxes.reset()
    without.reset()
    for inst, _ in seq:
        bare = InstanceData(keypoints=inst.keypoints, keypoint_scores=inst.keypoint_scores,
                            bbox_scores=inst.bbox_scores)
        a, b = with_boxes.update(None, inst), without.update(None, bare)
        np.testing.assert_array_equal(a.track_ids, b.track_ids)
        np.testing.assert_array_equal(a.bboxes, b.bboxes)


def test_identical_boxes_keep_their_own_poses():
    """Two detections with the same box and score (different poses) are both returned, each
    with its own keypoints."""
    a, b = pose_at(100, 100), pose_at(100, 100)
    b[0] += 5  # a different nose, same extent
    tracker = build(CONFIGS['bytetrack'])
    tracker.reset()
    for _ in range(3):
        res = tracker.update(None, make_instances([a, b]))
        assert len(res) == 2
        np.testing.assert_array_equal(res.keypoints[0], a)
        np.testing.assert_array_equal(res.keypoints[1], b)


def test_history_is_bounded_and_does_not_change_ids():
    seq = random_sequence(num_frames=120, seed=11)
    short = build(CONFIGS['ocsort'])
    full = build(CONFIGS['ocsort'], max_history=10**6)
    short.reset()
    full.reset()
    for inst, _ in seq:
        np.testing.assert_array_equal(short.update(None, inst).track_ids,
                                      full.update(None, inst).track_ids)
    lengths = [len(v) for t in short.inner.tracks.values() for v in t.values()
               if isinstance(v, list)]
    assert max(lengths) <= short.max_history < 120
    assert max(len(v) for t in full.inner.tracks.values() for v in t.values()
               if isinstance(v, list)) > short.max_history  # the bound did cut something


def test_empty_frames():
    tracker = build(CONFIGS['bytetrack'])
    empty = make_instances([])
    tracker.reset()
    res = tracker.update(None, empty)
    assert len(res) == 0 and res.keypoints.shape == (0, 17, 2) and res.track_ids.shape == (0, )
    # a track of frame 0 is confirmed at once (mmdet) and survives empty frames
    tracker.reset()
    first = tracker.update(None, make_instances([pose_at(10, 10)])).track_ids
    assert len(tracker.update(None, empty)) == 0
    assert tracker.update(None, make_instances([pose_at(12, 10)])).track_ids.tolist() == \
        first.tolist()
    # a tentative track (started later) is ended by a miss, as in mmdet
    tracker.update(None, make_instances([pose_at(12, 10), pose_at(300, 10)]))
    tracker.update(None, make_instances([pose_at(12, 10)]))
    assert [t.status for t in tracker.ended_tracks] == ['removed']


def test_strongsort_embedder_gives_the_same_ids_as_precomputed_embeddings():
    from plugins.registry import MODELS
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (600, 700, 3), dtype=np.uint8)
    embedder = MODELS.build(dict(type='ColorHistogramEmbedder'))
    seq = random_sequence(seed=2)
    by_frame = build(CONFIGS['strongsort'], embedder=dict(type='ColorHistogramEmbedder'))
    precomputed = build(CONFIGS['strongsort'])
    by_frame.reset()
    precomputed.reset()
    for inst, _ in seq:
        bare = InstanceData(keypoints=inst.keypoints, keypoint_scores=inst.keypoint_scores,
                            bboxes=inst.bboxes, bbox_scores=inst.bbox_scores)
        given = bare.clone()
        given.embeddings = embedder(frame, inst.bboxes)
        np.testing.assert_array_equal(by_frame.update(frame, bare).track_ids,
                                      precomputed.update(None, given).track_ids)


def test_clear_errors():
    with pytest.raises(KeyError, match='not an mmdet tracker'):
        build(dict(type='NoSuchTracker'))
    tracker = build(CONFIGS['strongsort'])  # reid, but no embedder and no embeddings
    tracker.reset()
    inst = make_instances([pose_at(10, 10)])
    with pytest.raises(ValueError, match='embedder'):
        tracker.update(None, inst)
    with_embedder = build(CONFIGS['strongsort'], embedder=dict(type='ColorHistogramEmbedder'))
    with_embedder.reset()
    with pytest.raises(ValueError, match='frame'):
        with_embedder.update(None, inst)


def test_named_configs_build_and_track(repo_root):
    from mmengine.config import Config
    seq = random_sequence(num_frames=10, seed=1)
    for name in ('sort', 'bytetrack', 'ocsort', 'strongsort', 'pose_bytetrack',
                 'pose_bytetrack_oks_iou'):
        cfg = Config.fromfile(str(repo_root / 'configs/_base_/trackers' / f'{name}.py'))
        tracker = TRACKERS.build(dict(cfg.tracker.to_dict(), metainfo=POSETRACK_METAINFO))
        tracker.reset()
        for inst, _ in seq:
            res = tracker.update(np.zeros((600, 600, 3), np.uint8), inst)
            assert len(res) <= len(inst)


def test_scipy_lapjv_solves_lap_problems():
    """The stand-in for ``lap.lapjv``: optimal, and pairs above the cost limit unmatched
    (the real ``lap`` gives the same answers, checked when it is installed)."""
    from scipy.optimize import linear_sum_assignment
    rng = np.random.default_rng(0)
    try:
        import lap
    except ImportError:
        lap = None
    for _ in range(200):
        n, m = rng.integers(1, 7, 2)
        cost = rng.uniform(0, 1, (n, m))
        limit = rng.uniform(0.2, 1.0)
        total, x, y = lapjv(cost, extend_cost=True, cost_limit=limit)
        pairs = [(i, j) for i, j in enumerate(x) if j >= 0]
        assert all(y[j] == i for i, j in pairs)
        assert all(cost[i, j] <= limit for i, j in pairs)
        assert total == pytest.approx(sum(cost[i, j] for i, j in pairs))
        # optimal: (cost - limit) summed over matches is the minimum over all matchings
        r, c = linear_sum_assignment(np.minimum(cost - limit, 0))
        best = np.minimum(cost - limit, 0)[r, c].sum()
        assert sum(cost[i, j] - limit for i, j in pairs) == pytest.approx(best)
        if lap is not None:
            ref = lap.lapjv(cost, extend_cost=True, cost_limit=limit)
            np.testing.assert_array_equal(ref[1], x)
            np.testing.assert_array_equal(ref[2], y)
    _, x, y = lapjv(np.zeros((0, 3)), extend_cost=True, cost_limit=0.5)
    assert x.shape == (0, ) and y.tolist() == [-1, -1, -1]


def test_strongsort_starts_on_an_empty_frame():
    frame = np.random.default_rng(1).integers(0, 255, (300, 300, 3), dtype=np.uint8)
    tracker = build(CONFIGS['strongsort'], embedder=dict(type='ColorHistogramEmbedder'))
    tracker.reset()
    assert len(tracker.update(frame, make_instances([]))) == 0
    ids = [tracker.update(frame, make_instances([pose_at(10 + t, 10), pose_at(150, 20)]))
           .track_ids.tolist() for t in range(4)]
    assert ids[1:] == [ids[1]] * 3 and len(set(ids[1])) == 2


@pytest.mark.parametrize('name', ['bytetrack', 'ocsort', 'sort'])
def test_poses_with_empty_boxes(name):
    """A pose with one scored joint has a zero-size box; mmdet's Kalman state would get a NaN
    aspect ratio from it. The adapter gives mmdet a 1-pixel box and returns the pose's own."""
    tracker = build(CONFIGS[name])
    tracker.reset()
    for t in range(6):
        single = pose_at(300 + t, 50)
        single[1:] = single[0]  # every joint at the same point
        inst = make_instances([pose_at(10 + 3 * t, 10), single])
        inst.bbox_scores = np.array([0.9, 0.9], np.float32)
        res = tracker.update(None, inst)
        assert len(res) == 2 and np.isfinite(res.bboxes).all()
        np.testing.assert_array_equal(res.bboxes, inst.bboxes)
    assert len(set(res.track_ids.tolist())) == 2
    assert all(np.isfinite(t.mean).all() for t in tracker.inner.tracks.values())


def test_named_configs_merge_into_a_pipeline_config(repo_root, tmp_path):
    """The docs' recipe: a pipeline base + a tracker config + the interpolation config."""
    from mmengine.config import Config
    base = repo_root / 'configs' / '_base_'
    cfg_file = tmp_path / 'track_bytetrack.py'
    cfg_file.write_text(
        f"_base_ = ['{base}/pipelines/topdown_oks_tracking.py', "
        f"'{base}/trackers/bytetrack.py', '{base}/trackers/interpolation.py']\n"
        "tracking_pipeline = dict(detector=dict(low_score_thr=0.1),\n"
        "                         tracker=dict(_delete_=True, **_base_.tracker),\n"
        "                         post_processors=_base_.post_processors)\n")
    cfg = Config.fromfile(str(cfg_file)).tracking_pipeline
    assert cfg.tracker.to_dict() == Config.fromfile(
        str(base / 'trackers' / 'bytetrack.py')).tracker.to_dict()
    assert cfg.post_processors[0]['type'] == 'TrackletInterpolation'
    tracker = TRACKERS.build(cfg.tracker.to_dict())
    assert tracker.accepts_low_score and type(tracker.inner).__name__ == 'ByteTracker'
