# Paper Table 2 row: tracking by the OKS between each track's last pose and the detection
# (OKSTracker); detected person boxes (Cascade R-CNN, as track_posetrack18.py). All Table 2
# configs share the pose estimator, the pose NMS and the output threshold and run without
# recovery, so only the association differs (our choice for the comparison).
_base_ = ['./track_posetrack18.py']
tracking_pipeline = dict(
    recovery=None,
    models=dict(_delete_=True),  # no correspondence network
    # the same short-track removal as the correspondence row, without correspondence merging
    post_processors=[dict(type='CorrespondenceTrackMerging', merge=False, min_track_length=3)],
    tracker=dict(
        _delete_=True, type='OKSTracker', match_threshold=0.3, assignment='greedy',
        min_keypoint_score=0.1))  # the association joint threshold
