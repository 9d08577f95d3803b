# Coordinate net on PoseTrack18 (GPU): the ResNet-50 of heatmapnet_res50_posetrack18-256x192.py
# with global average pooling and mmpose's RegressionHead, L2 loss on the normalised coordinates
# (MSELoss), initialised from mmpose's COCO DeepPose ResNet-50; same data, schedule and metric.
_base_ = ['./heatmapnet_res50_posetrack18-256x192.py']

load_from = ('https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/topdown_regression/'
             'coco/td-reg_res50_8xb64-210e_coco-256x192-72ef04f3_20220913.pth')
codec = dict(type='RegressionLabel', input_size=(192, 256))
model = dict(
    neck=dict(type='GlobalAveragePooling'),
    head=dict(_delete_=True, type='RegressionHead', in_channels=2048, num_joints=17,
              loss=dict(type='MSELoss', use_target_weight=True), decoder=codec),
    test_cfg=dict(_delete_=True, flip_test=True, shift_coords=True))
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
