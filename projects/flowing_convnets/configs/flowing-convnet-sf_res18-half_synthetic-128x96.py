# Flowing ConvNet with the spatial fusion layers (an implicit spatial model over all joints'
# heatmaps, applied to every frame before warping; residual, zero-initialised so training
# starts from the plain Flowing ConvNet).
_base_ = ['./flowing-convnet_res18-half_synthetic-128x96.py']

model = dict(spatial_fusion=dict(type='SpatialFusionLayers', feat_channels=0, mid_channels=32,
                                 kernel_size=7, dilations=(1, 2, 3)))
