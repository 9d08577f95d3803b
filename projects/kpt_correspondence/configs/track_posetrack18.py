# The paper's video pipeline on PoseTrack18: Faster R-CNN person boxes -> the two-stage heatmap
# + offset estimator -> OKS-NMS -> recovery of missed persons by keypoint correspondences ->
# the correspondence tracker (greedy, joint threshold 0.4 = the trade-off of the paper's table,
# duplicate removal, offline track merging). For `tools/track.py --pipeline` and, once a video
# test set is configured, `tools/test.py` (PoseTrack18 val, mAP + MOTA).
# Ablations by inheritance: track_posetrack18_no-refine.py, _no-dup-removal.py, _no-recovery.py.
_base_ = ['../../../configs/_base_/pipelines/topdown_oks_tracking.py']

# your trained models (tools/train.py on the configs named here)
correspondence_config = 'projects/kpt_correspondence/configs/refine_bninception_coco-384x384.py'
correspondence_checkpoint = 'work_dirs/refine_bninception_coco-384x384/epoch_20.pth'
pose_config = 'projects/kpt_correspondence/configs/td-hmo-2stage_bninception_posetrack18-256x192.py'
pose_checkpoint = ('work_dirs/td-hmo-2stage_bninception_posetrack18-256x192/'
                   'best_posetrack18_Total AP_epoch_20.pth')
joint_threshold = 0.4

tracking_pipeline = dict(
    pose_estimator=dict(config=pose_config, checkpoint=pose_checkpoint),
    pose_nms=dict(type='OKSNMS', threshold=0.9, score_mode='bbox_x_keypoint_mean'),
    recovery=dict(
        _delete_=True,
        type='CorrespondenceRecovery',
        model=correspondence_config,
        checkpoint=correspondence_checkpoint,
        joint_threshold=joint_threshold,
        min_propagated_score=0.1,
        min_joints=3,
        bbox_padding=1.25,
        oks_threshold=0.5),
    tracker=dict(
        _delete_=True,
        type='CorrespondenceTracker',
        model=correspondence_config,
        checkpoint=correspondence_checkpoint,
        joint_threshold=joint_threshold,
        match_threshold=0.1,  # not tuned on PoseTrack18 here (see README)
        temporal_distance=3,
        duplicate_removal=True,
        duplicate_oks=0.8,
        merge=dict(oks_threshold=0.5, max_gap=30)))
