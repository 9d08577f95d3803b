# RMPE on MPII (mmpose's layout: data/mpii/annotations/mpii_{train,val}.json, mpii_gt_val.mat,
# images/), evaluated with MPII's multi-person protocol (the one RMPE's Table 1 and ablations
# report): per-joint AP with PCKh@0.5 matching of all persons of each validation image
# (MpiiMultiPersonMetric), on person detections, after the parametric pose NMS.
# Model, input size, proposal extension, schedule and NMS as the COCO config; 16 MPII joints.
#
# Before testing: person detections on the validation images, written as COCO results whose
# image_id is mmpose's MPII image id (the integer file name stem):
#   python projects/rmpe/tools/detect_persons.py data/mpii/annotations/mpii_val.json \
#       --img-root data/mpii/images/ --det-config <mmdet config> --det-checkpoint <ckpt> \
#       --out data/mpii/person_detection_results/mpii_val_detections.json
# The DPG is the AlphaPose preset here: fit_dpg.py reads COCO-style annotations, and MPII has
# no person boxes (see the README's deviations).
_base_ = ['./rmpe_hg2_sstn-dpg_coco-320x256.py']

data_root = 'data/mpii/'
det_file = data_root + 'person_detection_results/mpii_val_detections.json'
metainfo = dict(from_file='configs/_base_/datasets/mpii.py')  # mmpose's MPII metainfo
num_keypoints = 16

head = dict(out_channels=num_keypoints)  # merged into the base's `head` (for the ablations)
model = dict(sppe=dict(head=dict(out_channels=num_keypoints)))

dpg = dict(type='DeepProposalsGenerator', dpg_file=None, enabled=False)
train_pipeline = [
    dict(type='LoadImage'),
    dpg,
    dict(type='GetBBoxCenterScale', padding={{_base_.bbox_padding}}),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', shift_prob=0.0),  # box offsets come from the DPG
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='GenerateTarget', encoder={{_base_.codec}}),
    dict(type='PackPoseInputs', pack_transformed=True)  # crop-frame poses: parallel SPPE
]
train_dataloader = dict(
    dataset=dict(_delete_=True, type='MpiiDataset', data_root=data_root, data_mode='topdown',
                 ann_file='annotations/mpii_train.json', data_prefix=dict(img='images/'),
                 metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='MpiiMultiPersonDataset', data_root=data_root,
                 data_mode='topdown', ann_file='annotations/mpii_val.json', bbox_file=det_file,
                 data_prefix=dict(img='images/'), metainfo=metainfo, test_mode=True,
                 pipeline={{_base_.val_pipeline}}))
test_dataloader = val_dataloader

pose_nms = dict(type='ParametricPoseNMS', preset='alphapose', params_file=None)
val_evaluator = dict(
    _delete_=True,
    type='MpiiMultiPersonMetric',
    ann_file=data_root + 'annotations/mpii_val.json',
    headbox_file=data_root + 'annotations/mpii_gt_val.mat',
    pose_nms=pose_nms)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='mpii_mp/mAP', rule='greater'))
