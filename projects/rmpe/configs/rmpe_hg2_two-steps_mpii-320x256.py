# Ablation row "straight forward two-steps" (MPII multi-person): detector boxes -> SPPE, with
# none of RMPE's components: no symmetric STN / parallel SPPE, no DPG (ground-truth training
# boxes), no pose NMS (every detected box's pose is evaluated). Our reading of the row: the
# paper names it without further detail; the 20% proposal extension, data, SPPE and schedule
# stay as in rmpe_hg2_sstn-dpg_mpii-320x256.py.
_base_ = ['./rmpe_hg2_sstn-dpg_mpii-320x256.py']
model = dict(
    _delete_=True,
    type='TopdownPoseEstimator',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone={{_base_.hourglass}},
    head={{_base_.head}},
    test_cfg={{_base_.sppe_test_cfg}})
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding={{_base_.bbox_padding}}),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', shift_prob=0.0),
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='GenerateTarget', encoder={{_base_.codec}}),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = [dict(type='SyncBuffersHook')]
val_evaluator = dict(pose_nms=None)
test_evaluator = val_evaluator
