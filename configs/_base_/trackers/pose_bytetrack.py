# Pose-aware ByteTrack (plugins/tracking/mmdet_pose_bytetrack.py): mmdet's ByteTrack with the
# OKS between each detection and the track's Kalman-predicted pose in place of box IoU in all
# three association steps. Everything except the matching thresholds is bytetrack.py's; the OKS
# thresholds are this project's choice (docs/trackers.md). The OKS sigmas follow the pose
# model's metainfo (set by the pipeline; `metainfo=` here or --metainfo of track_gt_poses.py).
tracker = dict(
    type='MMDetTrackerAdapter',
    tracker=dict(
        type='PoseByteTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thrs=dict(high=0.6, low=0.1),
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_oks_thrs=dict(high=0.1, low=0.5, tentative=0.3),
        min_keypoint_score=0.0,
        iou_weight=0.0,
        num_tentatives=3,
        num_frames_retain=30))
