"""PoseTrack21 annotation files (hand-made tiny ``posetrack_data/val`` folder).

PoseTrack21 keeps PoseTrack18's per-video JSON and adds ``person_id`` (identity across videos),
``has_labeled_person`` / ``frame_id`` / ``vid_id`` / ``nframes`` on images, and box-only
annotations of small persons (no keypoints). Its evaluation kit reads predictions with the same
``images`` (same ids, same order) and per annotation ``keypoints`` (17 x 3), ``scores`` (17),
``track_id`` and ``image_id``.
"""
import json

import numpy as np
import pytest

from plugins.datasets.posetrack_json import (PoseTrackJsonWriter, load_posetrack_video,
                                             prediction_video)
from plugins.datasets.posetrack_video_dataset import PoseTrackVideoDataset
from plugins.evaluation import PoseTrackMetric, evaluate_posetrack

METAINFO = dict(from_file='configs/_base_/datasets/posetrack21.py')


def _person(x, y, visible_ears=False):
    kp = []
    for j in range(17):
        if j in (3, 4) and not visible_ears:  # ears are never annotated
            kp += [0, 0, 0]
        else:
            kp += [x + 3.0 * j, y + 5.0 * j, 1]
    return kp


def _tiny_posetrack21(root):
    vid = '000001_bonn_train'
    images = []
    for t in range(3):
        images.append(dict(
            is_labeled=t != 1, has_labeled_person=t != 1, nframes=3, frame_id=10000010000 + t,
            id=10000010000 + t, vid_id='000001', file_name=f'images/val/{vid}/{t:06d}.jpg',
            ignore_regions_x=[[300, 400, 400, 300]] if t == 2 else [],
            ignore_regions_y=[[0, 0, 100, 100]] if t == 2 else []))
    anns = []
    for t in (0, 2):
        img = 10000010000 + t
        anns.append(dict(bbox=[40, 40, 60, 100], bbox_head=[45, 40, 12, 12], category_id=1,
                         image_id=img, id=img * 100, keypoints=_person(50.0 + t, 50.0),
                         person_id=1024, track_id=0))
        # a small person: box only, no keypoints (PoseTrack21 annotates their boxes)
        anns.append(dict(bbox=[200, 30, 8, 20], category_id=1, image_id=img, id=img * 100 + 1,
                         keypoints=[0] * 51, person_id=2048, track_id=1))
    # frame 2: a third person inside the ignore region, box only and without a keypoints field
    anns.append(dict(bbox=[320, 10, 10, 30], category_id=1, image_id=10000010002,
                     id=10000010002 * 100 + 2, person_id=4096, track_id=2))
    cats = [dict(supercategory='person', id=1, name='person',
                 keypoints=['nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear',
                            'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
                            'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
                            'right_knee', 'left_ankle', 'right_ankle'], skeleton=[])]
    folder = root / 'posetrack_data' / 'val'
    folder.mkdir(parents=True)
    (folder / f'{vid}.json').write_text(json.dumps(dict(images=images, annotations=anns,
                                                        categories=cats)))
    return folder / f'{vid}.json'


def test_parse_person_ids_and_box_only_persons(tmp_path):
    video = load_posetrack_video(_tiny_posetrack21(tmp_path))
    f0, f1, f2 = video.frames
    assert [f.is_labeled for f in video.frames] == [True, False, True]
    np.testing.assert_array_equal(f0.person_ids, [1024, 2048])
    np.testing.assert_array_equal(f2.person_ids, [1024, 2048, 4096])
    np.testing.assert_array_equal(f0.track_ids, [0, 1])
    assert f0.keypoint_scores[1].sum() == 0  # the small person has no joints
    np.testing.assert_allclose(f0.bboxes[1], [200, 30, 208, 50])
    assert np.isnan(f0.head_bboxes[1]).all()
    assert f1.num_persons == 0 and f2.ignore_regions[0].shape == (4, 2)
    assert f0.extra['has_labeled_person'] and f0.extra['vid_id'] == '000001'


def test_video_dataset_reads_the_posetrack21_layout(tmp_path):
    _tiny_posetrack21(tmp_path)
    ds = PoseTrackVideoDataset(data_root=str(tmp_path), ann_file='posetrack_data/val',
                               data_prefix=dict(img=str(tmp_path)), metainfo=METAINFO)
    assert ds.metainfo['dataset_name'] == 'posetrack21' and ds.metainfo['num_keypoints'] == 17
    video = ds.get_video(0)
    assert video['video_name'] == '000001_bonn_train' and video['num_frames'] == 3
    fr = video['frames'][2]
    np.testing.assert_array_equal(fr['person_ids'], [1024, 2048, 4096])
    assert fr['img_path'].endswith('images/val/000001_bonn_train/000002.jpg')
    assert fr['keypoints_visible'][0].sum() == 15 and fr['keypoints_visible'][1].sum() == 0
    assert fr['ignore_regions_x'] == [[300.0, 400.0, 400.0, 300.0]]


def test_ground_truth_as_predictions_scores_100_incl_hota(tmp_path):
    gt = load_posetrack_video(_tiny_posetrack21(tmp_path))
    pred = prediction_video(gt, {i: f.to_instances() for i, f in enumerate(gt.frames)
                                 if f.num_persons})
    for f in pred.frames:  # predictions carry confidences
        f.keypoint_scores = np.where(f.keypoint_scores > 0, 0.9, 0.0).astype(np.float32)
    for mode in ('default', 'poseval'):
        s = evaluate_posetrack([gt], [pred], metrics=('map', 'mota', 'hota'),
                               mode=mode).summary()
        for key in ('mAP', 'MOTA', 'HOTA', 'DetA', 'AssA', 'LocA'):
            assert s[key] == pytest.approx(100.0), (mode, key)


def test_predictions_written_in_the_kits_format(tmp_path):
    gt_path = _tiny_posetrack21(tmp_path)
    gt = load_posetrack_video(gt_path)
    pred = prediction_video(gt, {0: gt.frames[0].to_instances()})
    out = tmp_path / 'pred' / gt_path.name
    with PoseTrackJsonWriter(out, is_prediction=True, categories=gt.categories) as w:
        for f in pred.frames:
            w.add_frame(f)
    raw_gt = json.loads(gt_path.read_text())
    raw = json.loads(out.read_text())
    # the kit pairs frames by position and asserts equal image ids
    assert [i['id'] for i in raw['images']] == [i['id'] for i in raw_gt['images']]
    assert {a['image_id'] for a in raw['annotations']} <= {i['id'] for i in raw['images']}
    for a in raw['annotations']:
        assert len(a['keypoints']) == 51 and len(a['scores']) == 17
        assert isinstance(a['track_id'], int)
        np.testing.assert_allclose(np.asarray(a['keypoints']).reshape(17, 3)[:, 2], a['scores'])


def test_metric_with_gt_dir_on_posetrack21_files(tmp_path):
    gt_path = _tiny_posetrack21(tmp_path)
    gt = load_posetrack_video(gt_path)
    metric = PoseTrackMetric(gt_dir=str(gt_path.parent), metrics=['map', 'mota', 'hota'])
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    metric.dataset_meta = parse_pose_metainfo(METAINFO)
    f0 = gt.frames[0]
    metric.process({}, [dict(img_id=f0.image_id, img_path=f0.file_name, pred_instances=dict(
        keypoints=f0.keypoints[:1], keypoint_scores=np.where(f0.keypoint_scores[:1] > 0, 0.9, 0),
        track_ids=np.array([5])))])
    out = metric.evaluate(1)
    # frame 2's person is not predicted: half of the joint detections are misses
    assert out['posetrack/DetA'] == pytest.approx(50.0)
    assert out['posetrack/AssA'] == pytest.approx(50.0)
