"""The Table 3 sweep re-applies the output threshold to predictions tracked once: the same
poses as the pipeline's own output step (mark_missing_joints + min_keypoints)."""
import os.path as osp
import sys

import numpy as np
from mmengine.structures import InstanceData

import plugins  # noqa: F401
from plugins.apis.pose_tracking_pipeline import mark_missing_joints
from plugins.datasets.posetrack_json import FrameAnnotation, VideoAnnotation

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'tools', 'analysis'))
from sweep_output_threshold import threshold_video  # noqa: E402


def test_threshold_video_equals_the_pipeline_output_step():
    k = 17
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 1, (4, k)).astype(np.float32)
    scores[2] = 0.05
    scores[2, 0] = 0.9  # one joint above any tau > 0.05: dropped with min_keypoints=2
    kpts = rng.uniform(0, 100, (4, k, 2)).astype(np.float32)
    frame = FrameAnnotation(image_id=1, file_name='a.jpg', frame_index=0, is_labeled=True,
                            keypoints=kpts, keypoint_scores=scores,
                            track_ids=np.arange(4), bboxes=np.zeros((4, 4)),
                            head_bboxes=np.full((4, 4), np.nan))
    video = VideoAnnotation(name='v', frames=[frame], is_prediction=True)
    for tau in (0.0, 0.3, 0.5):
        out = threshold_video(video, tau, 2).frames[0]
        ref = mark_missing_joints(InstanceData(keypoints=kpts, keypoint_scores=scores,
                                               track_ids=np.arange(4)), tau, 2)
        np.testing.assert_array_equal(out.track_ids, ref.track_ids)
        np.testing.assert_array_equal(out.keypoints, ref.keypoints)
        np.testing.assert_array_equal(out.keypoint_scores, ref.keypoint_scores)
    # hand case: tau 0.3 drops person 2 (one joint >= 0.3), keeps the others
    assert threshold_video(video, 0.3, 2).frames[0].track_ids.tolist() == [0, 1, 3]
    assert threshold_video(video, 0.3, 0).frames[0].track_ids.tolist() == [0, 1, 2, 3]
