"""PoseTrack18 JSON of tracked frames: one frame at a time while tracking, and the whole video
again after an offline tracking stage (e.g. track merging) changed the ids."""
import os
from typing import Dict, List, Optional, Sequence

from mmengine.structures import InstanceData

from plugins.datasets.posetrack_json import PoseTrackJsonWriter


def add_tracked_frame(writer: PoseTrackJsonWriter, info: Dict, result: InstanceData) -> None:
    """Append one tracked frame to ``writer``.

    Args:
        writer: The open writer.
        info: ``dict(image_id, file_name, frame_index, width, height)`` of the frame.
        result: The pipeline's output for the frame (``keypoints``, ``keypoint_scores``,
            ``track_ids``, ``bboxes``, ``bbox_scores``).
    """
    writer.add_instances(keypoints=result.keypoints, keypoint_scores=result.keypoint_scores,
                         track_ids=result.track_ids, bboxes=result.bboxes,
                         bbox_scores=result.bbox_scores, **info)


def rewrite_tracked_json(path: str, infos: Sequence[Dict], results: Sequence[InstanceData],
                         categories: Optional[List[dict]] = None) -> None:
    """Replace the file at ``path`` by the given frames in one atomic rename (the old file
    stays whole until the new one is complete).

    Args:
        path: The ``.json`` file written incrementally before.
        infos: Per-frame ``dict(image_id, file_name, frame_index, width, height)``.
        results: Per-frame outputs (same length as ``infos``).
        categories: ``categories`` of the file (PoseTrack18's by default).
    """
    if len(infos) != len(results):
        raise ValueError(f'{path}: {len(infos)} frames but {len(results)} results')
    tmp = f'{path}.rewrite.tmp'
    with PoseTrackJsonWriter(tmp, is_prediction=True, categories=categories,
                             flush_every=len(infos) + 1) as writer:
        for info, result in zip(infos, results):
            add_tracked_frame(writer, info, result)
    os.replace(tmp, path)
