"""PoseNMSCocoMetric: COCO AP after a registered pose NMS, against independent computations."""
import numpy as np
import pytest
from mmpose.evaluation.metrics import CocoMetric

from plugins.post_processing.parametric_pose_nms import PoseNMSParams
from plugins.post_processing.pose_nms_fitting import CandidatePoses, nms_coco_ap
from plugins.post_processing.pose_nms_presets import pose_nms_preset
from plugins.registry import METRICS

from .test_pose_nms_fitting import COCO_SIGMAS, K, load_coco, tiny_coco

META = dict(sigmas=np.asarray(COCO_SIGMAS), num_keypoints=K, dataset_name='coco')


def data_samples(records):
    """What mmengine's Evaluator hands to ``process``: one dict per top-down box."""
    out = []
    for i, r in enumerate(records):
        wh = r['bbox'][2:] - r['bbox'][:2]
        out.append(dict(
            id=i, img_id=r['image_id'], category_id=1,
            pred_instances=dict(keypoints=r['keypoints'][None].astype(np.float32),
                                keypoint_scores=r['keypoint_scores'][None].astype(np.float32),
                                bboxes=r['bbox'][None].astype(np.float32),
                                bbox_scores=np.array([r['bbox_score']], np.float32)),
            gt_instances=dict(bbox_scales=wh[None], bbox_scores=np.array([r['bbox_score']]))))
    return out


def evaluate(metric, records):
    metric.dataset_meta = META
    metric.process([], data_samples(records))
    return metric.evaluate(len(records))


def test_parametric_nms_metric_equals_the_direct_computation(tmp_path):
    path, records = tiny_coco(tmp_path)
    metric = METRICS.build(dict(type='PoseNMSCocoMetric', ann_file=str(path),
                                pose_nms=dict(type='ParametricPoseNMS', preset='alphapose')))
    ap = evaluate(metric, records)['coco/AP']
    direct = nms_coco_ap(load_coco(path), CandidatePoses.from_records(records),
                         PoseNMSParams(**pose_nms_preset('alphapose')), COCO_SIGMAS)
    assert ap == pytest.approx(direct, abs=1e-9)
    no_nms = evaluate(CocoMetric(ann_file=str(path), nms_mode='none'), records)['coco/AP']
    assert ap > no_nms  # the duplicates are removed


def test_oks_nms_through_the_metric_equals_mmpose_oks_nms(tmp_path):
    path, records = tiny_coco(tmp_path, seed=1)
    ours = evaluate(METRICS.build(dict(type='PoseNMSCocoMetric', ann_file=str(path),
                                       pose_nms=dict(type='OKSNMS', threshold=0.9))), records)
    mmpose = evaluate(CocoMetric(ann_file=str(path), nms_mode='oks_nms', nms_thr=0.9), records)
    assert ours['coco/AP'] == pytest.approx(mmpose['coco/AP'], abs=1e-9)
    assert ours['coco/AR'] == pytest.approx(mmpose['coco/AR'], abs=1e-9)


def test_metric_rejects_nms_mode_and_bad_configs(tmp_path):
    with pytest.raises(ValueError, match='nms_mode'):
        METRICS.build(dict(type='PoseNMSCocoMetric', nms_mode='oks_nms',
                           pose_nms=dict(type='OKSNMS')))
    with pytest.raises(ValueError, match='pose_nms'):
        METRICS.build(dict(type='PoseNMSCocoMetric', pose_nms='OKSNMS'))
