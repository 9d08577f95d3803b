"""The mmdet trackers and post-processors inside PoseTrackingPipeline: ByteTrack's low-score
detections travel from the detector stage (``low_score``) to the tracker; interpolation edits
reach the results of ``run_video``."""
import numpy as np
from mmengine.structures import InstanceData

from plugins.apis.person_detector import detections
from plugins.apis.pose_tracking_pipeline import PoseTrackingPipeline
from plugins.registry import TRACKING_PIPELINES

K = 17


@TRACKING_PIPELINES.register_module(force=True)
class SpreadPoses:
    """Stand-in pose stage: joints spread over the box, scores 1."""

    dataset_meta = dict(num_keypoints=K, sigmas=np.full(K, 0.08))

    def __call__(self, frame, bboxes, bbox_scores=None, crop_bboxes=None):
        b = np.asarray(bboxes, np.float32).reshape(-1, 4)
        t = np.linspace(0, 1, K, dtype=np.float32)[None, :, None]
        kpts = b[:, None, :2] + t * (b[:, None, 2:] - b[:, None, :2])
        scores = np.ones(len(b), np.float32) if bbox_scores is None else \
            np.asarray(bbox_scores, np.float32)
        return InstanceData(keypoints=kpts, keypoint_scores=np.ones((len(b), K), np.float32),
                            bboxes=b, bbox_scores=scores)


def person(t):
    return [20 + 6 * t, 20, 80 + 6 * t, 140]


@TRACKING_PIPELINES.register_module(force=True)
class ScriptedDetector:
    """Stand-in detector stage with ``score_thr=0.5, low_score_thr=0.1``: person A walks;
    its score is 0.3 in frames 4-5 (a low-score box), and it is missed in frames 8-9."""

    def __init__(self):
        self.t = -1

    def reset(self):
        self.t = -1

    def detect_instances(self, frame):
        self.t += 1
        t = self.t % 14
        if t in (8, 9):
            return detections(np.zeros((0, 4)), None, frame.shape[:2])
        score = 0.3 if t in (4, 5) else 0.9
        return detections(np.array([person(t), [400, 20, 460, 140]], np.float32),
                          np.array([score, 0.95], np.float32), frame.shape[:2],
                          low_score=np.array([score < 0.5, False]))


def pipeline(tracker, post_processors=None):
    pipe = PoseTrackingPipeline(pose_estimator=dict(type='SpreadPoses'),
                                detector=dict(type='ScriptedDetector'), tracker=tracker,
                                post_processors=post_processors)
    return pipe


BYTETRACK = dict(type='MMDetTrackerAdapter', tracker=dict(
    type='ByteTracker', motion=dict(type='KalmanFilter'), obj_score_thrs=dict(high=0.6, low=0.1),
    init_track_thr=0.7, match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
    num_frames_retain=30))


def a_ids(results):
    """Track id of person A per frame (None where A is absent)."""
    out = []
    for t, r in enumerate(results):
        hit = np.flatnonzero(np.abs(r.bboxes[:, 0] - person(t)[0]) < 1)
        out.append(int(r.track_ids[hit[0]]) if len(hit) else None)
    return out


def test_low_score_boxes_reach_bytetrack_and_keep_the_identity():
    image = np.zeros((200, 500, 3), np.uint8)
    results = pipeline(BYTETRACK).run_video([image] * 14)
    ids = a_ids(results)
    assert ids[4] == ids[5] == ids[0]  # low-score frames: second association
    assert ids[8] is None and ids[9] is None and ids[10] == ids[0]
    # an IoU tracker does not accept low-score boxes: the pipeline drops them
    iou = a_ids(pipeline(dict(type='IoUTracker', max_age=5)).run_video([image] * 14))
    assert iou[4] is None and iou[5] is None and iou[6] == iou[0]


def test_interpolation_post_processor_fills_the_missed_frames():
    image = np.zeros((200, 500, 3), np.uint8)
    pipe = pipeline(BYTETRACK, post_processors=[dict(type='TrackletInterpolation')])
    results = pipe.run_video([image] * 14)
    ids = a_ids(results)
    assert ids[8] == ids[9] == ids[0]  # filled by interpolation
    np.testing.assert_allclose(results[8].bboxes[results[8].track_ids == ids[0]][0],
                               person(8), atol=1e-3)
    online = pipe.run_video([image] * 14, finalize=False)
    assert a_ids(online)[8] is None
