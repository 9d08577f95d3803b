# Dense Pose Tracking, pose estimator on PoseTrack18: svs-hg2_coco-256x256.py fine-tuned on
# PoseTrack18 with mmpose's PoseTrack18 recipe (20 epochs from the COCO model, Faster R-CNN person
# detections for validation), 17 PoseTrack18 joints, SVS parts by PoseTrack18 joint names.
_base_ = ['./svs-hg2_coco-256x256.py']

train_cfg = dict(max_epochs=20, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=20, milestones=[10, 15], gamma=0.1, by_epoch=True)
]
default_hooks = dict(
    checkpoint=dict(save_best='posetrack/mAP', rule='greater', interval=1))
# train svs-hg2_coco-256x256.py first (tools/train.py), then point this at its best checkpoint
load_from = 'work_dirs/svs-hg2_coco-256x256/best_coco_AP_epoch_210.pth'

codec = dict(type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
svs_codec = dict(
    type='SVSCodec',
    input_size=codec['input_size'],
    heatmap_size=codec['heatmap_size'],
    metainfo=dict(from_file='configs/_base_/datasets/posetrack18.py'),
    parts={{_base_.svs_parts}},
    c_values={{_base_.svs_c_values}},
    cache_dir='data/cache/svs/posetrack18-256x256')

dataset_type = 'PoseTrack18Dataset'
data_root = 'data/posetrack18/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='GenerateSVSTarget', encoder=svs_codec),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/posetrack18_train.json', data_prefix=dict(img=''),
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/posetrack18_val.json', data_prefix=dict(img=''),
                 bbox_file='data/posetrack18/annotations/posetrack18_val_human_detections.json',
                 filter_cfg=dict(bbox_score_thr=0.4)))
test_dataloader = val_dataloader
# mmpose's PoseTrack18Metric needs the `poseval` package (not on PyPI): the project's
# PoseTrackMetric computes the same per-joint AP from the official per-video files (the
# whole-frame ground truth of the top-down crops); mode='poseval' reproduces the official tool
val_evaluator = dict(_delete_=True, type='PoseTrackMetric', mode='poseval',
                     gt_dir=data_root + 'annotations/val')
test_evaluator = val_evaluator
