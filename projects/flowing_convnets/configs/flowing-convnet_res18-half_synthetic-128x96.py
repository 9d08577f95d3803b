# Flowing ConvNet (Pfister, Charles, Zisserman, ICCV 2015) on the synthetic videos: the heatmap
# net of heatmapnet_res18-half_synthetic-128x96.py applied to frame t and its neighbours t-1 and
# t+1 (same box in all three frames), the neighbours' heatmaps warped into frame t with OpenCV DIS
# optical flow (full frames, cached per video, then cropped like the frames) and fused per joint
# by a learned 1x1 convolution initialised to select frame t. Trained end to end: L2 on the fused
# heatmaps plus L2 on frame t's own heatmaps.
_base_ = ['./heatmapnet_res18-half_synthetic-128x96.py']

neighbour_offsets = (-1, 1)
num_frames = 1 + len(neighbour_offsets)

# the heatmap net's codec
codec = dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=1.5)
model = dict(
    type='FlowingConvNet',
    data_preprocessor=dict(type='VideoPoseDataPreprocessor'),
    num_frames=num_frames,
    fusion=dict(type='TemporalPooling', init='current'),
    flow_cfg=dict(source='auto', method='dis', dis_preset='ultrafast', padding_mode='zeros'),
    current_frame_loss_weight=1.0)
# the temporal pooling is 17 x 3 weights starting at "frame t only": at the backbone's learning
# rate it barely moves in a few epochs (neighbour weights stayed < 0.015 after 3 fine-tuning
# epochs), so it learns 20x faster
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'fusion.pool': dict(lr_mult=20.0)}))

meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'crowd_index', 'ori_shape', 'img_shape',
             'input_size', 'input_center', 'input_scale', 'flip', 'flip_direction',
             'flip_indices', 'raw_ann_info', 'dataset_name', 'flows', 'video_name',
             'frame_index')
flow_step = dict(type='VideoComputeFlow', method='dis', dis_preset='ultrafast', max_items=64)
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
    dataset=dict(type='VideoFrameNeighboursDataset', neighbour_offsets=neighbour_offsets,
                 video_ann_dir='annotations/train', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type='VideoFrameNeighboursDataset', neighbour_offsets=neighbour_offsets,
                 video_ann_dir='annotations/val', pipeline=val_pipeline))
test_dataloader = val_dataloader
