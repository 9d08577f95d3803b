# G-RMI-style heatmap + offset head on PoseTrack18 (GPU): ResNet-50 (ImageNet) with the project's
# HeatmapOffsetHead (disk heatmaps with binary cross-entropy, x/y offsets with L1) and
# HeatmapOffset codec (UDP crops); data, schedule and PoseTrack18Metric as
# heatmapnet_res50_posetrack18-256x192.py.
_base_ = ['./heatmapnet_res50_posetrack18-256x192.py']

load_from = None
codec = dict(type='HeatmapOffset', input_size=(192, 256), heatmap_size=(48, 64),
             radius_factor=0.0546875, upsample_factor=4)
model = dict(
    head=dict(_delete_=True, type='HeatmapOffsetHead', in_channels=2048, num_keypoints=17,
              decoder=codec),
    test_cfg=dict(_delete_=True, flip_test=True, flip_mode='udp_combined',
                  shift_heatmap=False))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
