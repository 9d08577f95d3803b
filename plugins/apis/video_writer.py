"""Writing rendered frames to a video file."""
import os
import os.path as osp
from typing import Optional, Tuple

import cv2
import numpy as np


class VideoWriter:
    """An OpenCV video writer opened on the first frame, which fixes the size.

    Args:
        path: output file (``.mp4`` uses the ``mp4v`` codec, ``.avi`` ``MJPG``).
        fps: frame rate.
    """

    def __init__(self, path: str, fps: float = 25.0) -> None:
        self.path = str(path)
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self._writer: Optional[cv2.VideoWriter] = None
        self._size: Optional[Tuple[int, int]] = None
        self.num_frames = 0

    def write(self, image: np.ndarray) -> None:
        """Append one (H, W, 3) BGR uint8 frame.

        Raises:
            IOError: the file cannot be opened for writing.
            ValueError: the frame's size differs from the first frame's.
        """
        h, w = image.shape[:2]
        if self._writer is None:
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            fourcc = 'MJPG' if self.path.lower().endswith('.avi') else 'mp4v'
            self._writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*fourcc),
                                           self.fps, (w, h))
            if not self._writer.isOpened():
                raise IOError(f'{self.path}: OpenCV cannot open this file for writing')
            self._size = (w, h)
        elif (w, h) != self._size:
            raise ValueError(f'{self.path}: frame {self.num_frames} is {w}x{h} but the video is '
                             f'{self._size[0]}x{self._size[1]}')
        self._writer.write(np.ascontiguousarray(image))
        self.num_frames += 1

    def close(self) -> None:
        """Finish the file (safe to call twice)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> 'VideoWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
