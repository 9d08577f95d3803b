"""Self-supervised image pairs: a random affine warp of one annotated image."""
import zlib
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

from plugins.utils.affine import apply_affine, compose_affine, inside_image
from .letterbox import letterbox_image

#: per-person fields that follow the persons when some are dropped
_INSTANCE_KEYS = ('bbox', 'bbox_score', 'keypoints', 'keypoints_visible', 'area', 'iscrowd',
                  'num_keypoints', 'category_id')


def random_pair_matrix(input_size: Sequence[int], angle_deg: float, scale: float,
                       shift: Sequence[float], flip: bool) -> np.ndarray:
    """Affine map of image 1 onto image 2: flip, scale and rotate about the image centre, then
    shift.

    Args:
        input_size: (W, H) of both images.
        angle_deg: rotation in degrees.
        scale: isotropic scale.
        shift: (dx, dy) translation in pixels.
        flip: mirror horizontally about the centre.

    Returns:
        (2, 3) float64 matrix.
    """
    cx, cy = (input_size[0] - 1) / 2.0, (input_size[1] - 1) / 2.0
    a = np.deg2rad(angle_deg)
    rot = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    if flip:
        rot = rot @ np.diag([-1.0, 1.0])
    centre = np.array([cx, cy])
    trans = centre + np.asarray(shift, dtype=np.float64) - rot @ centre
    return np.concatenate([rot, trans[:, None]], axis=1)


@TRANSFORMS.register_module()
class AffineImagePair(BaseTransform):
    """Make a training pair for the correspondence network from one annotated image.

    Image 1 is the image letter-boxed into ``input_size`` (by a :class:`LetterboxImage` before
    this transform, recognised by its ``input_matrix`` and size, or else here with the same
    function, :func:`letterbox_image`); image 2 is image 1 under a random
    affine warp (translation, rotation, scale, horizontal flip). With a flip, the joints of
    image 2 are re-labelled with the metainfo ``flip_indices`` (a mirrored left wrist looks like
    a right wrist), so ``pair_keypoints[n, k]`` is where joint ``k`` of person ``n`` is in
    image 2. Joints that leave image 2 get ``pair_keypoints_visible`` = 0.

    Required keys: ``img``, ``keypoints`` (N, K, 2), ``keypoints_visible`` (N, K);
    ``flip_indices`` when ``flip_prob`` > 0.

    Modified keys: ``img`` becomes the pair stacked along channels (H, W, 6);
    ``keypoints``/``keypoints_visible``/``bbox`` are those of image 1 (input pixels);
    ``img_shape``, ``input_size``.

    Added keys: ``pair_keypoints`` (N, K, 2), ``pair_keypoints_visible`` (N, K),
    ``pair_matrix`` (2, 3) image 1 -> image 2 (before re-labelling), ``pair_flip``,
    ``input_matrix`` (2, 3) original image -> image 1.

    Args:
        input_size: (W, H) of both images.
        shift_factor: maximum translation as a fraction of the input size.
        rotate_factor: maximum rotation in degrees.
        scale_factor: (min, max) isotropic scale.
        flip_prob: probability of a horizontal flip.
        max_persons: keep at most this many persons (random subset; None = all).
        pad_val: border fill value.
        seed: draw each image's warp from a generator seeded by ``(seed, img_path)`` (the
            same pair every epoch, for validation); None: numpy's global generator.
    """

    def __init__(self,
                 input_size: Sequence[int],
                 shift_factor: float = 0.1,
                 rotate_factor: float = 30.0,
                 scale_factor: Tuple[float, float] = (0.75, 1.25),
                 flip_prob: float = 0.5,
                 max_persons: Optional[int] = None,
                 pad_val: int = 0,
                 seed: Optional[int] = None) -> None:
        super().__init__()
        if len(input_size) != 2 or min(input_size) <= 0:
            raise ValueError(f'input_size must be (W, H) > 0, got {input_size}')
        if not 0 <= flip_prob <= 1:
            raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}')
        if scale_factor[0] <= 0 or scale_factor[1] < scale_factor[0]:
            raise ValueError(f'scale_factor must be (min, max) with 0 < min <= max, '
                             f'got {scale_factor}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.shift_factor = float(shift_factor)
        self.rotate_factor = float(rotate_factor)
        self.scale_factor = (float(scale_factor[0]), float(scale_factor[1]))
        self.flip_prob = float(flip_prob)
        self.max_persons = max_persons
        self.pad_val = pad_val
        self.seed = None if seed is None else int(seed)

    def sample_params(self, key: str = '') -> Dict:
        """Draw one random warp: numpy's global generator (seeded by mmengine), or with
        ``seed`` set a generator seeded by ``(seed, key)``."""
        if self.seed is None:
            rng = np.random
        else:
            rng = np.random.default_rng([self.seed, zlib.crc32(str(key).encode())])
        w, h = self.input_size
        return dict(
            angle_deg=float(rng.uniform(-self.rotate_factor, self.rotate_factor)),
            scale=float(rng.uniform(*self.scale_factor)),
            shift=(float(rng.uniform(-1, 1) * self.shift_factor * w),
                   float(rng.uniform(-1, 1) * self.shift_factor * h)),
            flip=bool(rng.uniform() < self.flip_prob))

    def transform(self, results: Dict, params: Optional[Dict] = None) -> Dict:
        """Build the pair. ``params`` (from :meth:`sample_params`) fixes the warp (tests)."""
        for key in ('img', 'keypoints', 'keypoints_visible'):
            if key not in results:
                raise KeyError(f'AffineImagePair needs "{key}" in the results')
        img = results['img']
        kpts = np.asarray(results['keypoints'], dtype=np.float32)
        vis = np.asarray(results['keypoints_visible'], dtype=np.float32)
        if vis.ndim == 3:
            vis = vis[..., 0]
        if kpts.ndim != 3 or kpts.shape[-1] != 2 or vis.shape != kpts.shape[:2]:
            raise ValueError(f'keypoints must be (N, K, 2) and keypoints_visible (N, K), got '
                             f'{kpts.shape} and {vis.shape} ({results.get("img_path", "")})')
        keep = self._select_persons(vis)
        if keep is not None:
            n = kpts.shape[0]
            for key in _INSTANCE_KEYS:
                if key in results and hasattr(results[key], '__len__') and \
                        len(results[key]) == n:
                    results[key] = np.asarray(results[key])[keep]
            kpts, vis = kpts[keep], vis[keep]

        params = params or self.sample_params(results.get('img_path', ''))
        m_pair = random_pair_matrix(self.input_size, **params)
        h0, w0 = img.shape[:2]
        if 'input_matrix' in results and (w0, h0) == self.input_size:
            # already letter-boxed by LetterboxImage (keypoints and boxes in input pixels)
            m_in = np.asarray(results['input_matrix'], dtype=np.float64)
            img1 = img
            img2 = cv2.warpAffine(img, m_pair, self.input_size, flags=cv2.INTER_LINEAR,
                                  borderValue=self._border(img))
            kpts1 = kpts.astype(np.float32)
            boxes_done = True
        else:  # letter-box here (one interpolation for both images)
            img1, m_in = letterbox_image(img, self.input_size, self.pad_val)
            img2 = cv2.warpAffine(img, compose_affine(m_pair, m_in), self.input_size,
                                  flags=cv2.INTER_LINEAR, borderValue=self._border(img))
            kpts1 = apply_affine(kpts, m_in).astype(np.float32)
            boxes_done = False
        vis1 = vis * inside_image(kpts1, self.input_size)
        kpts2 = apply_affine(kpts1, m_pair).astype(np.float32)
        vis2 = vis1 * inside_image(kpts2, self.input_size)
        if params['flip']:
            flip_indices = results.get('flip_indices')
            if flip_indices is None or len(flip_indices) != kpts.shape[1]:
                raise ValueError('AffineImagePair flips need "flip_indices" (from the dataset '
                                 f'metainfo) of length {kpts.shape[1]}, got {flip_indices}')
            kpts2, vis2 = kpts2[:, flip_indices], vis2[:, flip_indices]

        if img1.ndim == 2:
            img1, img2 = img1[..., None], img2[..., None]
        results['img'] = np.concatenate([img1, img2], axis=2)
        results['img_shape'] = (self.input_size[1], self.input_size[0])
        results['input_size'] = self.input_size
        results['keypoints'] = kpts1
        results['keypoints_visible'] = vis1.astype(np.float32)
        results['pair_keypoints'] = kpts2
        results['pair_keypoints_visible'] = vis2.astype(np.float32)
        results['pair_matrix'] = m_pair.astype(np.float32)
        results['pair_flip'] = params['flip']
        results['input_matrix'] = m_in.astype(np.float32)
        if 'bbox' in results and not boxes_done:
            boxes = np.asarray(results['bbox'], dtype=np.float32).reshape(-1, 2, 2)
            results['bbox'] = apply_affine(boxes, m_in).reshape(-1, 4).astype(np.float32)
        return results

    def _select_persons(self, vis: np.ndarray) -> Optional[np.ndarray]:
        """Indices of the persons kept (those with an annotated joint, at most max_persons)."""
        annotated = np.flatnonzero((vis > 0.5).any(axis=1))
        if self.max_persons is not None and len(annotated) > self.max_persons:
            annotated = np.sort(np.random.choice(annotated, self.max_persons, replace=False))
        if len(annotated) == vis.shape[0]:
            return None
        return annotated

    def _border(self, img: np.ndarray):
        channels = 1 if img.ndim == 2 else img.shape[2]
        return (self.pad_val, ) * channels

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'shift_factor={self.shift_factor}, rotate_factor={self.rotate_factor}, '
                f'scale_factor={self.scale_factor}, flip_prob={self.flip_prob}, '
                f'max_persons={self.max_persons})')
