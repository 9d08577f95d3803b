# Heatmap net (Tompson et al.; the "heatmap net" of Pfister et al.): the shared backbone with
# mmpose's HeatmapHead, L2 loss on Gaussian heatmaps (KeypointMSELoss), arg-max decoding.
# Same backbone, data and schedule as coordnet_res18-half_synthetic-128x96.py.
_base_ = ['./_base_/synthetic_topdown-128x96.py']

codec = dict(type='MSRAHeatmap', input_size={{_base_.input_size}}, heatmap_size=(24, 32),
             sigma=1.5)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone={{_base_.backbone}},
    head=dict(type='HeatmapHead', in_channels={{_base_.backbone_channels}}, out_channels=17,
              deconv_out_channels=(64, 64, 64), deconv_kernel_sizes=(4, 4, 4),
              loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec),
    test_cfg=dict(flip_test=False))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
