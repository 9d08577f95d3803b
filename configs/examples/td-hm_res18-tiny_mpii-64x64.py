# A tiny top-down heatmap model for CPU smoke runs on MPII (PCKh through tools/test.py):
# mmpose's ResNet-50 MPII config with a 3-stage ResNet-18 at 1/4 width and a 64x64 input.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_res50_8xb64-210e_mpii-256x256.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)

train_cfg = dict(max_epochs=2, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.1, by_epoch=False),
]
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(logger=dict(interval=1))

codec = dict(type='MSRAHeatmap', input_size=(64, 64), heatmap_size=(16, 16), sigma=1)

model = dict(
    backbone=dict(depth=18, base_channels=16, num_stages=3, strides=(1, 2, 2),
                  dilations=(1, 1, 1), out_indices=(2, ), init_cfg=None),
    head=dict(in_channels=64, deconv_out_channels=(32, 32), deconv_kernel_sizes=(4, 4),
              decoder=codec),
    test_cfg=dict(flip_test=False))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
