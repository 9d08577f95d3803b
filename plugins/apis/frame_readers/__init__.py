"""Frame sources of the video pipeline: video files, folders of frames, webcams."""
import os.path as osp
from typing import Union

from .base import (EmptyVideoError, Frame, FrameReader, FrameReadError, FrameSizeError,
                   check_image)
from .frame_folder import IMAGE_EXTENSIONS, FrameFolderReader
from .video_file import VideoFileReader
from .webcam import WebcamReader


def open_frame_reader(source: Union[str, int], fps: float = 25.0) -> FrameReader:
    """Open a video file, a folder of frames or a webcam (an integer or a string of digits).

    Args:
        source: path to a video file or a folder of images, or a camera index.
        fps: frame rate for folders (videos and cameras report their own).

    Returns:
        The matching :class:`FrameReader`.

    Raises:
        FrameReadError: when the path does not exist or cannot be opened.
    """
    if isinstance(source, int) or (isinstance(source, str) and source.isdigit()
                                   and not osp.exists(source)):
        return WebcamReader(int(source))
    source = str(source)
    if osp.isdir(source):
        return FrameFolderReader(source, fps=fps)
    if osp.isfile(source):
        return VideoFileReader(source)
    raise FrameReadError(f'{source}: no such video file or frame folder')


__all__ = [
    'Frame', 'FrameReader', 'FrameReadError', 'EmptyVideoError', 'FrameSizeError',
    'check_image', 'VideoFileReader', 'FrameFolderReader', 'WebcamReader', 'IMAGE_EXTENSIONS',
    'open_frame_reader'
]
