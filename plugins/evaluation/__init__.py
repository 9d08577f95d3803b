"""PoseTrack evaluation: per-joint AP and MOTA equal to the official tool (``poseval``), and
keypoint HOTA as the PoseTrack21 kit defines it (``metrics=('map', 'mota', 'hota')``).

* :func:`evaluate_posetrack` -- function-level API (videos in, :class:`PoseTrackResult` out);
  every evaluation number of the project comes from it.
* :class:`PoseTrackMetric` -- the same as an mmengine metric for ``test_evaluator``.
"""
from .functional import PoseTrackResult, evaluate_posetrack
from .posetrack_data_sample import frame_record_from_sample, frame_to_data_sample
from .posetrack_metric import PoseTrackMetric

__all__ = ['evaluate_posetrack', 'PoseTrackResult', 'PoseTrackMetric', 'frame_to_data_sample',
           'frame_record_from_sample']
