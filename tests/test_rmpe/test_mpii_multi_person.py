"""MPII multi-person AP (PCKh@0.5 matching): hand-computed cases, metric, dataset."""
import json

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from plugins.evaluation.mpii_multi_person_metric import (evaluate_multi_person_pckh_ap,
                                                         load_mpii_ground_truth)
from plugins.registry import DATASETS, METRICS

K = 16
META = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/mpii.py'))
NAMES = [META['keypoint_id2name'][k] for k in range(K)]
SCORED = [k for k, n in enumerate(NAMES) if n not in ('pelvis', 'thorax')]  # 14 joints
HEAD_BOX = [0.0, 0.0, 30.0, 40.0]  # diagonal 50 -> head size 0.6 * 50 = 30 px


def person(x0: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform([x0, 100], [x0 + 100, 400], (K, 2))


def ann_entry(image: str, joints: np.ndarray, head_box=HEAD_BOX) -> dict:
    d = dict(image=image, joints=joints.tolist(), joints_vis=[1] * K, center=[0, 0], scale=1.0)
    if head_box is not None:
        d['head_box'] = list(head_box)
    return d


def test_hand_case_ap():
    """Image 1: person A. Predictions: A's pose with one joint (left wrist) 0.6 head sizes off,
    scored 0.9; a pose far from anyone scored 0.95 (ranked first). Per scored joint: FP then TP
    -> precision 1/2 at recall 1, AP 50%; the left wrist: FP, FP -> AP 0."""
    a = person(0, 0)
    pred_a = a.copy()
    wrist = NAMES.index('left_wrist')
    pred_a[wrist, 0] += 0.6 * 30
    gt = {1: dict(keypoints=a[None], visible=np.ones((1, K), bool),
                  head_bboxes=np.array([HEAD_BOX]))}
    preds = {1: dict(keypoints=np.stack([a + 500, pred_a]),
                     keypoint_scores=np.stack([np.full(K, 0.95), np.full(K, 0.9)]))}
    res = evaluate_multi_person_pckh_ap(gt, preds, NAMES)
    assert res.joint_names == [NAMES[k] for k in SCORED]
    expected = np.where(np.array(res.joint_names) == 'left_wrist', 0.0, 50.0)
    np.testing.assert_allclose(res.ap, expected)
    table = res.ap_table()
    assert table['Wrist'] == pytest.approx(25.0) and table['Head'] == pytest.approx(50.0)
    assert table['Total'] == pytest.approx(13 * 50 / 14)
    # 0.6 head sizes is within a PCKh@0.7 threshold: all joints AP 50
    np.testing.assert_allclose(evaluate_multi_person_pckh_ap(gt, preds, NAMES, 0.7).ap, 50.0)
    # an image without predictions: its people are misses (recall halves, AP halves)
    gt2 = dict(gt)
    gt2[2] = dict(keypoints=person(0, 1)[None], visible=np.ones((1, K), bool),
                  head_bboxes=np.array([HEAD_BOX]))
    np.testing.assert_allclose(evaluate_multi_person_pckh_ap(gt2, preds, NAMES).ap,
                               expected / 2)
    with pytest.raises(ValueError, match='without ground truth'):
        evaluate_multi_person_pckh_ap(gt, {7: preds[1]}, NAMES)


def test_assignment_is_per_image_and_by_pckh():
    """Two people in one image, predictions in reverse order: each goes to its own person."""
    a, b = person(0, 0), person(300, 1)
    gt = {5: dict(keypoints=np.stack([a, b]), visible=np.ones((2, K), bool),
                  head_bboxes=np.array([HEAD_BOX, HEAD_BOX]))}
    preds = {5: dict(keypoints=np.stack([b, a]), keypoint_scores=np.full((2, K), 0.5))}
    np.testing.assert_allclose(evaluate_multi_person_pckh_ap(gt, preds, NAMES).ap, 100.0)


def _samples(image_ids, poses, scores, boxes, box_scores):
    return [dict(img_id=i, pred_instances=dict(keypoints=p[None], keypoint_scores=s[None],
                                               bboxes=b[None], bbox_scores=np.array([bs])))
            for i, p, s, b, bs in zip(image_ids, poses, scores, boxes, box_scores)]


def test_metric_with_pose_nms_and_headbox_file(tmp_path):
    from scipy.io import savemat
    a = person(0, 0)
    ann = [ann_entry('000000001.jpg', a)]
    (tmp_path / 'val.json').write_text(json.dumps(ann))
    box = np.concatenate([a.min(0), a.max(0)])
    # the true pose, a near duplicate (2 px off, lower score) and a far false positive
    poses = [a, a + 2.0, a + 600]
    scores = [np.full(K, 0.9), np.full(K, 0.8), np.full(K, 0.4)]
    samples = _samples([1, 1, 1], poses, scores, [box, box + 2, box + 600], [1.0, 0.9, 0.5])

    def run(**kw):
        metric = METRICS.build(dict(type='MpiiMultiPersonMetric', ann_file=str(tmp_path /
                                                                               'val.json'),
                                    **kw))
        metric.dataset_meta = META
        metric.process([], samples)
        return metric.evaluate(len(samples))

    no_nms = run()
    # per joint: TP (0.9), FP duplicate (0.8), FP (0.4): precision 1 at recall 1 -> AP 100;
    # the FPs below the last TP do not lower the all-point AP
    assert no_nms['mpii_mp/mAP'] == pytest.approx(100.0)
    # put the duplicate above the true pose: FP, TP -> AP 50; the NMS merges the two -> 100
    samples[1]['pred_instances']['keypoint_scores'] = np.full((1, K), 0.95)
    assert run()['mpii_mp/mAP'] == pytest.approx(50.0)
    with_nms = run(pose_nms=dict(type='ParametricPoseNMS', preset='alphapose'))
    assert with_nms['mpii_mp/mAP'] == pytest.approx(100.0)
    assert set(with_nms) == {'mpii_mp/mAP'} | {f'mpii_mp/AP_{g}' for g in (
        'Head', 'Shoulder', 'Elbow', 'Wrist', 'Hip', 'Knee', 'Ankle')}
    # head boxes from an mpii_gt_val.mat-like file instead of the JSON field
    (tmp_path / 'nohead.json').write_text(json.dumps([ann_entry('000000001.jpg', a, None)]))
    savemat(tmp_path / 'gt_val.mat',
            dict(headboxes_src=np.asarray(HEAD_BOX).reshape(1, 2, 2).transpose(1, 2, 0)))
    gt_json = load_mpii_ground_truth(str(tmp_path / 'val.json'))
    gt_mat = load_mpii_ground_truth(str(tmp_path / 'nohead.json'), str(tmp_path / 'gt_val.mat'))
    np.testing.assert_array_equal(gt_json[1]['head_bboxes'], gt_mat[1]['head_bboxes'])
    with pytest.raises(ValueError, match='no "head_box"'):
        load_mpii_ground_truth(str(tmp_path / 'nohead.json'))
    savemat(tmp_path / 'short.mat', dict(headboxes_src=np.zeros((2, 2, 3))))
    with pytest.raises(ValueError, match=r'\(2, 2, 1\)'):
        load_mpii_ground_truth(str(tmp_path / 'nohead.json'), str(tmp_path / 'short.mat'))


def test_dataset_reads_detections(tmp_path):
    init_default_scope('mmpose')
    ann = [ann_entry('000000011.jpg', person(0, 0)), ann_entry('000000011.jpg', person(300, 1)),
           ann_entry('000000012.jpg', person(0, 2))]
    (tmp_path / 'val.json').write_text(json.dumps(ann))
    dets = [dict(image_id=11, category_id=1, score=0.9, bbox=[10, 20, 30, 40]),
            dict(image_id=12, category_id=1, score=0.2, bbox=[0, 0, 5, 5]),
            dict(image_id=12, category_id=2, score=0.9, bbox=[0, 0, 5, 5]),  # not a person
            dict(image_id=99, category_id=1, score=0.9, bbox=[0, 0, 5, 5])]  # unknown image
    (tmp_path / 'det.json').write_text(json.dumps(dets))
    ds = DATASETS.build(dict(type='MpiiMultiPersonDataset', ann_file=str(tmp_path / 'val.json'),
                             bbox_file=str(tmp_path / 'det.json'), data_prefix=dict(img='im/'),
                             test_mode=True, det_score_thr=0.1, pipeline=[]))
    assert len(ds) == 2
    first = ds.get_data_info(0)
    assert first['img_id'] == 11 and first['img_path'].endswith('im/000000011.jpg')
    np.testing.assert_allclose(first['bbox'], [[10, 20, 40, 60]])
    assert first['bbox_score'][0] == pytest.approx(0.9)
    assert first['keypoints'].shape == (1, K, 2)
    gt_ds = DATASETS.build(dict(type='MpiiMultiPersonDataset',
                                ann_file=str(tmp_path / 'val.json'), pipeline=[]))
    assert len(gt_ds) == 3  # without detections: mmpose's MpiiDataset
