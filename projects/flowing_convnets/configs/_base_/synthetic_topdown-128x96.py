# Shared settings of the synthetic-data configs of this project (no model): the embedded
# synthetic videos (`make data` -> data/synthetic), PoseTrack18's 17 joints, top-down crops of
# 128x96 around ground-truth boxes, a schedule that trains in a few CPU minutes, and as evaluators
# PoseTrack mAP (the project's PoseTrackMetric: whole-frame ground truth from the per-video files,
# since a top-down sample holds one person), mmpose's CocoMetric (OKS AP, on the merged val
# annotations) and PCKAccuracy.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmpose'

data_root = 'data/synthetic/'
dataset_type = 'PoseTrack18Dataset'  # COCO-style merged file with PoseTrack18's metainfo
input_size = (96, 128)  # (w, h)
max_epochs = 10
batch_size = 32

# a ResNet-18 at half width (256 output channels at stride 32), trained from scratch
backbone = dict(type='ResNet', depth=18, stem_channels=32, base_channels=32, num_stages=4,
                out_indices=(3, ), init_cfg=None)
backbone_channels = 256
data_preprocessor = dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True)

train_dataloader = dict(
    batch_size=batch_size, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='topdown',
                 ann_file='annotations/train.json', data_prefix=dict(img='')))
val_dataloader = dict(
    batch_size=batch_size, num_workers=1, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='topdown',
                 ann_file='annotations/val.json', data_prefix=dict(img=''), test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='PoseTrackMetric', gt_dir=data_root + 'annotations/val'),
    dict(type='CocoMetric', ann_file=data_root + 'annotations/val.json'),
    dict(type='PCKAccuracy', thr=0.1),
]
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=40, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', eta_min=2e-5, begin=0, end=max_epochs, T_max=max_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=batch_size)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)
