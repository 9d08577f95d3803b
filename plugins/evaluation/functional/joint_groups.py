"""Which keypoints PoseTrack evaluation scores, and the body-part groups of its tables.

The official PoseTrack evaluation (``poseval``) scores 15 joints, identified by name: the six
left/right limb joints (shoulder, elbow, wrist, hip, knee, ankle) and three head joints
(``head_bottom`` -- called ``neck`` there --, ``nose``, ``head_top``). Its tables average the
per-joint values into the groups Head / Shoulder / Elbow / Wrist / Hip / Knee / Ankle, and
"Total" is the mean over all scored joints (not over the groups).

Here the scored joints and their groups are derived from the keypoint names of the dataset
metainfo, so PoseTrack18 (17 keypoints, 15 scored: the ears are never annotated), the Bonn
PoseTrack data (14 MPII joints: ``upper_neck`` and ``head_top`` form the head) and COCO-ordered
layouts (nose + limbs) all work without index lists.
"""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

#: Group names in table order ("Total" is appended by the tables).
GROUP_NAMES: Tuple[str, ...] = ('Head', 'Shoulder', 'Elbow', 'Wrist', 'Hip', 'Knee', 'Ankle')

#: Keypoint names scored in the head group by default (poseval's neck/nose/head_top and the
#: names the same points carry in PoseTrack18 / MPII metainfo).
HEAD_JOINT_NAMES: Tuple[str, ...] = ('head_top', 'head_bottom', 'neck', 'upper_neck', 'nose')

_LIMB_GROUPS: Tuple[str, ...] = ('shoulder', 'elbow', 'wrist', 'hip', 'knee', 'ankle')


def joint_group(name: str) -> Optional[str]:
    """The table group of a keypoint name.

    Args:
        name: Keypoint name, e.g. ``'left_knee'`` or ``'head_top'``.

    Returns:
        One of :data:`GROUP_NAMES`, or ``None`` for names outside the groups (eyes, ears,
        pelvis, thorax, ...).
    """
    low = name.lower()
    for limb in _LIMB_GROUPS:
        if limb in low:
            return limb.capitalize()
    if low in HEAD_JOINT_NAMES:
        return 'Head'
    return None


def keypoint_names_from_metainfo(metainfo: Union[Mapping, Sequence[str]]) -> List[str]:
    """Keypoint names (in index order) from mmpose metainfo.

    Args:
        metainfo: A list of names; an mmpose ``dataset_meta`` (parsed metainfo with
            ``keypoint_id2name``); or a raw ``dataset_info`` dict with ``keypoint_info``.

    Returns:
        The names, index ``k`` at position ``k``.
    """
    if isinstance(metainfo, Mapping):
        if 'keypoint_id2name' in metainfo:
            id2name = metainfo['keypoint_id2name']
            return [id2name[k] for k in range(len(id2name))]
        if 'keypoint_info' in metainfo:
            info = metainfo['keypoint_info']
            by_id = {int(v['id']): v['name'] for v in info.values()}
            return [by_id[k] for k in range(len(by_id))]
        raise ValueError('metainfo has neither "keypoint_id2name" nor "keypoint_info" '
                         f'(keys: {sorted(metainfo)})')
    names = [str(n) for n in metainfo]
    if not names:
        raise ValueError('no keypoint names given')
    return names


def resolve_evaluated_joints(
        keypoint_names: Sequence[str],
        joint_names: Optional[Sequence[str]] = None) -> Tuple[List[int], List[str], List[str]]:
    """Select the scored keypoints and their groups.

    Args:
        keypoint_names: The K names of the layout, in index order.
        joint_names: Names to score (any subset of ``keypoint_names``); by default every limb
            joint (name containing shoulder/elbow/wrist/hip/knee/ankle) and every name in
            :data:`HEAD_JOINT_NAMES`.

    Returns:
        ``(indices, names, groups)``: keypoint indices scored (ascending), their names and their
        groups (``'Other'`` for an explicitly chosen name outside the groups).
    """
    names = list(keypoint_names)
    if joint_names is None:
        idx = [k for k, n in enumerate(names) if joint_group(n) is not None]
        if not idx:
            raise ValueError('none of the keypoint names is a PoseTrack joint (shoulder, elbow, '
                             'wrist, hip, knee, ankle, head_top, head_bottom/neck/upper_neck, '
                             f'nose): {names}; pass joint_names explicitly')
    else:
        missing = [n for n in joint_names if n not in names]
        if missing:
            raise ValueError(f'joint_names {missing} are not in the keypoint names {names}')
        idx = sorted({names.index(n) for n in joint_names})
    return idx, [names[k] for k in idx], [joint_group(names[k]) or 'Other' for k in idx]


def group_members(groups: Sequence[str]) -> Dict[str, List[int]]:
    """Positions (in the scored-joint list) of each table group.

    Args:
        groups: The group of each scored joint (from :func:`resolve_evaluated_joints`).

    Returns:
        ``{group: [positions]}`` for every group of :data:`GROUP_NAMES` (empty when the layout
        has no joint of that group).
    """
    return {g: [i for i, gi in enumerate(groups) if gi == g] for g in GROUP_NAMES}
