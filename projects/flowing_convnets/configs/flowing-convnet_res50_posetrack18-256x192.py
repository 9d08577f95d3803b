# Flowing ConvNet on PoseTrack18 (GPU): the COCO-pretrained ResNet-50 heatmap net of
# heatmapnet_res50_posetrack18-256x192.py on frame t and its neighbours t-2..t+2, the neighbours'
# heatmaps warped into frame t with OpenCV DIS flow (full frames, cached per video in
# data/cache/flow, then cropped like the frames) and fused per joint by a learned 1x1 convolution
# initialised to select frame t, plus the spatial fusion layers. Frames come in PoseTrack18's
# official per-video annotation files (annotations/{train,val}/*.json list every frame).
_base_ = ['./heatmapnet_res50_posetrack18-256x192.py']

neighbour_offsets = (-2, -1, 1, 2)
num_frames = 1 + len(neighbour_offsets)

codec = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
model = dict(
    type='FlowingConvNet',
    data_preprocessor=dict(type='VideoPoseDataPreprocessor'),
    num_frames=num_frames,
    fusion=dict(type='TemporalPooling', init='current'),
    spatial_fusion=dict(type='SpatialFusionLayers', mid_channels=64, kernel_size=7,
                        dilations=(1, 2, 3)),
    flow_cfg=dict(source='auto', method='dis', dis_preset='fast'),
    current_frame_loss_weight=1.0)
# the temporal pooling (K x T weights) learns 20x faster than the pretrained layers
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'fusion.pool': dict(lr_mult=20.0)}))

meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'crowd_index', 'ori_shape', 'img_shape',
             'input_size', 'input_center', 'input_scale', 'flip', 'flip_direction',
             'flip_indices', 'raw_ann_info', 'dataset_name', 'flows', 'video_name',
             'frame_index')
flow_step = dict(type='VideoComputeFlow', method='dis', dis_preset='fast',
                 cache_dir='data/cache/flow/posetrack18', max_items=64)
train_pipeline = [
    dict(type='LoadVideoFrames'),
    flow_step,
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='VideoTopdownAffine', input_size=codec['input_size'],
         flow_size=codec['heatmap_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
val_pipeline = [
    dict(type='LoadVideoFrames'),
    flow_step,
    dict(type='GetBBoxCenterScale'),
    dict(type='VideoTopdownAffine', input_size=codec['input_size'],
         flow_size=codec['heatmap_size']),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
train_dataloader = dict(
    batch_size=16,
    dataset=dict(type='VideoFrameNeighboursDataset', neighbour_offsets=neighbour_offsets,
                 video_ann_dir='annotations/train', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type='VideoFrameNeighboursDataset', neighbour_offsets=neighbour_offsets,
                 video_ann_dir='annotations/val', pipeline=val_pipeline))
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=128)
