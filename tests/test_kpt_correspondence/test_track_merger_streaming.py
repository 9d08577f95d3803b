"""The streaming track merger against the whole-video best-first greedy (an independent
brute-force reference written here), and its bounded state on a long stream."""
import numpy as np
import pytest

import plugins  # noqa: F401
from plugins.tracking.track_merging import CorrespondenceTrackMerging, TrackMerger
from plugins.utils.keypoint_similarity import pairwise_oks

K = 4
SIGMAS = np.full(K, 0.1)
SHAPE = np.array([[0, 0], [10, 0], [0, 20], [10, 20]], np.float64)
VELOCITY = np.array([1.5, 0.5])


def propagate(src, dst, kpts, valid):
    """Every person moves by VELOCITY px per frame (payloads are the frame indices)."""
    return kpts + (dst - src) * VELOCITY, np.ones(kpts.shape[:2])


def random_video(seed, frames=120, persons=4, p_break=0.08, p_miss=0.1):
    """Persons walking at VELOCITY with jitter; each one's track is cut at random into
    fragments with fresh ids, and missed in random frames. Returns per-frame
    ``(ids, keypoints, scores, boxes)``."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 200, (persons, 2))
    ids = np.arange(persons)
    next_id = persons
    video = []
    for t in range(frames):
        rows = []
        for p in range(persons):
            if rng.random() < p_break:
                ids[p], next_id = next_id, next_id + 1
            if rng.random() < p_miss:
                continue
            kpts = SHAPE + start[p] + t * VELOCITY + rng.normal(0, 1.5, (K, 2))
            scores = rng.uniform(0.2, 1.0, K)
            rows.append((ids[p], kpts, scores))
        order = rng.permutation(len(rows))
        rows = [rows[i] for i in order]
        tid = np.array([r[0] for r in rows], np.int64)
        kp = np.array([r[1] for r in rows]).reshape(-1, K, 2)
        sc = np.array([r[2] for r in rows]).reshape(-1, K)
        bx = np.concatenate([kp.min(1), kp.max(1)], 1) if len(rows) else np.zeros((0, 4))
        video.append((tid, kp, sc, bx))
    return video


def reference(video, max_gap, oks_threshold, joint_threshold=0.4, min_joints=3,
              min_track_length=1):
    """Whole-video greedy: every candidate pair scored, best first (ties: larger (A, B))."""
    tracks = {}
    for f, (ids, kp, sc, bx) in enumerate(video):
        for i, tid in enumerate(ids.tolist()):
            tracks.setdefault(tid, []).append((f, kp[i], sc[i], bx[i]))

    def anchors(seq):
        n = len(seq)
        powers = [1 << m for m in range(20) if (1 << m) <= n - 1][-2:][::-1]
        chosen = [min(powers, key=lambda c: abs(c - n // 2))] if powers else []
        return [seq[o] for o in sorted({0, *chosen, n - 1})]

    def oks(ref, moved, counted):
        box = ref[3]
        area = max((box[2] - box[0]) * (box[3] - box[1]), 1.0)
        return pairwise_oks(ref[1][None], moved[None], SIGMAS, np.array([area]),
                            visible_a=counted[None])[0, 0]

    ranked = []
    for a, sa in tracks.items():
        for b, sb in tracks.items():
            if not sa[-1][0] < sb[0][0] <= sa[-1][0] + max_gap:
                continue
            values = []
            for src_seq, ref in ((sa, sb[0]), (sb, sa[-1])):
                for anc in anchors(src_seq):
                    valid = anc[2] >= joint_threshold
                    moved, _ = propagate(anc[0], ref[0], anc[1][None], valid[None])
                    counted = valid & (ref[2] >= joint_threshold)
                    if counted.sum() >= min_joints:
                        values.append(oks(ref, moved[0], counted))
            if values and np.mean(values) >= oks_threshold:
                ranked.append((float(np.mean(values)), a, b))
    succ, pred = {}, {}
    for _, a, b in sorted(ranked, reverse=True):
        if a not in succ and b not in pred:
            succ[a], pred[b] = b, a
    root = {}
    for tid in tracks:
        r = tid
        while r in pred:
            r = pred[r]
        root[tid] = r
    id_map = {k: v for k, v in root.items() if k != v}
    lengths = {}
    for tid, seq in tracks.items():
        lengths[root[tid]] = lengths.get(root[tid], 0) + len(seq)
    return id_map, {r for r, n in lengths.items() if n < min_track_length}


def stream(video, **kwargs):
    merger = TrackMerger(propagate, SIGMAS, **kwargs)
    for f, frame in enumerate(video):
        if len(frame[0]):
            merger.observe(f, *frame)
    return merger.finalize()


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('close_after', [1, 3, None])
def test_streaming_equals_whole_video_greedy(seed, close_after):
    video = random_video(seed)
    max_gap = 4 + seed
    # misses of up to close_after frames only (the tracker's max_age): drop longer gaps
    if close_after is not None:
        video = _respect_max_age(video, close_after)
    want = reference(video, max_gap, oks_threshold=0.3, min_track_length=5)
    got = stream(video, oks_threshold=0.3, max_gap=max_gap, close_after=close_after,
                 min_track_length=5)
    assert got == want
    assert len(want[0]) > 3  # the case merges something, and drops something
    assert len(want[1]) > 0


def _respect_max_age(video, max_age):
    """Give a new id to a track seen again more than ``max_age`` frames after its last frame
    (what a tracker with that ``max_age`` does)."""
    last, rename, next_id = {}, {}, 10_000
    out = []
    for f, (ids, kp, sc, bx) in enumerate(video):
        new = []
        for tid in ids.tolist():
            cur = rename.get(tid, tid)
            if cur in last and f - last[cur] > max_age:
                rename[tid], cur, next_id = next_id, next_id, next_id + 1
            last[cur] = f
            new.append(cur)
        out.append((np.array(new, np.int64), kp, sc, bx))
    return out


def test_state_is_bounded_on_a_long_stream():
    """5,000 frames, persons replaced every ~60 frames, many fragments: the undecided tracks
    and the kept payloads stay within the window, and every track is decided in the end."""
    video = _respect_max_age(random_video(7, frames=5000, persons=3, p_break=0.03), 2)
    merger = TrackMerger(propagate, SIGMAS, oks_threshold=0.3, max_gap=10, close_after=2)
    sizes = []
    for f, frame in enumerate(video):
        merger.observe(f, *frame)
        sizes.append((len(merger.tracks), len(merger.kept_frames)))
    sizes = np.array(sizes)
    n_tracks = len({t for ids, *_ in video for t in ids.tolist()})
    assert n_tracks > 400
    # bounded: at most the tracks / frames of a few windows, no growth with the video
    assert sizes[:, 0].max() <= 40 and sizes[:, 1].max() <= 40
    assert sizes[2500:, 0].max() <= sizes[:2500, 0].max() + 10
    id_map, _ = merger.finalize()
    assert not merger.tracks and not merger.kept_frames
    assert id_map == reference(video, 10, oks_threshold=0.3)[0]


def test_observe_order_and_close_after_checked():
    merger = TrackMerger(propagate, SIGMAS, close_after=2)
    frame = random_video(0, frames=1)[0]
    merger.observe(3, *frame)
    with pytest.raises(ValueError, match='increasing order'):
        merger.observe(3, *frame)
    with pytest.raises(ValueError, match='close_after'):
        TrackMerger(propagate, SIGMAS, close_after=0)
    with pytest.raises(ValueError, match='propagate'):
        TrackMerger(None, SIGMAS)


def test_revived_track_warns():
    merger = TrackMerger(propagate, SIGMAS, close_after=1, merge=False, min_track_length=3)
    one = (np.array([5]), SHAPE[None], np.ones((1, K)), np.array([[0, 0, 10, 20.]]))
    merger.observe(0, *one)
    merger.observe(1, *one)
    with pytest.warns(UserWarning, match='came back'):
        merger.observe(5, *one)  # closed at frame 2 (max_age 1), seen again at 5
    id_map, dropped = merger.finalize()
    # its first part (2 frames) was decided short when it closed; the id stays dropped
    assert id_map == {} and dropped == {5}


def test_post_processor_takes_max_age_from_the_tracker():
    class Tracker:
        max_age = 4

    post = CorrespondenceTrackMerging(merge=False, sigmas=SIGMAS)
    post.bind_tracker(Tracker())
    assert post.merger.close_after == 4
    post = CorrespondenceTrackMerging(merge=False, sigmas=SIGMAS, close_after=9)
    post.bind_tracker(Tracker())
    assert post.merger.close_after == 9
