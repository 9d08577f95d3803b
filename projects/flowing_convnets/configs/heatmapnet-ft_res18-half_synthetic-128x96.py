# Control for flowing-convnet-ft_res18-half_synthetic-128x96.py: the trained heatmap net
# fine-tuned with the same schedule, single frames only.
_base_ = ['./heatmapnet_res18-half_synthetic-128x96.py']

ft_epochs = 3
load_from = 'work_dirs/heatmapnet_res18-half_synthetic-128x96/epoch_10.pth'
train_cfg = dict(max_epochs=ft_epochs, val_interval=ft_epochs)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=5e-6, begin=0, end=ft_epochs, T_max=ft_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=ft_epochs))
