"""mmpose's COCO keypoint AP and MPII PCK(h) metrics on the real samples in ../shared."""
import numpy as np
import pytest
from mmpose.datasets import CocoDataset, MpiiDataset

from plugins.registry import METRICS


def dataset_samples(dataset):
    return [dataset[i] for i in range(len(dataset))]


def test_shared_coco_metric_on_coco_samples(shared_data_root):
    root = shared_data_root / 'mmpose_samples/coco'
    ds = CocoDataset(ann_file='test_coco.json', data_root=str(root), data_mode='topdown',
                     pipeline=[], test_mode=True)
    metric = METRICS.build(dict(type='CocoMetric', ann_file=str(root / 'test_coco.json')))
    metric.dataset_meta = ds.metainfo
    samples = []
    for d in dataset_samples(ds):
        samples.append(dict(id=d['id'], img_id=d['img_id'], category_id=1,
                            gt_instances=dict(bbox_scores=d['bbox_score']),
                            pred_instances=dict(keypoints=d['keypoints'],
                                                keypoint_scores=np.ones((1, 17)),
                                                bbox_scores=np.ones(1))))
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    assert res['coco/AP'] == pytest.approx(1.0)
    # shifting every keypoint by 20 px lowers the AP
    metric.process({}, [dict(s, pred_instances=dict(
        s['pred_instances'], keypoints=s['pred_instances']['keypoints'] + 20)) for s in samples])
    assert metric.evaluate(len(samples))['coco/AP'] < 0.9


def mpii_samples(shared_data_root):
    ds = MpiiDataset(ann_file='test_mpii.json',
                     data_root=str(shared_data_root / 'mmpose_samples/mpii'),
                     data_mode='topdown', pipeline=[], test_mode=True)
    return ds, dataset_samples(ds)


def test_shared_pck_accuracy_on_mpii_samples(shared_data_root):
    ds, data = mpii_samples(shared_data_root)
    metric = METRICS.build(dict(type='PCKAccuracy', thr=0.2, norm_item='bbox'))
    metric.dataset_meta = ds.metainfo
    samples, n_visible, n_far = [], 0, 0
    for d in data:
        kp = d['keypoints'].copy()
        size = np.max(d['bbox'][0][2:] - d['bbox'][0][:2])
        kp[0, 0, 0] += 0.5 * size  # right ankle 0.5 box sizes off (> 0.2)
        vis = d['keypoints_visible'][0] > 0
        n_visible += vis.sum()
        n_far += vis[0]
        samples.append(dict(pred_instances=dict(keypoints=kp), gt_instances=dict(
            keypoints=d['keypoints'], keypoints_visible=d['keypoints_visible'],
            bboxes=d['bbox'])))
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    # mmpose averages per joint over the joints seen at least once; independent count:
    vis = np.concatenate([d['keypoints_visible'] for d in data]) > 0
    per_joint = np.where(np.arange(16) == 0, 1 - 1.0, 1.0)[vis.any(0)]
    assert res['PCK'] == pytest.approx(per_joint.mean())
    assert n_far > 0 and n_visible > n_far


def test_shared_mpii_pckh_on_mpii_samples(shared_data_root):
    """MpiiPCKAccuracy needs head sizes: real MPII has them in ``mpii_gt_val.mat``, which the
    shared sample lacks, so the head size here is the upper-neck to head-top distance."""
    ds, data = mpii_samples(shared_data_root)
    metric = METRICS.build(dict(type='MpiiPCKAccuracy', norm_item='head'))
    metric.dataset_meta = ds.metainfo
    samples = []
    for d in data:
        kp = d['keypoints']
        head = np.linalg.norm(kp[0, 9] - kp[0, 8])
        pred = kp - 1.0  # the metric adds 1 (MATLAB indexing) before comparing
        pred[0, 15] += [0.6 * head, 0]  # left wrist beyond 0.5 head sizes
        samples.append(dict(pred_instances=dict(keypoints=pred), gt_instances=dict(
            keypoints=kp, keypoints_visible=d['keypoints_visible'], head_size=head)))
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    assert res['Head PCK'] == pytest.approx(100)
    assert res['Ankle PCK'] == pytest.approx(100)
    assert res['Wrist PCK'] == pytest.approx(50)  # right wrist 100, left wrist 0
