# Stacked hourglass with intermediate supervision on PoseTrack18 (GPU): mmpose's HourglassNet with
# 2 stacks and CPMHead (an L2 heatmap loss on every stack, the last one decoded), 256x256 crops;
# data, schedule and PoseTrack18Metric as heatmapnet_res50_posetrack18-256x192.py. Trained from
# ImageNet-free initialisation (mmpose's COCO hourglass checkpoint has one stack).
_base_ = ['./heatmapnet_res50_posetrack18-256x192.py']

load_from = None
codec = dict(type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
model = dict(
    backbone=dict(_delete_=True, type='HourglassNet', num_stacks=2),
    head=dict(_delete_=True, type='CPMHead', in_channels=256, out_channels=17, num_stages=2,
              deconv_out_channels=None,
              loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec))
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
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
