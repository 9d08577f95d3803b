"""Dense optical flow (OpenCV DIS / Farnebäck), flow lookup at points, flow warping, a cache.

Convention: ``flow = compute_flow(src, dst)`` is defined on the pixel grid of ``src`` and
``flow[y, x] = (dx, dy)`` means the content at ``(x, y)`` in ``src`` is at ``(x + dx, y + dy)``
in ``dst`` (OpenCV's convention). Hence:

- points of ``src`` move into ``dst`` with :func:`warp_points` (forward, bilinear lookup);
- an image/heatmap of ``dst`` is brought onto the grid of ``src`` with :func:`warp_to_source`
  (backward warping ``out(p) = dst_map(p + flow(p))``, what Flowing ConvNets does to align the
  heatmaps of neighbouring frames with the current one).
"""
import os
import re
from collections import OrderedDict
from typing import Callable, Dict, Optional, Tuple, Union

import cv2
import numpy as np

#: Flow methods understood by :func:`compute_flow`.
FLOW_METHODS = ('dis', 'farneback')
#: OpenCV DIS presets by name.
DIS_PRESETS = {
    'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
    'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
#: Farnebäck parameters used unless overridden. OpenCV's example values (3 levels, window 15,
#: 3 iterations, poly_n 5) lose track of motions beyond ~10 px; 5 levels, window 21,
#: 5 iterations and the smoother poly_n 7 / sigma 1.5 (OpenCV's advice for poly_n 7) follow an
#: 18-px shift of a textured patch (tests/test_tracking).
FARNEBACK_DEFAULTS = dict(pyr_scale=0.5, levels=5, winsize=21, iterations=5, poly_n=7,
                          poly_sigma=1.5, flags=0)

FrameSource = Union[np.ndarray, Callable[[], np.ndarray]]


def to_gray(image: np.ndarray, name: str = 'image') -> np.ndarray:
    """An 8-bit single-channel copy of a BGR (H, W, 3) or gray (H, W) image.

    Args:
        image: uint8 BGR or gray image (float images in [0, 255] are rounded).
        name: how to call the image in error messages.

    Returns:
        (H, W) uint8.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(_as_uint8(image), cv2.COLOR_BGR2GRAY)
    elif image.ndim != 2:
        raise ValueError(f'{name} must be (H, W, 3) BGR or (H, W) gray, got shape {image.shape}')
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise ValueError(f'{name} is too small for optical flow: {image.shape}')
    return _as_uint8(image)


def compute_flow(prev_bgr: np.ndarray, next_bgr: np.ndarray, method: str = 'dis',
                 dis_preset: str = 'medium', **farneback_kwargs) -> np.ndarray:
    """Dense optical flow from ``prev_bgr`` to ``next_bgr``.

    Args:
        prev_bgr: (H, W, 3) BGR uint8 (or (H, W) gray) source image.
        next_bgr: the destination image, same height and width.
        method: ``'dis'`` (OpenCV DIS, fast) or ``'farneback'``.
        dis_preset: DIS preset, one of :data:`DIS_PRESETS`.
        **farneback_kwargs: overrides of :data:`FARNEBACK_DEFAULTS`.

    Returns:
        (H, W, 2) float32 flow on the grid of ``prev_bgr``: ``(dx, dy)`` per pixel.
    """
    prev_gray = to_gray(prev_bgr, 'prev_bgr')
    next_gray = to_gray(next_bgr, 'next_bgr')
    if prev_gray.shape != next_gray.shape:
        raise ValueError(f'optical flow needs images of equal size, got {prev_gray.shape} '
                         f'and {next_gray.shape}')
    if method == 'dis':
        if dis_preset not in DIS_PRESETS:
            raise ValueError(f'dis_preset must be one of {sorted(DIS_PRESETS)}, '
                             f'got {dis_preset!r}')
        dis = cv2.DISOpticalFlow_create(DIS_PRESETS[dis_preset])
        flow = dis.calc(prev_gray, next_gray, None)
    elif method == 'farneback':
        unknown = set(farneback_kwargs) - set(FARNEBACK_DEFAULTS)
        if unknown:
            raise ValueError(f'unknown Farnebäck parameters: {sorted(unknown)}')
        params = {**FARNEBACK_DEFAULTS, **farneback_kwargs}
        flow = cv2.calcOpticalFlowFarneback(prev_gray, next_gray, None, **params)
    else:
        raise ValueError(f'method must be one of {FLOW_METHODS}, got {method!r}')
    return np.ascontiguousarray(flow, dtype=np.float32)


def sample_flow(flow: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear lookup of the flow vector at sub-pixel points.

    Points outside the image take the flow of the nearest border pixel.

    Args:
        flow: (H, W, 2) float flow.
        points: (..., 2) ``(x, y)`` pixel coordinates.

    Returns:
        (..., 2) float32 flow vectors at ``points``.
    """
    flow = _check_flow(flow)
    pts = np.asarray(points, dtype=np.float64)
    if pts.shape[-1:] != (2,):
        raise ValueError(f'points must have shape (..., 2), got {pts.shape}')
    h, w = flow.shape[:2]
    x = np.clip(pts[..., 0], 0, w - 1)
    y = np.clip(pts[..., 1], 0, h - 1)
    x0 = np.clip(np.floor(x).astype(np.int64), 0, max(w - 2, 0))
    y0 = np.clip(np.floor(y).astype(np.int64), 0, max(h - 2, 0))
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    ax = (x - x0)[..., None]
    ay = (y - y0)[..., None]
    top = flow[y0, x0] * (1 - ax) + flow[y0, x1] * ax
    bottom = flow[y1, x0] * (1 - ax) + flow[y1, x1] * ax
    return (top * (1 - ay) + bottom * ay).astype(np.float32)


def warp_points(points: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Move points of the flow's source image into its destination image.

    Args:
        points: (..., 2) ``(x, y)`` pixels in the source image (e.g. (N, K, 2) keypoints).
        flow: (H, W, 2) flow from :func:`compute_flow`.

    Returns:
        (..., 2) float32 ``points + flow(points)`` (bilinear lookup).
    """
    pts = np.asarray(points, dtype=np.float32)
    return (pts + sample_flow(flow, pts)).astype(np.float32)


def resize_flow(flow: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resize a flow field to another grid, scaling the vectors with it.

    Args:
        flow: (H, W, 2) flow.
        size: target ``(width, height)`` (OpenCV order), e.g. a heatmap size.

    Returns:
        (height, width, 2) float32 flow in pixels of the target grid.
    """
    flow = _check_flow(flow)
    width, height = int(size[0]), int(size[1])
    if width < 1 or height < 1:
        raise ValueError(f'size must be positive (width, height), got {size}')
    h, w = flow.shape[:2]
    out = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
    out[..., 0] *= width / w
    out[..., 1] *= height / h
    return out.astype(np.float32)


def warp_to_source(maps: np.ndarray, flow: np.ndarray,
                   border_value: float = 0.0) -> np.ndarray:
    """Bring maps of the flow's destination frame onto the source frame's grid.

    ``out[y, x] = maps[y + dy, x + dx]`` with ``(dx, dy) = flow[y, x]``, bilinear, pixels that
    fall outside get ``border_value``. If ``maps`` has another size than ``flow``, the flow is
    first resized (:func:`resize_flow`).

    Args:
        maps: (H, W) or (H, W, C) float array of the destination frame (image, heatmaps).
        flow: (H', W', 2) flow from the source frame to the destination frame.
        border_value: value for samples outside ``maps``.

    Returns:
        float32 array of the shape of ``maps``.
    """
    maps = np.asarray(maps)
    if maps.ndim not in (2, 3):
        raise ValueError(f'maps must be (H, W) or (H, W, C), got shape {maps.shape}')
    flow = _check_flow(flow)
    h, w = maps.shape[:2]
    if flow.shape[:2] != (h, w):
        flow = resize_flow(flow, (w, h))
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x = grid_x + flow[..., 0]
    map_y = grid_y + flow[..., 1]
    src = maps.astype(np.float32, copy=False)
    if src.ndim == 2 or src.shape[2] <= 4:
        return cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=border_value).reshape(maps.shape)
    chunks = [
        cv2.remap(np.ascontiguousarray(src[..., c:c + 4]), map_x, map_y, cv2.INTER_LINEAR,
                  borderMode=cv2.BORDER_CONSTANT, borderValue=border_value).reshape(h, w, -1)
        for c in range(0, src.shape[2], 4)  # OpenCV remaps at most 4 channels at once
    ]
    return np.concatenate(chunks, axis=2)


class FlowCache:
    """Flow fields of one or more videos, computed once and kept in memory and on disk.

    Keys are ``(video, src_index, dst_index)``; frames are given as arrays or as zero-argument
    callables, so a cache hit never loads an image.

    Args:
        method: flow method (:data:`FLOW_METHODS`).
        cache_dir: if given, flows are also stored there as
            ``{video}/{method}/{src:06d}_{dst:06d}.npy`` (float16) and reused across runs.
        max_items: flows kept in memory (least recently used are dropped).
        flow_kwargs: extra arguments of :func:`compute_flow`.
    """

    def __init__(self, method: str = 'dis', cache_dir: Optional[str] = None,
                 max_items: int = 64, flow_kwargs: Optional[Dict] = None) -> None:
        if method not in FLOW_METHODS:
            raise ValueError(f'method must be one of {FLOW_METHODS}, got {method!r}')
        if max_items < 0:
            raise ValueError(f'max_items must be >= 0, got {max_items}')
        self.method = method
        self.cache_dir = cache_dir
        self.max_items = int(max_items)
        self.flow_kwargs = dict(flow_kwargs or {})
        self._memory: 'OrderedDict[Tuple[str, int, int], np.ndarray]' = OrderedDict()
        self.hits = 0
        self.misses = 0

    def path(self, video: str, src_index: int, dst_index: int) -> Optional[str]:
        """The disk file of a flow (None without ``cache_dir``)."""
        if self.cache_dir is None:
            return None
        safe = re.sub(r'[^A-Za-z0-9._-]+', '_', str(video)).strip('._') or 'video'
        return os.path.join(self.cache_dir, safe, self.method,
                            f'{int(src_index):06d}_{int(dst_index):06d}.npy')

    def get(self, video: str, src_index: int, dst_index: int, src_frame: FrameSource,
            dst_frame: FrameSource) -> np.ndarray:
        """The flow from frame ``src_index`` to frame ``dst_index`` of ``video``.

        Args:
            video: a name unique per video.
            src_index: index of the source frame.
            dst_index: index of the destination frame.
            src_frame: the source BGR image, or a callable returning it.
            dst_frame: the destination BGR image, or a callable returning it.

        Returns:
            (H, W, 2) float32 flow (see :func:`compute_flow`).
        """
        key = (str(video), int(src_index), int(dst_index))
        if key in self._memory:
            self._memory.move_to_end(key)
            self.hits += 1
            return self._memory[key]
        path = self.path(*key)
        if path is not None and os.path.isfile(path):
            flow = np.load(path).astype(np.float32)
            self.hits += 1
        else:
            self.misses += 1
            flow = compute_flow(_resolve(src_frame), _resolve(dst_frame), self.method,
                                **self.flow_kwargs)
            if path is not None:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                tmp = f'{path}.{os.getpid()}.tmp.npy'
                np.save(tmp, flow.astype(np.float16))
                os.replace(tmp, path)  # atomic: parallel data workers never read half a file
        self._remember(key, flow)
        return flow

    def clear(self) -> None:
        """Forget the flows held in memory (files on disk stay)."""
        self._memory.clear()

    def __len__(self) -> int:
        return len(self._memory)

    def _remember(self, key: Tuple[str, int, int], flow: np.ndarray) -> None:
        if self.max_items == 0:
            return
        self._memory[key] = flow
        while len(self._memory) > self.max_items:
            self._memory.popitem(last=False)


def _resolve(frame: FrameSource) -> np.ndarray:
    return frame() if callable(frame) else frame


def _as_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return np.ascontiguousarray(image)
    return np.ascontiguousarray(np.clip(np.rint(image), 0, 255).astype(np.uint8))


def _check_flow(flow: np.ndarray) -> np.ndarray:
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] != 2 or flow.shape[0] < 1 or flow.shape[1] < 1:
        raise ValueError(f'flow must have shape (H, W, 2), got {flow.shape}')
    return flow
