"""The PoseTrack18 ``categories`` entry of any keypoint layout (for prediction files)."""
from typing import List


def keypoint_categories(dataset_meta: dict) -> List[dict]:
    """``categories`` for a PoseTrack JSON file from an mmpose metainfo.

    Args:
        dataset_meta: parsed mmpose metainfo (``keypoint_id2name``, ``num_keypoints``,
            ``skeleton_links``).

    Returns:
        One ``person`` category (id 1) with the keypoint names and the 1-based skeleton.
    """
    names = [dataset_meta['keypoint_id2name'][i] for i in range(dataset_meta['num_keypoints'])]
    links = [[int(a) + 1, int(b) + 1] for a, b in dataset_meta.get('skeleton_links', [])]
    return [dict(supercategory='person', id=1, name='person', keypoints=names, skeleton=links)]
