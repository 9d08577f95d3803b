"""PoseTrack evaluation on the real PoseTrack18 sample files in ../shared (needs them)."""
import copy

import numpy as np
import pytest
from posetrack_reference import reference_evaluate
from shapely import geometry

from plugins.datasets.posetrack_json import POSETRACK18_KEYPOINT_NAMES, load_posetrack_folder
from plugins.evaluation import evaluate_posetrack
from plugins.evaluation.functional import resolve_evaluated_joints


@pytest.fixture(scope='module')
def shared_gt(shared_data_root):
    return load_posetrack_folder(shared_data_root / 'mmpose_samples/posetrack18/annotations/val')


def as_predictions(videos):
    preds = copy.deepcopy(videos)
    for v in preds:
        v.is_prediction = True
        for f in v.frames:  # confidence 1 for annotated joints, (0, 0) with 0 for the others
            f.keypoint_scores = (f.keypoint_scores > 0).astype(np.float32)
    return preds


def test_shared_posetrack18_ground_truth_as_prediction_scores_100(shared_gt):
    r = evaluate_posetrack(shared_gt, as_predictions(shared_gt))
    assert len(r.joint_names) == 15 and 'left_ear' not in r.joint_names
    assert all(v == pytest.approx(100) for v in r.ap_table().values())
    mot = r.mota_table()
    assert all(mot[k] == pytest.approx(100) for k in ('Head', 'Ankle', 'Total', 'MOTP',
                                                      'Precision', 'Recall'))
    # poseval mode: AP 100; tracking drops the last (= only) labeled frame of each video
    r = evaluate_posetrack(shared_gt, as_predictions(shared_gt), mode='poseval')
    assert r.ap_table()['Total'] == pytest.approx(100)
    assert np.all(r.mot['num_objects'] == 0) and np.isnan(r.mota_table()['Total'])


def test_shared_posetrack18_scored_joints_exclude_ignore_regions(shared_gt):
    """Annotated joints counted = annotated joints outside the ignore polygons (shapely)."""
    idx, _, _ = resolve_evaluated_joints(POSETRACK18_KEYPOINT_NAMES)
    expected = 0
    inside_any = 0
    for v in shared_gt:
        for f in v.frames:
            polys = [geometry.Polygon(p) for p in f.ignore_regions if len(p) >= 3]
            for kp, vis in zip(f.keypoints, f.keypoint_scores):
                for k in idx:
                    if vis[k] > 0:
                        inside = any(p.contains(geometry.Point(*kp[k])) for p in polys)
                        inside_any += inside
                        expected += not inside
    r = evaluate_posetrack(shared_gt, as_predictions(shared_gt))
    assert r.num_gt_joints.sum() == expected > 100
    assert inside_any >= 1  # the real files have an annotated joint inside an ignore region


@pytest.mark.parametrize('mode', ['default', 'poseval'])
def test_shared_posetrack18_noisy_predictions_match_loop_reference(shared_gt, mode):
    rng = np.random.default_rng(0)
    preds = as_predictions(shared_gt)
    for v in preds:
        for f in v.frames:
            f.keypoints = f.keypoints + rng.normal(0, 6, f.keypoints.shape).astype(np.float32)
            f.keypoint_scores = np.where(f.keypoint_scores > 0, rng.random(
                f.keypoint_scores.shape), 0).astype(np.float32)
            keep = rng.random(len(f.keypoints)) > 0.2
            for name in ('keypoints', 'keypoint_scores', 'track_ids', 'bboxes', 'head_bboxes',
                         'bbox_scores'):
                setattr(f, name, getattr(f, name)[keep])
    r = evaluate_posetrack(shared_gt, preds, mode=mode)
    idx, _, _ = resolve_evaluated_joints(POSETRACK18_KEYPOINT_NAMES)
    ref = reference_evaluate(shared_gt, preds, idx, mode=mode)
    np.testing.assert_allclose(r.ap, ref['ap'], rtol=1e-12)
    np.testing.assert_allclose(r.num_gt_joints, ref['num_gt_joints'])
    np.testing.assert_allclose(r.mot['mota'], ref['mota'], rtol=1e-12)
    assert 0 < r.ap_table()['Total'] < 100


def test_shared_metric_on_posetrack_video_dataset_frames(shared_data_root):
    """PoseTrackVideoDataset frame dicts + pred_instances are valid metric samples."""
    from plugins.datasets.posetrack_video_dataset import PoseTrackVideoDataset
    from plugins.evaluation import PoseTrackMetric
    ds = PoseTrackVideoDataset(
        ann_file=str(shared_data_root / 'mmpose_samples/posetrack18/annotations/val'),
        mode='frame', labeled_only=False)
    metric = PoseTrackMetric()
    metric.dataset_meta = ds.metainfo
    for i in range(len(ds)):
        frame = ds[i]
        metric.process(None, [dict(frame, pred_instances=dict(
            keypoints=frame['keypoints'], keypoint_scores=frame['keypoints_visible'],
            track_ids=frame['track_ids']))])
    res = metric.evaluate(len(ds))
    assert res['posetrack/mAP'] == pytest.approx(100)
    assert res['posetrack/MOTA'] == pytest.approx(100)
    assert metric.last_result.num_frames == 3


def test_shared_bonn_posetrack_ground_truth_as_prediction(shared_data_root):
    """The Bonn data (14 joints, metainfo of the data helper, head boxes mostly missing)."""
    from plugins.datasets.bonn_posetrack import load_bonn_annolist, read_layout
    names, _ = read_layout('configs/_base_/datasets/bonn_posetrack.py')
    videos = load_bonn_annolist(shared_data_root / 'bonn_posetrack/train/annolist.mat', names)
    videos = videos[:6]
    r = evaluate_posetrack(videos, as_predictions(videos), metainfo=names,
                           head_size_fallback='head_segment')
    assert len(r.joint_names) == 14
    assert r.joint_groups.count('Head') == 2  # head_bottom (upper neck) and head_top
    assert r.ap_table()['Total'] == pytest.approx(100)
    assert r.mota_table()['Total'] == pytest.approx(100)
    with pytest.raises(ValueError, match='no usable head box'):
        evaluate_posetrack(videos, as_predictions(videos), metainfo=names)
