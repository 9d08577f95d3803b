# This project's first version of the correspondence tracker: mean-affinity score, global greedy
# matching, duplicate *tracks* ended, joint threshold 0.4, merging without short-track removal.
_base_ = ['./track_synthetic.py']
tracker = dict(joint_threshold=0.4, match_threshold=0.04, score='affinity', assignment='greedy',
               duplicate_removal='tracks', duplicate_oks=0.8)
post_processors = [
    dict(type='CorrespondenceTrackMerging', model={{_base_.correspondence_config}},
         checkpoint={{_base_.correspondence_checkpoint}},
         metainfo='configs/_base_/datasets/posetrack18.py', joint_threshold=0.4,
         oks_threshold=0.5, max_gap=10, min_track_length=1)
]
