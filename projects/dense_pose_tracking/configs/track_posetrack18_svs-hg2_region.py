# Dense Pose Tracking, the video pipeline: Faster R-CNN R101-FPN person detector (mmdet's COCO
# model) -> the SVS hourglass cascade (svs-hg2_posetrack18-256x256.py) -> OKS-NMS -> the
# region-update tracker, whose failure checker is the same Faster R-CNN's region classification
# head scoring each track's landmark-updated region. For `tools/track.py --pipeline`.
_base_ = ['../../../configs/_base_/pipelines/topdown_oks_tracking.py']

detector_config = 'mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py'
detector_checkpoint = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
                       'faster_rcnn_r101_fpn_1x_coco/faster_rcnn_r101_fpn_1x_coco_20200130-f513f705.pth')
tracking_pipeline = dict(
    detector=dict(config=detector_config, checkpoint=detector_checkpoint),
    pose_estimator=dict(
        config='projects/dense_pose_tracking/configs/svs-hg2_posetrack18-256x256.py',
        # your trained model (tools/train.py on the config above)
        checkpoint='work_dirs/svs-hg2_posetrack18-256x256/best_posetrack18_Total AP_epoch_20.pth'),
    tracker=dict(
        _delete_=True,
        type='RegionUpdateTracker',
        failure_scorer=dict(type='DetectorRegionScorer', config=detector_config,
                            checkpoint=detector_checkpoint, device='cpu'),
        failure_threshold=0.5,
        region_extension=1.2,
        match_threshold=0.3,
        max_age=1))
