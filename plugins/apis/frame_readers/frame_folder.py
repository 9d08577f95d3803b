"""Frames stored as image files in one folder."""
import os
import os.path as osp
import re
import warnings
from typing import Iterator, List

import cv2

from .base import EmptyVideoError, Frame, FrameReadError, FrameReader, check_image

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def natural_key(name: str) -> list:
    """Sort key ordering embedded numbers by value (``2.jpg`` before ``10.jpg``)."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r'(\d+)', name)]


class FrameFolderReader(FrameReader):
    """The images of a folder, in natural file-name order, as the frames of one video.

    Files whose extension is not an image extension (:data:`IMAGE_EXTENSIONS`, any case), and
    sub-folders, are skipped with one warning that lists them: frame folders often hold
    annotation or index files beside the frames. A file with an image extension that cannot be
    decoded is an error (:class:`FrameReadError` naming it): a frame missing from the middle of a
    video would silently break tracking. A folder without any image raises
    :class:`EmptyVideoError` at construction.

    Args:
        folder: the folder of frames.
        fps: frame rate recorded for the rendered video.
    """

    def __init__(self, folder: str, fps: float = 25.0) -> None:
        self.source = str(folder)
        self.name = osp.basename(osp.normpath(self.source))
        self.fps = float(fps)
        if not osp.isdir(self.source):
            raise FrameReadError(f'{self.source}: frame folder not found')
        entries = sorted(os.listdir(self.source), key=natural_key)
        self.files: List[str] = [
            e for e in entries
            if osp.splitext(e)[1].lower() in IMAGE_EXTENSIONS and
            osp.isfile(osp.join(self.source, e))
        ]
        images = set(self.files)
        skipped = [e for e in entries if e not in images and not e.startswith('.')]
        if skipped:
            shown = ', '.join(skipped[:5]) + (' ...' if len(skipped) > 5 else '')
            warnings.warn(f'{self.source}: skipping {len(skipped)} entries that are not image '
                          f'files ({shown})')
        if not self.files:
            raise EmptyVideoError(f'{self.source}: no image files (extensions '
                                  f'{", ".join(IMAGE_EXTENSIONS)}) in this folder')

    def __len__(self) -> int:
        return len(self.files)

    def _read(self) -> Iterator[Frame]:
        for index, name in enumerate(self.files):
            path = osp.join(self.source, name)
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            if image is None:
                raise FrameReadError(f'{path}: frame {index} cannot be decoded as an image '
                                     '(corrupt or not an image despite its extension)')
            yield Frame(index, name, check_image(image, path))
