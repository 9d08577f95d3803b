# mmdet 3.3's OC-SORT (OCSORTTracker: observation-centric momentum and recovery on top of the
# Kalman filter) as a pose tracker. Values are mmdet's MOT17 config
# (mmdet::ocsort/ocsort_yolox_x_8xb4-amp-80e_crowdhuman-mot17halftrain_test-mot17halfval.py).
tracker = dict(
    type='MMDetTrackerAdapter',
    tracker=dict(
        type='OCSORTTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thr=0.3,
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thr=0.3,
        num_tentatives=3,
        vel_consist_weight=0.2,
        vel_delta_t=3,
        num_frames_retain=30))
