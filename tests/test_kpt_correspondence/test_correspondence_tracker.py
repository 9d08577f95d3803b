"""The correspondence tracker on constructed sequences (real network code path, colour
features): identities through a crossing with occlusion, duplicate removal, track merging."""
import numpy as np
import pytest
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.registry import POST_PROCESSORS, TRACKERS
from plugins.tracking.frame_context import FrameContext
from plugins.tracking.track_edits import TrackEdits
from scene import SIGMAS, K, colour_model, crossing, detections, pose_at, render


def tracker(**kwargs):
    # 3x3-cell reading windows: the softmax mass of a 3-px marker spreads over a few 4-px cells;
    # the summed-affinity gate scaled to these 5-joint persons (default 1.0 is for 17 joints)
    cfg = dict(type='CorrespondenceTracker', model=colour_model(), sigmas=SIGMAS,
               joint_threshold=0.4, match_threshold=0.05, affinity_window=1,
               min_affinity_sum=0.5)
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
    # the first version's mode: duplicate *tracks* are ended
    trk = tracker(duplicate_removal='tracks', duplicate_oks=0.5, temporal_distance=2)
    # frame 0: person 0 detected twice -> two tracks
    trk.update(frames[0], detections([p0, p0 + 1.0, p1], seed=0))
    out = trk.update(frames[0], detections([p0, p1], seed=1))
    assert out.track_ids.tolist() == [0, 2]
    assert [t.track_id for t in trk.ended_tracks] == [1]  # ended in the update step
    assert trk.ended_tracks[0].status == 'removed'
    # the duplicate detection comes back: it cannot revive the ended track
    out = trk.update(frames[0], detections([p0, p0 + 1.0, p1], seed=2))
    assert 1 not in out.track_ids.tolist()
    # without duplicate removal, the spurious track survives and takes the duplicate again
    trk = tracker(duplicate_removal=False, temporal_distance=2)
    trk.update(frames[0], detections([p0, p0 + 1.0, p1], seed=0))
    trk.update(frames[0], detections([p0, p1], seed=1))
    out = trk.update(frames[0], detections([p0, p0 + 1.0, p1], seed=2))
    assert sorted(out.track_ids.tolist()) == [0, 1, 2]


def merging(**kwargs):
    cfg = dict(type='CorrespondenceTrackMerging', model=colour_model(), sigmas=SIGMAS,
               joint_threshold=0.4, affinity_window=1, min_track_length=1)
    cfg.update(kwargs)
    return POST_PROCESSORS.build(cfg)


def run_with_post(trk, post, frames, dets):
    """Online results, and the final ones after the post-processor's edits."""
    trk.reset()
    post.reset()
    online = []
    for i, (f, d) in enumerate(zip(frames, dets)):
        ctx = FrameContext(index=i, image=f)
        out = trk.track(ctx, d)
        post.observe(i, out, ctx)
        online.append(out)
    edits = post.finalize(TrackEdits())
    return online, [edits.apply(i, r) for i, r in enumerate(online)]


def test_offline_merging_joins_fragments():
    """Person 0 is not detected for 3 frames: online it gets a new id, merging restores it."""
    frames, truth, dets, labels = [], [], [], []
    for t in range(10):
        people = {0: pose_at((20 + 3 * t, 30)), 1: pose_at((80, 34))}
        frames.append(render(people, [0, 1]))
        ids = [1] if 3 <= t <= 5 else [0, 1]
        dets.append(detections([people[i] for i in ids], seed=t))
        labels.append(ids)
    trk = tracker()
    results, merged = run_with_post(trk, merging(oks_threshold=0.3, max_gap=5), frames, dets)
    assert not identity_consistent(results, labels)  # fragmented online
    assert identity_consistent(merged, labels)
    # merging is a no-op when disabled
    _, plain = run_with_post(trk, merging(merge=False), frames, dets)
    assert all((a.track_ids == b.track_ids).all() for a, b in zip(results, plain))


def test_merging_keeps_bounded_summaries():
    """Per track at most four anchor poses while it grows (features only of anchor frames);
    once closed, its start / chosen centre / end; once decided, nothing."""
    post = merging(close_after=1, max_gap=3)
    trk = tracker()
    trk.reset()
    for i in range(11):
        people = {0: pose_at((20 + 3 * i, 30)), 1: pose_at((80, 34))}
        ctx = FrameContext(index=i, image=render(people, [0, 1]))
        post.observe(i, trk.track(ctx, detections([people[0], people[1]], seed=i)), ctx)
    merger = post.merger
    for t in merger.tracks.values():
        assert t.count == 11
        assert t.centre[1] == 8 and t.prev_centre[1] == 4  # offsets 2^3 and 2^2
    assert merger.kept_frames == [0, 4, 8, 10]
    for i in (11, 12):  # no one: the tracks close after frame 11 (max_age 1)
        blank = FrameContext(index=i, image=render({}, []))
        post.observe(i, trk.track(blank, detections(np.zeros((0, K, 2)))), blank)
    # the chosen centre of an 11-frame track is offset 4 (nearer 11 // 2 = 5 than 8); its
    # pairs wait for successors until frame 10 + max_gap = 13
    assert [a[0] for a in merger.tracks[0].anchors] == [0, 4, 10]
    assert merger.kept_frames == [0, 4, 10]
    blank = FrameContext(index=13, image=render({}, []))
    post.observe(13, trk.track(blank, detections(np.zeros((0, K, 2)))), blank)
    assert not merger.tracks and merger.kept_frames == []  # decided: nothing kept
    assert post.finalize(TrackEdits()).is_identity


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


# ---------------------------------------------------------------- CorrTrack rules (issue 16)
from plugins.tracking.correspondence_tracker import (TrackPropagation,  # noqa: E402
                                                     duplicate_detections, gated_scores,
                                                     nomination_assignment)
from plugins.tracking.track_merging import drop_short_tracks  # noqa: E402


def test_nomination_order_differs_from_global_greedy():
    # track 0 likes det 0 (0.9) then det 1 (0.8); track 1 likes det 0 most (0.95)
    sim = np.array([[0.9, 0.8], [0.95, 0.1]])
    # both nominate det 0, which takes the better nominator (track 1); track 0 is not offered
    # det 1 (one round) and det 1, nominated by nobody, stays unmatched
    assert nomination_assignment(sim, 0.0).tolist() == [[1, 0]]
    # global greedy takes (1, 0) then (0, 1)
    from plugins.tracking.assignment import greedy_assignment
    assert greedy_assignment(sim, 0.0).tolist() == [[1, 0], [0, 1]]
    # detections in input (NMS) order: det 0 picks first among its nominators
    sim = np.array([[0.5, 0.4], [0.2, 0.6], [-np.inf, 0.7]])
    assert nomination_assignment(sim, 0.0).tolist() == [[0, 0], [2, 1]]
    # threshold and -inf pairs are never nominated
    assert nomination_assignment(np.array([[0.05, -np.inf]]), 0.1).shape == (0, 2)


def _prop(points, peak, query, affinity):
    return TrackPropagation(np.asarray(points, float), np.asarray(peak, float),
                       np.asarray(query, bool), np.asarray(affinity, float))


def test_gated_scores_hand_computed():
    """Two joints, one track, three detections; each detection fails a different gate."""
    sig = [0.1, 0.1]
    # the track's propagated joints at (10, 10) and (20, 10), peaks 0.8 and 0.4
    points = [[[10, 10], [20, 10]]]
    peak = [[0.8, 0.4]]
    query = [[True, True]]
    det_kpts = np.array([[[10, 10], [20, 10]],      # det 0: on the propagated joints
                         [[10, 10], [20, 10]],      # det 1: same joints, box misses them
                         [[40, 40], [50, 40]]], float)  # det 2: far away
    det_scores = np.array([[0.9, 0.9], [0.9, 0.9], [0.9, 0.05]])
    boxes = np.array([[0, 0, 30, 20], [100, 100, 120, 120], [0, 0, 60, 60]], float)
    aff = [[[0.9, 0.5], [0.9, 0.5], [0.9, 0.2]]]  # (T=1, N=3, K=2)
    score, parts = gated_scores(_prop(points, peak, query, aff), det_kpts, det_scores, boxes,
                                sig, joint_threshold=0.1, propagated_score_thr=0.1,
                                box_gate=0.3, oks_gate=0.2, affinity_thr=0.3,
                                min_affinity_sum=1.0)
    # det 0: both joints inside its box, mean peak 0.6 > 0.3; OKS 1 (same joints);
    # affinities 0.9 + 0.5 = 1.4 >= 1.0; score = 1 + mean(0.9, 0.5) = 1.7
    np.testing.assert_allclose(parts['box_conf'][0], [0.6, 0.0, 0.6])
    np.testing.assert_allclose(score[0, 0], 1.7)
    # det 1: no propagated joint in its box -> -inf
    assert score[0, 1] == -np.inf
    # det 2: its box holds both joints (mean 0.6), only its first joint counts (second scored
    # 0.05 < 0.1): distance^2 = 30^2 + 30^2 = 1800, area 3600, var (2*0.1)^2 = 0.04:
    # OKS = exp(-1800 / (2 * 3600 * 0.04)) = exp(-6.25) < 0.2 -> -inf; affinity sum 0.9 < 1
    np.testing.assert_allclose(parts['oks'][0, 2], np.exp(-6.25))
    np.testing.assert_allclose(parts['affinity_sum'][0, 2], 0.9)
    assert score[0, 2] == -np.inf
    # the affinity gate alone: with det 0's second affinity 0.25 (<= 0.3 not summed) the sum
    # is 0.9 < 1.0 and the pair fails although box and OKS pass
    aff2 = [[[0.9, 0.25], [0.9, 0.5], [0.9, 0.2]]]
    score2, parts2 = gated_scores(_prop(points, peak, query, aff2), det_kpts, det_scores,
                                  boxes, sig, joint_threshold=0.1)
    np.testing.assert_allclose(parts2['affinity_sum'][0, 0], 0.9)
    assert score2[0, 0] == -np.inf
    # the box gate's threshold: peaks 0.3 and 0.2 -> mean 0.25 <= 0.3 fails
    score3, _ = gated_scores(_prop(points, [[0.3, 0.2]], query, aff), det_kpts, det_scores,
                             boxes, sig, joint_threshold=0.1)
    assert score3[0, 0] == -np.inf


def test_duplicate_detections_hand_computed():
    # track 0 matched to det 0 (best 1.0); det 1 scores 0.7 > 0.6 * 1.0 -> duplicate;
    # det 2 scores 0.5 <= 0.6 -> a new person; det 3 only scores against the unmatched track 1
    sim = np.array([[1.0, 0.7, 0.5, -np.inf],
                    [-np.inf, -np.inf, -np.inf, 0.9]])
    pairs = np.array([[0, 0]])
    assert duplicate_detections(sim, pairs, 0.6).tolist() == [False, True, False, False]
    assert not duplicate_detections(sim, np.zeros((0, 2), int), 0.6).any()


def test_duplicate_detection_is_dropped_not_given_an_id():
    frames, truth = crossing()
    p0, p1 = truth[0][0], truth[0][1]
    trk = tracker(score='gated', assignment='nomination', duplicate_removal='detections',
                  joint_threshold=0.1)
    out = trk.update(frames[0], detections([p0, p1], seed=0))
    assert out.track_ids.tolist() == [0, 1]
    # frame 1: person 0 detected twice (the second a shifted copy): the copy is dropped
    out = trk.update(frames[0], detections([p0, p1, p0 + 1.0], seed=1))
    assert out.track_ids.tolist() == [0, 1]
    np.testing.assert_allclose(out.keypoints, detections([p0, p1, p0 + 1.0], seed=1)
                               .keypoints[:2])
    # the first version ('tracks') gives the copy a new id
    old = tracker(duplicate_removal='tracks', score='affinity', assignment='greedy')
    old.update(frames[0], detections([p0, p1], seed=0))
    out = old.update(frames[0], detections([p0, p1, p0 + 1.0], seed=1))
    assert out.track_ids.tolist() == [0, 1, 2]


def test_similarity_has_no_side_effects():
    frames, truth = crossing()
    p0 = truth[0][0]
    trk = tracker(duplicate_removal='tracks', score='affinity', assignment='greedy',
                  duplicate_oks=0.5, temporal_distance=2)
    trk.update(frames[0], detections([p0, p0 + 1.0], seed=0))
    trk.frame_id += 1
    trk.prepare(FrameContext(index=1, image=frames[0]), detections([p0], seed=1))
    before = [dict(t.state) for t in trk.tracks]
    sim1 = trk.similarity(trk.active_tracks, detections([p0], seed=1), frames[0])
    sim2 = trk.similarity(trk.active_tracks, detections([p0], seed=1), frames[0])
    np.testing.assert_array_equal(sim1, sim2)
    assert [dict(t.state) for t in trk.tracks] == before  # no track ended by similarity()
    assert all(np.isfinite(sim1).ravel())


def test_short_tracks_dropped_offline():
    def frame(ids):
        n = len(ids)
        return InstanceData(keypoints=np.zeros((n, K, 2), np.float32),
                            keypoint_scores=np.ones((n, K), np.float32),
                            track_ids=np.asarray(ids, np.int64))
    results = [frame([0, 1]), frame([0, 1, 2]), frame([0]), frame([0, 2]), frame([])]
    out = drop_short_tracks(results, 3)
    # track 0: 4 frames, kept; track 1: 2 frames, dropped; track 2: 2 frames, dropped
    assert [r.track_ids.tolist() for r in out] == [[0], [0], [0], [0], []]
    assert [r.track_ids.tolist() for r in drop_short_tracks(results, 2)] == \
        [[0, 1], [0, 1, 2], [0], [0, 2], []]
    # in the post-processor (default min_track_length=3)
    frames, truth = crossing()
    dets = [detections([truth[t][0]] + ([truth[t][1]] if t < 2 else []), seed=t)
            for t in range(4)]
    res, final = run_with_post(tracker(), merging(min_track_length=3), frames[:4], dets)
    assert [len(r) for r in res] == [2, 2, 1, 1]
    assert [len(r) for r in final] == [1, 1, 1, 1]


def test_output_pruning_of_poses_with_few_joints():
    from plugins.apis.pose_tracking_pipeline import mark_missing_joints
    inst = InstanceData(keypoints=np.ones((3, 3, 2), np.float32),
                        keypoint_scores=np.array([[0.9, 0.4, 0.1], [0.9, 0.2, 0.1],
                                                  [0.31, 0.3, 0.5]], np.float32),
                        track_ids=np.array([5, 6, 7]))
    out = mark_missing_joints(inst, 0.3, min_keypoints=2)
    assert out.track_ids.tolist() == [5, 7]  # pose 6 has one joint >= 0.3
    np.testing.assert_allclose(out.keypoint_scores[0], [0.9, 0.4, 0], rtol=1e-6)
    assert len(mark_missing_joints(inst, 0.3)) == 3


class FixedEmbedder:
    """Embeddings given per call (the Re-ID variant's embedder interface)."""

    def __init__(self, per_frame):
        self.per_frame = list(per_frame)

    def __call__(self, frame, bboxes):
        emb = np.asarray(self.per_frame.pop(0), np.float64)
        assert len(emb) == len(bboxes)
        return emb


def test_reid_variant_rematches_inactive_tracks():
    frames, truth = crossing()
    far = pose_at((20, 10))  # away from track 1, the only track propagated (distance 1)
    a, b = [1.0, 0.0], [0.0, 1.0]
    emb = FixedEmbedder([[a, b], [b], [b], [a, b]])
    trk = tracker(reid=dict(embedder=emb, max_inactive=10, window=10, threshold=0.5),
                  temporal_distance=1)
    trk.update(frames[0], detections([truth[0][0], truth[0][1]], seed=0))   # ids 0 (a), 1 (b)
    trk.update(frames[0], detections([truth[0][1]], seed=1))               # 1 continues
    trk.update(frames[0], detections([truth[0][1]], seed=2))               # 0 inactive
    # person 0 comes back far from its last pose: correspondences cannot match it, its
    # appearance (cosine 1 > 0.5 with track 0's mean embedding) does
    out = trk.update(frames[0], detections([far, truth[0][1]], seed=3))
    assert out.track_ids.tolist() == [0, 1]
    # without Re-ID it is a new person
    plain = tracker(temporal_distance=1)
    run(plain, [frames[0]] * 3, [detections([truth[0][0], truth[0][1]], seed=0),
                                 detections([truth[0][1]], seed=1),
                                 detections([truth[0][1]], seed=2)])
    assert plain.update(frames[0], detections([far, truth[0][1]], seed=3)).track_ids[0] == 2
    # below the cosine threshold: new track
    emb = FixedEmbedder([[a, b], [b], [b], [[0.6, 0.8], b]])  # cosine 0.6 with a, threshold 0.7
    trk = tracker(reid=dict(embedder=emb, threshold=0.7), temporal_distance=1)
    run(trk, [frames[0]] * 3, [detections([truth[0][0], truth[0][1]], seed=0),
                               detections([truth[0][1]], seed=1),
                               detections([truth[0][1]], seed=2)])
    assert trk.update(frames[0], detections([far, truth[0][1]], seed=3)).track_ids[0] == 2
