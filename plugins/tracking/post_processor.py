"""Per-video post-processors: offline passes applied after online tracking (mmdet's
``task_modules/tracking/{aflink,interpolation}.py`` play this role for boxes).

A post-processor (registered in ``POST_PROCESSORS``, configured in the pipeline's
``post_processors=[...]`` list) sees every tracked frame once, keeps only bounded per-track
summaries (never the whole video), and at the end of the video returns :class:`TrackEdits`.
Post-processors are chained in config order: each gets the edits of the ones before it.
"""
from typing import Optional

from mmengine.structures import InstanceData

from .frame_context import FrameContext
from .track_edits import TrackEdits


class BasePostProcessor:
    """Interface of a per-video post-processor.

    - :meth:`bind_tracker` once, when the pipeline is built;
    - :meth:`reset` at the start of a video;
    - :meth:`observe` after tracking each frame (``tracked`` has online ``track_ids``);
    - :meth:`finalize` at the end of the video.

    ``needs_frames`` (class attribute) says whether :meth:`finalize` reads frames back from
    the input (the runner then passes ``read_frame(index) -> image`` to :meth:`finalize`).
    """

    needs_frames = False

    def bind_tracker(self, tracker) -> None:
        """Called once by the pipeline with its tracker (e.g. to read its ``max_age``)."""

    def reset(self) -> None:
        """Start a new video."""

    def observe(self, index: int, tracked: InstanceData,
                ctx: Optional[FrameContext] = None) -> None:
        """Remember what :meth:`finalize` needs of frame ``index`` (bounded per track)."""

    def finalize(self, edits: TrackEdits, read_frame=None) -> TrackEdits:
        """The edits of this pass composed after ``edits`` (those of the earlier passes)."""
        return edits
