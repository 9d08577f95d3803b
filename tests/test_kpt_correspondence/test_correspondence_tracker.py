"""The correspondence tracker on constructed sequences (real network code path, colour
features): identities through a crossing with occlusion, duplicate removal, track merging."""
import numpy as np
import pytest

import plugins  # noqa: F401
from plugins.registry import TRACKERS
from scene import SIGMAS, K, colour_model, crossing, detections, pose_at, render


def tracker(**kwargs):
    # 3x3-cell reading windows: the softmax mass of a 3-px marker spreads over a few 4-px cells
    cfg = dict(type='CorrespondenceTracker', model=colour_model(), sigmas=SIGMAS,
               joint_threshold=0.4, match_threshold=0.05, affinity_window=1)
    cfg.update(kwargs)
    return TRACKERS.build(cfg)


def run(trk, frames, dets):
    trk.reset()
    return [trk.update(f, d) for f, d in zip(frames, dets)]


def crossing_inputs():
    frames, truth = crossing()
    mid = len(frames) // 2
    dets, labels = [], []
    for t, people in enumerate(truth):
        ids = [1] if t == mid else [1, 0]  # person 0 occluded at the middle frame
        if t % 2:
            ids = ids[::-1]  # detector output order changes between frames
        dets.append(detections([people[i] for i in ids], seed=t))
        labels.append(ids)
    return frames, dets, labels


def identity_consistent(results, labels):
    """Each person keeps one id and the two persons' ids differ."""
    ids = {0: set(), 1: set()}
    for res, lab in zip(results, labels):
        for tid, person in zip(res.track_ids.tolist(), lab):
            ids[person].add(tid)
    return len(ids[0]) == 1 and len(ids[1]) == 1 and ids[0] != ids[1]


def test_identities_kept_through_crossing_with_occlusion():
    frames, dets, labels = crossing_inputs()
    results = run(tracker(temporal_distance=2), frames, dets)
    assert identity_consistent(results, labels)
    # the occluded person is continued from two frames back: only two ids overall
    assert len({t for r in results for t in r.track_ids.tolist()}) == 2


def test_crossing_defeats_pose_only_tracking():
    """The sequence is hard for pose geometry alone (same poses, swapping positions)."""
    frames, dets, labels = crossing_inputs()
    oks = TRACKERS.build(dict(type='OKSTracker', sigmas=SIGMAS, max_age=2,
                              assignment='greedy', match_threshold=0.05))
    assert not identity_consistent(run(oks, frames, dets), labels)


def test_temporal_distance_one_loses_the_occluded_person():
    """With only the previous frame propagated, the occluded person comes back as new."""
    frames, dets, labels = crossing_inputs()
    results = run(tracker(temporal_distance=1), frames, dets)
    assert len({t for r in results for t in r.track_ids.tolist()}) == 3


def test_similarity_prefers_the_same_person():
    frames, truth = crossing()
    trk = tracker()
    trk.update(frames[0], detections([truth[0][0], truth[0][1]]))
    dets = detections([truth[1][1], truth[1][0]], seed=1)  # swapped order
    out = trk.update(frames[1], dets)
    assert out.track_ids.tolist() == [1, 0]


def test_duplicate_tracks_are_removed():
    frames, truth = crossing()
    p0, p1 = truth[0][0], truth[0][1]
    trk = tracker(duplicate_oks=0.5, temporal_distance=2)
    # frame 0: person 0 detected twice -> two tracks
    trk.update(frames[0], detections([p0, p0 + 1.0, p1], seed=0))
    out = trk.update(frames[0], detections([p0, p1], seed=1))
    assert out.track_ids.tolist() == [0, 2]
    assert trk.tracks[1].state.get('removed') is True
    # the duplicate detection comes back: it cannot revive the ended track
    out = trk.update(frames[0], detections([p0, p0 + 1.0, p1], seed=2))
    assert 1 not in out.track_ids.tolist()
    # without duplicate removal, the spurious track survives and takes the duplicate again
    trk = tracker(duplicate_removal=False, temporal_distance=2)
    trk.update(frames[0], detections([p0, p0 + 1.0, p1], seed=0))
    trk.update(frames[0], detections([p0, p1], seed=1))
    out = trk.update(frames[0], detections([p0, p0 + 1.0, p1], seed=2))
    assert sorted(out.track_ids.tolist()) == [0, 1, 2]


def test_offline_merging_joins_fragments():
    """Person 0 is not detected for 3 frames: online it gets a new id, merging restores it."""
    frames, truth, dets, labels = [], [], [], []
    for t in range(10):
        people = {0: pose_at((20 + 3 * t, 30)), 1: pose_at((80, 34))}
        frames.append(render(people, [0, 1]))
        ids = [1] if 3 <= t <= 5 else [0, 1]
        dets.append(detections([people[i] for i in ids], seed=t))
        labels.append(ids)
    trk = tracker(merge=dict(oks_threshold=0.3, max_gap=5))
    results = run(trk, frames, dets)
    assert not identity_consistent(results, labels)  # fragmented online
    merged = trk.finalize(results)
    assert identity_consistent(merged, labels)
    # the same with frames given explicitly (and the online results untouched)
    assert identity_consistent(trk.finalize(results, frames=frames), labels)
    assert not identity_consistent(results, labels)
    # merging is a no-op without the merge config
    plain = tracker()
    res2 = run(plain, frames, dets)
    assert all((a.track_ids == b.track_ids).all() for a, b in zip(res2, plain.finalize(res2)))


def test_empty_frames_and_missing_pixels():
    frames, truth = crossing()
    trk = tracker()
    empty = detections(np.zeros((0, K, 2)))
    out = trk.update(frames[0], empty)
    assert out.track_ids.shape == (0, )
    out = trk.update(frames[1], detections([truth[1][0]]))
    assert out.track_ids.tolist() == [0]
    out = trk.update(frames[2], empty)
    assert len(out) == 0
    with pytest.raises(ValueError, match='pixels'):
        trk.update(None, detections([truth[3][0]]))


def test_refinement_path_runs():
    frames, dets, _ = crossing_inputs()
    trk = tracker(model=colour_model(refine=True))
    results = run(trk, frames[:3], dets[:3])
    assert all(len(r.track_ids) == len(d) for r, d in zip(results, dets[:3]))


def test_keypoint_count_mismatch_is_reported():
    with pytest.raises(ValueError, match='joints'):
        tracker(sigmas=[0.1] * (K + 1))
