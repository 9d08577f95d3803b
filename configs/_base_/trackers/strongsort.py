# mmdet 3.3's StrongSORT (StrongSORTTracker: NSA Kalman filter, appearance + motion cost, then
# IoU) as a pose tracker. Tracker values are mmdet's MOT17 config
# (mmdet::strongsort/strongsort_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_test-mot17halfval.py);
# the appearance comes from this project's Re-ID embedders instead of mmdet's ReID network
# (the adapter ignores reid.img_scale / img_norm_cfg: the embedder crops the frame itself).
# Detections carrying `embeddings` (N, D) use those. mmdet's config also compensates camera
# motion; add `cmc=dict(type='CameraMotionCompensation', warp_mode='cv2.MOTION_EUCLIDEAN',
# num_iters=100, stop_eps=0.00001)` to the adapter for that (needs frames; an ECC fit per frame).
tracker = dict(
    type='MMDetTrackerAdapter',
    embedder=dict(type='ColorHistogramEmbedder'),
    cmc=None,
    tracker=dict(
        type='StrongSORTTracker',
        motion=dict(type='KalmanFilter', center_only=False, use_nsa=True),
        obj_score_thr=0.6,
        reid=dict(num_samples=None, match_score_thr=0.3, motion_weight=0.02),
        match_iou_thr=0.7,
        momentums=dict(embeds=0.1),
        num_tentatives=2,
        num_frames_retain=100))
