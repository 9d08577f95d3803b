"""The mini datasets of the config harness load with the OpenMMLab classes the paper configs
use, and score perfectly with those configs' metrics when the predictions are the ground truth.

Runs on the synthetic layouts (``make_synthetic.py --layout ...``); the same checks on the real
sample files are in ``test_synthetic_layouts_shared.py``.
"""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_configs'))
from mini_datasets import make_synthetic_mini  # noqa: E402

from plugins.datasets.synthetic.layouts import (COCO_DET_FILE, COCO_KEYPOINT_NAMES,  # noqa: E402
                                                POSETRACK18_DET_FILE)

pytestmark = pytest.mark.filterwarnings('ignore')


# ------------------------------------------------------------------------------ checks
def check_coco(root: Path):
    from mmengine.registry import init_default_scope
    from mmpose.datasets import CocoDataset
    from mmpose.evaluation import CocoMetric
    from xtcocotools.coco import COCO
    init_default_scope('mmpose')
    for split in ('train', 'val'):
        ann = json.loads((root / 'annotations' / f'person_keypoints_{split}2017.json').read_text())
        assert ann['categories'][0]['keypoints'] == COCO_KEYPOINT_NAMES
        for img in ann['images']:
            assert (root / f'{split}2017' / img['file_name']).is_file()
    # top-down training samples: one per annotated person (crowds have no keypoints)
    train = CocoDataset(data_root=str(root), ann_file='annotations/person_keypoints_train2017.json',
                        data_prefix=dict(img='train2017/'), pipeline=[])
    ann = json.loads((root / 'annotations/person_keypoints_train2017.json').read_text())
    persons = [a for a in ann['annotations'] if not a['iscrowd'] and a['num_keypoints'] > 0]
    assert len(train) == len(persons) > 0
    # validation from the detection results file (mmpose's COCO val protocol)
    dets = json.loads((root / COCO_DET_FILE).read_text())
    val_ann = json.loads((root / 'annotations/person_keypoints_val2017.json').read_text())
    assert {d['image_id'] for d in dets} <= {i['id'] for i in val_ann['images']}
    val = CocoDataset(data_root=str(root), ann_file='annotations/person_keypoints_val2017.json',
                      data_prefix=dict(img='val2017/'), bbox_file=str(root / COCO_DET_FILE),
                      test_mode=True, pipeline=[])
    assert len(val) == len(dets)
    # CocoMetric on the ground truth itself: AP = 1
    gt = CocoDataset(data_root=str(root), ann_file='annotations/person_keypoints_val2017.json',
                     data_prefix=dict(img='val2017/'), test_mode=True, pipeline=[])
    metric = CocoMetric(ann_file=str(root / 'annotations/person_keypoints_val2017.json'))
    metric.dataset_meta = gt.metainfo
    shapes = {i['id']: (i['height'], i['width']) for i in val_ann['images']}
    for i in range(len(gt)):
        d = gt[i]
        kp = d['keypoints'].astype(np.float32)
        metric.process([dict(inputs=None)], [dict(
            id=d['id'], img_id=d['img_id'], category_id=1,
            pred_instances=dict(keypoints=kp, keypoint_scores=np.ones(kp.shape[:2], np.float32),
                                bbox_scores=np.ones(1, np.float32)),
            gt_instances=dict(areas=np.asarray([d['area']]).reshape(-1)),
            raw_ann_info=d['raw_ann_info'], ori_shape=shapes[d['img_id']])])
    res = metric.evaluate(len(gt))
    assert res['coco/AP'] == pytest.approx(1.0)
    # crowds are COCO iscrowd=1 annotations (the ignore regions of the source videos)
    coco = COCO(str(root / 'annotations/person_keypoints_val2017.json'))
    crowd = [a for a in coco.dataset['annotations'] if a['iscrowd']]
    return dict(train=len(train), val=len(val), crowds=len(crowd))


def check_mmdet_coco(root: Path):
    from mmdet.datasets import CocoDataset
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    ds = CocoDataset(data_root=str(root), ann_file='annotations/person_keypoints_train2017.json',
                     data_prefix=dict(img='train2017/'), metainfo=dict(classes=('person', )),
                     pipeline=[])
    assert len(ds) > 0
    inst = ds[0]['instances']
    assert inst and all(len(i['bbox']) == 4 for i in inst)


def check_posetrack18(root: Path, expect_unlabeled: bool):
    from mmengine.registry import init_default_scope
    from mmpose.datasets import PoseTrack18Dataset
    from plugins.datasets.posetrack_json import load_posetrack_folder
    from plugins.datasets.posetrack_video_dataset import PoseTrackVideoDataset
    init_default_scope('mmpose')
    for split in ('train', 'val'):
        videos = list(load_posetrack_folder(root / 'annotations' / split))
        assert videos
        merged = json.loads((root / 'annotations' / f'posetrack18_{split}.json').read_text())
        assert len(merged['images']) == sum(len(v.frames) for v in videos)
        for v in videos:
            for f in v.frames:
                assert (root / f.file_name).is_file(), f.file_name
    val_videos = list(load_posetrack_folder(root / 'annotations' / 'val'))
    labeled = [f for v in val_videos for f in v.frames if f.is_labeled]
    assert any(f.ignore_regions for f in labeled), 'no ignore regions'
    assert all(np.isfinite(f.head_bboxes).all() for f in labeled if f.num_persons)
    assert all((f.track_ids >= 0).all() for f in labeled)
    assert any(not f.is_labeled for v in val_videos for f in v.frames) == expect_unlabeled
    ds = PoseTrack18Dataset(data_root=str(root), ann_file='annotations/posetrack18_val.json',
                            data_prefix=dict(img=''), pipeline=[], test_mode=True)
    assert len(ds) == sum(f.num_persons for f in labeled)
    dets = json.loads((root / POSETRACK18_DET_FILE).read_text())
    det_ds = PoseTrack18Dataset(data_root=str(root), ann_file='annotations/posetrack18_val.json',
                                data_prefix=dict(img=''), pipeline=[], test_mode=True,
                                bbox_file=str(root / POSETRACK18_DET_FILE))
    assert len(det_ds) == len(dets)
    video_ds = PoseTrackVideoDataset(data_root=str(root), ann_file='annotations/val',
                                     data_prefix=dict(img=''))
    assert len(video_ds) == len(val_videos)
    return dict(videos=len(val_videos), labeled=len(labeled))


def check_mpii(root: Path):
    from mmengine.registry import init_default_scope
    from mmpose.datasets import MpiiDataset
    from mmpose.evaluation import MpiiPCKAccuracy
    init_default_scope('mmpose')
    train = MpiiDataset(data_root=str(root), ann_file='annotations/mpii_train.json',
                        data_prefix=dict(img='images/'), pipeline=[])
    assert len(train) > 0 and train[0]['keypoints'].shape == (1, 16, 2)
    val = MpiiDataset(data_root=str(root), ann_file='annotations/mpii_val.json',
                      headbox_file=str(root / 'annotations/mpii_gt_val.mat'),
                      data_prefix=dict(img='images/'), pipeline=[], test_mode=True)
    for i in range(len(val)):
        assert (root / 'images' / Path(val[i]['img_path']).name).is_file()
        assert float(val[i]['head_size'].reshape(-1)[0]) > 1.0
    # PCKh of the ground truth against itself: 100 on every joint
    metric = MpiiPCKAccuracy()
    metric.dataset_meta = val.metainfo
    for i in range(len(val)):
        d = val[i]
        metric.process([dict(inputs=None)], [dict(
            pred_instances=dict(keypoints=d['keypoints']),
            gt_instances=dict(keypoints=d['keypoints'], keypoints_visible=d['keypoints_visible'],
                              head_size=d['head_size'].reshape(-1)),
            gt_instance_labels=dict(keypoint_weights=d['keypoints_visible'].astype(np.float32)),
            head_size=d['head_size'])])
    res = metric.evaluate(len(val))
    assert res['PCK'] == pytest.approx(100.0)
    # a prediction shifted by more than half the head size fails PCKh@0.5
    metric = MpiiPCKAccuracy()
    metric.dataset_meta = val.metainfo
    d = val[0]
    hs = float(d['head_size'].reshape(-1)[0])
    metric.process([dict(inputs=None)], [dict(
        pred_instances=dict(keypoints=d['keypoints'] + 0.6 * hs),
        gt_instances=dict(keypoints=d['keypoints'], keypoints_visible=d['keypoints_visible'],
                          head_size=d['head_size'].reshape(-1)),
        gt_instance_labels=dict(keypoint_weights=d['keypoints_visible'].astype(np.float32)),
        head_size=d['head_size'])])
    assert metric.evaluate(1)['PCK'] == pytest.approx(0.0)
    return dict(train=len(train), val=len(val))


# ------------------------------------------------------------------------------ tests
@pytest.fixture(scope='module')
def synthetic_roots(tmp_path_factory):
    base = tmp_path_factory.mktemp('layouts')
    return {layout: make_synthetic_mini(layout, base / layout)
            for layout in ('coco', 'posetrack18', 'mpii')}


def test_coco_layout(synthetic_roots):
    counts = check_coco(synthetic_roots['coco'])
    assert counts['crowds'] > 0  # --crowd-prob 1: every video has a crowd
    check_mmdet_coco(synthetic_roots['coco'])


def test_posetrack18_layout(synthetic_roots):
    counts = check_posetrack18(synthetic_roots['posetrack18'], expect_unlabeled=True)
    assert counts == dict(videos=2, labeled=4)  # 2 videos x frames {0, 2} of 3


def test_mpii_layout(synthetic_roots):
    root = synthetic_roots['mpii']
    check_mpii(root)
    from plugins.datasets.synthetic.layouts import MPII_DET_FILE
    dets = json.loads((root / MPII_DET_FILE).read_text())
    val = json.loads((root / 'annotations' / 'mpii_val.json').read_text())
    assert dets and {d['image_id'] for d in dets} <= {int(e['image'].split('.')[0]) for e in val}


def test_make_synthetic_cli_layout_is_deterministic(tmp_path, repo_root):
    a = make_synthetic_mini('posetrack18', tmp_path / 'a', in_process=False)
    b = make_synthetic_mini('posetrack18', tmp_path / 'b')
    for f in sorted((a / 'annotations').rglob('*.json')):
        assert f.read_bytes() == (b / f.relative_to(a)).read_bytes(), f


def test_unknown_layout_is_refused(tmp_path):
    from plugins.datasets.synthetic.layouts import mini_config, write_layout
    with pytest.raises(ValueError, match='unknown layout'):
        write_layout('kitti', tmp_path, 1, 1, mini_config())
