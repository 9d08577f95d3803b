# The demo's tracking config: the tiny detector and pose model trained by `make demo`
# (tools/run_demo.py copies their final checkpoints to work_dirs/demo/{detector,pose}.pth),
# OKS-NMS and the OKS tracker, evaluated on the held-out synthetic videos with PoseTrack mAP and
# MOTA:  python tools/test.py configs/demo/track_synthetic.py none
# Real checkpoints: see configs/_base_/pipelines/ and docs/demo.md.
_base_ = ['../_base_/pipelines/topdown_oks_tracking.py']
default_scope = 'mmpose'
data_root = 'data/synthetic/'

tracking_pipeline = dict(
    detector=dict(
        config='configs/demo/rtmdet-tiny_synthetic-person-192x144.py',
        checkpoint='work_dirs/demo/detector.pth',
        score_thr=0.4,
        max_persons=20),
    pose_estimator=dict(
        config='configs/demo/td-hm_res18-tiny_synthetic-128x96.py',
        checkpoint='work_dirs/demo/pose.pth'),
    tracker=dict(type='OKSTracker', match_threshold=0.3),
    # joints below it are reported missing: on the held-out videos 0.5 trades 2.6 mAP for
    # +10.7 MOTA (the tiny pose model's low-confidence joints are mostly wrong)
    keypoint_score_thr=0.5)

test_dataloader = dict(
    dataset=dict(type='PoseTrackVideoDataset', data_root=data_root, ann_file='annotations/val',
                 data_prefix=dict(img='')))
test_evaluator = dict(type='PoseTrackMetric')
