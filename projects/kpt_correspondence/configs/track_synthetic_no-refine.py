# Ablation (paper Table 7): the Siamese matcher alone (stage 1 checkpoint, no refinement).
_base_ = ['./track_synthetic.py']
siamese = dict(
    model='projects/kpt_correspondence/configs/siamese_bninception-tiny_synthetic-192x144.py',
    checkpoint='work_dirs/siamese_bninception-tiny_synthetic-192x144/epoch_6.pth',
    affinity_window=1)  # softmax mass in 3x3 cells (the Siamese maps spread over a few cells)
tracker = siamese
post_processors = [
    dict(type='CorrespondenceTrackMerging', metainfo='configs/_base_/datasets/posetrack18.py',
         joint_threshold=0.1, oks_threshold=0.5, max_gap=10, min_track_length=3, **siamese)
]
