# Heatmap net on PoseTrack18 (GPU): mmpose's SimpleBaseline ResNet-50 PoseTrack18 config
# (COCO-pretrained, HeatmapHead + KeypointMSELoss, flip test), the single-frame reference of
# flowing-convnet_res50_posetrack18-256x192.py. Only the evaluator changes: mmpose's
# PoseTrack18Metric calls the `poseval` package (not on PyPI); the project's PoseTrackMetric
# computes the same per-joint AP from the official per-video files (annotations/val/*.json,
# the whole-frame ground truth of the top-down crops); mode='poseval' gives the official
# tool's numbers exactly, for comparison with published results (docs/evaluation.md).
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/posetrack18/'
          'td-hm_res50_8xb64-20e_posetrack18-256x192.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)

data_root = 'data/posetrack18/'  # as in the base
val_evaluator = dict(_delete_=True, type='PoseTrackMetric', mode='poseval',
                     gt_dir=data_root + 'annotations/val')
test_evaluator = val_evaluator
# the base keeps the best checkpoint by mmpose's 'posetrack18/Total AP'
default_hooks = dict(checkpoint=dict(save_best='posetrack/mAP', rule='greater'))
