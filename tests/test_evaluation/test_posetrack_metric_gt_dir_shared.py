"""PoseTrackMetric(gt_dir=...) on per-person (top-down) samples of the real PoseTrack18 sample
files in ../shared: mmpose's ``PoseTrack18Dataset`` (merged COCO-style file) gives one sample per
person; the metric takes each frame's whole ground truth from the official per-video files."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS
from mmpose.structures import PoseDataSample
from mmengine.structures import InstanceData

from plugins.datasets.posetrack_json import load_posetrack_folder
from plugins.evaluation import PoseTrackMetric, frame_to_data_sample


@pytest.fixture(scope='module')
def posetrack18(shared_data_root):
    root = shared_data_root / 'mmpose_samples' / 'posetrack18'
    init_default_scope('mmpose')
    dataset = DATASETS.build(dict(
        type='PoseTrack18Dataset', data_root=str(root), data_mode='topdown',
        ann_file='annotations/test_posetrack18_val.json', data_prefix=dict(img=''),
        test_mode=True, pipeline=[]))
    return root, dataset


def _person_samples(dataset, shift=0.0, skip=()):
    """One PoseDataSample per person crop, predicting its ground truth (+ shift)."""
    samples = []
    for i in range(len(dataset)):
        if i in skip:
            continue
        d = dataset[i]
        s = PoseDataSample(metainfo=dict(img_id=d['img_id'], img_path=d['img_path']))
        s.pred_instances = InstanceData(keypoints=d['keypoints'] + shift,
                                        keypoint_scores=d['keypoints_visible'].astype(float))
        samples.append(s)
    return samples


def _metric(root, dataset, samples, **kwargs):
    metric = PoseTrackMetric(gt_dir=str(root / 'annotations' / 'val'), **kwargs)
    metric.dataset_meta = dataset.metainfo
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_perfect_per_person_predictions_score_100(posetrack18):
    root, dataset = posetrack18
    assert len(dataset) == 14  # persons of 3 labelled frames of 3 videos
    res = _metric(root, dataset, _person_samples(dataset))
    assert res['posetrack/mAP'] == pytest.approx(100.0)
    far = _metric(root, dataset, _person_samples(dataset, shift=500.0))
    assert far['posetrack/mAP'] == pytest.approx(0.0)


def test_missing_persons_equal_whole_frame_evaluation(posetrack18):
    """Leaving persons out of the per-person samples scores exactly like whole-frame samples
    (built independently from the per-video files) whose predictions lack those persons."""
    root, dataset = posetrack18
    skip = {0, 5, 6}
    res = _metric(root, dataset, _person_samples(dataset, skip=skip))
    assert res['posetrack/mAP'] < 100.0

    kept = {}
    for i in range(len(dataset)):
        if i not in skip:
            d = dataset[i]
            kept.setdefault(d['img_id'], []).append(d)
    frames = []
    for video in load_posetrack_folder(root / 'annotations' / 'val'):
        for frame in video.frames:
            ds = kept.get(frame.image_id, [])
            kp = np.concatenate([np.zeros((0, 17, 2))] + [d['keypoints'] for d in ds])
            sc = np.concatenate([np.zeros((0, 17))] + [d['keypoints_visible'] for d in ds])
            frames.append(frame_to_data_sample(frame, video.name, dict(
                keypoints=kp, keypoint_scores=sc.astype(float))))
    ref = PoseTrackMetric()
    ref.dataset_meta = dataset.metainfo
    ref.process(None, frames)
    expected = ref.evaluate(len(frames))
    for key in ('AP_Head', 'AP_Wrist', 'AP_Ankle', 'mAP'):
        assert res[f'posetrack/{key}'] == pytest.approx(expected[f'posetrack/{key}'])


def test_images_are_found_by_path_when_ids_differ(posetrack18):
    root, dataset = posetrack18
    samples = _person_samples(dataset)
    for s in samples:  # e.g. a converted dataset with its own image ids
        s.set_metainfo(dict(img_id=None))
    assert _metric(root, dataset, samples)['posetrack/mAP'] == pytest.approx(100.0)


def test_bad_inputs_name_the_problem(posetrack18, tmp_path):
    root, dataset = posetrack18
    samples = _person_samples(dataset)
    samples[0].set_metainfo(dict(img_id=123, img_path='elsewhere/000001.jpg'))
    with pytest.raises(KeyError, match=r'not in the ground-truth files .*\[123\]'):
        _metric(root, dataset, samples)
    metric = PoseTrackMetric(gt_dir=str(tmp_path))
    metric.process(None, _person_samples(dataset))
    with pytest.raises(FileNotFoundError, match='no PoseTrack18 per-video files'):
        metric.evaluate(len(dataset))
    short = _person_samples(dataset)
    for s in short:
        s.pred_instances = InstanceData(keypoints=s.pred_instances.keypoints[:, :14],
                                        keypoint_scores=s.pred_instances.keypoint_scores[:, :14])
    metric = PoseTrackMetric(gt_dir=str(root / 'annotations' / 'val'))
    metric.process(None, short)
    with pytest.raises(ValueError, match='have \\[17\\] keypoints per person, the predictions 14'):
        metric.evaluate(len(short))
    swapped = PoseTrackMetric(gt_dir=str(root / 'annotations' / 'val'))
    meta = dict(dataset.metainfo)
    names = dict(meta['keypoint_id2name'])
    names[1], names[2] = names[2], names[1]  # head_bottom <-> head_top
    swapped.dataset_meta = dict(meta, keypoint_id2name=names)
    swapped.process(None, _person_samples(dataset))
    with pytest.raises(ValueError, match='wrong order'):
        swapped.evaluate(len(dataset))
    no_pred = PoseDataSample(metainfo=dict(img_id=1))
    with pytest.raises(KeyError, match='pred_instances.keypoints'):
        PoseTrackMetric(gt_dir='x').process(None, [no_pred])
