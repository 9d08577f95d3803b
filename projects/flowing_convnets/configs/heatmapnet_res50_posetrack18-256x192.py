# Heatmap net on PoseTrack18 (GPU): mmpose's SimpleBaseline ResNet-50 PoseTrack18 config
# unchanged (COCO-pretrained, HeatmapHead + KeypointMSELoss, flip test, PoseTrack18Metric),
# the single-frame reference of flowing-convnet_res50_posetrack18-256x192.py.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/posetrack18/'
          'td-hm_res50_8xb64-20e_posetrack18-256x192.py']
custom_imports = dict(imports=['plugins'], allow_failed_imports=False)
smoke_input_shape = (1, 3, 64, 48)
