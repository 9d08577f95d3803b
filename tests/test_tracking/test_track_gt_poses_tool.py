"""tools/analysis/track_gt_poses.py: degrade + track PoseTrack18 ground truth, score it."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from tracking_test_sequences import pose_at

from plugins.datasets.posetrack_json import (FrameAnnotation, VideoAnnotation,
                                             dump_posetrack_video, load_posetrack_video)
from plugins.evaluation import evaluate_posetrack

ROOT = Path(__file__).resolve().parents[2]


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'track_gt_poses', ROOT / 'tools' / 'analysis' / 'track_gt_poses.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def make_gt_video(name, num_frames=12, unlabeled=(5, )):
    """Three persons walking (two of them crossing); one frame not labeled."""
    frames = []
    for t in range(num_frames):
        labeled = t not in unlabeled
        common = dict(image_id=1000 * (1 + (name == 'video_b')) + t, frame_index=t,
                      file_name=f'images/{name}/{t:06d}.jpg', width=640, height=480)
        if not labeled:
            frames.append(FrameAnnotation.empty(num_keypoints=17, is_labeled=False, **common))
            continue
        boxes = [(40 + 6 * t, 100), (300 - 6 * t, 140), (500, 200)]
        kpts = np.stack([pose_at(x, y, 80, 160) for x, y in boxes])
        vis = np.ones((3, 17), np.float32)
        vis[:, 3:5] = 0  # ears not annotated (as in Bonn PoseTrack)
        kpts[vis == 0] = 0
        heads = np.array([[x + 30, y, x + 50, y + 25] for x, y in boxes], np.float32)
        frames.append(FrameAnnotation(
            is_labeled=True, keypoints=kpts, keypoint_scores=vis, track_ids=[7, 8, 9],
            bboxes=np.array([[x, y, x + 80, y + 160] for x, y in boxes], np.float32),
            head_bboxes=heads, **common))
    return VideoAnnotation(name=name, frames=frames)


@pytest.fixture
def gt_dir(tmp_path):
    for name in ('video_a', 'video_b'):
        dump_posetrack_video(make_gt_video(name), tmp_path / 'gt' / f'{name}.json')
    return tmp_path / 'gt'


def _score(gt_dir, pred_dir):
    names = sorted(p.stem for p in Path(gt_dir).glob('*.json'))
    gts = [load_posetrack_video(Path(gt_dir) / f'{n}.json') for n in names]
    preds = [load_posetrack_video(Path(pred_dir) / f'{n}.json') for n in names]
    return evaluate_posetrack(gts, preds).mota_table()


def test_undegraded_ground_truth_is_tracked_perfectly(gt_dir, tmp_path):
    out = tmp_path / 'pred'
    summary = tool.main(['--gt', str(gt_dir), '--tracker', 'IoUTracker', '--degrade', 'none',
                         '--out', str(out), '--summary', str(tmp_path / 's.json')])
    assert summary['videos'] == 2 and summary['frames'] == 22 and summary['persons'] == 66
    assert json.loads((tmp_path / 's.json').read_text())['degrade'] == 'none'
    assert sorted(p.name for p in out.iterdir()) == ['video_a.json', 'video_b.json']
    pred = load_posetrack_video(out / 'video_a.json')
    gt = load_posetrack_video(gt_dir / 'video_a.json')
    assert pred.is_prediction and len(pred.frames) == len(gt.frames)
    assert not pred.frames[5].is_labeled and pred.frames[5].num_persons == 0
    assert [f.image_id for f in pred.frames] == [f.image_id for f in gt.frames]
    mota = _score(gt_dir, out)
    assert mota['Total'] == pytest.approx(100.0) and mota['IDSW'] == 0


def test_degraded_tracking_is_seeded_and_scored(gt_dir, tmp_path):
    args = ['--gt', str(gt_dir), '--tracker', 'OKSTracker', '--degrade', 'heavy',
            '--degrade-options', 'false_positives=1.5']
    tool.main(args + ['--seed', '3', '--out', str(tmp_path / 'a')])
    tool.main(args + ['--seed', '3', '--out', str(tmp_path / 'b')])
    tool.main(args + ['--seed', '4', '--out', str(tmp_path / 'c')])
    a = (tmp_path / 'a' / 'video_a.json').read_text()
    assert a == (tmp_path / 'b' / 'video_a.json').read_text()
    assert a != (tmp_path / 'c' / 'video_a.json').read_text()
    mota = _score(gt_dir, tmp_path / 'a')
    assert mota['Total'] < 100.0 and mota['Precision'] < 100.0  # false positives counted


def test_tracker_from_config_file_and_options(gt_dir, tmp_path):
    cfg = tmp_path / 'trk.py'
    cfg.write_text("tracking_pipeline = dict(tracker=dict(type='IoUTracker', "
                   "assignment='greedy', match_threshold=0.3))\n")
    tcfg = tool.tracker_config(str(cfg), {'assignment': 'hungarian'}, 'x.py')
    assert tcfg == dict(type='IoUTracker', assignment='hungarian', match_threshold=0.3)
    # trackers taking a metainfo get the tool's default (PoseTrack18 sigmas)
    assert tool.tracker_config('OKSTracker', {}, 'm.py')['metainfo'] == 'm.py'
    tool.main(['--gt', str(gt_dir), '--tracker', str(cfg), '--degrade', 'light', '--out',
               str(tmp_path / 'p'), '--videos', 'video_b'])
    assert [p.name for p in (tmp_path / 'p').iterdir()] == ['video_b.json']


def test_errors_name_the_problem(gt_dir, tmp_path):
    with pytest.raises(ValueError, match='unknown tracker'):
        tool.main(['--gt', str(gt_dir), '--tracker', 'NoSuchTracker', '--out', str(tmp_path)])
    with pytest.raises(FileNotFoundError, match='no PoseTrack18'):
        tool.main(['--gt', str(gt_dir), '--tracker', 'IoUTracker', '--out', str(tmp_path),
                   '--videos', 'missing'])
    with pytest.raises(ValueError, match='needs the BGR frame'):
        tool.main(['--gt', str(gt_dir), '--tracker', 'ReIDTracker', '--out', str(tmp_path)])



def test_ground_truth_without_head_boxes_is_read_only_and_scored_with_head_segment(tmp_path):
    """Missing head boxes (Bonn) are the metric's job: the tool never rewrites the GT."""
    video = make_gt_video('video_a')
    for f in video.frames[:4]:
        f.head_bboxes[:] = np.nan
    gt_file = tmp_path / 'gt' / 'video_a.json'
    dump_posetrack_video(video, gt_file)
    before = gt_file.read_bytes()
    with pytest.raises(SystemExit):  # the option that wrote invented head boxes is gone
        tool.parse_args(['--gt', str(gt_file.parent), '--tracker', 'IoUTracker', '--out',
                         str(tmp_path / 'p'), '--write-gt', str(tmp_path / 'gt2')])
    tool.main(['--gt', str(gt_file.parent), '--tracker', 'IoUTracker', '--degrade', 'none',
               '--out', str(tmp_path / 'p')])
    assert gt_file.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        'gt', 'p']
    gt = load_posetrack_video(gt_file)
    pred = load_posetrack_video(tmp_path / 'p' / 'video_a.json')
    with pytest.raises(ValueError, match='head'):
        evaluate_posetrack([gt], [pred])
    mota = evaluate_posetrack([gt], [pred], head_size_fallback='head_segment').mota_table()
    assert mota['Total'] == pytest.approx(100.0) and mota['IDSW'] == 0
