"""What every stage sees of the current frame: its index, pixels and a per-frame cache."""
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Union

import numpy as np


@dataclass
class FrameContext:
    """One frame on its way through the pipeline.

    Args:
        index: 0-based frame index since the pipeline's ``reset()``.
        image: (H, W, 3) BGR uint8 pixels, or None (tracking given poses without pixels).
        cache: named per-frame values computed once and reused by every stage (e.g. the
            correspondence network's features of this frame: ``ctx.get('corr_feat', fn)``).
            Dropped with the context: nothing per frame outlives the frames that need it.
        models: the pipeline's shared models by name (read-only view).
    """

    index: int
    image: Optional[np.ndarray] = None
    cache: Dict[str, Any] = field(default_factory=dict)
    models: Dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self):
        """``(H, W)`` of the image, or None."""
        return None if self.image is None else self.image.shape[:2]

    def get(self, name: str, compute: Callable[[], Any]) -> Any:
        """``cache[name]``, computing it with ``compute()`` the first time in this frame."""
        if name not in self.cache:
            self.cache[name] = compute()
        return self.cache[name]


def as_context(frame: Union[None, np.ndarray, FrameContext], index: int) -> FrameContext:
    """``frame`` if it is a :class:`FrameContext`, else a new context around the image."""
    if isinstance(frame, FrameContext):
        return frame
    return FrameContext(index=index, image=frame)


def frame_image(frame: Union[None, np.ndarray, FrameContext]) -> Optional[np.ndarray]:
    """The pixels of a frame or a context (None stays None)."""
    return frame.image if isinstance(frame, FrameContext) else frame
