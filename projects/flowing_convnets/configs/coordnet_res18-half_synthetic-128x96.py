# Coordinate net (DeepPose-style regression; the "coordinate net" of Pfister et al.): the same
# backbone as heatmapnet_res18-half_synthetic-128x96.py, global average pooling and mmpose's
# RegressionHead (a linear layer to 2K normalised coordinates), L2 loss on the coordinates
# (mmpose's MSELoss). Same data, schedule and evaluation as the heatmap net.
_base_ = ['./_base_/synthetic_topdown-128x96.py']

codec = dict(type='RegressionLabel', input_size={{_base_.input_size}})
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone={{_base_.backbone}},
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='RegressionHead', in_channels={{_base_.backbone_channels}}, num_joints=17,
              loss=dict(type='MSELoss', use_target_weight=True), decoder=codec),
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
