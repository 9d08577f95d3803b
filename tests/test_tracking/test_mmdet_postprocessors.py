"""Tracklet interpolation and AFLink post-processors against mmdet's own implementations."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from tracking_test_sequences import make_instances, pose_at

from plugins.registry import POST_PROCESSORS
from plugins.tracking.mmdet_aflink import INFINITY, batched_confidence, link_ids
from plugins.tracking.track_edits import TrackEdits


def empty():
    return InstanceData(keypoints=np.zeros((0, 17, 2), np.float32),
                        keypoint_scores=np.zeros((0, 17), np.float32),
                        bboxes=np.zeros((0, 4), np.float32), bbox_scores=np.zeros(0, np.float32),
                        track_ids=np.zeros(0, np.int64))


def observe_tracks(post, tracks, num_frames):
    """Feed ``{id: {frame: pose (17, 2)}}`` frame by frame; returns the per-frame results."""
    post.reset()
    results = []
    for f in range(num_frames):
        ids = [t for t in sorted(tracks) if f in tracks[t]]
        inst = make_instances([tracks[t][f] for t in ids])
        inst.track_ids = np.array(ids, np.int64)
        inst.bbox_scores = np.full(len(ids), 0.9, np.float32)
        post.observe(f, inst)
        results.append(inst)
    return results


def walker(frames, x0=50.0, y0=80.0, vx=7.0, vy=2.0, size=(60, 150)):
    return {f: pose_at(x0 + vx * f, y0 + vy * f, *size) for f in frames}


# ---------------------------------------------------------------------------- interpolation
def test_interpolation_fills_the_same_boxes_as_mmdet():
    from mmdet.models.task_modules.tracking import InterpolateTracklets
    rng = np.random.default_rng(0)
    tracks = {
        3: walker([0, 1, 2, 3, 6, 7, 8, 20, 21, 22, 24]),  # gaps 3, 12, 2
        8: walker(list(range(0, 5)) + [25], x0=300, vx=-3),  # gap 20: too long (max 20)
        9: walker([2, 3, 4, 5, 6, 8], x0=200, vy=-1),  # gap 2
        11: walker([0, 1, 4, 5, 6], x0=400),  # 5 frames: not more than min_num_frames
    }
    for t in tracks:
        for f in tracks[t]:
            tracks[t][f] = tracks[t][f] + rng.normal(0, 3, (17, 2)).astype(np.float32)
    post = POST_PROCESSORS.build(dict(type='TrackletInterpolation', min_num_frames=5,
                                      max_num_frames=20))
    observe_tracks(post, tracks, 26)
    edits = post.finalize(TrackEdits())
    ours = sorted((f, int(t), *np.round(b, 3)) for f, inst in edits.inserted.items()
                  for t, b in zip(inst.track_ids, inst.bboxes))
    rows = []
    for t, poses in tracks.items():
        for f, p in poses.items():
            rows.append([f, t, *p.min(0), *p.max(0), 0.9])
    rows = np.array(rows, np.float64)
    out = InterpolateTracklets(min_num_frames=5, max_num_frames=20).forward(rows)
    new = out[~(out[:, None, :2] == rows[None, :, :2]).all(-1).any(1)]
    theirs = sorted((int(r[0]), int(r[1]), *np.round(r[2:6].astype(np.float32), 3))
                    for r in new)
    assert len(ours) == 2 + 11 + 1 + 1  # track 3: 4-5, 9-19, 23; track 9: 7
    assert [r[:2] for r in ours] == [r[:2] for r in theirs]
    np.testing.assert_allclose([r[2:] for r in ours], [r[2:] for r in theirs], atol=2e-3)


def test_interpolated_keypoints_and_missing_joints():
    a, b = pose_at(0, 0), pose_at(40, 20)
    tracks = {0: {f: pose_at(0, 0) for f in range(6)}}
    tracks[0][6] = a
    tracks[0][10] = b
    post = POST_PROCESSORS.build(dict(type='TrackletInterpolation'))
    post.reset()
    for f in range(11):
        if f not in tracks[0]:
            post.observe(f, empty())
            continue
        inst = make_instances([tracks[0][f]])
        inst.track_ids = np.array([0])
        if f == 10:
            inst.keypoint_scores[0, 3] = 0  # a missing joint at the right end
            inst.keypoint_scores[0, 4] = 0.5
        post.observe(f, inst)
    edits = post.finalize(TrackEdits())
    assert sorted(edits.inserted) == [7, 8, 9]
    mid = edits.inserted[8]
    np.testing.assert_allclose(mid.keypoints[0, 0], (a[0] + b[0]) / 2, atol=1e-4)
    np.testing.assert_array_equal(mid.keypoints[0, 3], [0, 0])
    assert mid.keypoint_scores[0, 3] == 0 and mid.keypoint_scores[0, 4] == pytest.approx(0.75)
    assert mid.track_ids.tolist() == [0]
    # applying the edits adds the pose to frame 8's (empty) result
    assert len(edits.apply(8, empty())) == 1


def test_interpolation_uses_the_final_ids_of_earlier_edits():
    """After a link 5 -> 2 (e.g. by AFLink), the gap between the two tracklets is filled with
    id 2; a dropped id is not interpolated."""
    tracks = {2: walker(range(0, 6)), 5: walker(range(9, 15)), 7: walker([0, 1, 2, 3, 4, 5, 6,
                                                                          9], x0=400)}
    post = POST_PROCESSORS.build(dict(type='TrackletInterpolation'))
    observe_tracks(post, tracks, 15)
    alone = post.finalize(TrackEdits())
    assert sorted(alone.inserted) == [7, 8]  # only track 7's gap
    linked = post.finalize(TrackEdits(id_map={5: 2}, dropped={7}))
    assert sorted(linked.inserted) == [6, 7, 8]
    assert all(inst.track_ids.tolist() == [2] for inst in linked.inserted.values())
    np.testing.assert_allclose(linked.inserted[7].keypoints[0],
                               walker([7])[7], atol=1e-3)  # a straight walk is exact


def test_interpolation_skips_frames_that_were_never_observed():
    post = POST_PROCESSORS.build(dict(type='TrackletInterpolation', min_num_frames=1))
    post.reset()
    for f in (0, 1, 2, 5, 6):  # frames 3 and 4 not tracked at all (e.g. unlabeled)
        inst = make_instances([pose_at(f, 0)])
        inst.track_ids = np.array([0])
        post.observe(f, inst)
    assert post.finalize(TrackEdits()).inserted == {}
    with pytest.raises(ValueError, match='increasing'):
        post.observe(3, inst)


# ---------------------------------------------------------------------------- AFLink
def make_aflink(**kwargs):
    torch.manual_seed(0)
    return POST_PROCESSORS.build(dict(type='AFLink', checkpoint=None, **kwargs))


def test_batched_confidence_equals_mmdet_model_per_pair():
    aflink = make_aflink()
    x1 = torch.randn(6, 1, 30, 5)
    x2 = torch.randn(6, 1, 30, 5)
    batched = batched_confidence(aflink.model, x1, x2)
    single = torch.stack([aflink.model(x1[i:i + 1], x2[i:i + 1]) for i in range(6)])
    torch.testing.assert_close(batched, single, rtol=1e-5, atol=1e-6)


def fragments():
    """Three people, broken into tracklets; ids 0..5 in order of first frame, all first
    frames different (the only case where mmdet's forward, which writes matrix indices as
    ids after an unstable sort by frame, is right)."""
    return {
        0: walker(range(0, 20)),
        1: walker(range(1, 15), x0=300, vx=-4),
        2: walker(range(18, 30), x0=300, vx=-4),  # continues 1 after a 3-frame gap
        3: walker(range(23, 40)),  # continues 0 after a 3-frame gap
        4: walker(range(33, 45), x0=300, vx=-4),  # continues 2
        5: walker(range(41, 50), x0=800, vx=0),  # far away from everybody
    }


def test_aflink_links_like_mmdet_when_ids_are_its_indices():
    from mmdet.models.task_modules.tracking import AppearanceFreeLink
    tracks = fragments()
    ours = make_aflink(confidence_threshold=0.0, spatial_threshold=200)
    observe_tracks(ours, tracks, 50)
    edits = ours.finalize(TrackEdits())
    torch.manual_seed(0)
    ref = AppearanceFreeLink(checkpoint='', temporal_threshold=(1, 30),
                             spatial_threshold=200, confidence_threshold=0.0)
    ref.model.load_state_dict(ours.model.state_dict())
    ref.model.to(ours.aflink.device)
    ref.device = ours.aflink.device
    rows = np.array([[f + 1, t, *p.min(0), *p.max(0), 1.0] for t, ps in tracks.items()
                     for f, p in ps.items()])
    out = ref.forward(rows.copy())
    theirs = {}
    # mmdet's output rows are (frame, new id, box...): the map from the (frame, box) rows
    key = {(r[0], round(r[2], 3)): int(r[1]) for r in out}
    for r in rows:
        theirs[int(r[1])] = key[(r[0], round(r[2], 3))]
    assert {t: edits.final_id(t) for t in tracks} == theirs
    assert [edits.final_id(t) for t in range(6)] == [0, 1, 1, 0, 1, 5]


def test_aflink_does_not_depend_on_the_id_values():
    tracks = fragments()
    renamed = {10 * t + 7: v for t, v in tracks.items()}
    a, b = make_aflink(confidence_threshold=0.0, spatial_threshold=200), make_aflink(
        confidence_threshold=0.0, spatial_threshold=200)
    observe_tracks(a, tracks, 50)
    observe_tracks(b, renamed, 50)
    ea, eb = a.finalize(TrackEdits()), b.finalize(TrackEdits())
    assert {10 * t + 7: 10 * ea.final_id(t) + 7 for t in tracks} == \
        {t: eb.final_id(t) for t in renamed}


def test_aflink_constraints_and_threshold():
    tracks = fragments()
    strict = make_aflink(confidence_threshold=1.01)  # no confidence reaches it
    observe_tracks(strict, tracks, 50)
    assert strict.finalize(TrackEdits()).is_identity
    near = make_aflink(confidence_threshold=0.0, spatial_threshold=200,
                       temporal_threshold=(1, 2))  # every gap is 3 frames or more
    observe_tracks(near, tracks, 50)
    assert near.finalize(TrackEdits()).is_identity
    cost, ids = make_aflink(confidence_threshold=0.0).cost_matrix({})
    assert cost.shape == (0, 0)
    with pytest.raises(ValueError, match='temporal_threshold'):
        make_aflink(temporal_threshold=(0, 30))


def test_link_chains_resolve_to_the_earliest_id():
    cost = np.full((3, 3), INFINITY)
    cost[0, 1] = 0.1  # 20 <- 30
    cost[1, 2] = 0.1  # 30 <- 40
    assert link_ids(cost, [20, 30, 40]) == {30: 20, 40: 20}


def test_aflink_loads_a_saved_checkpoint(tmp_path):
    src = make_aflink()
    path = tmp_path / 'aflink.pth'
    torch.manual_seed(123)
    for p in src.model.parameters():
        p.data.normal_()
    torch.save(dict(state_dict=src.model.state_dict()), path)
    loaded = POST_PROCESSORS.build(dict(type='AFLink', checkpoint=str(path)))
    for k, v in src.model.state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[k].cpu(), v.cpu())


def test_aflink_then_interpolation_in_a_pipeline_chain():
    tracks = fragments()
    link = make_aflink(confidence_threshold=0.0, spatial_threshold=200)
    interp = POST_PROCESSORS.build(dict(type='TrackletInterpolation'))
    link.reset()
    interp.reset()
    for f in range(50):
        ids = [t for t in sorted(tracks) if f in tracks[t]]
        inst = make_instances([tracks[t][f] for t in ids])
        inst.track_ids = np.array(ids, np.int64)
        link.observe(f, inst)
        interp.observe(f, inst)
    edits = interp.finalize(link.finalize(TrackEdits()))
    # 0 <- 3 linked over frames 20-22 and filled with id 0
    assert all(0 in edits.inserted[f].track_ids.tolist() for f in (20, 21, 22))
