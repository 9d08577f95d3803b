# Tiny two-stage person detector for the synthetic videos: the failure checker
# (`DetectorRegionScorer`, which needs a `roi_head`) of the region-update tracker's row in the
# tracker comparison table of docs/trackers.md. mmdet's Faster R-CNN R-50-FPN recipe with a
# ResNet-18 backbone and 64-channel FPN / RPN / RoI head, one class, 192x144 input, trained from
# scratch (no pretrained weights, no download: BN trained, no frozen stage) on the synthetic
# videos in a few CPU minutes. Data, augmentation, input size, epochs and batch size are those
# of `make demo`'s detector (configs/demo/rtmdet-tiny_synthetic-person-192x144.py, a one-stage
# RTMDet, which has no region classification head to score the tracker's regions).
#   python tools/train.py <this config> --work-dir work_dirs/region_detector --no-validate \
#       --cfg-options train_dataloader.dataset.data_root=data/synthetic_demo_train/
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmdet'

data_root = 'data/synthetic/'
metainfo = dict(classes=('person', ), palette=[(220, 20, 60)])
img_scale = (192, 144)  # (w, h): the synthetic frames are 384x288 (persons 60-240 px tall)
max_epochs = 15
base_lr = 0.002
channels = 64

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(depth=18, frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=channels),
    rpn_head=dict(
        in_channels=channels, feat_channels=channels,
        # upright persons (height / width 1-3); 32-512 px anchors at strides 4-64
        anchor_generator=dict(ratios=[1.0, 2.0, 3.0])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(in_channels=channels, fc_out_channels=256, num_classes=1)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(score_thr=0.01, max_per_img=50)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.8, 1.25), keep_ratio=True),
    dict(type='YOLOXHSVRandomAug'),  # before the flip: it writes in place (no flipped view)
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]

train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False, pin_memory=False,
    batch_sampler=None,
    dataset=dict(data_root=data_root, metainfo=metainfo, ann_file='annotations/train.json',
                 data_prefix=dict(img=''), filter_cfg=dict(filter_empty_gt=True, min_size=8),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, ann_file='annotations/val.json',
                 data_prefix=dict(img=''), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json', metric='bbox',
                     proposal_nums=(100, 1, 10))
test_evaluator = val_evaluator

train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
# from scratch: the demo detector's AdamW recipe instead of the 1x schedule's SGD (tuned for
# ImageNet-pretrained backbones)
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=base_lr, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0, bias_decay_mult=0),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', eta_min=base_lr * 0.05, begin=0, end=max_epochs,
         T_max=max_epochs, by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1),
                     logger=dict(interval=10))
auto_scale_lr = dict(enable=False, base_batch_size=8)
