"""Frames of a live camera (OpenCV device index)."""
from typing import Iterator, Optional

import cv2

from .base import Frame, FrameReadError, FrameReader, check_image


class WebcamReader(FrameReader):
    """Grab frames from camera ``index`` until it stops delivering or ``max_frames`` is reached.

    Args:
        index: the OpenCV device index (0 = default camera).
        max_frames: stop after this many frames (None = until the camera stops or Ctrl-C).
    """

    def __init__(self, index: int, max_frames: Optional[int] = None) -> None:
        self.source = f'webcam {index}'
        self.name = f'webcam{index}'
        self.max_frames = max_frames
        self._cap = cv2.VideoCapture(int(index))
        if not self._cap.isOpened():
            raise FrameReadError(f'{self.source}: cannot open the camera')
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 else 25.0

    def __len__(self) -> int:
        return int(self.max_frames or 0)

    def _read(self) -> Iterator[Frame]:
        index = 0
        while self.max_frames is None or index < self.max_frames:
            ok, image = self._cap.read()
            if not ok:
                break
            yield Frame(index, f'{index:06d}.jpg', check_image(image, f'{self.source}: '
                                                                    f'frame {index}'))
            index += 1

    def close(self) -> None:
        self._cap.release()
