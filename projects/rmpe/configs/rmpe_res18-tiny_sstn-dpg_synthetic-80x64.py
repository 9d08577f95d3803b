# RMPE on the embedded synthetic videos (`make data` -> data/synthetic), sized to train on a
# CPU in minutes: the SPPE is a small ResNet-18 (3 stages at 1/4 width) + deconvolution heatmap
# head at 80x64 (the paper's 5:4 crop; synthetic people are about 50 x 180 px), with the
# symmetric STN, parallel SPPE, 20% proposal extension, Deep Proposals Generator (the AlphaPose
# preset; the fitted DPGs: rmpe_res18-tiny_sstn-dpg-{gmm,net}_*) and parametric pose NMS on
# simulated detections at evaluation.
#
# RMPE fine-tunes the STN on a pretrained SPPE, which also initialises the frozen parallel SPPE:
# train `rmpe_res18-tiny_no-sstn_synthetic-80x64.py` first and pass its checkpoint with
#   --cfg-options model.sppe.init_cfg.type=Pretrained model.sppe.init_cfg.checkpoint=<ckpt>
# Evaluation uses person boxes simulated from the ground truth (jittered, duplicated, false
# positives; projects/rmpe/tools/simulate_detections.py) so that the pose NMS has work to do.
# See projects/rmpe/README.md for the full protocol and the numbers.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmpose'

data_root = 'data/synthetic/'
dataset_type = 'PoseTrack18Dataset'  # the merged COCO-style files, PoseTrack18's 17 joints
det_file = data_root + 'rmpe/val_simulated_detections.json'
max_epochs = 6
dpg_start_epoch = 1  # ground-truth boxes first, DPG-augmented boxes from this epoch on
proposal_extension = 0.2  # boxes extended by 20% in width and height (train and test)
bbox_padding = 1 + proposal_extension  # GetBBoxCenterScale's padding factor
batch_size = 32

codec = dict(type='MSRAHeatmap', input_size=(64, 80), heatmap_size=(16, 20), sigma=1)
data_preprocessor = dict(
    type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
backbone = dict(type='ResNet', depth=18, stem_channels=16, base_channels=16, num_stages=3,
                strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ), init_cfg=None)
head = dict(type='HeatmapHead', in_channels=64, out_channels=17,
            deconv_out_channels=(32, 32), deconv_kernel_sizes=(4, 4),
            loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec)
sppe_test_cfg = dict(flip_test=False)
sppe = dict(type='TopdownPoseEstimator', backbone=backbone, head=head, test_cfg=sppe_test_cfg)

model = dict(
    type='SSTNPoseEstimator',
    data_preprocessor=data_preprocessor,
    sppe=sppe,
    localization_net=dict(type='STNLocalizationNet', stage_channels=(8, 16, 32, 32),
                          hidden_channels=32, input_scale=1.0),
    parallel_sppe=dict(init_from='sppe', loss_weight=1.0),
    heatmap_alignment='msra')

dpg = dict(type='DeepProposalsGenerator', mode='alphapose', dpg_file=None, enabled=False)
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
train_dataloader = dict(
    batch_size=batch_size, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='topdown',
                 ann_file='annotations/train.json', data_prefix=dict(img=''),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=batch_size, num_workers=1, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='topdown',
                 ann_file='annotations/val.json', bbox_file=det_file,
                 data_prefix=dict(img=''), test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader

custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='DPGScheduleHook', start_epoch=dpg_start_epoch),
]

# several boxes per person: parametric pose NMS before COCO AP, with the public AlphaPose
# implementation's constants. The paper's form with learned parameters:
# `tools/analysis/fit_pose_nms.py ... --preset paper --out nms.json`, then
# --cfg-options test_evaluator.pose_nms.preset=paper test_evaluator.pose_nms.params_file=nms.json
pose_nms = dict(type='ParametricPoseNMS', preset='alphapose', params_file=None)
val_evaluator = dict(type='PoseNMSCocoMetric', ann_file=data_root + 'annotations/val.json',
                     pose_nms=pose_nms)
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.1, by_epoch=False),
    dict(type='CosineAnnealingLR', eta_min=1e-5, begin=0, end=max_epochs, T_max=max_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=batch_size)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best='coco/AP', rule='greater'))
randomness = dict(seed=0)
