# mmdet 3.3's ByteTrack (ByteTracker: Kalman filter, IoU on predicted boxes, a second
# association of the low-score detections) as a pose tracker. Values are mmdet's MOT17 config
# (mmdet::bytetrack/bytetrack_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_test-mot17halfval.py).
# The low-score detections (0.1 < score <= 0.6) must reach the tracker: in a pipeline give the
# detector stage `low_score_thr=0.1` (below its `score_thr`); MMDetTrackerAdapter accepts them.
tracker = dict(
    type='MMDetTrackerAdapter',
    tracker=dict(
        type='ByteTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thrs=dict(high=0.6, low=0.1),
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
        num_tentatives=3,
        num_frames_retain=30))
