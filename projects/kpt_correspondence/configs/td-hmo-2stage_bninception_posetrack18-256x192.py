# The two-stage heatmap + offset estimator fine-tuned on PoseTrack18 from its COCO training
# (td-hmo-2stage_bninception_coco-256x192.py), with mmpose's PoseTrack18 data and
# schedule. This is the pose estimator of track_posetrack18.py. Evaluator: mmpose's
# PoseTrack18Metric calls the `poseval` package (not on PyPI); the project's PoseTrackMetric
# computes the same per-joint AP from the official per-video files (annotations/val/*.json, the
# whole-frame ground truth of the top-down crops; mode='poseval' = the official tool's numbers).
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/posetrack18/'
          'td-hm_hrnet-w32_8xb64-20e_posetrack18-256x192.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmpose'

codec = dict(type='HeatmapOffset', input_size=(192, 256), heatmap_size=(48, 64),
             radius_factor=0.0546875, upsample_factor=4)
smoke_input_shape = (1, 3, 64, 48)
data_root = 'data/posetrack18/'  # as in the base
val_evaluator = dict(_delete_=True, type='PoseTrackMetric', mode='poseval',
                     gt_dir=data_root + 'annotations/val')
test_evaluator = val_evaluator
# the base keeps the best checkpoint by mmpose's 'posetrack18/Total AP'
default_hooks = dict(checkpoint=dict(save_best='posetrack/mAP', rule='greater'))
load_from = 'work_dirs/td-hmo-2stage_bninception_coco-256x192/best_coco_AP_epoch_210.pth'

model = dict(
    backbone=dict(_delete_=True, type='BNInception', first_layer=1, last_layer=17,
                  out_layers=(2, 17), init_cfg=None),
    head=dict(
        _delete_=True,
        type='TwoStageHeatmapOffsetHead',
        in_channels=576,
        num_keypoints=17,
        deconv_out_channels=(256, 256),
        deconv_kernel_sizes=(4, 4),
        # stage 2 (paper, supplementary): BN-Inception layers 3-17 on the backbone's layer-2
        # features (conv2_reduce, 64 channels at stride 4 = the 64x48 map) + stage 1's
        # heatmaps and offsets, two deconvolutions back to the map. stage2='light' (two 3x3
        # convolutions on stage 1's features, not the paper's) is the cheap named option.
        stage2='bn_inception',
        stage2_feat_index=0,
        stage2_feat_channels=64,
        stage2_backbone=dict(type='BNInception', first_layer=3, last_layer=17, init_cfg=None),
        stage2_deconv_out_channels=(256, 256),
        stage2_deconv_kernel_sizes=(4, 4),
        loss=dict(type='BCELoss', use_target_weight=True),
        loss_offset=dict(type='L1Loss', use_target_weight=True, loss_weight=1.0),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='udp_combined', shift_heatmap=False))

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
