"""Functional PoseTrack evaluation (no mmengine state): :func:`evaluate_posetrack` and parts."""
from .average_precision import joint_average_precision, voc_ap
from .clear_mot import ClearMotMatches, clear_mot_matches
from .hota import ALPHAS, HotaSums, hota_from_similarities, hota_matches, hota_sums
from .keypoint_hota import HOTA_KEYS, keypoint_hota, keypoint_similarity
from .posetrack_evaluation import METRICS, MIN_SCORE, evaluate_posetrack
from .flatten_videos import FlatPoses, FlatVideos, flatten_videos
from .head_normalised_distance import head_size, pair_joint_distances
from .ignore_regions import points_in_ignore_regions
from .joint_groups import (GROUP_NAMES, group_members, joint_group,
                           keypoint_names_from_metainfo, resolve_evaluated_joints)
from .pose_assignment import greedy_pckh_assignment, pairs_within_frames, pckh_of_pairs
from .posetrack_result import MOT_KEYS, PoseTrackResult

__all__ = [
    'evaluate_posetrack', 'PoseTrackResult', 'MOT_KEYS', 'MIN_SCORE', 'joint_average_precision',
    'voc_ap', 'ClearMotMatches', 'clear_mot_matches', 'FlatPoses', 'FlatVideos',
    'flatten_videos', 'head_size', 'pair_joint_distances', 'points_in_ignore_regions',
    'GROUP_NAMES', 'group_members', 'joint_group', 'keypoint_names_from_metainfo',
    'resolve_evaluated_joints', 'greedy_pckh_assignment', 'pairs_within_frames',
    'pckh_of_pairs', 'ALPHAS', 'HotaSums', 'hota_from_similarities', 'hota_matches',
    'hota_sums', 'HOTA_KEYS', 'keypoint_hota', 'keypoint_similarity', 'METRICS'
]
