# mmdet 3.3's SORT (SORTTracker: Kalman filter on boxes, IoU to the last boxes, no appearance)
# as a pose tracker. Values are mmdet's MOT17 config
# (mmdet::sort/sort_faster-rcnn_r50_fpn_8xb2-4e_mot17halftrain_test-mot17halfval.py) plus
# mmdet's constructor defaults (num_tentatives=3, num_frames_retain=10).
# Use: `_base_ = ['.../_base_/trackers/sort.py']` and `tracker={{_base_.tracker}}`, or
# `tools/analysis/track_gt_poses.py --tracker configs/_base_/trackers/sort.py`.
tracker = dict(
    type='MMDetTrackerAdapter',
    tracker=dict(
        type='SORTTracker',
        motion=dict(type='KalmanFilter', center_only=False),
        obj_score_thr=0.5,  # detections scored at or below it are dropped
        match_iou_thr=0.5,
        reid=None,
        num_tentatives=3,
        num_frames_retain=10))
