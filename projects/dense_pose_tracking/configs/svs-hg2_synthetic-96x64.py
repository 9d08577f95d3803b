# Dense Pose Tracking on the embedded synthetic videos (`make data`): the SVS hourglass cascade
# at CPU size (96x64 input, 16-channel hourglasses of depth 3 on a 1/4-width ResNet-18 stem),
# same SVS target as the paper configs (7 parts x C in {3, 6, 12, 24}, smooth-L1), PoseTrack18's
# 17 joints, trained from scratch in a few CPU minutes.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmpose'

data_root = 'data/synthetic/'
dataset_type = 'PoseTrack18Dataset'  # CocoDataset with PoseTrack18's metainfo
max_epochs = 4
codec = dict(type='MSRAHeatmap', input_size=(64, 96), heatmap_size=(16, 24), sigma=1)
svs_codec = dict(
    type='SVSCodec',
    input_size=codec['input_size'],
    heatmap_size=codec['heatmap_size'],
    metainfo=dict(from_file='configs/_base_/datasets/posetrack18.py'),
    c_values=(3, 6, 12, 24),  # parts: the default 7-part grouping (BODY7_PARTS)
    landmark_spacing=0.08,  # lighter sampling than the paper configs: CPU budget
    negative_ratio=1.5,
    cache_dir='data/cache/svs/synthetic-96x64')

model = dict(
    _delete_=True,
    type='SVSHourglassCascade',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18, stem_channels=16, base_channels=16, num_stages=1,
                  strides=(1, ), dilations=(1, ), out_indices=(0, ), init_cfg=None),
    in_channels=16,
    downsample_times=3,
    stage_channels=(16, 16, 16, 16),
    stage_blocks=(1, 1, 1, 1),
    feat_channels=16,
    svs_supervision=True,
    svs_head=dict(
        type='SVSHead', in_channels=16, out_channels=28,
        loss=dict(type='SmoothL1Loss', use_target_weight=True, loss_weight=1.0)),
    head=dict(
        type='HeatmapHead', in_channels=16, out_channels=17, deconv_out_channels=None,
        loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec),
    test_cfg=dict(flip_test=False))

# no RandomFlip: a mirrored person is a new SVS fit (left/right parts swap), which would double
# the CPU cost of filling the SVS cache; the other augmentations are similarities and hit it
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='GenerateSVSTarget', encoder=svs_codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=32, num_workers=1, persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/train.json',
                 data_prefix=dict(img=''), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/val.json',
                 bbox_file=None, data_prefix=dict(img=''), pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='CocoMetric', ann_file=data_root + 'annotations/val.json'),
    dict(type='PCKAccuracy', thr=0.1),
]
test_evaluator = val_evaluator

# no validation while training (evaluate with tools/test.py)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs + 1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=3e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', eta_min=3e-5, begin=0, end=max_epochs, T_max=max_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None),
                     logger=dict(interval=10))
