# The paper's two-stage top-down pose estimator (heatmaps + joint offsets, supplementary) on
# COCO: BN-Inception layers 1-17 (stride 16), two deconvolutions to a 48x64 map, stage 1
# predicts per joint a binary heatmap (BCE) and x/y offsets (L1 inside the heatmap disk);
# stage 2 is BN-Inception layers 3-17 on backbone features + stage 1's heatmaps and offsets.
# Keypoint = arg-max of the 4x upsampled heatmap + offset (HeatmapOffset codec = mmpose's
# UDPHeatmap 'combined' targets). Where the paper is silent (which backbone features feed
# stage 2, its up-sampling, deconvolution widths, schedule) the choices are ours, see MODELS.md.
# Inherits mmpose's COCO SimpleBaseline config for data, schedule and evaluation.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmpose'

codec = dict(type='HeatmapOffset', input_size=(192, 256), heatmap_size=(48, 64),
             radius_factor=0.0546875, upsample_factor=4)
smoke_input_shape = (1, 3, 64, 48)

model = dict(
    backbone=dict(
        _delete_=True,
        type='BNInception',
        first_layer=1,
        last_layer=17,
        out_layers=(2, 17),  # layer 2 feeds stage 2, layer 17 stage 1
        # ImageNet weights: convert a BN-Inception checkpoint to this module's names first
        init_cfg=None),
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
