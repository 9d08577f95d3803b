"""Frames of a video file (OpenCV ``VideoCapture``)."""
import os.path as osp
from typing import Iterator

import cv2

from .base import EmptyVideoError, Frame, FrameReadError, FrameReader, check_image


class VideoFileReader(FrameReader):
    """Decode a video file frame by frame.

    A file that cannot be opened raises :class:`FrameReadError` at construction. A file whose
    header declares N frames but whose decoding stops before frame N (a truncated or corrupt
    file) raises :class:`FrameReadError` naming the frame where decoding stopped, after the
    frames decoded so far have been yielded (so their results can be kept).

    Args:
        path: the video file.
    """

    def __init__(self, path: str) -> None:
        self.source = str(path)
        self.name = osp.splitext(osp.basename(self.source))[0]
        if not osp.isfile(self.source):
            raise FrameReadError(f'{self.source}: video file not found')
        if osp.getsize(self.source) == 0:
            raise EmptyVideoError(f'{self.source}: the file is empty (0 bytes)')
        self._cap = cv2.VideoCapture(self.source)
        if not self._cap.isOpened():
            raise FrameReadError(f'{self.source}: OpenCV cannot open this video (unreadable, '
                                 'truncated or unsupported format)')
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self._declared = max(int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)

    def __len__(self) -> int:
        return self._declared

    def _read(self) -> Iterator[Frame]:
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        index = 0
        while True:
            ok, image = self._cap.read()
            if not ok:
                break
            yield Frame(index, f'{index:06d}.jpg',
                        check_image(image, f'{self.source}: frame {index}'))
            index += 1
        if self._declared and index < self._declared:
            raise FrameReadError(
                f'{self.source}: decoding stopped at frame {index} but the header declares '
                f'{self._declared} frames (truncated or corrupt file); the {index} frames '
                'before it were read')

    def close(self) -> None:
        self._cap.release()
