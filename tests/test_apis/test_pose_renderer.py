"""Rendering: joints drawn in their track's colour, low-score joints not drawn."""
import numpy as np
from mmengine.structures import InstanceData
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from plugins.apis import PoseTrackRenderer, track_colors


def test_track_colours_are_deterministic_and_distinct():
    a = track_colors(np.arange(12))
    np.testing.assert_array_equal(a, track_colors(np.arange(12)))
    assert len({tuple(c) for c in a}) == 12
    np.testing.assert_array_equal(track_colors([5])[0], a[5])


def test_joints_in_track_colour_and_thresholded():
    meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/posetrack18.py'))
    renderer = PoseTrackRenderer(meta, kpt_thr=0.5, radius=3, show_bbox=False)
    image = np.zeros((100, 200, 3), np.uint8)
    kpts = np.zeros((2, 17, 2), np.float32)
    kpts[0, :, 0], kpts[0, :, 1] = 20 + np.arange(17) * 3, 30  # person 0: a row of joints
    kpts[1, :, 0], kpts[1, :, 1] = 120, 10 + np.arange(17) * 5  # person 1: a column
    scores = np.ones((2, 17), np.float32)
    scores[1, 16] = 0.1  # below the threshold: not drawn
    kpts[1, 16] = (180, 95)
    inst = InstanceData(keypoints=kpts, keypoint_scores=scores,
                        bboxes=np.zeros((2, 4), np.float32), track_ids=np.array([3, 8]))
    out = renderer.render(image, inst)
    assert out.shape == image.shape and image.max() == 0  # input untouched
    colors = track_colors(np.array([3, 8]))
    np.testing.assert_array_equal(out[30, 20], colors[0])
    np.testing.assert_array_equal(out[10 + 5 * 5, 120], colors[1])
    assert out[95, 180].max() == 0
    empty = renderer.render(image, inst[np.zeros(2, bool)])
    assert empty.max() == 0
