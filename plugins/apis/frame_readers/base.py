"""The frame-source interface shared by video files, frame folders and webcams."""
from abc import ABCMeta, abstractmethod
from typing import Iterator, NamedTuple, Optional, Tuple

import numpy as np


class FrameReadError(IOError):
    """A frame source cannot be opened or decoded (the message names the file and frame)."""


class EmptyVideoError(FrameReadError):
    """A frame source holds zero frames."""


class FrameSizeError(ValueError):
    """A frame's size differs from the first frame's (the message names the frame)."""


class Frame(NamedTuple):
    """One decoded frame.

    Attributes:
        index: 0-based position in the source.
        name: a file name for the frame (the image file's name for folders,
            ``{index:06d}.jpg`` for videos and webcams), as recorded in PoseTrack JSON.
        image: (H, W, 3) BGR uint8.
    """

    index: int
    name: str
    image: np.ndarray


class FrameReader(metaclass=ABCMeta):
    """Iterate the frames of one source, checking they are non-empty and of one size.

    Iterating yields :class:`Frame` records in order. Subclasses implement :meth:`_read`;
    this class raises :class:`EmptyVideoError` when a source yields no frame and
    :class:`FrameSizeError` when a frame's size differs from the first one.

    Attributes:
        source: the path (or webcam index) that was opened, for messages.
        name: the video name used for output files (file or folder stem, ``webcam<i>``).
        fps: frames per second (the video's, or ``default_fps`` for folders).
    """

    source: str
    name: str
    fps: float

    def __iter__(self) -> Iterator[Frame]:
        first_size: Optional[Tuple[int, int]] = None
        count = 0
        for frame in self._read():
            size = frame.image.shape[:2]
            if first_size is None:
                first_size = size
            elif size != first_size:
                raise FrameSizeError(
                    f'{self.source}: frame {frame.index} ({frame.name}) is '
                    f'{size[1]}x{size[0]} (WxH) but the first frame is '
                    f'{first_size[1]}x{first_size[0]}; all frames of a video must have one size')
            count += 1
            yield frame
        if count == 0:
            raise EmptyVideoError(f'{self.source}: no frames to read')

    @abstractmethod
    def _read(self) -> Iterator[Frame]:
        """Yield the decoded frames in order (no checks)."""

    def __len__(self) -> int:
        """Number of frames (declared by the source; 0 when unknown, e.g. a webcam)."""
        return 0

    def close(self) -> None:
        """Release the source."""

    def __enter__(self) -> 'FrameReader':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check_image(image: Optional[np.ndarray], where: str) -> np.ndarray:
    """Check that a decoded frame is a non-empty (H, W, 3) uint8 array.

    Args:
        image: the decoded frame (None when decoding failed).
        where: the file / frame, for the message.

    Returns:
        ``image``.

    Raises:
        FrameReadError: naming ``where`` and what is wrong.
    """
    if image is None:
        raise FrameReadError(f'{where}: could not decode the image')
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or image.size == 0:
        raise FrameReadError(f'{where}: expected an (H, W, 3) uint8 BGR image, got '
                             f'{image.shape} {image.dtype}')
    return image
