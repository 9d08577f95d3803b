"""PoseTrack evaluation on tiny hand-computed cases (both modes)."""
import numpy as np
import pytest
from tiny_cases import (HEAD_SIZE, NAMES, gt_frame, perfect_predictions, pose, pred_frame,
                        video)

from plugins.evaluation import evaluate_posetrack
from plugins.evaluation.functional import head_size, points_in_ignore_regions


def evaluate(gt, pred, mode='default', **kw):
    return evaluate_posetrack([gt], [pred], metainfo=NAMES, mode=mode, **kw)


def two_people(num_frames=3):
    return video([gt_frame(t, [(1, (10 + 3 * t, 10)), (2, (100, 50 + 2 * t))])
                  for t in range(num_frames)])


def test_head_size_is_point_six_of_head_box_diagonal():
    assert head_size(np.array([[0, 0, 3, 4]]))[0] == pytest.approx(3.0)
    assert head_size(np.array([[10, 10, 20, 20]]))[0] == pytest.approx(HEAD_SIZE)


@pytest.mark.parametrize('mode', ['default', 'poseval'])
def test_perfect_predictions_score_100(mode):
    gt = two_people()
    r = evaluate(gt, perfect_predictions(gt), mode)
    ap = r.ap_table()
    assert ap['Head'] == ap['Wrist'] == ap['Total'] == pytest.approx(100)
    assert np.isnan(ap['Shoulder'])  # no joint of the tiny layout in the group
    mot = r.mota_table()
    for key in ('Head', 'Wrist', 'Total', 'MOTP', 'Precision', 'Recall'):
        assert mot[key] == pytest.approx(100)
    assert mot['IDSW'] == 0
    assert np.isnan(mot['Ankle'])  # the tiny layout has no ankle
    assert r.num_frames == 3


@pytest.mark.parametrize('shift,correct', [(4.2, True), (4.3, False)])
def test_joint_just_inside_or_outside_half_head_size(shift, correct):
    # threshold: 0.5 * 0.6 * sqrt(200) = 4.2426 px
    gt = video([gt_frame(0, [(1, (10, 10))])])
    kp = pose(10, 10)
    kp[1, 0] += shift  # left wrist
    r = evaluate(gt, video([pred_frame(0, [(5, kp, 0.8)])]))
    assert r.ap[0] == pytest.approx(100) and r.ap[2] == pytest.approx(100)
    if correct:
        assert r.ap[1] == pytest.approx(100)
        assert r.mot['mota'][1] == pytest.approx(100)
        assert r.mot['motp'][1] == pytest.approx(100 * (1 - shift / HEAD_SIZE))
    else:
        assert r.ap[1] == 0  # a false positive and a missed joint
        # one miss and one false positive for one object
        assert r.mot['mota'][1] == pytest.approx(-100)
        assert r.ap_table()['Total'] == pytest.approx(200 / 3)


def test_distance_of_exactly_half_head_size_is_correct():
    # head box 3 x 4 -> head size 3, shift 1.5 px = exactly 0.5 head sizes (counts, <=)
    gt = gt_frame(0, [(1, (10, 10))])
    gt.head_bboxes[:] = [[10, 10, 13, 14]]
    kp = pose(10, 10) + [1.5, 0]
    r = evaluate(video([gt]), video([pred_frame(0, [(5, kp, 0.8)])]))
    assert np.allclose(r.ap, 100)


def test_points_on_ignore_region_boundary_are_not_inside():
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    pts = np.array([[5, 5], [10, 5], [11, 5], [0, 0], [np.nan, 1]])
    assert points_in_ignore_regions(pts, [square]).tolist() == [True, False, False, False,
                                                                False]
    assert not points_in_ignore_regions(pts, [square[:2]]).any()  # no interior


@pytest.mark.parametrize('mode', ['default', 'poseval'])
def test_ignore_regions_remove_ground_truth_and_predictions(mode):
    region = np.array([[150, 150], [260, 150], [260, 260], [150, 260]], float)
    frames_gt, frames_pr = [], []
    for t in range(3):
        # person 2 stands inside the ignore region and is never predicted
        frames_gt.append(gt_frame(t, [(1, (10, 10)), (2, (180, 180))], ignore=[region]))
        frames_pr.append(pred_frame(t, [(7, pose(10, 10), 0.5),  # correct
                                        (8, pose(200, 200), 0.9)]))  # inside the region
    gt, pr = video(frames_gt), video(frames_pr)
    r = evaluate(gt, pr, mode)
    assert np.allclose(r.ap, 100)
    assert np.allclose(r.mot['mota'], 100)
    assert np.allclose(r.num_gt_joints, 3)
    for f in gt.frames:
        f.ignore_regions = []
    r = evaluate(gt, pr, mode)
    # per joint: the 0.9-scored false positive ranks before each 0.5-scored hit, and person 2
    # is missed: precision 1/2 at recall 1/2 -> AP = 0.5 * 0.5 (both modes: no ties across)
    assert np.allclose(r.ap, 25)
    n_tracked = 3 if mode == 'default' else 2  # poseval drops the last frame
    # per frame and joint: 2 objects, 1 match, 1 miss, 1 false positive
    assert np.allclose(r.mot['mota'], 0)
    assert np.allclose(r.mot['num_objects'], 2 * n_tracked)


def test_labeled_frame_without_people_and_unlabeled_frames():
    frames_gt = [gt_frame(0, [(1, (10, 10))]), gt_frame(1, []), gt_frame(2, [(1, (10, 10))]),
                 gt_frame(3, [], labeled=False)]
    frames_pr = [pred_frame(0, [(1, pose(10, 10), 0.5)]),
                 pred_frame(1, [(2, pose(50, 50), 0.9)]),  # labeled frame with nobody: FP
                 pred_frame(2, [(1, pose(10, 10), 0.5)]),
                 pred_frame(3, [(3, pose(80, 80), 1.0)])]  # unlabeled frame: not evaluated
    gt, pr = video(frames_gt), video(frames_pr)
    r = evaluate(gt, pr)
    # ranked: 0.9 FP, then two 0.5 hits (a tie, evaluated together): AP = 1 * 2/3
    assert np.allclose(r.ap, 200 / 3)
    assert np.allclose(r.mot['mota'], 50)  # 2 objects, 1 false positive
    assert r.num_frames == 3
    # the official tool skips frames without ground-truth persons
    r = evaluate(gt, pr, 'poseval')
    assert np.allclose(r.ap, 100)
    assert r.num_frames == 2
    assert np.allclose(r.mot['num_objects'], 1)  # frame 2 is the last one: dropped
    assert np.allclose(r.mot['mota'], 100)


def test_frame_with_ground_truth_but_no_predictions():
    gt = two_people(num_frames=4)
    pr = perfect_predictions(gt)
    pr.frames[1] = pred_frame(1, [])
    r = evaluate(gt, pr)
    # 8 objects per joint, the 2 of frame 1 missed
    assert np.allclose(r.mot['num_misses'], 2)
    assert np.allclose(r.mot['num_false_positives'], 0)
    assert np.allclose(r.mot['mota'], 75)
    assert np.allclose(r.mot['recall'], 75)
    assert np.allclose(r.mot['precision'], 100)
    # poseval: frames 0-2 (3 dropped); frame 1 counts as 1 miss + 1 FP per joint
    r = evaluate(gt, pr, 'poseval')
    assert np.allclose(r.mot['num_objects'], 5)
    assert np.allclose(r.mot['num_misses'], 1)
    assert np.allclose(r.mot['num_false_positives'], 1)
    assert np.allclose(r.mot['mota'], 60)
    assert np.allclose(r.mot['precision'], 80)
    assert np.allclose(r.ap, 75)  # recall 6/8 at precision 1 (both modes)


def test_identity_switches_are_counted():
    gt = two_people(num_frames=3)
    pr = perfect_predictions(gt)
    for f in pr.frames[1:]:  # the predicted ids of the two people swap at frame 1
        f.track_ids = f.track_ids[::-1].copy()
    r = evaluate(gt, pr)
    assert np.allclose(r.mot['num_switches'], 2)
    assert np.allclose(r.mot['mota'], 100 * (1 - 2 / 6))
    assert r.mota_table()['IDSW'] == pytest.approx(2)
    assert np.allclose(r.ap, 100)
    r = evaluate(gt, pr, 'poseval')  # frames 0 and 1 only
    assert np.allclose(r.mot['num_switches'], 2)
    assert np.allclose(r.mot['mota'], 50)


def test_motp_poseval_adds_unmatched_raw_distances():
    frames_gt, frames_pr = [], []
    for t in range(2):
        frames_gt.append(gt_frame(t, [(1, (10, 10))]))
        frames_pr.append(pred_frame(t, [(1, pose(10, 10) + [0.1 * HEAD_SIZE, 0], 0.9),
                                        (2, pose(10, 10) + [0.2 * HEAD_SIZE, 0], 0.8)]))
    gt, pr = video(frames_gt), video(frames_pr)
    r = evaluate(gt, pr)
    assert np.allclose(r.mot['motp'], 90)  # mean matched distance 0.1 head sizes
    assert np.allclose(r.mot['num_false_positives'], 2)
    r = evaluate(gt, pr, 'poseval')
    # frame 0 only: raw distances 0.1 + 0.2 plus the match 0.1, over one detection
    assert np.allclose(r.mot['motp'], 60)


def test_ap_with_tied_scores():
    gt = video([gt_frame(0, [(1, (10, 10))])])
    pr = video([pred_frame(0, [(1, pose(60, 60), 0.7), (2, pose(10, 10), 0.7)])])
    r = evaluate(gt, pr)
    assert np.allclose(r.ap, 50)  # one point: precision 1/2 at recall 1
    r = evaluate(gt, pr, 'poseval')
    order = np.argsort(np.array([0.7, 0.7], np.float32).astype(np.float64))[::-1]
    expected = 100.0 if order[0] == 1 else 50.0  # the hit first -> precision 1 at recall 1
    assert np.allclose(r.ap, expected)


def test_group_means_and_joints_without_data():
    names = ['head_top', 'nose', 'left_wrist', 'right_wrist']
    gt_kp = np.array([[[10, 10], [0, 0], [30, 10], [0, 0]]], float)
    gt = gt_frame(0, [(1, (10, 10))])
    gt.keypoints = gt_kp
    gt.keypoint_scores = np.array([[1, 0, 1, 0]], np.float32)  # nose, right wrist unannotated
    pr = pred_frame(0, [(4, pose(10, 10), 0.5)])
    pr.keypoints = np.array([[[10, 10], [12, 12], [30, 10], [0, 0]]], np.float32)
    pr.keypoint_scores = np.array([[0.5, 0.5, 0.5, 0]], np.float32)  # no right wrist
    g, p = video([gt]), video([pr])
    g.categories[0]['keypoints'] = p.categories[0]['keypoints'] = names
    r = evaluate_posetrack([g], [p], mode='default')
    assert r.ap[0] == 100 and np.isnan(r.ap[1]) and r.ap[2] == 100 and np.isnan(r.ap[3])
    assert r.ap_table()['Head'] == 100 and r.ap_table()['Wrist'] == 100
    assert r.ap_table()['Total'] == 100
    r = evaluate_posetrack([g], [p], mode='poseval')
    # poseval: a joint without predictions gets AP 0, and group means propagate NaN
    assert r.ap[3] == 0 and np.isnan(r.ap[1])
    assert np.isnan(r.ap_table()['Head']) and r.ap_table()['Wrist'] == 50
    assert r.ap_table()['Total'] == pytest.approx(200 / 3)


def test_tracking_skipped_without_predicted_track_ids():
    gt = two_people()
    pr = perfect_predictions(gt)
    for f in pr.frames:
        f.track_ids[:] = -1
    r = evaluate(gt, pr)
    assert r.mot is None and r.mota_table() == {} and 'MOTA' not in r.summary()
    assert np.allclose(r.ap, 100)
    pr.frames[0].track_ids[0] = 3
    with pytest.raises(ValueError, match='no track id'):
        evaluate(gt, pr)


@pytest.mark.parametrize('mode', ['default', 'poseval'])
def test_bad_input_is_reported(mode):
    gt = two_people()
    pr = perfect_predictions(gt)
    bad = two_people()
    bad.frames[1].head_bboxes[0] = np.nan
    with pytest.raises(ValueError, match='head box'):
        evaluate(bad, pr, mode)
    dup = perfect_predictions(gt)
    dup.frames[2].track_ids[:] = 5
    with pytest.raises(ValueError, match='track id 5 occurs 2 times'):
        evaluate(gt, dup, mode)
    short = video(pr.frames[:2])
    with pytest.raises(ValueError, match='2 predicted frames but 3'):
        evaluate(gt, short, mode)
    with pytest.raises(ValueError, match='mode'):
        evaluate(gt, pr, 'official')
    with pytest.raises(ValueError, match='keypoints must have shape'):
        evaluate_posetrack([gt], [pr], metainfo=NAMES + ['left_knee'], mode=mode)
    with pytest.raises(ValueError, match='not in the keypoint names'):
        evaluate(gt, pr, mode, joint_names=['left_knee'])


def test_zero_head_size_is_an_error_or_never_matches_in_poseval_mode():
    gt = two_people(num_frames=3)
    gt.frames[0].head_bboxes[0] = [10, 10, 10, 10]
    pr = perfect_predictions(gt)
    with pytest.raises(ValueError, match='head box'):
        evaluate(gt, pr)
    r = evaluate(gt, pr, 'poseval')  # distance / 0 = inf: person 1 of frame 0 is missed
    assert np.allclose(r.num_gt_joints, 6)
    assert np.all(r.ap < 100)


def test_head_size_fallback_from_head_segment_and_track_median():
    from plugins.evaluation.functional.flatten_videos import HEAD_DIAGONAL_PER_SEGMENT
    names = ['head_top', 'head_bottom', 'left_wrist']
    # head joints 10 px apart: head size 0.6 * 1.26 * 10 = 7.56, threshold 3.78 px
    gt_kp = np.array([[[50, 40], [50, 50], [70, 60]]], float)
    frames_gt, frames_pr = [], []
    for t, vis in enumerate(([1, 1, 1], [0, 0, 1])):  # frame 1: no head joints -> track median
        g = gt_frame(t, [(1, (0, 0))])
        g.keypoints = np.where(np.array(vis)[None, :, None] > 0, gt_kp, 0).astype(np.float32)
        g.keypoint_scores = np.array([vis], np.float32)
        g.head_bboxes[:] = np.nan
        frames_gt.append(g)
        p = pred_frame(t, [(1, gt_kp[0] + [[0, 0], [0, 0], [3.7, 0]], 0.9)])
        frames_pr.append(p)
    frames_pr[1].keypoints[0, 2] += [0.2, 0]  # 3.9 px: beyond the threshold
    gv, pv = video(frames_gt), video(frames_pr)
    for v in (gv, pv):
        v.categories[0]['keypoints'] = names
    with pytest.raises(ValueError, match='head_size_fallback'):
        evaluate_posetrack([gv], [pv])
    r = evaluate_posetrack([gv], [pv], head_size_fallback='head_segment')
    assert 0.5 * 0.6 * HEAD_DIAGONAL_PER_SEGMENT * 10 == pytest.approx(3.78)
    # left wrist: correct in frame 0 (3.7 px), wrong in frame 1 (3.9 px, same head size)
    assert r.mot['num_detections'][2] == 1 and r.mot['num_misses'][2] == 1
    assert r.num_gt_joints.tolist() == [1, 1, 2]
