# Dense Pose Tracking, the video pipeline as the paper's loop: Faster R-CNN R101-FPN person
# detector (mmdet's COCO model) -> the SVS hourglass cascade (svs-hg2_posetrack18-256x256.py)
# -> OKS-NMS -> the region-update tracker. Each live track's region, updated from its landmarks
# of the previous frame, is scored by the same Faster R-CNN's region classification head (the
# failure checker, sharing the detector's loaded weights) and the next pose is estimated inside
# it; the detector runs only when a check fails, when nobody is tracked, and every
# `detect_every` frames for new people (our choice, see the README's deviations table).
#   python tools/track.py video.mp4 --pipeline <this config> --out out/
#   python tools/test.py <this config> none     (PoseTrack18 val: posetrack/mAP, posetrack/MOTA)
_base_ = ['../../../configs/_base_/pipelines/topdown_oks_tracking.py']
default_scope = 'mmpose'
data_root = 'data/posetrack18/'

detector_config = 'mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py'
detector_checkpoint = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
                       'faster_rcnn_r101_fpn_1x_coco/faster_rcnn_r101_fpn_1x_coco_20200130-f513f705.pth')
tracking_pipeline = dict(
    detector=dict(config=detector_config, checkpoint=detector_checkpoint),
    pose_estimator=dict(
        config='projects/dense_pose_tracking/configs/svs-hg2_posetrack18-256x256.py',
        # your trained model: the best checkpoint tools/train.py keeps for the config above
        # (its save_best key 'posetrack/mAP'; the epoch in the name is the best one's: pass yours with tools/test.py CONFIG CKPT)
        checkpoint='work_dirs/svs-hg2_posetrack18-256x256/best_posetrack_mAP_epoch_20.pth'),
    tracker=dict(
        _delete_=True,
        type='RegionUpdateTracker',
        # the detector stage's model, loaded once
        failure_scorer=dict(type='DetectorRegionScorer', detector=dict(shared='detector')),
        failure_threshold=0.5,
        region_extension=1.2,
        detect_every=10,  # new people: our choice (the paper gives no interval)
        match_threshold=0.3,
        max_age=1))

test_dataloader = dict(
    dataset=dict(type='PoseTrackVideoDataset', data_root=data_root, ann_file='annotations/val',
                 data_prefix=dict(img='')))
test_evaluator = dict(type='PoseTrackMetric')
