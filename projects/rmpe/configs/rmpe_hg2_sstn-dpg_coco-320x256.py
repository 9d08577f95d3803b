# RMPE (Fang et al., ICCV 2017) on COCO: symmetric STN + parallel SPPE around a 2-stack
# hourglass SPPE at 320x256 (h x w), proposals extended by 20%, Deep Proposals Generator from
# `dpg_start_epoch` on, parametric pose NMS on the detected boxes at evaluation.
#
# Before training (the full protocol is in projects/rmpe/README.md):
#   * fit the DPG (atomic poses + offset mixtures, mode='atomic_pose_gmm') on train2017 from a
#     person detector's boxes, either from its COCO results file on train2017
#       python tools/analysis/fit_dpg.py data/coco/annotations/person_keypoints_train2017.json \
#           --detections <detector results on train2017 (COCO json)> \
#           --out data/coco/dpg/dpg_train2017.json
#     or by running the detector:
#       python tools/analysis/fit_dpg.py data/coco/annotations/person_keypoints_train2017.json \
#           --det-config mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py \
#           --det-checkpoint <ckpt> --img-root data/coco/train2017/ \
#           --out data/coco/dpg/dpg_train2017.json
#     (`--mode proposal_network --out ....pth` trains the network DPG instead); or set
#     `dpg = dict(type='DeepProposalsGenerator', dpg_file=None, ...)` for the AlphaPose
#     preset (fixed Gaussian edge jitter + random sub-patches). The no-DPG ablation
#     (rmpe_hg2_sstn-no-dpg_*) needs no DPG file;
#   * RMPE fine-tunes the STN on a pretrained SPPE, which also initialises the frozen parallel
#     SPPE: train `rmpe_hg2_no-sstn_coco-320x256.py` (or take any SPPE with the same layout) and
#     set `model.sppe.init_cfg = dict(type='Pretrained', checkpoint=...)`.
# Ablations (each changes only what its name says): rmpe_hg2_no-sstn_*, rmpe_hg2_sstn-no-parallel_*,
# rmpe_hg2_sstn-no-dpg_*, rmpe_hg2_sstn-dpg-oks-nms_*; deeper SPPE: rmpe_hg8_sstn-dpg_*.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hourglass52_8xb32-210e_coco-256x256.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmpose'

# the config test runs a forward pass at this size (the hourglass needs H and W divisible by 64)
smoke_input_shape = (1, 3, 64, 64)

proposal_extension = 0.2  # boxes extended by 20% in width and height (train and test)
bbox_padding = 1 + proposal_extension  # GetBBoxCenterScale's padding factor
dpg_start_epoch = 100  # ground-truth boxes first, DPG-augmented boxes from this epoch on

codec = dict(type='MSRAHeatmap', input_size=(256, 320), heatmap_size=(64, 80), sigma=2)

data_preprocessor = dict(
    type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
# mmpose's HourglassNet shaped like Newell et al.'s stacked hourglass (which RMPE uses): 4
# downsamplings per hourglass (5 would need inputs divisible by 128), 256 channels and one
# residual block per level
hourglass = dict(type='HourglassNet', num_stacks=2, downsample_times=4,
                 stage_channels=(256, 256, 256, 256, 256), stage_blocks=(1, 1, 1, 1, 1))
head = dict(type='CPMHead', in_channels=256, out_channels=17, num_stages=2,
            deconv_out_channels=None, loss=dict(type='KeypointMSELoss', use_target_weight=True),
            decoder=codec)
sppe_test_cfg = dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True)
sppe = dict(type='TopdownPoseEstimator', backbone=hourglass, head=head, test_cfg=sppe_test_cfg)

model = dict(
    _delete_=True,
    type='SSTNPoseEstimator',
    data_preprocessor=data_preprocessor,
    sppe=sppe,
    localization_net=dict(
        type='STNLocalizationNet',
        backbone=dict(type='ResNet', depth=18,
                      init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
        feat_channels=512, hidden_channels=128, input_scale=0.5),
    parallel_sppe=dict(init_from='sppe', loss_weight=1.0),
    heatmap_alignment='msra')

dpg = dict(type='DeepProposalsGenerator', mode='atomic_pose_gmm',
           dpg_file='data/coco/dpg/dpg_train2017.json',
           enabled=False)  # switched on by DPGScheduleHook
train_pipeline = [
    dict(type='LoadImage'),
    dpg,
    dict(type='GetBBoxCenterScale', padding=bbox_padding),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', shift_prob=0.0),  # box offsets come from the DPG
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', pack_transformed=True)  # crop-frame poses: parallel SPPE
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=bbox_padding),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='DPGScheduleHook', start_epoch=dpg_start_epoch),
]

# detected boxes give several poses per person: parametric pose NMS before COCO AP, with the
# public AlphaPose implementation's constants. The paper's form with learned parameters:
# `tools/analysis/fit_pose_nms.py ... --preset paper --out nms.json`, then
# --cfg-options test_evaluator.pose_nms.preset=paper test_evaluator.pose_nms.params_file=nms.json
pose_nms = dict(type='ParametricPoseNMS', preset='alphapose', params_file=None)
val_evaluator = dict(
    _delete_=True,
    type='PoseNMSCocoMetric',
    ann_file='data/coco/annotations/person_keypoints_val2017.json',
    pose_nms=pose_nms)
test_evaluator = val_evaluator
