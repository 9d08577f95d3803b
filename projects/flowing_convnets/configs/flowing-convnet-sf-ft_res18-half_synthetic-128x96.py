# "Heatmap net + flowing fusion + spatial fusion layers": flowing-convnet-ft_res18-half_synthetic-
# 128x96.py with the spatial fusion layers of flowing-convnet-sf_res18-half_synthetic-128x96.py
# (residual, zero-initialised: epoch 0 still reproduces the trained heatmap net exactly).
_base_ = ['./flowing-convnet-ft_res18-half_synthetic-128x96.py']

model = dict(spatial_fusion=dict(type='SpatialFusionLayers', feat_channels=0, mid_channels=32,
                                 kernel_size=7, dilations=(1, 2, 3)))
