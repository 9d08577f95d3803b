# Tiny person detector of `make demo`: mmdet's RTMDet-tiny recipe at 1/4 width (CSPNeXt
# widen 0.25, 2.2 M parameters), one class, 192x144 input, trained from scratch (no pretrained
# weights, no download) on the synthetic videos in a few CPU minutes. Simple augmentation
# instead of the COCO recipe's mosaic/mix-up; no EMA, no pipeline switch (those pay off after
# 100+ epochs); batch 8 (more updates per CPU minute than 16: bbox AP 19 vs 6 in 15 epochs).
_base_ = ['mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmdet'

data_root = 'data/synthetic/'
metainfo = dict(classes=('person', ), palette=[(220, 20, 60)])
img_scale = (192, 144)  # (w, h): the synthetic frames are 384x288 (persons 60-240 px tall)
max_epochs = 15
base_lr = 0.004

norm_cfg = dict(type='BN')
model = dict(
    data_preprocessor=dict(pad_size_divisor=32, batch_augments=None),
    backbone=dict(deepen_factor=0.167, widen_factor=0.25, norm_cfg=norm_cfg, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256], out_channels=64, num_csp_blocks=1,
              norm_cfg=norm_cfg),
    bbox_head=dict(num_classes=1, in_channels=64, feat_channels=64, norm_cfg=norm_cfg),
    test_cfg=dict(nms_pre=1000, score_thr=0.01, nms=dict(type='nms', iou_threshold=0.6),
                  max_per_img=50))

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
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', eta_min=base_lr * 0.05, begin=0, end=max_epochs,
         T_max=max_epochs, by_epoch=True, convert_to_iter_based=True)
]
custom_hooks = []
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1),
                     logger=dict(interval=10))
auto_scale_lr = dict(enable=False, base_batch_size=8)
