"""PoseTrack18 layout constants (keypoint names, skeleton, ``categories``) and the format error."""
import os
from typing import List, Union

PathLike = Union[str, os.PathLike]

POSETRACK18_KEYPOINT_NAMES: List[str] = [
    'nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'
]
# 1-based limb list of the official PoseTrack18 ``categories`` entry.
POSETRACK18_SKELETON: List[List[int]] = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
    [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]
]


def posetrack18_categories() -> List[dict]:
    """The ``categories`` list of official PoseTrack18 files (one ``person`` category, id 1)."""
    return [dict(supercategory='person', id=1, name='person',
                 keypoints=list(POSETRACK18_KEYPOINT_NAMES),
                 skeleton=[list(s) for s in POSETRACK18_SKELETON])]


class PoseTrackFormatError(ValueError):
    """A PoseTrack JSON file does not have the expected structure (message names file/field)."""
