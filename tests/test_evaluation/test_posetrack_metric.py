"""PoseTrackMetric (mmengine BaseMetric) and tools/eval_posetrack.py."""
import json
import os
import random

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample
from random_tracks import BONN_NAMES, make_random_videos
from tiny_cases import NAMES, gt_frame, perfect_predictions, video

from plugins.datasets.posetrack_json import dump_posetrack_video, load_posetrack_folder
from plugins.evaluation import (PoseTrackMetric, evaluate_posetrack, frame_record_from_sample,
                                frame_to_data_sample)
from plugins.registry import METRICS


def samples_of(gts, prs):
    out = []
    for gv, pv in zip(gts, prs):
        for gf, pf in zip(gv.frames, pv.frames):
            out.append(frame_to_data_sample(gf, gv.name, dict(
                keypoints=pf.keypoints, keypoint_scores=pf.keypoint_scores,
                track_ids=pf.track_ids)))
    return out


@pytest.mark.parametrize('mode', ['default', 'poseval'])
def test_metric_equals_function_in_any_sample_order(mode, tmp_path):
    gts, prs = make_random_videos(num_videos=3, num_frames=6, seed=5, crowd=0.3,
                                  p_unlabeled=0.2)
    metric = METRICS.build(dict(type='PoseTrackMetric', mode=mode,
                                outfile_prefix=str(tmp_path / 'pred')))
    metric.dataset_meta = dict(keypoint_id2name=dict(enumerate(BONN_NAMES)))
    samples = samples_of(gts, prs)
    random.Random(0).shuffle(samples)
    for i in range(0, len(samples), 4):
        metric.process({}, samples[i:i + 4])
    res = metric.evaluate(len(samples))
    ref = evaluate_posetrack(gts, prs, metainfo=BONN_NAMES, mode=mode).summary()
    assert set(res) == {f'posetrack/{k}' for k in ref}
    for k, v in ref.items():
        assert res[f'posetrack/{k}'] == pytest.approx(v, nan_ok=True)
    # the written JSON files score the same (up to the 3-decimal rounding of the files)
    back = load_posetrack_folder(tmp_path / 'pred')
    assert [v.name for v in back] == [v.name for v in gts]
    again = evaluate_posetrack(gts, back, metainfo=BONN_NAMES, mode=mode).summary()
    assert again['mAP'] == pytest.approx(ref['mAP'], abs=0.5)
    assert again['MOTA'] == pytest.approx(ref['MOTA'], abs=0.5)


def test_metric_accepts_pose_data_samples_with_tensors_and_merges_crops():
    gt = video([gt_frame(t, [(1, (10, 10)), (2, (80, 80))]) for t in range(3)])
    pr = perfect_predictions(gt)
    metric = PoseTrackMetric(keypoint_names=NAMES)
    for gf, pf in zip(gt.frames, pr.frames):
        for i in range(2):  # one sample per person crop, as top-down models produce
            s = PoseDataSample(metainfo=dict(video_name='v', frame_index=gf.frame_index,
                                             ignore_regions=[]))
            s.gt_instances = InstanceData(
                keypoints=gf.keypoints, keypoints_visible=gf.keypoint_scores,
                track_ids=gf.track_ids, head_bboxes=gf.head_bboxes)
            s.pred_instances = InstanceData(
                keypoints=torch.from_numpy(pf.keypoints[i:i + 1]),
                keypoint_scores=torch.from_numpy(pf.keypoint_scores[i:i + 1]),
                track_ids=torch.from_numpy(pf.track_ids[i:i + 1]))
            metric.process({}, [s])
    res = metric.evaluate(6)
    assert res['posetrack/mAP'] == pytest.approx(100)
    assert res['posetrack/MOTA'] == pytest.approx(100)
    assert metric.last_result.num_frames == 3


def test_metric_reports_missing_fields():
    with pytest.raises(KeyError, match='frame_index'):
        frame_record_from_sample(dict(video_name='v', gt_instances={}))
    with pytest.raises(KeyError, match='head_bboxes'):
        frame_record_from_sample(dict(video_name='v', frame_index=0, gt_instances=dict(
            keypoints=np.zeros((1, 3, 2)), keypoints_visible=np.ones((1, 3)))))
    with pytest.raises(ValueError, match='mode'):
        PoseTrackMetric(mode='official')
    metric = PoseTrackMetric()
    metric.process({}, [dict(video_name='v', frame_index=0, gt_instances=dict(
        keypoints=np.zeros((0, 3, 2)), keypoints_visible=np.zeros((0, 3)),
        head_bboxes=np.zeros((0, 4))))])
    with pytest.raises(ValueError, match='keypoint names unknown'):
        metric.evaluate(1)


def test_eval_posetrack_tool(tmp_path, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location('eval_posetrack', 'tools/eval_posetrack.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    gts, prs = make_random_videos(num_videos=2, num_frames=5, seed=2, crowd=0.3)
    for v in gts:
        dump_posetrack_video(v, tmp_path / 'gt' / f'{v.name}.json')
    for v in prs:  # predictions list their keypoints in another order
        perm = np.arange(len(BONN_NAMES))[::-1]
        v.categories[0]['keypoints'] = [BONN_NAMES[i] for i in perm]
        for f in v.frames:
            f.keypoints = f.keypoints[:, perm]
            f.keypoint_scores = f.keypoint_scores[:, perm]
        dump_posetrack_video(v, tmp_path / 'pred' / f'{v.name}.json')
    out = tmp_path / 'res' / 'result.json'
    for mode in ('default', 'poseval'):
        result = tool.main(['--gt', str(tmp_path / 'gt'), '--pred', str(tmp_path / 'pred'),
                            '--mode', mode, '--out', str(out)])
        # same file order as the tool (glob order in poseval mode: it decides tie order)
        files = tool.list_gt_files(str(tmp_path / 'gt'), mode)
        order = [os.path.basename(f)[:-5] for f in files]
        preds = {v.name: v for v in _reordered(tmp_path / 'pred')}
        gt_videos = {v.name: v for v in load_posetrack_folder(tmp_path / 'gt')}
        expected = evaluate_posetrack([gt_videos[n] for n in order],
                                      [preds[n] for n in order], metainfo=BONN_NAMES,
                                      mode=mode)
        assert result.summary() == pytest.approx(expected.summary(), nan_ok=True)
        written = json.loads(out.read_text())
        assert written['mode'] == mode
        assert written['ap_table']['Total'] == pytest.approx(expected.ap_table()['Total'])
        assert written['mota_table']['Total'] == pytest.approx(expected.mota_table()['Total'])
    printed = capsys.readouterr().out
    assert 'Average Precision' in printed and 'MOTA' in printed
    (tmp_path / 'pred' / f'{gts[1].name}.json').unlink()
    with pytest.raises(FileNotFoundError, match=f'{gts[1].name}.json'):
        tool.main(['--gt', str(tmp_path / 'gt'), '--pred', str(tmp_path / 'pred')])


def _reordered(folder):
    videos = load_posetrack_folder(folder)
    for v in videos:
        idx = [v.keypoint_names.index(n) for n in BONN_NAMES]
        for f in v.frames:
            f.keypoints = f.keypoints[:, idx]
            f.keypoint_scores = f.keypoint_scores[:, idx]
    return videos
