"""Person-appearance (Re-ID) embedders: ``embedder(frame_bgr, bboxes_xyxy) -> (N, D) float32``
L2-normalised vectors, registered in mmpose's ``MODELS`` so that any config can build them:

- :class:`ColorHistogramEmbedder`: HSV colour histograms of horizontal stripes of the box (no
  weights needed);
- :class:`CropFeatureEmbedder`: any backbone buildable from config (an mmpose backbone such as
  ``dict(type='ResNet', depth=50)``, weights from ``init_cfg``/``checkpoint``), globally
  average-pooled features of the resized person crops.

:class:`plugins.tracking.reid_tracker.ReIDTracker` is configured with one of them.
"""
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torchvision.ops import roi_align

from plugins.registry import MODELS


def crop_boxes(frame: np.ndarray, bboxes: np.ndarray, size: Tuple[int, int]) -> torch.Tensor:
    """Resample every box of a frame to a fixed size in one batched call (``roi_align``;
    each output pixel averages ``ceil(box / output)`` bilinear samples per axis).

    Args:
        frame: (H, W, 3) BGR uint8 image.
        bboxes: (N, 4) ``xyxy`` pixel boxes (may extend past the image: outside is black).
        size: output ``(width, height)``.

    Returns:
        (N, 3, height, width) float32 tensor, BGR channel order, values in [0, 255].
    """
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f'frame must be (H, W, 3) BGR, got shape {frame.shape}')
    boxes = torch.as_tensor(np.asarray(bboxes, np.float32).reshape(-1, 4))
    image = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)[None].float()
    return roi_align(image, [boxes], output_size=(int(size[1]), int(size[0])),
                     spatial_scale=1.0, sampling_ratio=-1, aligned=True)


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


class Embedder(BaseModule):
    """Interface of the embedders: ``embedder(frame, bboxes) -> (N, D)``."""

    @torch.no_grad()
    def forward(self, frame: np.ndarray, bboxes: np.ndarray) -> np.ndarray:
        """Embed the boxes of one frame.

        Args:
            frame: (H, W, 3) BGR uint8 image.
            bboxes: (N, 4) ``xyxy`` boxes.

        Returns:
            (N, D) float32 unit vectors.
        """
        return self.embed(frame, np.asarray(bboxes, np.float32).reshape(-1, 4))

    def embed(self, frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@MODELS.register_module()
class ColorHistogramEmbedder(Embedder):
    """Appearance embedding from HSV colour histograms of horizontal stripes of the box.

    Each box is resampled to ``crop_size``, converted to HSV, and every stripe (head-to-feet
    order) gets a joint (H, S, V) histogram; the concatenation goes through a square root
    (Hellinger) and L2 normalisation, so the dot product of two embeddings is the Bhattacharyya
    coefficient averaged over stripes.

    Args:
        bins: number of hue, saturation and value bins.
        num_stripes: horizontal stripes per box (e.g. 2: upper / lower body).
        crop_size: ``(width, height)`` the boxes are resampled to.
        shrink: fraction of the box width/height removed on each side (background).
        init_cfg: unused (no weights); kept for the ``BaseModule`` interface.
    """

    def __init__(self, bins: Sequence[int] = (8, 4, 4), num_stripes: int = 2,
                 crop_size: Tuple[int, int] = (32, 64), shrink: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(bins) != 3 or min(bins) < 1:
            raise ValueError(f'bins must be 3 positive integers (H, S, V), got {bins}')
        if num_stripes < 1 or crop_size[1] < num_stripes:
            raise ValueError(f'need 1 <= num_stripes <= crop height, got {num_stripes}, '
                             f'{crop_size}')
        if not 0 <= shrink < 0.5:
            raise ValueError(f'shrink must be in [0, 0.5), got {shrink}')
        self.bins = tuple(int(b) for b in bins)
        self.num_stripes = int(num_stripes)
        self.crop_size = (int(crop_size[0]), int(crop_size[1]))
        self.shrink = float(shrink)

    @property
    def dim(self) -> int:
        """Embedding length."""
        return int(np.prod(self.bins)) * self.num_stripes

    def embed(self, frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """(N, D) unit vectors of the (N, 4) float32 boxes (see :meth:`Embedder.forward`)."""
        n = len(boxes)
        if n == 0:
            return np.zeros((0, self.dim), np.float32)
        wh = boxes[:, 2:] - boxes[:, :2]
        inner = np.concatenate([boxes[:, :2] + self.shrink * wh, boxes[:, 2:] - self.shrink * wh],
                               axis=1)
        w, h = self.crop_size
        crops = crop_boxes(frame, inner, self.crop_size)  # (N, 3, h, w)
        mosaic = crops.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).reshape(
            n * h, w, 3).numpy()
        hsv = cv2.cvtColor(np.ascontiguousarray(mosaic), cv2.COLOR_BGR2HSV_FULL)
        hsv = hsv.reshape(n, h, w, 3).astype(np.int64)
        nb = np.asarray(self.bins)
        q = np.minimum(hsv * nb // 256, nb - 1)  # per-channel bin
        bin_index = (q[..., 0] * nb[1] + q[..., 1]) * nb[2] + q[..., 2]  # (N, h, w)
        stripe = (np.arange(h) * self.num_stripes // h)[None, :, None]
        person = np.arange(n)[:, None, None]
        flat = (person * self.num_stripes + stripe) * int(nb.prod()) + bin_index
        hist = np.bincount(flat.ravel(), minlength=n * self.dim).reshape(
            n, self.num_stripes, -1).astype(np.float32)
        hist /= np.maximum(hist.sum(-1, keepdims=True), 1)
        return l2_normalize(np.sqrt(hist).reshape(n, -1))


@MODELS.register_module()
class CropFeatureEmbedder(Embedder):
    """Appearance embedding from a configurable backbone applied to the person crops.

    Crops are resampled to ``input_size`` in one batched ``roi_align``, normalised with
    ``mean``/``std`` (BGR -> RGB if ``to_rgb``), passed through the backbone; the chosen output
    (``out_index`` of a tuple, e.g. the last stage) is global-average-pooled and L2-normalised.

    Args:
        backbone: config of any model in mmpose's ``MODELS`` returning a feature map or a tuple
            of them (e.g. ``dict(type='ResNet', depth=18)``), or a built ``nn.Module``.
        input_size: crop ``(width, height)``.
        mean: per-channel mean (RGB order when ``to_rgb``), 0-255 scale.
        std: per-channel std.
        to_rgb: convert BGR crops to RGB before normalising.
        out_index: which output of a tuple-returning backbone to pool.
        batch_size: crops per forward pass.
        checkpoint: optional weights file / URL loaded with mmengine's ``load_checkpoint``
            (prefix ``backbone.`` stripped if present).
        device: where the backbone runs (``'cpu'``, ``'cuda'``).
        init_cfg: mmengine initialisation config (e.g. ``dict(type='Pretrained', ...)``).
    """

    def __init__(self,
                 backbone: Union[dict, torch.nn.Module],
                 input_size: Tuple[int, int] = (64, 128),
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 to_rgb: bool = True,
                 out_index: int = -1,
                 batch_size: int = 64,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone) if isinstance(backbone, dict) else backbone
        if not isinstance(self.backbone, torch.nn.Module):
            raise TypeError(f'backbone must be a config dict or nn.Module, got {type(backbone)}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))
        self.to_rgb = bool(to_rgb)
        self.out_index = int(out_index)
        self.batch_size = int(batch_size)
        if checkpoint is not None:
            from mmengine.runner import load_checkpoint
            load_checkpoint(self.backbone, checkpoint, map_location='cpu',
                            revise_keys=[(r'^backbone\.', ''), (r'^module\.', '')])
        self.to(device)
        self.eval()

    def embed(self, frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """(N, D) unit vectors of the (N, 4) float32 boxes (see :meth:`Embedder.forward`)."""
        device = self.mean.device
        crops = crop_boxes(frame, boxes, self.input_size)
        if self.to_rgb:
            crops = crops.flip(1)
        feats = []
        for start in range(0, len(crops), self.batch_size):
            x = (crops[start:start + self.batch_size].to(device) - self.mean) / self.std
            out = self.backbone(x)
            if isinstance(out, (tuple, list)):
                out = out[self.out_index]
            if out.dim() == 4:
                out = F.adaptive_avg_pool2d(out, 1)
            feats.append(out.flatten(1).float().cpu())
        if not feats:
            return np.zeros((0, 0), np.float32)
        return l2_normalize(torch.cat(feats).numpy())
