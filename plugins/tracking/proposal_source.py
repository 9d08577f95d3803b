"""Proposal sources: boxes for the pose stage besides the detector's (recovered persons,
regions updated from the previous frame's landmarks).

Per frame the pipeline asks every source (registered in ``PROPOSAL_SOURCES``, configured in the
pipeline's ``proposal_sources=[...]``):

1. ``needs_detector(ctx)``: whether the detector must run on this frame (the detector runs when
   any source says so, or when there is no source);
2. ``propose(ctx)``: ``InstanceData(bboxes (M, 4) xyxy, bbox_scores (M,))`` (optionally
   ``crop_bboxes`` (M, 4), the box to crop for pose estimation);
3. after the pose stage ran once on all proposals (detector's and every source's):
   ``accept(ctx, own_poses, other_poses) -> (M,) bool``: which of its own poses to keep
   (e.g. recovery drops poses the detector already found);
4. after tracking: ``observe(ctx, tracked)`` (the frame's final poses with ``track_ids``).
"""

import numpy as np
from mmengine.structures import InstanceData

from .frame_context import FrameContext


def empty_proposals() -> InstanceData:
    """No boxes."""
    return InstanceData(bboxes=np.zeros((0, 4), np.float32),
                        bbox_scores=np.zeros(0, np.float32))


class BaseProposalSource:
    """Interface of a proposal source (see the module docstring). The defaults propose
    nothing, accept everything and need the detector on every frame."""

    #: whether the source reads the previous frame's tracked poses (``observe``): such a source
    #: needs a pose stage without look-ahead
    uses_tracked = True

    def reset(self) -> None:
        """Start a new video."""

    def needs_detector(self, ctx: FrameContext) -> bool:
        """Whether the detector must run on this frame."""
        return True

    def propose(self, ctx: FrameContext) -> InstanceData:
        """Boxes to estimate poses in (see module docstring)."""
        return empty_proposals()

    def accept(self, ctx: FrameContext, own: InstanceData,
               others: InstanceData) -> np.ndarray:
        """(M,) bool: which of this source's poses to keep, given every other pose."""
        return np.ones(len(own), bool)

    def observe(self, ctx: FrameContext, tracked: InstanceData) -> None:
        """See the frame's final tracked poses."""
