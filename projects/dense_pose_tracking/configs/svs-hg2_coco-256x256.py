# Dense Pose Tracking (Zhou, Deng, Zafeiriou), pose estimator on COCO: a 2-stack hourglass whose
# first stack regresses Support Vector Shape maps (7 part channels x C in {3, 6, 12, 24} = 28
# channels, pixel-wise smooth-L1) and whose second stack regresses the 17 keypoint heatmaps from
# the image features and the SVS prediction. Schedule, data and evaluation: mmpose's COCO
# hourglass recipe (256x256, Adam 5e-4, 210 epochs, 8 GPUs x 32).
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hourglass52_8xb32-210e_coco-256x256.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmpose'

codec = dict(type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
svs_parts = (  # the 7 SVS channels, by joint name (see plugins/codecs/svs.py BODY7_PARTS)
    ('head', ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'head_bottom',
              'head_top')),
    ('torso', ('left_shoulder', 'right_shoulder', 'left_hip', 'right_hip')),
    ('left_arm', ('left_shoulder', 'left_elbow', 'left_wrist')),
    ('right_arm', ('right_shoulder', 'right_elbow', 'right_wrist')),
    ('left_leg', ('left_hip', 'left_knee', 'left_ankle')),
    ('right_leg', ('right_hip', 'right_knee', 'right_ankle')),
    ('body', ('*', )),
)
svs_c_values = (3, 6, 12, 24)
svs_codec = dict(
    type='SVSCodec',
    input_size=codec['input_size'],
    heatmap_size=codec['heatmap_size'],
    metainfo=dict(from_file='configs/_base_/datasets/coco.py'),
    parts=svs_parts,
    c_values=svs_c_values,
    kernel_width=0.15,
    landmark_spacing=0.05,
    band=(0.15, 0.6),
    negative_ratio=2.0,
    cache_dir='data/cache/svs/coco-256x256')

model = dict(
    _delete_=True,
    type='SVSHourglassCascade',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    # image features at 1/4 resolution (conv7x7/2, max-pool/2, 3 bottlenecks -> 256 channels),
    # the counterpart of the hourglass network's stem
    backbone=dict(type='ResNet', depth=50, num_stages=1, strides=(1, ), dilations=(1, ),
                  out_indices=(0, ), init_cfg=None),
    in_channels=256,
    downsample_times=4,
    stage_channels=(256, 256, 256, 256, 256),
    stage_blocks=(2, 2, 2, 2, 2),
    feat_channels=256,
    svs_supervision=True,
    svs_head=dict(
        type='SVSHead',
        in_channels=256,
        out_channels=len(svs_parts) * len(svs_c_values),
        loss=dict(type='SmoothL1Loss', use_target_weight=True, loss_weight=1.0)),
    head=dict(
        type='HeatmapHead',
        in_channels=256,
        out_channels=17,
        deconv_out_channels=None,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='GenerateSVSTarget', encoder=svs_codec),
    dict(type='PackPoseInputs')
]
# SVS fitting is CPU work in the data loader (~0.1-0.3 s per new person, cached on disk after
# that, see the project README): give the loader enough workers for the first epoch.
train_dataloader = dict(num_workers=8, dataset=dict(pipeline=train_pipeline))
