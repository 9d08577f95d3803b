# Keypoint correspondences on the embedded synthetic videos (`make data`), stage 1: the Siamese
# matcher alone, trained self-supervised on single annotated frames (random affine pairs), at
# CPU size: BN-Inception layers 1-7 (up to inception_3b, output stride 8) at 1/4 width, frames
# letter-boxed to 192x144 (the synthetic 384x288 frames halved). Stage 2 (refinement) is
# refine_bninception-tiny_synthetic-192x144.py.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmpose'

data_root = 'data/synthetic/'
dataset_type = 'PoseTrack18Dataset'
num_keypoints = 17
input_size = (192, 144)
map_size = (24, 18)  # output stride 8
max_epochs = 6
smoke_input_shape = (1, 6, 64, 64)  # an image pair stacked along channels

codec = dict(type='CorrespondenceMaps', input_size=input_size, heatmap_size=map_size, sigma=1.0)

model = dict(
    type='CorrespondenceNet',
    num_keypoints=num_keypoints,
    input_size=input_size,
    data_preprocessor=dict(
        type='ImagePairDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    matcher=dict(
        type='SiameseMatcher',
        patch_size=3,
        temperature=0.05,
        learn_temperature=True,
        backbone=dict(type='BNInception', first_layer=1, last_layer=7, widen_factor=0.25)),
    refinement=None,
    loss_siamese=dict(type='BCELoss', use_sigmoid=True),  # on the softmax probabilities
    loss_refine=dict(type='BCELoss', use_sigmoid=False))  # on the refinement logits

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterboxImage', input_size=input_size),
    dict(type='AffineImagePair', input_size=input_size, shift_factor=0.15, rotate_factor=20.0,
         scale_factor=(0.8, 1.25), flip_prob=0.5, max_persons=5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='bottomup',
                 ann_file='annotations/train.json', data_prefix=dict(img=''),
                 pipeline=train_pipeline))
# validation: held-out affine pairs, the same pair of an image every epoch (seeded warp)
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterboxImage', input_size=input_size),
    dict(type='AffineImagePair', input_size=input_size, shift_factor=0.15, rotate_factor=20.0,
         scale_factor=(0.8, 1.25), flip_prob=0.5, seed=0),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=('id', 'img_id', 'img_path', 'input_size',
                                           'img_shape', 'flip_indices'))
]
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='bottomup',
                 ann_file='annotations/val.json', data_prefix=dict(img=''),
                 test_mode=False, pipeline=val_pipeline))
test_dataloader = val_dataloader
val_cfg = dict()
test_cfg = dict()
# share of propagated joints within 5% of the input side of their true place in image 2
val_evaluator = dict(type='CorrespondencePCK', thr=0.05)
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.05, by_epoch=False),
    dict(type='CosineAnnealingLR', eta_min=2e-5, begin=0, end=max_epochs, T_max=max_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=max_epochs, max_keep_ckpts=1,
                    save_best='corr/PCK', rule='greater'),
    logger=dict(type='LoggerHook', interval=10))
