# G-RMI-style two-output head (Papandreou et al.): per joint a disk heatmap (binary
# cross-entropy) and x/y offset maps (L1 inside the disk), decoded as the heatmap arg-max plus the
# offset there. Head and codec are the project's HeatmapOffsetHead / HeatmapOffset
# (plugins/models/heads/heatmap_offset_head.py, plugins/codecs/heatmap_offset.py); backbone,
# data, schedule and evaluation as heatmapnet_res18-half_synthetic-128x96.py.
_base_ = ['./heatmapnet_res18-half_synthetic-128x96.py']

codec = dict(type='HeatmapOffset', input_size=(96, 128), heatmap_size=(24, 32),
             radius_factor=0.0546875, upsample_factor=4)
model = dict(
    head=dict(_delete_=True, type='HeatmapOffsetHead', in_channels=256, num_keypoints=17,
              deconv_out_channels=(64, 64, 64), deconv_kernel_sizes=(4, 4, 4), decoder=codec),
    test_cfg=dict(flip_test=False))

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
