# "Heatmap net + flowing fusion": the trained heatmap net (heatmapnet_res18-half_synthetic-128x96,
# 10 epochs) becomes the shared per-frame net of a Flowing ConvNet whose temporal pooling starts
# as the identity on frame t (so epoch 0 reproduces the heatmap net exactly), then everything is
# fine-tuned end to end for `ft_epochs` epochs. Control: heatmapnet-ft_res18-half_synthetic-
# 128x96.py (the same fine-tuning without the neighbours).
_base_ = ['./flowing-convnet_res18-half_synthetic-128x96.py']

ft_epochs = 3
load_from = 'work_dirs/heatmapnet_res18-half_synthetic-128x96/epoch_10.pth'
train_cfg = dict(max_epochs=ft_epochs, val_interval=ft_epochs)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=5e-6, begin=0, end=ft_epochs, T_max=ft_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=ft_epochs))
