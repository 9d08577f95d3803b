"""Keypoint HOTA (PoseTrack21's definition) on hand-computed tiny cases.

Layout of :mod:`tiny_cases`: 3 joints, head size ``0.6 * sqrt(200)`` px. A predicted joint
``d`` head sizes away has similarity ``1 - d / 0.5001``; a match counts at the thresholds
``alpha <= similarity`` of the 19 thresholds 0.05..0.95.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from plugins.datasets.posetrack_json import dump_posetrack_video
from plugins.evaluation import PoseTrackMetric, evaluate_posetrack, frame_to_data_sample
from plugins.evaluation.functional import (ALPHAS, hota_from_similarities, hota_matches,
                                           keypoint_similarity)
from tiny_cases import HEAD_SIZE, NAMES, gt_frame, perfect_predictions, pose, pred_frame, video

ROOT = Path(__file__).resolve().parents[2]


def hota(gt, pred, mode='default'):
    return evaluate_posetrack([gt], [pred], metainfo=NAMES, mode=mode,
                              metrics=('map', 'mota', 'hota'))


def walking(n_frames=4, ids=(1,)):
    return video([gt_frame(t, [(tid, (100.0 * k + 10 * t, 50.0)) for k, tid in enumerate(ids)])
                  for t in range(n_frames)])


def test_similarity_of_distances():
    sim = keypoint_similarity(np.array([0.0, 0.25, 0.5, 0.6, np.inf]))
    np.testing.assert_allclose(sim, [1.0, 1 - 0.25 / 0.5001, 1 - 0.5 / 0.5001, 0.0, 0.0])


def test_perfect_predictions_are_100():
    gt = walking(5, ids=(1, 2))
    s = hota(gt, perfect_predictions(gt)).summary()
    for k in ('HOTA', 'DetA', 'AssA', 'LocA', 'DetRe', 'DetPr', 'AssRe', 'AssPr'):
        assert s[k] == pytest.approx(100.0), k


def test_constant_offset_counts_the_thresholds_below_the_similarity():
    gt = walking(3)
    d = 0.2  # head sizes
    sim = 1 - d / 0.5001  # 0.60008: thresholds 0.05 .. 0.60 match (12 of 19)
    pred = video([pred_frame(f.frame_index, [(7, f.keypoints[0] + [d * HEAD_SIZE, 0], 0.9)])
                  for f in gt.frames], prediction=True)
    r = hota(gt, pred)
    n = int(np.sum(ALPHAS <= sim))
    assert n == 12
    s = r.summary()
    assert s['DetA'] == pytest.approx(100 * n / 19)
    assert s['AssA'] == pytest.approx(100 * n / 19)
    assert s['HOTA'] == pytest.approx(100 * n / 19)
    # LocA: the similarity where matches exist, 1 (no match) at the other thresholds
    assert s['LocA'] == pytest.approx(100 * (n * sim + (19 - n)) / 19)
    np.testing.assert_allclose(r.hota['per_joint']['HOTA'], 100 * n / 19)


def test_identity_switch_halves_assa():
    gt = walking(4)
    pred = video([pred_frame(t, [(10 if t < 2 else 11, f.keypoints[0], 0.9)])
                  for t, f in enumerate(gt.frames)], prediction=True)
    s = hota(gt, pred).summary()
    # per joint: TP 4, FN 0, FP 0; pairs (1, 10) and (1, 11) c = 2: 2 * 2^2 / (4 + 2 - 2) / 4
    assert s['DetA'] == pytest.approx(100.0)
    assert s['AssA'] == pytest.approx(50.0)
    assert s['AssRe'] == pytest.approx(50.0)  # 2 * 4 / 4 / 4
    assert s['AssPr'] == pytest.approx(100.0)  # 2 * 4 / 2 / 4
    assert s['HOTA'] == pytest.approx(100 * np.sqrt(0.5))


def test_missed_frame():
    gt = walking(2)
    pred = video([pred_frame(0, [(3, gt.frames[0].keypoints[0], 0.9)]), pred_frame(1, [])],
                 prediction=True)
    s = hota(gt, pred).summary()
    # TP 1, FN 1: DetA 1/2; pair c = 1, |gt| = 2, |pred| = 1: AssA 1 / (2 + 1 - 1) = 1/2
    assert s['DetA'] == pytest.approx(50.0)
    assert s['AssA'] == pytest.approx(50.0)
    assert s['DetRe'] == pytest.approx(50.0)
    assert s['DetPr'] == pytest.approx(100.0)
    assert s['HOTA'] == pytest.approx(50.0)


def test_prediction_on_empty_labeled_frame_default_and_kit():
    """A labeled frame without people: one FP per joint; the kit adds the video's total."""
    frames = [gt_frame(0, [(1, (10.0, 50.0))]), gt_frame(1, [(1, (20.0, 50.0))]),
              gt_frame(2, [])]
    gt = video(frames)
    pred = video([pred_frame(0, [(5, pose(10.0, 50.0), 0.9)]),
                  pred_frame(1, [(5, pose(20.0, 50.0), 0.9)]),
                  pred_frame(2, [(5, pose(30.0, 50.0), 0.9)])], prediction=True)
    # default: TP 2, FP 1 -> DetA 2/3; pair c = 2, |gt| = 2, |pred| = 3 -> AssA 4/3/2 = 2/3
    s = hota(gt, pred).summary()
    assert s['DetA'] == pytest.approx(100 * 2 / 3)
    assert s['AssA'] == pytest.approx(100 * 2 / 3)
    assert s['HOTA'] == pytest.approx(100 * 2 / 3)
    # kit: FP += 3 (all predicted joints of the video) instead of 1 -> DetA 2/5
    k = hota(gt, pred, mode='poseval').summary()
    assert k['DetA'] == pytest.approx(100 * 2 / 5)
    assert k['AssA'] == pytest.approx(100 * 2 / 3)
    assert k['HOTA'] == pytest.approx(100 * np.sqrt(2 / 5 * 2 / 3))


def test_ignore_region_removes_joints_on_both_sides():
    box = np.array([[200.0, 0.0], [400.0, 0.0], [400.0, 200.0], [200.0, 200.0]])
    gt = video([gt_frame(t, [(1, (10.0, 50.0))], ignore=[box]) for t in range(3)])
    pred = video([pred_frame(t, [(4, pose(10.0, 50.0), 0.9), (9, pose(250.0, 50.0), 0.9)])
                  for t in range(3)], prediction=True)
    assert hota(gt, pred).summary()['HOTA'] == pytest.approx(100.0)
    no_ignore = video([gt_frame(t, [(1, (10.0, 50.0))]) for t in range(3)])
    s = hota(no_ignore, pred).summary()
    assert s['DetA'] == pytest.approx(50.0)  # TP 3, FP 3


def test_similarity_matching_maximises_the_summed_similarity():
    """Kit matching (similarity only) takes the assignment of highest total similarity."""
    sim = np.array([[0.9, 0.8], [0.8, 0.1]])
    r, c = np.nonzero(sim)
    mg, mp, ms = hota_matches([0, 0], [1, 2], [0, 0], [7, 8], r, c, sim[r, c],
                              alignment_weighted=False)
    assert sorted(zip(mg.tolist(), mp.tolist())) == [(0, 1), (1, 0)]
    np.testing.assert_allclose(sorted(ms), [0.8, 0.8])
    # at alpha 0.85 no match survives, although a 0.9 pair exists
    f = hota_from_similarities([0, 0], [1, 2], [0, 0], [7, 8], r, c, sim[r, c],
                               alignment_weighted=False).fields()
    a85 = int(np.argmin(np.abs(ALPHAS - 0.85)))
    assert f['HOTA_TP'][a85, 0] == 0 and f['HOTA_TP'][a85 - 1, 0] == 2


def test_metric_reports_hota_keys():
    gt = walking(4, ids=(1, 2))
    pred = perfect_predictions(gt)
    metric = PoseTrackMetric(keypoint_names=NAMES, metrics=['map', 'mota', 'hota'])
    for g, p in zip(gt.frames, pred.frames):
        metric.process({}, [frame_to_data_sample(g, 'tiny', dict(
            keypoints=p.keypoints, keypoint_scores=p.keypoint_scores, track_ids=p.track_ids))])
    out = metric.evaluate(len(gt.frames))
    for k in ('HOTA', 'DetA', 'AssA', 'LocA', 'mAP', 'MOTA'):
        assert out[f'posetrack/{k}'] == pytest.approx(100.0), k
    with pytest.raises(ValueError, match='unknown metrics'):
        PoseTrackMetric(metrics=['idf1'])


def test_eval_tool_writes_hota_keys(tmp_path):
    gt = walking(4, ids=(1, 2))
    pred = video([pred_frame(t, [(10 if t < 2 else 11, f.keypoints[0], 0.9),
                                 (20, f.keypoints[1], 0.9)]) for t, f in enumerate(gt.frames)],
                 prediction=True)
    dump_posetrack_video(gt, tmp_path / 'gt' / 'tiny.json')
    dump_posetrack_video(pred, tmp_path / 'pred' / 'tiny.json')
    out = tmp_path / 'r.json'
    proc = subprocess.run([sys.executable, str(ROOT / 'tools' / 'eval_posetrack.py'), '--gt',
                           str(tmp_path / 'gt'), '--pred', str(tmp_path / 'pred'), '--metrics',
                           'map', 'mota', 'hota', '--out', str(out)], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert 'Keypoint HOTA' in proc.stdout
    res = json.loads(out.read_text())
    # person 1 switches ids once: AssA (0.5 + 1) / 2 over its and person 2's 4 matches
    assert res['DetA'] == pytest.approx(100.0)
    assert res['AssA'] == pytest.approx(75.0)
    assert res['HOTA'] == pytest.approx(100 * np.sqrt(0.75))
    assert res['LocA'] == pytest.approx(100.0)
    assert res['mAP'] == pytest.approx(100.0)
    assert 'MOTA' in res and 'per_joint_hota' in res


def test_kit_counts_a_frame_with_a_box_only_person_as_having_ground_truth():
    """PoseTrack21 small persons (no joints) keep the kit from its empty-frame rule."""
    frames = [gt_frame(0, [(1, (10.0, 50.0))]), gt_frame(1, [(1, (20.0, 50.0))]),
              gt_frame(2, [(2, (200.0, 50.0))], visible=np.zeros((1, 3)))]
    gt = video(frames)
    pred = video([pred_frame(0, [(5, pose(10.0, 50.0), 0.9)]),
                  pred_frame(1, [(5, pose(20.0, 50.0), 0.9)]),
                  pred_frame(2, [(5, pose(30.0, 50.0), 0.9)])], prediction=True)
    k = hota(gt, pred, mode='poseval').summary()
    assert k['DetA'] == pytest.approx(100 * 2 / 3)  # FP 1 (the frame's), not 3
