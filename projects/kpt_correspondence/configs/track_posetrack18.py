# Correspondence tracking (Rafi et al., ECCV 2020) on PoseTrack18 val:
# Cascade R-CNN person boxes (the paper's detector) -> the two-stage heatmap + offset estimator
# -> recovery of missed persons by keypoint correspondences (a proposal source) -> OKS-NMS ->
# the correspondence tracker (gated association, duplicate detections dropped) -> offline
# merging + short-track removal (post-processor) -> output joint threshold.
#   python tools/test.py projects/kpt_correspondence/configs/track_posetrack18.py none \
#       --cfg-options test_dataloader.dataset.data_root=data/posetrack18/
#   (prints posetrack/mAP and posetrack/MOTA)
#   python tools/track.py video.mp4 --pipeline \
#       projects/kpt_correspondence/configs/track_posetrack18.py
# Thresholds: the *output* threshold (joints below it are reported missing) is the paper's
# Table 3 row tau=0.3 (paper: 79.2 mAP / 68.8 MOTA on PoseTrack18 val). The association /
# recovery thresholds (0.1) and the NMS / gate / duplicate / pruning values are those of the
# authors' public follow-up (the CorrTrack baseline of PoseTrack21), not numbers of the paper.
# Tables: _table2-* (tracking methods, GT / detected boxes), tools/analysis/
# sweep_output_threshold.py (Table 3), _no-refine / _no-dup-removal (Table 7), _no-recovery,
# _legacy (this project's first version).
_base_ = ['../../../configs/_base_/pipelines/cascade-rcnn_oks_tracking.py']
default_scope = 'mmpose'
data_root = 'data/posetrack18/'

# your trained models (tools/train.py on the configs named here)
correspondence_config = 'projects/kpt_correspondence/configs/refine_bninception_coco-384x384.py'
correspondence_checkpoint = 'work_dirs/refine_bninception_coco-384x384/epoch_20.pth'
pose_config = 'projects/kpt_correspondence/configs/td-hmo-2stage_bninception_posetrack18-256x192.py'
pose_checkpoint = ('work_dirs/td-hmo-2stage_bninception_posetrack18-256x192/'
                   'best_posetrack_mAP_epoch_20.pth')
output_threshold = 0.3  # paper Table 3, tau = 0.3 (the row the paper reports)
joint_threshold = 0.1  # association and recovery query joints (CorrTrack), not the output

tracking_pipeline = dict(
    # one correspondence network, built once on the pipeline's device, shared by the recovery,
    # the tracker and the track merging (each frame's features are computed once)
    models=dict(corr_net=dict(type='CorrespondenceModel', model=correspondence_config,
                              checkpoint=correspondence_checkpoint)),
    pose_estimator=dict(config=pose_config, checkpoint=pose_checkpoint),
    # OKS-NMS 0.7, scale = each pose's tight keypoint box, ordered by mean joint score, poses
    # with fewer than 2 joints >= 0.1 dropped (CorrTrack); it runs on all poses, the recovered
    # ones included
    pose_nms=dict(type='OKSNMS', threshold=0.7, score_mode='keypoint_mean',
                  area_mode='keypoints', min_joints=2, min_joint_score=joint_threshold),
    recovery=dict(
        _delete_=True,
        type='CorrespondenceRecovery',  # a proposal source
        model=dict(shared='corr_net'),
        propagate_from='detected',  # recovered poses are not propagated again
        joint_threshold=joint_threshold,
        min_propagated_score=0.1,
        min_joints=3,
        bbox_padding=1.0,  # tight: the pose estimator's GetBBoxCenterScale pads by 1.25
        min_accept_joints=5,
        accept_joint_thr=joint_threshold,
        oks_threshold=0.6,
        area_mode='keypoints'),
    tracker=dict(
        _delete_=True,
        type='CorrespondenceTracker',
        model=dict(shared='corr_net'),
        joint_threshold=joint_threshold,
        score='gated',  # box / OKS / affinity gates, score = OKS + mean affinity
        assignment='nomination',
        temporal_distance=3,  # not tuned on PoseTrack18 here
        duplicate_removal='detections',
        duplicate_ratio=0.6),
    post_processors=[
        dict(type='CorrespondenceTrackMerging', model=dict(shared='corr_net'),
             oks_threshold=0.5, max_gap=30,  # not tuned on PoseTrack18 here
             joint_threshold=joint_threshold, min_track_length=3)
    ],
    keypoint_score_thr=output_threshold,
    min_keypoints=2)  # output poses with fewer joints >= the output threshold are dropped

test_dataloader = dict(
    batch_size=1,
    dataset=dict(type='PoseTrackVideoDataset', data_root=data_root, ann_file='annotations/val',
                 data_prefix=dict(img='')))
test_evaluator = dict(type='PoseTrackMetric')
