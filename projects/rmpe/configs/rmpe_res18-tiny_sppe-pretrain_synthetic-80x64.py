# Pretraining of the synthetic SPPE (RMPE fine-tunes the STN on a pretrained SPPE, which also
# initialises the frozen parallel SPPE): the no-SSTN model on a longer schedule (30 epochs,
# DPG from epoch 15).
_base_ = ['./rmpe_res18-tiny_no-sstn_synthetic-80x64.py']
max_epochs = 30
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.1, by_epoch=False),
    dict(type='CosineAnnealingLR', eta_min=1e-5, begin=0, end=max_epochs, T_max=max_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
optim_wrapper = dict(optimizer=dict(lr=2e-3))
default_hooks = dict(checkpoint=dict(interval=max_epochs))
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='DPGScheduleHook', start_epoch=15)]
