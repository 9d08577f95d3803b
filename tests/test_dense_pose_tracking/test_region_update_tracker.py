"""Region-update tracker on a constructed video, and the mmdet region scorer (tiny random
Faster R-CNN built from mmdet's config)."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.registry import TRACKERS
from plugins.tracking.region_update_tracker import pose_regions

H, W = 240, 400
# a standing person in a unit box (PoseTrack18 joint order)
UNIT = np.array([[.5, .1], [.5, .17], [.5, 0], [.58, .08], [.42, .08], [.75, .22], [.25, .22],
                 [.85, .4], [.15, .4], [.9, .55], [.1, .55], [.65, .55], [.35, .55],
                 [.65, .78], [.35, .78], [.65, 1], [.35, 1]], np.float32)


def build(cfg):
    """Build from the stack's TASK_UTILS (found under any default scope)."""
    return TRACKERS.build(cfg)


def pose(x, y, w=60., h=120.):
    return UNIT * np.float32([w, h]) + np.float32([x, y])


def instances(poses):
    k = np.asarray(poses, np.float32).reshape(-1, 17, 2)
    inst = InstanceData()
    inst.keypoints = k
    inst.keypoint_scores = np.ones(k.shape[:2], np.float32)
    inst.bboxes = np.concatenate([k.min(1), k.max(1)], 1) if len(k) else np.zeros((0, 4))
    inst.bbox_scores = np.ones(len(k), np.float32)
    return inst


def render(poses):
    """A black frame with each person as a white box (what a person classifier would see)."""
    frame = np.zeros((H, W, 3), np.uint8)
    for p in poses:
        x0, y0 = np.floor(p.min(0)).astype(int)
        x1, y1 = np.ceil(p.max(0)).astype(int)
        frame[max(y0, 0):y1, max(x0, 0):x1] = 255
    return frame


class WhiteFractionScorer:
    """Fake region classifier: fraction of white pixels in each box; records its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, frame, boxes):
        self.calls.append(np.array(boxes, copy=True))
        out = []
        for x0, y0, x1, y1 in np.round(boxes).astype(int):
            patch = frame[y0:y1, x0:x1, 0]
            out.append(patch.mean() / 255 if patch.size else 0.0)
        return np.array(out)


def video():
    """Person A walks right; its pixels and detection vanish in frames 6-7 and come back at
    frame 8 (e.g. behind a pillar). Person B walks in at frame 3. Per frame: (frame, poses in
    detection order, names)."""
    seq = []
    for t in range(12):
        a, b = pose(20 + 8 * t, 60), pose(330 - 6 * t, 90)
        people = []
        if t not in (6, 7):
            people.append(('A', a))
        if t >= 3:
            people.append(('B', b))
        if t % 2:
            people = people[::-1]
        poses = [p for _, p in people]
        seq.append((render(poses), poses, [n for n, _ in people]))
    return seq


def run(tracker):
    ids = []
    for frame, poses, names in video():
        out = tracker.update(frame, instances(poses))
        ids.append(dict(zip(names, out.track_ids.tolist())))
    return ids


def test_follows_people_and_failure_check_ends_the_tracklet():
    scorer = WhiteFractionScorer()
    tracker = build(dict(type='RegionUpdateTracker', failure_scorer=scorer,
                                  failure_threshold=0.4, max_age=3))
    ids = run(tracker)
    a_before = {ids[t]['A'] for t in range(6)}
    b_ids = {ids[t]['B'] for t in range(3, 12)}
    assert a_before == {0} and b_ids == {1}
    # frame 6: A's updated region is empty in the image -> its tracklet ends; when A is
    # detected again at frame 8 it starts a new track (ids are never reused)
    a_after = {ids[t]['A'] for t in range(8, 12)}
    assert a_after == {2}
    ended = [t for t in [*tracker.ended_tracks, *tracker.tracks] if t.state.get('ended')]
    assert [(t.track_id, t.state['end_frame']) for t in ended] == [(0, 6)]
    # the checker scored the region updated from the previous frame's landmarks
    # (frame 0 has no track to score: call t - 1 is frame t's, track 0 first)
    prev = pose(20 + 8 * 5, 60)[None]
    expected = pose_regions(prev, np.ones((1, 17)), np.zeros((1, 4)), 0.0, 1.2)[0]
    assert len(scorer.calls) == 11 and len(scorer.calls[5]) == 2
    np.testing.assert_allclose(scorer.calls[5][0], expected)  # frame 6 scores frame 5's region


def test_without_failure_check_the_track_survives_the_gap():
    tracker = build(dict(type='RegionUpdateTracker', failure_scorer=None, max_age=3))
    ids = run(tracker)
    assert {ids[t]['A'] for t in range(12) if 'A' in ids[t]} == {0}
    assert {ids[t]['B'] for t in range(3, 12)} == {1}


def test_next_regions_empty_frames_and_errors():
    tracker = build(dict(type='RegionUpdateTracker',
                                  failure_scorer=WhiteFractionScorer()))
    empty = tracker.update(np.zeros((H, W, 3), np.uint8), instances([]))
    assert empty.track_ids.shape == (0, )
    p = pose(50, 50)
    tracker.update(render([p]), instances([p]))
    ids, regions = tracker.next_regions()
    assert ids.tolist() == [0]
    centre = (p.min(0) + p.max(0)) / 2
    size = (p.max(0) - p.min(0)) * 1.2
    np.testing.assert_allclose(regions[0], np.r_[centre - size / 2, centre + size / 2],
                               rtol=1e-6)
    with pytest.raises(ValueError, match='frame'):
        tracker.update(None, instances([p]))
    bad = build(dict(type='RegionUpdateTracker',
                              failure_scorer=lambda f, b: np.ones(len(b) + 1)))
    bad.update(render([p]), instances([p]))
    with pytest.raises(ValueError, match='failure_scorer returned'):
        bad.update(render([p]), instances([p]))
    with pytest.raises(TypeError):
        build(dict(type='RegionUpdateTracker', failure_scorer=3))


# ---------------------------------------------------------------- mmdet-backed scorer
def tiny_faster_rcnn_config():
    from mmengine.hub import get_config
    cfg = get_config('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py')
    m = cfg.model
    m.backbone.update(depth=18, init_cfg=None)
    m.neck.update(in_channels=[64, 128, 256, 512], out_channels=16)
    m.rpn_head.update(in_channels=16, feat_channels=16)
    m.roi_head.bbox_roi_extractor.update(out_channels=16)
    m.roi_head.bbox_head.update(in_channels=16, fc_out_channels=32)
    pipeline = cfg.test_dataloader.dataset.pipeline
    for step in pipeline:
        if step['type'] == 'Resize':
            step['scale'] = (160, 120)
    return cfg


@pytest.fixture(scope='module')
def scorer():
    from mmengine.registry import DefaultScope
    torch.manual_seed(0)
    def scope_name():
        current = DefaultScope.get_current_instance()
        return None if current is None else current.scope_name

    before = scope_name()
    built = build(dict(type='DetectorRegionScorer', config=tiny_faster_rcnn_config()))
    # building it leaves the caller's default scope alone (mmdet's init_detector would not);
    # mmengine restores a copy of the scope instance, so compare names, not identity
    assert scope_name() == before
    return built


def test_detector_region_scorer_matches_roi_head_softmax(scorer):
    from mmdet.structures.bbox import bbox2roi
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    boxes = np.array([[10, 10, 60, 120], [200, 20, 380, 230], [0, 0, W, H]], np.float32)
    scores = scorer(frame, boxes)
    assert scores.shape == (3, ) and ((scores >= 0) & (scores <= 1)).all()
    # reference: RoIAlign features of the boxes -> bbox head -> softmax, person = class 0
    model = scorer.model
    data = scorer.test_pipeline(dict(img=frame, img_id=0))
    data = model.data_preprocessor(dict(inputs=[data['inputs']],
                                        data_samples=[data['data_samples']]), False)
    meta = data['data_samples'][0].metainfo
    sy, sx = np.array(meta['img_shape'], float) / np.array(meta['ori_shape'], float)
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        rois = bbox2roi([torch.as_tensor(boxes * np.float32([sx, sy, sx, sy]))])
        roi_feats = model.roi_head.bbox_roi_extractor(
            feats[:model.roi_head.bbox_roi_extractor.num_inputs], rois)
        cls_score, _ = model.roi_head.bbox_head(roi_feats)
        ref = torch.softmax(cls_score, -1)[:, 0].numpy()
    np.testing.assert_allclose(scores, ref, rtol=1e-4, atol=1e-6)
    # a box's score does not depend on the other boxes
    np.testing.assert_allclose(scorer(frame, boxes[::-1])[::-1], scores, rtol=1e-4, atol=1e-6)
    assert scorer(frame, np.zeros((0, 4))).shape == (0, )


def test_region_tracker_with_detector_scorer(scorer):
    p = pose(50, 50)
    frames = [render([p]), render([p])]
    # random weights score a region ~1/81: every tracklet fails the default threshold
    strict = build(dict(type='RegionUpdateTracker', failure_scorer=scorer))
    from_config = build(dict(  # the scorer built from its config, mmdet scope or not
        type='RegionUpdateTracker',
        failure_scorer=dict(type='DetectorRegionScorer', config=tiny_faster_rcnn_config())))
    assert type(from_config.failure_scorer).__name__ == 'DetectorRegionScorer'
    ids = [strict.update(f, instances([p])).track_ids.tolist() for f in frames]
    assert ids == [[0], [1]]
    lenient = build(dict(type='RegionUpdateTracker', failure_scorer=scorer,
                                  failure_threshold=0.0))
    ids = [lenient.update(f, instances([p])).track_ids.tolist() for f in frames]
    assert ids == [[0], [0]]


# ---------------------------------------------------------------- the loop in the pipeline
class CountingDetector:
    """A detector stage that finds every person of the scripted video; counts its calls."""

    bbox_extension = 1.0

    def __init__(self, seq):
        self.seq, self.calls, self.t = seq, [], -1

    def __call__(self, frame):
        index = next(i for i, (f, _, _) in enumerate(self.seq) if f is frame)
        self.calls.append(index)
        poses = self.seq[index][1]
        boxes = (np.stack([np.r_[p.min(0), p.max(0)] for p in poses]).astype(np.float32)
                 if poses else np.zeros((0, 4), np.float32))
        return boxes, np.ones(len(boxes), np.float32)


@TRACKERS.register_module(force=True)
class UnitPoses:
    """Pose stage: the scripted pose whose box centre is nearest the crop's (a perfect
    estimator on this video), scores 1."""

    dataset_meta = dict(num_keypoints=17, sigmas=np.full(17, 0.1))

    def __init__(self):
        self.poses = []

    def __call__(self, frame, bboxes, bbox_scores=None, crop_bboxes=None):
        b = np.asarray(bboxes, np.float32).reshape(-1, 4)
        out = []
        for box in b:
            centre = (box[:2] + box[2:]) / 2
            dist = [np.abs((p.min(0) + p.max(0)) / 2 - centre).sum() for p in self.poses]
            out.append(self.poses[int(np.argmin(dist))] if dist else np.zeros((17, 2)))
        return InstanceData(keypoints=np.asarray(out, np.float32).reshape(-1, 17, 2),
                            keypoint_scores=np.ones((len(b), 17), np.float32), bboxes=b,
                            bbox_scores=np.ones(len(b), np.float32)
                            if bbox_scores is None else np.asarray(bbox_scores, np.float32))


def test_pipeline_runs_the_region_loop_and_calls_the_detector_only_when_needed():
    """The paper's loop: poses come from the regions; the detector runs on frame 0 (nobody
    tracked), when a region fails its check (frame 6: A vanished) and every detect_every
    frames (new people: B enters at frame 3, found at frame 4)."""
    from plugins.apis import PoseTrackingPipeline
    seq = video()
    scorer = WhiteFractionScorer()
    pipe = PoseTrackingPipeline(
        pose_estimator=dict(type='UnitPoses'), pose_nms=dict(type='OKSNMS', threshold=0.5),
        tracker=dict(type='RegionUpdateTracker', failure_scorer=scorer,
                     failure_threshold=0.4, max_age=3, detect_every=4))
    pipe.detector = CountingDetector(seq)
    ids = []
    for frame, poses, names in seq:
        pipe.pose_estimator.poses = poses
        out = pipe.step(frame)
        by_x = {n: p[:, 0].min() for n, p in zip(names, poses)}
        got = {}
        for n, x in by_x.items():
            i = int(np.argmin(np.abs(out.keypoints[:, :, 0].min(1) - x)))
            got[n] = int(out.track_ids[i])
        ids.append(got)
        assert 'track_hint' not in out and 'source' not in out
    assert pipe.detector.calls == [0, 4, 6, 8]  # 6: A failed; 8: the interval finds A again
    assert {ids[t]['A'] for t in range(6)} == {0}
    assert {ids[t]['B'] for t in range(4, 12)} == {1}
    assert {ids[t]['A'] for t in range(8, 12)} == {2}
    assert pipe.tracker.detector_frames == pipe.detector.calls


def test_region_scorer_shares_the_pipelines_detector(tmp_path):
    """The failure checker reuses the detector stage's loaded model: one copy."""
    from mmengine.config import Config
    from plugins.apis import PoseTrackingPipeline
    cfg_file = tmp_path / 'det.py'
    Config(tiny_faster_rcnn_config().to_dict()).dump(str(cfg_file))
    pipe = PoseTrackingPipeline(
        pose_estimator=dict(type='UnitPoses'),
        detector=dict(config=str(cfg_file), checkpoint=None, score_thr=0.0),
        tracker=dict(type='RegionUpdateTracker', failure_scorer=dict(
            type='DetectorRegionScorer', detector=dict(shared='detector'))))
    assert pipe.tracker.failure_scorer.model is pipe.detector.model
    assert pipe.tracker in pipe.proposal_sources
