# Self-supervised keypoint correspondences (the paper's setting), stage 1 of the module-wise
# training: the Siamese matcher on BN-Inception layers 1-17 (inception_4d, output stride 16)
# trained on single COCO images: image 2 is a random affine warp (translation, rotation, scale,
# flip with left/right relabelling) of image 1, the target of every annotated keypoint is a
# peak at its warped location (all-zero when it left the image), binary cross-entropy on the
# softmax affinity maps. Stage 2: refine_bninception_coco-384x384.py.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
default_scope = 'mmpose'

data_root = 'data/coco/'
dataset_type = 'CocoDataset'
num_keypoints = 17
input_size = (384, 384)
map_size = (24, 24)  # output stride 16
max_epochs = 20
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
        backbone=dict(
            type='BNInception',
            first_layer=1,
            last_layer=17,
            # ImageNet weights: convert a BN-Inception checkpoint to this module's names first
            init_cfg=None)),
    refinement=None,
    loss_siamese=dict(type='BCELoss', use_sigmoid=True),  # on the softmax probabilities
    loss_refine=dict(type='BCELoss', use_sigmoid=False))  # on the refinement logits

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterboxImage', input_size=input_size),
    dict(type='AffineImagePair', input_size=input_size, shift_factor=0.15, rotate_factor=30.0,
         scale_factor=(0.75, 1.25), flip_prob=0.5, max_persons=10),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='bottomup',
                 ann_file='annotations/person_keypoints_train2017.json',
                 data_prefix=dict(img='train2017/'), pipeline=train_pipeline))
# validation: held-out affine pairs, the same pair of an image every epoch (seeded warp)
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterboxImage', input_size=input_size),
    dict(type='AffineImagePair', input_size=input_size, shift_factor=0.15, rotate_factor=30.0,
         scale_factor=(0.75, 1.25), flip_prob=0.5, seed=0),
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
                 ann_file='annotations/person_keypoints_val2017.json', data_prefix=dict(img='val2017/'),
                 test_mode=False, pipeline=val_pipeline))
test_dataloader = val_dataloader
val_cfg = dict()
test_cfg = dict()
# share of propagated joints within 5% of the input side of their true place in image 2
val_evaluator = dict(type='CorrespondencePCK', thr=0.05)
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=2)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=max_epochs, milestones=[14, 18], gamma=0.1,
         by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=128)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='corr/PCK',
                    rule='greater'),
    logger=dict(type='LoggerHook', interval=50))
