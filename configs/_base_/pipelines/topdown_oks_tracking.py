# Top-down pose tracking with OpenMMLab's public checkpoints (downloaded on first use):
# Faster R-CNN R101-FPN (COCO, person class) -> HRNet-W32 trained on PoseTrack18 (256x192)
# -> OKS-NMS -> OKS tracker. Used by `tools/track.py --pipeline` and, in a config that also has
# a video `test_dataloader` and the PoseTrack `test_evaluator`, by `tools/test.py`.
# Swap a stage by overriding its dict, e.g. `tracking_pipeline = dict(tracker=dict(type='IoUTracker'))`.
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)

tracking_pipeline = dict(
    type='PoseTrackingPipeline',
    device='cpu',  # 'cuda:0' on a GPU machine
    detector=dict(
        type='MMDetPersonDetector',
        config='mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py',
        checkpoint='https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
        'faster_rcnn_r101_fpn_1x_coco/faster_rcnn_r101_fpn_1x_coco_20200130-f513f705.pth',
        score_thr=0.5,
        person_classes=('person', ),
        bbox_extension=1.0,  # mmpose's GetBBoxCenterScale already pads crops by 1.25
        max_persons=None),
    pose_estimator=dict(
        type='MMPoseTopdownEstimator',
        config='mmpose::body_2d_keypoint/topdown_heatmap/posetrack18/'
        'td-hm_hrnet-w32_8xb64-20e_posetrack18-256x192.py',
        checkpoint='https://download.openmmlab.com/mmpose/top_down/hrnet/'
        'hrnet_w32_posetrack18_256x192-1ee951c4_20201028.pth'),
    pose_nms=dict(type='OKSNMS', threshold=0.9, score_mode='bbox_x_keypoint_mean'),
    recovery=None,
    tracker=dict(type='OKSTracker', match_threshold=0.3),
    nonfinite='error')
