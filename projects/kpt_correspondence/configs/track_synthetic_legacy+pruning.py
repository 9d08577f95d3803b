# The first version with one CorrTrack rule: association threshold 0.1 and tracks shorter than
# 3 frames dropped (issue 16 item 3; the output-joint part needs a pose model: see
# tools/analysis/corrtrack_ablation.py).
_base_ = ['./track_synthetic_legacy.py']
tracker = dict(joint_threshold=0.1)
post_processors = [
    dict(type='CorrespondenceTrackMerging', model={{_base_.correspondence_config}},
         checkpoint={{_base_.correspondence_checkpoint}},
         metainfo='configs/_base_/datasets/posetrack18.py', joint_threshold=0.1,
         oks_threshold=0.5, max_gap=10, min_track_length=3)
]
