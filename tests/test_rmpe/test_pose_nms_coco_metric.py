"""PoseNMSCocoMetric: COCO AP after a registered pose NMS, against independent computations."""
import json

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


def _one_person_coco(tmp_path):
    """One image, one annotated person (17 joints) and two candidate poses: the person's exact
    pose (joint scores 0.5, box score 1.0) and a pose far away (joint scores 0.6, box 0.1)."""
    rng = np.random.default_rng(3)
    p = rng.uniform([100, 100], [200, 400], (K, 2))
    box = np.concatenate([p.min(0), p.max(0)])
    gt = dict(images=[dict(id=1, file_name='0.jpg', width=1000, height=800)],
              annotations=[dict(id=1, image_id=1, category_id=1, iscrowd=0, num_keypoints=K,
                                area=float(np.prod(box[2:] - box[:2])),
                                bbox=[*box[:2], *(box[2:] - box[:2])],
                                keypoints=np.concatenate([p, np.full((K, 1), 2)],
                                                         1).ravel().tolist())],
              categories=[dict(id=1, name='person', keypoints=[str(i) for i in range(K)],
                               skeleton=[])])
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    far = p + [600, 0]
    records = [dict(image_id=1, keypoints=p, keypoint_scores=np.full(K, 0.5), bbox=box,
                    bbox_score=1.0),
               dict(image_id=1, keypoints=far, keypoint_scores=np.full(K, 0.6),
                    bbox=box + [600, 0, 600, 0], bbox_score=0.1)]
    return path, records


@pytest.mark.parametrize('output_score,expected_ap', [
    # AlphaPose's proposal score mean + bbox + 1.25 max: 0.5 + 1 + 0.625 > 0.6 + 0.1 + 0.75, the
    # true pose ranks first: precision 1 at every recall -> AP 1
    ('alphapose', 1.0),
    # mean joint score: the far pose (0.6 > 0.5) ranks first: precision 1/2 at recall 1 -> AP 0.5
    ('keypoint_mean', 0.5)])
def test_the_nms_output_score_reaches_the_ap(tmp_path, output_score, expected_ap):
    path, records = _one_person_coco(tmp_path)
    nms = dict(type='ParametricPoseNMS', preset='alphapose', output_score=output_score)
    ap = evaluate(METRICS.build(dict(type='PoseNMSCocoMetric', ann_file=str(path),
                                     pose_nms=nms)), records)['coco/AP']
    assert ap == pytest.approx(expected_ap, abs=1e-9)
    # CocoMetric's own rescoring (bbox score x mean joint score: 0.5 vs 0.06) ignores it
    coco = evaluate(METRICS.build(dict(type='PoseNMSCocoMetric', ann_file=str(path),
                                       pose_nms=nms, pose_score='coco')), records)['coco/AP']
    assert coco == pytest.approx(1.0, abs=1e-9)
    # the fitting objective scores the same way as the metric
    params = PoseNMSParams(**{**pose_nms_preset('alphapose'), 'output_score': output_score})
    direct = nms_coco_ap(load_coco(path), CandidatePoses.from_records(records), params,
                         COCO_SIGMAS)
    assert direct == pytest.approx(expected_ap, abs=1e-9)


def test_pose_score_nms_needs_an_nms_with_scores(tmp_path):
    path, records = _one_person_coco(tmp_path)
    metric = METRICS.build(dict(type='PoseNMSCocoMetric', ann_file=str(path),
                                pose_nms=dict(type='OKSNMS'), pose_score='nms'))
    with pytest.raises(ValueError, match='outputs no "scores"'):
        evaluate(metric, records)
    with pytest.raises(ValueError, match='pose_score'):
        METRICS.build(dict(type='PoseNMSCocoMetric', pose_nms=dict(type='OKSNMS'),
                           pose_score='box'))
