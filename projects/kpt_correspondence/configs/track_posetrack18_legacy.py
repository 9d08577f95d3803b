# This project's first version of the correspondence pipeline (before the CorrTrack rules), for
# comparisons: affinity score + global greedy matching, duplicate *tracks* ended, association
# and recovery joint threshold 0.4, recovery from every previous pose with a doubly padded box
# and no confidence check, OKS-NMS 0.9 with box areas, no pruning (output threshold kept at 0.3).
_base_ = ['./track_posetrack18.py']
tracking_pipeline = dict(
    pose_nms=dict(_delete_=True, type='OKSNMS', threshold=0.9,
                  score_mode='bbox_x_keypoint_mean'),
    recovery=dict(propagate_from='all', joint_threshold=0.4, bbox_padding=1.25,
                  min_accept_joints=0, oks_threshold=0.5, area_mode='bbox'),
    tracker=dict(score='affinity', assignment='greedy', joint_threshold=0.4,
                 duplicate_removal='tracks', duplicate_oks=0.8, match_threshold=0.1),
    post_processors=[
        dict(type='CorrespondenceTrackMerging', model=dict(shared='corr_net'),
             oks_threshold=0.5, max_gap=30, joint_threshold=0.4, min_track_length=1)
    ],
    min_keypoints=0)
