# Ablation: the Siamese matcher alone (stage 1 checkpoint, no refinement module).
_base_ = ['./track_synthetic.py']
tracker = dict(
    model='projects/kpt_correspondence/configs/siamese_bninception-tiny_synthetic-192x144.py',
    checkpoint='work_dirs/siamese_bninception-tiny_synthetic-192x144/epoch_6.pth',
    affinity_window=1,  # softmax mass in 3x3 cells (chosen on 3 synthetic train videos)
    match_threshold=0.1)
