# Stacked hourglass (Newell et al.) with intermediate supervision: 2 hourglasses (depth 3, 32
# channels) on a 1/4-width ResNet-18 stem, an L2 heatmap loss (KeypointMSELoss) on the output of
# each stack, stack 2 fed with stack 1's features and prediction; the last stack is decoded.
# mmpose's HourglassNet has a fixed 256-channel stem (about 20x the CPU cost of the ResNet of the
# other synthetic configs), so this CPU-size config uses the project's SVSHourglassCascade
# (mmpose hourglass blocks) with svs_supervision=False, which makes it the plain 2-stack
# hourglass. The PoseTrack18 config hourglass2_posetrack18-256x256.py uses mmpose's HourglassNet +
# CPMHead. Same data, crops, schedule and evaluation as heatmapnet_res18-half_synthetic-128x96.py.
_base_ = ['./heatmapnet_res18-half_synthetic-128x96.py']

codec = dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=1.5)
model = dict(
    type='SVSHourglassCascade',
    backbone=dict(_delete_=True, type='ResNet', depth=18, stem_channels=16, base_channels=16,
                  num_stages=1, strides=(1, ), dilations=(1, ), out_indices=(0, ),
                  init_cfg=None),
    in_channels=16,
    downsample_times=3,
    stage_channels=(32, 32, 32, 32),
    stage_blocks=(1, 1, 1, 1),
    feat_channels=32,
    svs_supervision=False,
    head=dict(_delete_=True, type='HeatmapHead', in_channels=32, out_channels=17,
              deconv_out_channels=None,
              loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec))
