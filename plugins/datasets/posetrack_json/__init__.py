"""PoseTrack18 per-video JSON I/O (ground truth and predictions).

A PoseTrack18 file holds one video: ``images`` (one entry per frame, with ``is_labeled`` and the
frame's ``ignore_regions_x/y``), ``annotations`` (one per person and labeled frame, with
``keypoints`` as ``[x, y, v] * K``, ``track_id``, ``bbox`` / ``bbox_head`` in ``xywh``) and
``categories``. Ground truth stores the visibility flag in ``v`` and an empty ``scores`` list;
predictions (the official ``poseval`` input, as written by mmpose's ``PoseTrack18Metric``) store
per-joint confidences in ``scores``.

One concern per module (everything is re-exported here, so
``from plugins.datasets.posetrack_json import ...`` keeps working):

=================  ==========================================================================
``constants``      keypoint names, skeleton, ``categories``, :class:`PoseTrackFormatError`
``records``        :class:`FrameAnnotation`, :class:`VideoAnnotation` (in-memory video)
``parser``         :func:`load_posetrack_video`, :func:`parse_posetrack_video`,
                   :func:`load_posetrack_folder`, :func:`iter_video_files`
``writer``         :func:`dump_posetrack_video`, :func:`video_to_json`, :func:`frame_to_json`,
                   :class:`PoseTrackJsonWriter` (frame by frame, O(1) per frame)
``edit_pass``      :func:`apply_track_edits` (id remap / dropped ids / inserted poses of a
                   video applied to a written file in one streaming pass)
``adapters``       records <-> ``InstanceData`` and <-> the metric's per-frame records
=================  ==========================================================================

Writer API (used by the video runner's JSON sink)::

    w = PoseTrackJsonWriter(path, is_prediction=True, categories=cats, reserve_frames=n)
    w.add_instances(image_id=i, file_name=name, frame_index=i, keypoints=kp (N, K, 2),
                    keypoint_scores=sc (N, K), track_ids=ids (N,), bboxes=xyxy (N, 4),
                    bbox_scores=(N,), width=w, height=h)      # or w.add_frame(FrameAnnotation)
    w.close()                                                 # or use it as a context manager
    apply_track_edits(path, edits)   # after the video: TrackEdits(id_map, dropped, inserted)
"""
from .adapters import (frame_from_instances, frame_from_record, gt_instances_of_frame,
                       pred_frame_from_records,
                       prediction_video)
from .constants import (POSETRACK18_KEYPOINT_NAMES, POSETRACK18_SKELETON, PathLike,
                        PoseTrackFormatError, posetrack18_categories)
from .edit_pass import apply_track_edits
from .parser import (frame_index_of_image, iter_video_files, load_posetrack_folder,
                     load_posetrack_video, parse_posetrack_video)
from .records import FrameAnnotation, VideoAnnotation, bbox_from_keypoints
from .writer import (PoseTrackJsonWriter, dump_posetrack_video, frame_from_arrays,
                     frame_to_json, video_to_json)

__all__ = [
    'POSETRACK18_KEYPOINT_NAMES', 'POSETRACK18_SKELETON', 'PathLike', 'PoseTrackFormatError',
    'posetrack18_categories', 'FrameAnnotation', 'VideoAnnotation', 'bbox_from_keypoints',
    'parse_posetrack_video', 'load_posetrack_video', 'load_posetrack_folder',
    'iter_video_files', 'frame_index_of_image', 'frame_to_json', 'video_to_json',
    'dump_posetrack_video', 'PoseTrackJsonWriter', 'frame_from_arrays', 'apply_track_edits',
    'prediction_video', 'frame_from_instances', 'frame_from_record', 'pred_frame_from_records',
    'gt_instances_of_frame'
]
