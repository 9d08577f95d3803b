# Ablation: the Siamese matcher alone (stage 1 checkpoint, no refinement module).
_base_ = ['./track_synthetic.py']
tracker = dict(
    model='projects/kpt_correspondence/configs/siamese_bninception-tiny_synthetic-192x144.py',
    checkpoint='work_dirs/siamese_bninception-tiny_synthetic-192x144/epoch_2.pth')
