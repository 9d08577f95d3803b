"""The video pipeline and its I/O: ``PoseTrackingPipeline``, frame readers, rendering, and the
tracking evaluation run by ``tools/test.py`` (modules are registered by ``import plugins``)."""
from .frame_readers import (EmptyVideoError, Frame, FrameReader, FrameReadError,
                            FrameSizeError, open_frame_reader)
from .person_detector import MMDetPersonDetector, extend_boxes
from .pose_renderer import PoseTrackRenderer, track_colors
from .pose_tracking_pipeline import FrameResult, NonFiniteOutputError, PoseTrackingPipeline
from .topdown_pose_estimator import MMPoseTopdownEstimator
from .tracking_test import run_tracking_test
from .video_runner import (EvaluatorSink, PoseTrackJsonSink, ProgressSink, RenderSink,
                           VideoFrame, VideoInfo, VideoRunner)
from .video_writer import VideoWriter

__all__ = [
    'PoseTrackingPipeline', 'MMDetPersonDetector', 'MMPoseTopdownEstimator',
    'NonFiniteOutputError', 'extend_boxes', 'Frame', 'FrameReader', 'FrameReadError',
    'EmptyVideoError', 'FrameSizeError', 'open_frame_reader', 'PoseTrackRenderer',
    'track_colors', 'VideoWriter', 'run_tracking_test', 'FrameResult', 'VideoRunner',
    'VideoInfo', 'VideoFrame', 'PoseTrackJsonSink', 'RenderSink', 'EvaluatorSink',
    'ProgressSink'
]
