"""Recovery of a person the detector dropped for one frame (real network code path)."""
import numpy as np
import pytest
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.registry import PROPOSAL_SOURCES, TRACKERS
from scene import SIGMAS, K, colour_model, detections, pose_at, render


def recovery(**kwargs):
    cfg = dict(type='CorrespondenceRecovery', model=colour_model(), sigmas=SIGMAS,
               joint_threshold=0.4, min_joints=3, oks_threshold=0.5, affinity_window=1)
    cfg.update(kwargs)
    return PROPOSAL_SOURCES.build(cfg)


def walking(num_frames=6):
    frames, truth = [], []
    for t in range(num_frames):
        people = {0: pose_at((20 + 4 * t, 30)), 1: pose_at((76 - 2 * t, 34))}
        frames.append(render(people, [0, 1]))
        truth.append(people)
    return frames, truth


class GroundTruthEstimator:
    """A stand-in top-down estimator: the true pose of the person whose centre lies in the
    box (scores 0.8), or a low-scored box-centre pose when nobody is there."""

    def __init__(self, people):
        self.people = people
        self.calls = []

    def __call__(self, frame, bboxes):
        self.calls.append(np.asarray(bboxes).copy())
        kpts, scores = [], []
        for x1, y1, x2, y2 in bboxes:
            inside = [p for p in self.people.values()
                      if x1 <= p.mean(0)[0] <= x2 and y1 <= p.mean(0)[1] <= y2]
            if inside:
                kpts.append(inside[0])
                scores.append(np.full(K, 0.8, np.float32))
            else:
                kpts.append(np.tile([(x1 + x2) / 2, (y1 + y2) / 2], (K, 1)))
                scores.append(np.full(K, 0.1, np.float32))
        return InstanceData(keypoints=np.asarray(kpts, np.float32).reshape(-1, K, 2),
                            keypoint_scores=np.asarray(scores, np.float32).reshape(-1, K))


def test_dropped_person_is_recovered_and_keeps_its_identity():
    frames, truth = walking()
    rec = recovery()
    trk = TRACKERS.build(dict(type='CorrespondenceTracker', model=colour_model(),
                              sigmas=SIGMAS, match_threshold=0.05, affinity_window=1))
    prev_frame = prev = None
    outputs = []
    for t, (frame, people) in enumerate(zip(frames, truth)):
        ids = [1] if t == 3 else [0, 1]  # person 0 missed by the detector at frame 3
        dets = detections([people[i] for i in ids], seed=t)
        estimator = GroundTruthEstimator(people)
        poses = rec.recover(prev_frame, prev, frame, dets, estimator)
        out = trk.update(frame, poses)
        outputs.append(out)
        prev_frame, prev = frame, out
        if t == 0:
            assert estimator.calls == []  # nothing to propagate on the first frame
    # frame 3: both persons present, person 0 recovered at its true pose, after the detection
    assert len(outputs[3]) == 2
    np.testing.assert_allclose(outputs[3].keypoints[1], truth[3][0], atol=1e-5)
    # one track per person through the whole video
    for t in range(len(frames)):
        assert sorted(outputs[t].track_ids.tolist()) == [0, 1]
    assert outputs[3].track_ids[1] == outputs[2].track_ids[0]


def test_recovery_box_encloses_the_propagated_pose():
    frames, truth = walking()
    rec = recovery(bbox_padding=1.0)
    prev = detections([truth[0][0], truth[0][1]], seed=0)
    pts, usable = rec.propagate(frames[0], prev, frames[1])
    assert usable.all()
    # colour features put every propagated joint within 1.5 map cells (6 px) of a joint of the
    # same person (joints of similar shade may be swapped, but stay on the person)
    for i in (0, 1):
        dist = np.linalg.norm(pts[i][:, None] - truth[1][i][None], axis=-1)
        assert dist.min(axis=1).max() <= 6.0
        assert np.linalg.norm(pts[i].mean(0) - truth[1][i].mean(0)) <= 4.0
    estimator = GroundTruthEstimator({0: truth[1][0]})
    rec.recover(frames[0], prev, frames[1], detections([truth[1][1]]), estimator)
    (boxes, ) = estimator.calls
    assert boxes.shape == (2, 4)
    lo, hi = truth[1][0].min(0), truth[1][0].max(0)
    assert np.all(boxes[0, :2] <= lo + 4) and np.all(boxes[0, 2:] >= hi - 4)


def test_oks_nms_keeps_detections_and_drops_duplicates():
    frames, truth = walking()
    rec = recovery()
    prev = detections([truth[0][0], truth[0][1]], seed=0)
    dets = detections([truth[1][0], truth[1][1]], seed=1)
    out = rec.recover(frames[0], prev, frames[1], dets, GroundTruthEstimator(truth[1]))
    # both re-estimated poses duplicate detections: nothing added, detections unchanged
    assert len(out) == 2
    np.testing.assert_array_equal(out.keypoints, dets.keypoints)
    # a vanished person (not in the frame) yields a low-scored pose far from any detection;
    # it is kept only if its estimate is not a duplicate: here there is no one to find
    empty_frame = render({1: truth[1][1]}, [1])
    out = rec.recover(frames[0], prev, empty_frame, detections([truth[1][1]]),
                      GroundTruthEstimator({1: truth[1][1]}))
    assert len(out) >= 1
    np.testing.assert_array_equal(out.keypoints[0], detections([truth[1][1]]).keypoints[0])


def test_nothing_to_recover_on_first_frame_or_empty_previous():
    frames, truth = walking()
    rec = recovery()
    dets = detections([truth[0][0]])
    est = GroundTruthEstimator(truth[0])
    assert len(rec.recover(None, None, frames[0], dets, est)) == 1
    empty = detections(np.zeros((0, K, 2)))
    assert len(rec.recover(frames[0], empty, frames[1], dets, est)) == 1
    out = rec.recover(frames[0], detections([truth[0][0]]), frames[1], empty,
                      GroundTruthEstimator(truth[1]))
    assert len(out) == 1 and out.keypoints.shape == (1, K, 2)
    assert est.calls == []


def test_estimator_count_mismatch_is_reported():
    frames, truth = walking()
    rec = recovery()
    with pytest.raises(ValueError, match='estimate_poses'):
        rec.recover(frames[0], detections([truth[0][0]]), frames[1], detections([]),
                    lambda f, b: InstanceData(keypoints=np.zeros((0, K, 2), np.float32),
                                              keypoint_scores=np.zeros((0, K), np.float32)))


# ---------------------------------------------------------------- CorrTrack rules (issue 16)
def test_recovered_poses_are_not_propagated_again():
    frames, truth = walking()
    rec = recovery()
    prev = detections([truth[0][0], truth[0][1]], seed=0)
    prev.recovered = np.array([False, True])
    est = GroundTruthEstimator({})
    rec.recover(frames[0], prev, frames[1], detections([]), est)
    (boxes, ) = est.calls
    assert len(boxes) == 1  # only the detected pose (person 0) is propagated
    assert boxes[0, 0] < 40  # person 0 walks on the left
    # the first version propagates both
    est = GroundTruthEstimator({})
    recovery(propagate_from='all').recover(frames[0], prev, frames[1], detections([]), est)
    assert len(est.calls[0]) == 2
    # the output marks which poses were recovered
    out = rec.recover(frames[0], prev, frames[1], detections([truth[1][1]]),
                      GroundTruthEstimator(truth[1]))
    assert out.recovered.tolist() == [False, True]


def test_recovery_box_is_tight_around_propagated_joints():
    frames, truth = walking()
    rec = recovery()  # bbox_padding=1.0 by default
    prev = detections([truth[0][0]], seed=0)
    pts, usable = rec.propagate(frames[0], prev, frames[1])
    boxes = rec.propose_boxes(frames[0], prev, frames[1])
    np.testing.assert_allclose(boxes[0], np.r_[pts[0][usable[0]].min(0),
                                               pts[0][usable[0]].max(0)], atol=1e-4)
    padded = recovery(bbox_padding=1.25).propose_boxes(frames[0], prev, frames[1])
    np.testing.assert_allclose(padded[0, 2:] - padded[0, :2],
                               1.25 * (boxes[0, 2:] - boxes[0, :2]), rtol=1e-5)


def _poses(kpts, scores):
    inst = InstanceData(keypoints=np.asarray(kpts, np.float32).reshape(-1, K, 2),
                        keypoint_scores=np.asarray(scores, np.float32).reshape(-1, K))
    lo, hi = inst.keypoints.min(1), inst.keypoints.max(1)
    inst.bboxes = np.concatenate([lo, hi], 1)
    inst.bbox_scores = inst.keypoint_scores.mean(1)
    return inst


def test_acceptance_rules_hand_computed():
    """>= 5 joints scored >= 0.1 and OKS <= 0.6 to every detected pose."""
    rec = recovery(joint_threshold=0.1, oks_threshold=0.6, min_accept_joints=5,
                   accept_joint_thr=0.1)
    base = pose_at((40, 30))  # tight keypoint box 12 x 20 = area 240
    detected = _poses([base], [np.full(K, 0.9)])
    # candidate A: the same pose shifted by d in x. OKS = mean_j exp(-d^2 / (2 * 240 * 0.0256))
    # with sigma 0.08: var (2 * 0.08)^2 = 0.0256. d = 3: exp(-9 / 12.288) = 0.481 <= 0.6, kept;
    # d = 2: exp(-4 / 12.288) = 0.722 > 0.6, dropped
    for d, kept in ((3.0, True), (2.0, False)):
        cand = _poses([base + [d, 0]], [np.full(K, 0.5)])
        np.testing.assert_allclose(rec._oks(cand, detected)[0, 0],
                                   np.exp(-d * d / (2 * 240 * 0.0256)), rtol=1e-6)
        assert rec.accept(None, cand, detected).tolist() == [kept]
    # candidate B: far from everyone but only 4 joints >= 0.1 -> dropped
    far = _poses([pose_at((80, 30))], [[0.5, 0.5, 0.5, 0.5, 0.09]])
    assert rec.accept(None, far, detected).tolist() == [False]
    far.keypoint_scores[0, 4] = 0.1
    assert rec.accept(None, far, detected).tolist() == [True]
    # the first version (min_accept_joints=0) accepts the 4-joint pose
    far.keypoint_scores[0, 4] = 0.0
    assert recovery(min_accept_joints=0).accept(None, far, detected).tolist() == [True]


def test_oks_nms_min_joints_and_keypoint_areas():
    from plugins.post_processing.oks_nms import OKSNMS
    base = pose_at((40, 30))
    poses = _poses([base, base + [2.0, 0], pose_at((80, 30)), pose_at((10, 30))],
                   [np.full(K, 0.5), np.full(K, 0.9), np.full(K, 0.9),
                    [0.9, 0.05, 0.05, 0.05, 0.05]])
    poses.bbox_scores = np.array([1.0, 0.1, 0.5, 1.0], np.float32)
    nms = OKSNMS(sigmas=SIGMAS, threshold=0.7, score_mode='keypoint_mean',
                 area_mode='keypoints', min_joints=2, min_joint_score=0.1)
    # pose 3 has 1 joint >= 0.1: dropped; ordered by mean joint score: 1 (0.9), 2 (0.9), 0;
    # OKS(0, 1) = exp(-4 / 12.288) = 0.722 > 0.7 -> pose 0 suppressed by pose 1
    assert nms.keep_indices(poses).tolist() == [1, 2]
    np.testing.assert_allclose(nms.areas(poses)[:3], [240, 240, 240])
    # by box score (the first version's order) pose 0 wins
    assert OKSNMS(sigmas=SIGMAS, threshold=0.7, score_mode='bbox').keep_indices(
        poses).tolist() == [0, 3, 2]


class PoseStage(GroundTruthEstimator):
    """The stand-in estimator as the pipeline's pose stage (a built stage object)."""

    dataset_meta = dict(sigmas=np.asarray(SIGMAS), num_keypoints=K)

    def __call__(self, frame, bboxes, bbox_scores=None, crop_bboxes=None):
        out = super().__call__(frame, bboxes)
        out.bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
        out.bbox_scores = (np.ones(len(out.bboxes), np.float32) if bbox_scores is None else
                           np.asarray(bbox_scores, np.float32))
        return out


def test_pipeline_recovery_source_shares_network_and_features():
    """In the pipeline: the recovery is a proposal source, the tracker and the recovery use one
    network, the frame's features are computed once per frame, and a person the detector
    misses is recovered with its track id."""
    from plugins.apis import PoseTrackingPipeline
    from plugins.models.correspondence.correspondence_net import init_correspondence_model
    net = init_correspondence_model(colour_model())
    calls = []
    extract = net.extract_feat
    net.extract_feat = lambda imgs: calls.append(len(imgs)) or extract(imgs)
    frames, truth = walking()
    stage = PoseStage(truth[0])
    pipe = PoseTrackingPipeline(
        pose_estimator=stage, models=dict(corr_net=net),
        recovery=dict(type='CorrespondenceRecovery', model=dict(shared='corr_net'),
                      sigmas=SIGMAS, affinity_window=1),
        tracker=dict(type='CorrespondenceTracker', model=dict(shared='corr_net'),
                     sigmas=SIGMAS, affinity_window=1, min_affinity_sum=0.5),
        pose_nms=dict(type='OKSNMS', sigmas=SIGMAS, threshold=0.7, score_mode='keypoint_mean',
                      area_mode='keypoints', min_joints=2, min_joint_score=0.1))
    assert pipe.tracker.model is net and pipe.proposal_sources[0].model is net
    outs = []
    for t, (frame, people) in enumerate(zip(frames, truth)):
        stage.people = people
        ids = [1] if t == 3 else [0, 1]  # the detector misses person 0 at frame 3
        boxes = np.array([np.r_[people[i].min(0) - 2, people[i].max(0) + 2] for i in ids])
        outs.append(pipe.step(frame, bboxes=boxes))
    assert calls == [1] * len(frames)  # one feature extraction per frame for both stages
    assert all(len(o) == 2 for o in outs)
    np.testing.assert_allclose(outs[3].keypoints[1], truth[3][0], atol=1e-5)
    for t in range(1, len(frames)):
        assert sorted(outs[t].track_ids.tolist()) == [0, 1]


def test_shared_model_config_gets_the_pipeline_device(monkeypatch):
    """`models=dict(corr_net=dict(type='CorrespondenceModel', ...))` is built once with the
    pipeline's device (what --device sets) and shared by recovery, tracker and merging."""
    import plugins.tracking.correspondence_tracker as ct
    from plugins.apis import PoseTrackingPipeline
    seen = []
    real = ct.init_correspondence_model
    # the device is only recorded (the model is built on cpu): pass the CUDA-ops check
    monkeypatch.setenv('POSETRACK_ALLOW_CPU_MMCV', '1')
    monkeypatch.setattr(ct, 'init_correspondence_model',
                        lambda m, c=None, d='cpu': seen.append(d) or real(m, c, 'cpu'))
    pipe = PoseTrackingPipeline(
        pose_estimator=PoseStage({}), device='cuda:7',
        models=dict(corr_net=dict(type='CorrespondenceModel', model=colour_model())),
        recovery=dict(type='CorrespondenceRecovery', model=dict(shared='corr_net'),
                      sigmas=SIGMAS),
        tracker=dict(type='CorrespondenceTracker', model=dict(shared='corr_net'), sigmas=SIGMAS),
        post_processors=[dict(type='CorrespondenceTrackMerging', model=dict(shared='corr_net'),
                              sigmas=SIGMAS)])
    assert seen == ['cuda:7']  # one build, on the pipeline's device
    net = pipe.models['corr_net']
    assert pipe.tracker.model is net and pipe.proposal_sources[0].model is net
    assert pipe.post_processors[0].model is net
