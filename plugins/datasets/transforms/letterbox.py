"""Letter-boxing: fit an image into a fixed network input, aspect ratio kept, centred.

One implementation for training (the :class:`LetterboxImage` transform of a data pipeline) and
for the online path (:func:`letterbox_image` / :func:`letterbox_frames`, used by the
correspondence network's inference helpers on raw video frames), so both see identical inputs.
"""
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

from plugins.utils.affine import apply_affine, compose_affine, letterbox_matrix


def letterbox_image(img: np.ndarray, input_size: Sequence[int],
                    pad_val: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Letter-box one image into ``input_size``.

    Args:
        img: (H, W) or (H, W, C) image.
        input_size: (W_in, H_in) in pixels.
        pad_val: border fill value of every channel.

    Returns:
        The (H_in, W_in[, C]) image (bilinear) and the (2, 3) float64 image -> input matrix
        (pixel centres map to pixel centres, see :func:`plugins.utils.affine.letterbox_matrix`).

    Raises:
        ValueError: ``img`` is not a 2-D or 3-D array with a positive size.
    """
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or min(img.shape[:2]) <= 0:
        raise ValueError('letterbox_image expects an (H, W[, C]) image, got '
                         f'{None if img is None else getattr(img, "shape", type(img).__name__)}')
    size = (int(input_size[0]), int(input_size[1]))
    m = letterbox_matrix((img.shape[1], img.shape[0]), size)
    channels = 1 if img.ndim == 2 else img.shape[2]
    out = cv2.warpAffine(img, m, size, flags=cv2.INTER_LINEAR,
                         borderValue=(pad_val, ) * min(channels, 4))
    if img.ndim == 3 and out.ndim == 2:  # cv2 drops a single channel
        out = out[..., None]
    return out, m


def letterbox_frames(frames: Sequence[np.ndarray], input_size: Sequence[int]
                     ) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Letter-box video frames (the online path of the correspondence network).

    Args:
        frames: BGR images (H, W, 3) uint8 (sizes may differ).
        input_size: (W_in, H_in).

    Returns:
        (B, H_in, W_in, 3) uint8 array and per frame its (2, 3) image -> input matrix.

    Raises:
        ValueError: a frame is not an (H, W, 3) image (the message gives its index).
    """
    imgs, mats = [], []
    for i, frame in enumerate(frames):
        if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f'frame {i}: expected an (H, W, 3) BGR image, got '
                             f'{None if frame is None else getattr(frame, "shape", frame)}')
        img, m = letterbox_image(frame, input_size)
        imgs.append(img)
        mats.append(m)
    if not imgs:
        return np.zeros((0, int(input_size[1]), int(input_size[0]), 3), np.uint8), []
    return np.stack(imgs), mats


@TRANSFORMS.register_module()
class LetterboxImage(BaseTransform):
    """Letter-box ``img`` into ``input_size`` and move the annotations with it.

    Required keys: ``img``. Optional: ``keypoints`` (N, K, 2), ``bbox`` (N, 4) xyxy.

    Modified keys: ``img`` (H_in, W_in[, C]); ``keypoints``, ``bbox`` (input pixels);
    ``img_shape``. Added keys: ``input_size`` (W_in, H_in), ``input_matrix`` (2, 3) image ->
    input (composed with an ``input_matrix`` already present, so it always maps the image as
    loaded to the current ``img``).

    Args:
        input_size: (W_in, H_in) in pixels.
        pad_val: border fill value.
    """

    def __init__(self, input_size: Sequence[int], pad_val: int = 0) -> None:
        super().__init__()
        if len(input_size) != 2 or min(input_size) <= 0:
            raise ValueError(f'input_size must be (W, H) > 0, got {input_size}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.pad_val = int(pad_val)

    def transform(self, results: Dict) -> Dict:
        if 'img' not in results:
            raise KeyError('LetterboxImage needs "img" in the results')
        img, m = letterbox_image(results['img'], self.input_size, self.pad_val)
        results['img'] = img
        results['img_shape'] = (self.input_size[1], self.input_size[0])
        results['input_size'] = self.input_size
        if 'keypoints' in results:
            results['keypoints'] = apply_affine(results['keypoints'], m).astype(np.float32)
        if 'bbox' in results:
            boxes = np.asarray(results['bbox'], dtype=np.float64).reshape(-1, 2, 2)
            results['bbox'] = apply_affine(boxes, m).reshape(-1, 4).astype(np.float32)
        prev = results.get('input_matrix')
        if prev is not None:
            m = compose_affine(m, prev)
        results['input_matrix'] = m.astype(np.float32)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(input_size={self.input_size}, pad_val={self.pad_val})'
