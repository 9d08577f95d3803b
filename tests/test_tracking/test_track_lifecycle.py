"""BaseTracker's explicit lifecycle: status transitions, tentative tracks, the end-of-track
step and pruning (bounded memory on any video length), prepare() before a pure similarity()."""
import numpy as np
import pytest
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.registry import TRACKERS
from plugins.tracking.frame_context import FrameContext
from plugins.tracking.track import TrackStatus

K = 17


def person(x, y=10.0, w=20.0, h=40.0):
    t = np.linspace(0, 1, K, dtype=np.float32)[:, None]
    return np.float32([x, y]) + t * np.float32([w, h])


def frame_of(*xs):
    kpts = np.stack([person(x) for x in xs]) if xs else np.zeros((0, K, 2), np.float32)
    return InstanceData(keypoints=kpts, keypoint_scores=np.ones(kpts.shape[:2], np.float32))


def test_status_transitions_and_pruning():
    tracker = TRACKERS.build(dict(type='IoUTracker', max_age=2))
    tracker.update(None, frame_of(0, 100))
    assert [t.status for t in tracker.tracks] == [TrackStatus.TRACKED] * 2
    tracker.update(None, frame_of(0))  # the second person is missed: lost, still kept
    assert [t.status for t in tracker.tracks] == [TrackStatus.TRACKED, TrackStatus.LOST]
    out = tracker.update(None, frame_of(0, 100))  # within max_age: continued
    assert out.track_ids.tolist() == [0, 1]
    assert tracker.tracks[1].status == TrackStatus.TRACKED
    tracker.update(None, frame_of(0))
    tracker.update(None, frame_of(0))  # unmatched for max_age frames: removed and pruned
    assert [t.track_id for t in tracker.tracks] == [0]
    ended = list(tracker.ended_tracks)
    assert [(t.track_id, t.status, t.end_frame) for t in ended] == [(1, 'removed', 4)]
    assert tracker.update(None, frame_of(0, 100)).track_ids.tolist() == [0, 2]  # new id
    assert tracker.num_started == 3


def test_tentative_tracks_need_confirmation():
    tracker = TRACKERS.build(dict(type='IoUTracker', max_age=5, num_tentatives=2))
    tracker.update(None, frame_of(0, 100))
    assert {t.status for t in tracker.tracks} == {TrackStatus.TENTATIVE}
    tracker.update(None, frame_of(0))  # 0 confirmed; the unconfirmed 1 is removed at once
    assert [(t.track_id, t.status) for t in tracker.tracks] == [(0, TrackStatus.TRACKED)]
    assert tracker.update(None, frame_of(0, 100)).track_ids.tolist() == [0, 2]


def test_memory_is_bounded_over_a_long_stream():
    """A new person every 10 frames, each seen for 10 frames, 5000 frames: the tracker holds
    only the live tracks and the bounded history of ended ones."""
    tracker = TRACKERS.build(dict(type='OKSTracker', max_age=3, ended_history=7))
    most = 0
    for t in range(5000):
        x = 200.0 * (t // 10)  # far from the previous person: a new track each time
        tracker.update(None, frame_of(x))
        most = max(most, len(tracker.tracks))
    assert tracker.num_started == 500
    assert most <= 2 and len(tracker.ended_tracks) == 7


def test_prepare_runs_once_before_a_pure_similarity():
    calls = []

    @TRACKERS.register_module(force=True)
    class _Probe(TRACKERS.get('IoUTracker')):
        def prepare(self, ctx, instances):
            calls.append(('prepare', ctx.index, len(instances), ctx.image is not None))

        def similarity(self, tracks, instances, frame):
            calls.append(('similarity', len(tracks), len(instances)))
            return super().similarity(tracks, instances, frame)

    try:
        tracker = TRACKERS.build(dict(type='_Probe'))
        image = np.zeros((8, 8, 3), np.uint8)
        tracker.update(image, frame_of(0))
        tracker.track(FrameContext(index=1, image=image), frame_of(0, 100))
        tracker.update(None, frame_of())
        assert calls == [('prepare', 0, 1, True), ('prepare', 1, 2, True),
                         ('similarity', 1, 2), ('prepare', 2, 0, False)]
    finally:
        TRACKERS._module_dict.pop('_Probe')


def test_reid_tracker_embeds_once_per_frame_in_prepare():
    class CountingEmbedder:
        def __init__(self):
            self.calls = 0

        def __call__(self, frame, bboxes):
            self.calls += 1
            return np.eye(len(bboxes), 4, dtype=np.float32)

    emb = CountingEmbedder()
    tracker = TRACKERS.build(dict(type='ReIDTracker', embedder=emb, match_threshold=0.5))
    image = np.zeros((64, 200, 3), np.uint8)
    tracker.update(image, frame_of(0, 100))
    out = tracker.update(image, frame_of(0, 100))
    assert emb.calls == 2 and out.track_ids.tolist() == [0, 1]
    # similarity() computes nothing new and changes nothing
    before = [t.state['embedding'].copy() for t in tracker.tracks]
    sim = tracker.similarity(tracker.active_tracks, out, image)
    assert emb.calls == 2 and sim.shape == (2, 2)
    for b, t in zip(before, tracker.tracks):
        np.testing.assert_array_equal(b, t.state['embedding'])


@pytest.mark.parametrize('bad', [0, -1])
def test_num_tentatives_must_be_positive(bad):
    with pytest.raises(ValueError, match='num_tentatives'):
        TRACKERS.build(dict(type='IoUTracker', num_tentatives=bad))
