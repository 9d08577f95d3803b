"""Offline track merging with an injected propagation (pure function behaviour)."""
import numpy as np
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.tracking.track_merging import merge_tracks

K = 4
SIGMAS = [0.1] * K
SHAPE = np.array([[0, 0], [10, 0], [0, 20], [10, 20]], np.float32)


def frame(poses, ids):
    inst = InstanceData()
    inst.keypoints = np.asarray(poses, np.float32).reshape(-1, K, 2)
    inst.keypoint_scores = np.ones((len(ids), K), np.float32)
    inst.bboxes = np.concatenate([inst.keypoints.min(1), inst.keypoints.max(1)], 1)
    inst.track_ids = np.asarray(ids, np.int64)
    return inst


def moving(velocity):
    """Propagation that knows every person moves by ``velocity`` px per frame."""
    calls = []

    def propagate(src, dst, kpts, valid):
        calls.append((src, dst, len(kpts)))
        return kpts + (dst - src) * np.asarray(velocity, np.float32), np.ones(kpts.shape[:2])
    return propagate, calls


def sequence():
    """Person A (x = 10 + 2t) as tracks 0 (frames 0-3) and 2 (frames 6-9); person B far away
    as track 1 for all frames; person C appears at frame 6 elsewhere as track 3."""
    frames = []
    for t in range(10):
        a = SHAPE + [10 + 2 * t, 10]
        b = SHAPE + [100 + 2 * t, 60]
        c = SHAPE + [60 + 2 * t, 90]
        if t <= 3:
            frames.append(frame([a, b], [0, 1]))
        elif t <= 5:
            frames.append(frame([b], [1]))
        else:
            frames.append(frame([c, a, b], [3, 2, 1]))
    return frames


def test_fragments_of_one_person_merge_and_others_stay():
    propagate, calls = moving((2, 0))
    out = merge_tracks(sequence(), propagate, SIGMAS, oks_threshold=0.5, max_gap=5,
                       min_joints=3)
    for t in range(10):
        ids = out[t].track_ids.tolist()
        if t <= 3:
            assert ids == [0, 1]
        elif t <= 5:
            assert ids == [1]
        else:
            assert ids == [3, 0, 1]  # track 2 continues track 0; C (track 3) stays new
    # one network call per (source frame, target frame) pair
    assert len(calls) == len({(s, d) for s, d, _ in calls})


def test_wrong_motion_model_prevents_the_merge():
    propagate, _ = moving((-6, 3))
    out = merge_tracks(sequence(), propagate, SIGMAS, oks_threshold=0.5, max_gap=5)
    assert out[8].track_ids.tolist() == [3, 2, 1]


def test_max_gap_and_inputs_untouched():
    frames = sequence()
    propagate, calls = moving((2, 0))
    out = merge_tracks(frames, propagate, SIGMAS, oks_threshold=0.5, max_gap=1)
    assert out[8].track_ids.tolist() == [3, 2, 1] and calls == []
    out = merge_tracks(frames, moving((2, 0))[0], SIGMAS, oks_threshold=0.5, max_gap=5)
    assert frames[8].track_ids.tolist() == [3, 2, 1]  # the input is not modified
    assert out[8] is not frames[8]


def test_chains_take_the_first_id():
    frames = []
    for t in range(9):
        a = SHAPE + [10 + 2 * t, 10]
        tid = 0 if t <= 2 else (5 if t <= 5 else 7)
        frames.append(frame([a], [tid]) if t not in (3, 6) else frame([], []))
    out = merge_tracks(frames, moving((2, 0))[0], SIGMAS, oks_threshold=0.5, max_gap=3)
    assert {int(i) for f in out for i in f.track_ids} == {0}
