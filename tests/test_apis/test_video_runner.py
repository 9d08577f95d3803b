"""The one-direction pipeline's extension points and the video runner: proposal sources
(propose / needs_detector / accept / observe), post-processors and TrackEdits applied by the
sinks (JSON file included), a look-ahead pose stage through push()/flush(), low-score boxes
for trackers that want them, shared models, and the geometry helpers."""
import json

import numpy as np
import pytest
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.apis import PoseTrackingPipeline
from plugins.apis.video_runner import PoseTrackJsonSink, VideoInfo, VideoRunner
from plugins.geometry import greedy_suppression, keypoint_boxes, scale_boxes, to_numpy
from plugins.registry import (POSE_STAGES, POST_PROCESSORS, PROPOSAL_SOURCES, TRACKERS)
from plugins.tracking.post_processor import BasePostProcessor
from plugins.tracking.proposal_source import BaseProposalSource
from plugins.tracking.track_edits import TrackEdits, edits_from_results

K = 17
META = dict(num_keypoints=K, sigmas=np.full(K, 0.1),
            keypoint_id2name={i: f'j{i}' for i in range(K)})
IMAGE = np.zeros((100, 200, 3), np.uint8)


@POSE_STAGES.register_module(force=True)
class _SpreadPoses:
    """Joints spread over each (crop) box; records every call's boxes."""

    dataset_meta = META

    def __init__(self):
        self.calls = []

    def __call__(self, frame, bboxes, bbox_scores=None, crop_bboxes=None):
        b = np.asarray(bboxes, np.float32).reshape(-1, 4)
        self.calls.append(b.copy())
        c = b if crop_bboxes is None else np.asarray(crop_bboxes, np.float32)
        t = np.linspace(0, 1, K, dtype=np.float32)[None, :, None]
        kpts = c[:, None, :2] + t * (c[:, None, 2:] - c[:, None, :2])
        return InstanceData(keypoints=kpts, keypoint_scores=np.ones((len(b), K), np.float32),
                            bboxes=b, bbox_scores=np.ones(len(b), np.float32)
                            if bbox_scores is None else np.asarray(bbox_scores, np.float32))


@PROPOSAL_SOURCES.register_module(force=True)
class _FixedSource(BaseProposalSource):
    """Proposes one fixed box; keeps its pose only when no other pose is there; records."""

    def __init__(self, box=(150, 10, 190, 90), detect_on=(0, )):
        self.box, self.detect_on, self.seen = np.float32(box), detect_on, []

    def propose(self, ctx):
        return InstanceData(bboxes=self.box[None], bbox_scores=np.float32([0.5]))

    def needs_detector(self, ctx):
        return ctx.index in self.detect_on

    def accept(self, ctx, own, others):
        return np.array([len(others) < 2] * len(own))

    def observe(self, ctx, tracked):
        self.seen.append((ctx.index, len(tracked)))


class _Detector:
    bbox_extension = 1.0

    def __init__(self):
        self.calls = 0

    def __call__(self, frame):
        self.calls += 1
        return np.float32([[10, 10, 50, 90], [60, 10, 100, 90]]), np.float32([0.9, 0.8])


def test_pose_stage_runs_once_on_detector_and_source_proposals():
    pipe = PoseTrackingPipeline(pose_estimator=dict(type='_SpreadPoses'),
                                tracker=dict(type='IoUTracker'),
                                proposal_sources=[dict(type='_FixedSource')])
    pipe.detector = _Detector()
    out0 = pipe.step(IMAGE)  # detector (2 boxes) + source (1): one pose-stage call of 3
    assert [len(c) for c in pipe.pose_estimator.calls] == [3]
    assert len(out0) == 2  # the source's pose was not accepted (2 others)
    out1 = pipe.step(IMAGE)  # no detector on frame 1: only the source's box
    assert pipe.detector.calls == 1 and [len(c) for c in pipe.pose_estimator.calls] == [3, 1]
    assert len(out1) == 1 and out1.bboxes.tolist() == [[150, 10, 190, 90]]
    assert pipe.proposal_sources[0].seen == [(0, 2), (1, 1)]
    assert set(out1.keys()) == {'keypoints', 'keypoint_scores', 'bboxes', 'bbox_scores',
                                'track_ids'}


@POST_PROCESSORS.register_module(force=True)
class _MergeOddIntoEven(BasePostProcessor):
    """Renames every odd id to the even id below it; drops id 4; inserts a pose at frame 1."""

    def __init__(self):
        self.ids = set()

    def reset(self):
        self.ids = set()

    def observe(self, index, tracked, ctx=None):
        self.ids.update(int(t) for t in tracked.track_ids)

    def finalize(self, edits):
        edits = edits.remap({t: t - t % 2 for t in self.ids})
        extra = InstanceData(keypoints=np.zeros((1, K, 2), np.float32),
                             keypoint_scores=np.ones((1, K), np.float32),
                             bboxes=np.float32([[0, 0, 1, 1]]), bbox_scores=np.ones(1, np.float32),
                             track_ids=np.array([100]))
        return edits.drop([4]).insert(1, extra)


@POST_PROCESSORS.register_module(force=True)
class _PlusTen(BasePostProcessor):
    def finalize(self, edits):
        return edits.remap({t: t + 10 for t in [0, 2, 4, 100]})


def test_post_processors_chain_and_sinks_apply_the_edits(tmp_path):
    pipe = PoseTrackingPipeline(pose_estimator=dict(type='_SpreadPoses'),
                                tracker=dict(type='IoUTracker', match_threshold=0.99),
                                post_processors=[dict(type='_MergeOddIntoEven'),
                                                 dict(type='_PlusTen')])
    assert pipe.has_offline_stage
    boxes = [np.float32([[0, 0, 10, 10], [50, 0, 60, 10]]),
             np.float32([[20, 0, 30, 10], [70, 0, 80, 10]]),  # no overlap: new ids 2, 3
             np.float32([[40, 0, 50, 10]])]  # new id 4 (dropped)
    sink = PoseTrackJsonSink(str(tmp_path))
    online = []

    class Keep:
        def open(self, video): pass
        def write(self, index, image, result, info): online.append(result.track_ids.tolist())
        def close(self, edits): self.edits = edits

    keep = Keep()
    VideoRunner(pipe, [sink, keep]).run([IMAGE] * 3, bboxes=boxes,
                                        video=VideoInfo('v', dataset_meta=META))
    assert online == [[0, 1], [2, 3], [4]]
    final = [keep.edits.apply(i, InstanceData(track_ids=np.array(ids), keypoints=np.zeros(
        (len(ids), K, 2), np.float32))).track_ids.tolist() for i, ids in enumerate(online)]
    assert final == [[10, 10], [12, 12, 110], []]
    data = json.loads((tmp_path / 'v.json').read_text())
    by_image = {}
    for ann in data['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann['track_id'])
    assert [sorted(by_image.get(img['id'], [])) for img in data['images']] == [
        [10, 10], [12, 12, 110], []]
    # run_video applies the same edits to the returned results
    results = pipe.run_video([IMAGE] * 3, bboxes=boxes)
    assert [r.track_ids.tolist() for r in results] == final


def test_track_edits_compose_and_reject_non_id_changes():
    e = TrackEdits().remap({1: 0, 2: 0}).remap({0: 7})
    assert [e.final_id(t) for t in (0, 1, 2, 3)] == [7, 7, 7, 3] and not e.is_identity
    assert TrackEdits(id_map={5: 5}).is_identity
    a = [InstanceData(track_ids=np.array([0, 1]))]
    assert edits_from_results(a, [InstanceData(track_ids=np.array([3, 3]))]).id_map == {
        0: 3, 1: 3}
    with pytest.raises(ValueError, match='two final ids'):
        edits_from_results([InstanceData(track_ids=np.array([0]))] * 2,
                           [InstanceData(track_ids=np.array([1])),
                            InstanceData(track_ids=np.array([2]))])


@POSE_STAGES.register_module(force=True)
class _LookaheadPoses(_SpreadPoses):
    """A pose stage that needs one future frame: emits frame t when t + 1 arrived."""

    lookahead = 1

    def reset(self):
        self.held = []

    def push(self, ctx, props):
        self.held.append((ctx, props))
        if len(self.held) <= self.lookahead:
            return []
        c, p = self.held.pop(0)
        return [(c, self._poses(c, p))]

    def flush(self):
        out = [(c, self._poses(c, p)) for c, p in self.held]
        self.held = []
        return out

    def _poses(self, ctx, props):
        poses = self(ctx.image, props.bboxes, props.bbox_scores)
        for key in ('source', 'low_score', 'track_hint'):
            poses.set_field(np.asarray(props.get(key)), key)
        return poses


def test_lookahead_pose_stage_through_push_flush_and_the_runner():
    pipe = PoseTrackingPipeline(pose_estimator=dict(type='_LookaheadPoses'),
                                tracker=dict(type='IoUTracker'))
    boxes = [np.float32([[10 + i, 10, 50 + i, 90]]) for i in range(4)]
    assert pipe.push(IMAGE, bboxes=boxes[0]) == []
    ready = pipe.push(IMAGE, bboxes=boxes[1])
    assert [r.index for r in ready] == [0]
    with pytest.raises(ValueError, match='push'):
        pipe.step(IMAGE, bboxes=boxes[2])
    results = pipe.run_video([IMAGE] * 4, bboxes=boxes)
    assert len(results) == 4 and [r.track_ids.tolist() for r in results] == [[0]] * 4
    np.testing.assert_allclose(results[3].bboxes, boxes[3])


@TRACKERS.register_module(force=True)
class _LowScoreAware(TRACKERS.get('IoUTracker')):
    accepts_low_score = True

    def prepare(self, ctx, instances):
        self.low = instances.low_score.tolist()


class _TwoLevelDetector(_Detector):
    low_score_thr = 0.3

    def detect_instances(self, frame):
        from plugins.apis.person_detector import detections
        return detections(np.float32([[10, 10, 50, 90], [60, 10, 100, 90]]),
                          np.float32([0.9, 0.4]), frame.shape[:2], 1.0, np.array([False, True]))


@pytest.mark.parametrize('tracker, expected', [('IoUTracker', 1), ('_LowScoreAware', 2)])
def test_low_score_boxes_reach_only_trackers_that_want_them(tracker, expected):
    pipe = PoseTrackingPipeline(pose_estimator=dict(type='_SpreadPoses'),
                                tracker=dict(type=tracker), pose_nms=dict(type='OKSNMS'))
    pipe.detector = _TwoLevelDetector()
    out = pipe.step(IMAGE)
    assert len(out) == expected
    if expected == 2:
        assert pipe.tracker.low == [False, True]


def test_shared_models_and_dataset_meta_after_building():
    pipe = PoseTrackingPipeline(pose_estimator=dict(type='_SpreadPoses'),
                                tracker=dict(type='OKSTracker'),
                                pose_nms=dict(type='OKSNMS', threshold=0.5),
                                models=dict(extra=dict(type='_SpreadPoses')),
                                proposal_sources=[dict(type='_FixedSource')])
    np.testing.assert_allclose(pipe.tracker.sigmas, META['sigmas'])  # from the pose model
    np.testing.assert_allclose(pipe.pose_nms.sigmas, META['sigmas'])
    assert pipe.tracker.dataset_meta['num_keypoints'] == K
    configured = PoseTrackingPipeline(pose_estimator=dict(type='_SpreadPoses'),
                                      tracker=dict(type='OKSTracker', sigmas=[0.5] * K))
    np.testing.assert_allclose(configured.tracker.sigmas, 0.5)  # the config wins
    built = pipe.build_stage(dict(type='_FixedSource', detect_on=[dict(shared='extra')]))
    assert built.detect_on[0] is pipe.models['extra']
    assert pipe.models['pose_estimator'] is pipe.pose_estimator
    with pytest.raises(KeyError, match='no shared model'):
        pipe.build_stage(dict(type='_FixedSource', detect_on=dict(shared='nope')))


def test_geometry_helpers_against_hand_computed_values():
    boxes = np.float32([[10, 10, 30, 50]])
    np.testing.assert_allclose(scale_boxes(boxes, 1.5), [[5, 0, 35, 60]])
    np.testing.assert_allclose(scale_boxes(boxes, 2.0, image_shape=(40, 60)), [[0, 0, 40, 40]])
    kp = np.float32([[[1, 2], [5, 9], [100, 100]]])
    np.testing.assert_allclose(keypoint_boxes(kp, np.float32([[1, 1, 0]])), [[1, 2, 5, 9]])
    np.testing.assert_allclose(keypoint_boxes(kp, np.float32([[0, 0, 0]])), [[1, 2, 100, 100]])
    sim = np.array([[1, .9, .1], [.9, 1, .95], [.1, .95, 1]])
    assert greedy_suppression(sim, 0.5, scores=[0.5, 0.9, 0.1]).tolist() == [1]
    assert greedy_suppression(sim, 0.92, scores=[0.5, 0.9, 0.1]).tolist() == [1, 0]
    import torch
    assert to_numpy(torch.ones(2), np.float32).dtype == np.float32


def test_device_reaches_every_stage_config():
    from plugins.apis.tracking_test import with_device
    cfg = dict(type='PoseTrackingPipeline', device='cpu',
               detector=dict(config='d.py', device='cpu'), pose_estimator=dict(config='p.py'),
               tracker=dict(type='RegionUpdateTracker', failure_scorer=dict(
                   type='DetectorRegionScorer', config='d.py', device='cpu')),
               recovery=dict(type='R', device='cpu'), models=dict(net=dict(device='cpu')),
               proposal_sources=[dict(type='S', device='cpu')])
    out = with_device(cfg, 'cuda:1')
    assert out['device'] == out['detector']['device'] == 'cuda:1'
    assert out['tracker']['failure_scorer']['device'] == 'cuda:1'
    assert out['recovery']['device'] == out['models']['net']['device'] == 'cuda:1'
    assert out['proposal_sources'][0]['device'] == 'cuda:1'
    assert 'device' not in out['pose_estimator']  # gets the pipeline's when built


def test_pipeline_binds_tracker_max_age_to_track_merging():
    """The merging post-processor closes tracks after the tracker's max_age, so a one-frame
    track is decided (and forgotten) while the video goes on; the edits drop it at the end."""
    pipe = PoseTrackingPipeline(
        pose_estimator=dict(type='_SpreadPoses'), tracker=dict(type='IoUTracker', max_age=3),
        post_processors=[dict(type='CorrespondenceTrackMerging', merge=False,
                              min_track_length=2, sigmas=[0.1] * K)])
    post = pipe.post_processors[0]
    assert post.merger.close_after == 3
    pipe.reset()
    person, ghost = [10, 10, 50, 90], [120, 10, 160, 90]
    tracked = [pipe.step(IMAGE, bboxes=np.float32([person, ghost] if i == 0 else [person]))
               for i in range(6)]
    ghost_id = int(tracked[0].track_ids[1])
    assert ghost_id not in post.merger.tracks  # closed at frame 3, decided, forgotten
    assert ghost_id in post.merger.dropped
    edits = pipe.finalize_edits()
    assert edits.dropped == {ghost_id}
    assert [len(edits.apply(i, r)) for i, r in enumerate(tracked)] == [1] * 6
