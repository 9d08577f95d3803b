"""A clip-aware pose stage: top-down video models that look at neighbouring frames.

Models such as :class:`~plugins.models.pose_estimators.FlowingConvNet` estimate the pose in
frame ``t`` from the crops of the *same box* in frames ``t + o`` for ``o`` in
``neighbour_offsets`` (e.g. ``(-1, 1)``). In a stream, frame ``t`` can only be estimated once
frame ``t + max(offsets)`` has arrived, so the stage has a **look-ahead** and emits frames with
that delay:

```
stage.reset()
for frame, boxes in stream:
    for ctx, poses in stage.push(frame, boxes):  # nothing for the first `lookahead` frames,
        use(ctx.index, ctx.image, poses)         # then frame index - lookahead on every push
for ctx, poses in stage.flush():                 # the last `lookahead` frames, end-clipped
    use(ctx.index, ctx.image, poses)
```

This is the pose-stage contract of :class:`~plugins.apis.PoseTrackingPipeline` (its
``push()`` / ``flush()`` drive the stage with the frame's
:class:`~plugins.tracking.frame_context.FrameContext` and the proposals ``InstanceData``, and
finish the frames — pose NMS, tracking, sinks — in the order they come out).

Neighbours outside the video are clipped to its first / last frame, exactly like the training
and test datasets (``VideoFrameNeighboursDataset``: a clip border repeats the edge frame, with
zero flow), so a streamed video gets the poses ``tools/test.py`` computes on the same boxes.
At most ``lookbehind + lookahead + 1`` frames are kept (memory does not grow with the video);
the dense flows come from the config's own ``VideoComputeFlow`` step (one per frame pair, shared
by every person of the frame, LRU-bounded).

The model's test pipeline is the config's (``test_dataloader.dataset.pipeline``) minus its
loading step (``LoadVideoFrames``: the stage hands over the decoded frames), so crop size,
padding, flow settings and packing stay as configured; all persons of a frame go through the
model as one batch (``max_batch`` splits large frames).
"""
import copy
import itertools
from collections import deque
from typing import Deque, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from plugins.registry import POSE_STAGES
from plugins.tracking.frame_context import FrameContext, as_context
from .model_config import load_model_config
from .topdown_pose_estimator import empty_poses

_LOADERS = ('LoadVideoFrames', 'LoadImage')
#: proposal fields the stage reads; any other per-box field is copied onto the poses
_BOX_FIELDS = ('bboxes', 'bbox_scores', 'crop_bboxes')
_video_counter = itertools.count()


class _Pending(NamedTuple):
    index: int
    ctx: FrameContext
    bboxes: np.ndarray
    bbox_scores: np.ndarray
    crop_bboxes: Optional[np.ndarray]
    extra: Dict[str, np.ndarray]


@POSE_STAGES.register_module()
class ClipPoseEstimator:
    """Pose stage of a multi-frame top-down model (e.g. a Flowing ConvNet) for video streams.

    Args:
        config: mmpose config of the video model (path, ``Config`` or dict), e.g.
            ``projects/flowing_convnets/configs/flowing-convnet-ft_res18-half_synthetic-128x96.py``.
        checkpoint: checkpoint path or URL; ``None`` keeps the random initialisation (tests).
        device: torch device.
        neighbour_offsets: offsets of the neighbour frames, current frame excluded (default:
            the config's ``test_dataloader.dataset.neighbour_offsets``); their number must
            match the model's ``num_frames - 1``. Past-only offsets (e.g. ``(-2, -1)``) give a
            stage without look-ahead.
        max_batch: largest batch of persons per forward (None = all persons of a frame).
        cfg_options: merged into the model config.

    Attributes:
        lookahead: frames a result waits for (``max(0, max(offsets))``).
        lookbehind: past frames kept (``max(0, -min(offsets))``).
        is_clip_stage: ``True`` (the pipeline drives this stage with :meth:`push` /
            :meth:`flush` instead of calling it per frame).
    """

    is_clip_stage = True

    def __init__(self,
                 config: Union[str, Config, dict],
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 neighbour_offsets: Optional[Sequence[int]] = None,
                 max_batch: Optional[int] = None,
                 cfg_options: Optional[dict] = None) -> None:
        from mmpose.apis import init_model

        cfg = load_model_config(config)
        if cfg_options:
            cfg = copy.deepcopy(cfg)
            cfg.merge_from_dict(cfg_options)
        dataset_cfg = cfg.test_dataloader.dataset
        if neighbour_offsets is None:
            neighbour_offsets = dataset_cfg.get('neighbour_offsets')
            if neighbour_offsets is None:
                raise ValueError('ClipPoseEstimator: the config has no test_dataloader.dataset.'
                                 'neighbour_offsets; pass neighbour_offsets=...')
        offsets = [int(o) for o in neighbour_offsets]
        if 0 in offsets:
            raise ValueError(f'ClipPoseEstimator: neighbour_offsets must not contain 0 (the '
                             f'current frame is always first), got {offsets}')
        self.model = init_model(cfg, checkpoint, device=device)
        num_frames = getattr(self.model, 'num_frames', None)
        if num_frames is not None and num_frames != 1 + len(offsets):
            raise ValueError(f'ClipPoseEstimator: the model takes num_frames={num_frames} '
                             f'frames but neighbour_offsets={offsets} gives {1 + len(offsets)}')
        self.neighbour_offsets = offsets
        self.lookahead = max([0] + offsets)
        self.lookbehind = max([0] + [-o for o in offsets])
        self.dataset_meta = dict(self.model.dataset_meta)
        self.num_keypoints = int(self.dataset_meta['num_keypoints'])
        steps = list(dataset_cfg.pipeline)
        if not steps or str(steps[0].get('type', '')).split('.')[-1] not in _LOADERS:
            raise ValueError('ClipPoseEstimator: the test pipeline must start with its loading '
                             f'step ({" or ".join(_LOADERS)}), which the stage replaces by the '
                             f'streamed frames; got {[s.get("type") for s in steps]}')
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpose')):
            self.test_pipeline = Compose(steps[1:])
        if max_batch is not None and int(max_batch) < 1:
            raise ValueError(f'ClipPoseEstimator: max_batch must be >= 1, got {max_batch}')
        self.max_batch = None if max_batch is None else int(max_batch)
        self.reset()

    # ------------------------------------------------------------------ stream API
    def reset(self) -> None:
        """Start a new video: forget buffered frames and pending results."""
        self._frames: Dict[int, np.ndarray] = {}
        self._pending: Deque[_Pending] = deque()
        self._count = 0  # frames pushed since reset
        self._flushed = False
        # a fresh key per video: cached flows of another video never match
        self._video = f'clip-stage-{next(_video_counter)}'

    @property
    def buffered_frames(self) -> int:
        """Number of frames held (at most ``lookbehind + lookahead + 1``)."""
        return len(self._frames)

    def push(self, frame: Union[np.ndarray, FrameContext],
             proposals: Union[InstanceData, np.ndarray],
             bbox_scores: Optional[np.ndarray] = None,
             crop_bboxes: Optional[np.ndarray] = None
             ) -> List[Tuple[FrameContext, InstanceData]]:
        """Add the next frame and its person boxes; return the frames that became complete.

        Args:
            frame: the pipeline's :class:`FrameContext` of the frame, or its ``(H, W, 3)``
                BGR uint8 image (a context is then made, indexed in push order). Every frame
                of a video has the same size.
            proposals: ``InstanceData`` with ``bboxes`` (N, 4) ``xyxy`` (reported in the
                output), optional ``bbox_scores`` (N,) and ``crop_bboxes`` (N, 4) (boxes to
                crop instead, e.g. extended ones; the same box is cropped in every frame of
                the clip); other per-box fields (e.g. the pipeline's ``source``) are copied
                onto the poses. Or the ``(N, 4)`` boxes themselves, with ``bbox_scores`` /
                ``crop_bboxes`` given separately.

        Returns:
            ``(context, poses)`` of the finished frames, in order: none for the first
            ``lookahead`` pushes, then frame ``index - lookahead`` on every push. ``poses`` as
            :class:`~plugins.apis.MMPoseTopdownEstimator` returns them (``keypoints`` (N, K,
            2), ``keypoint_scores`` (N, K), ``bboxes``, ``bbox_scores``, numpy float32) in
            the order of that frame's boxes.
        """
        if self._flushed:
            raise RuntimeError('ClipPoseEstimator.push after flush(): call reset() to start '
                               'the next video')
        index = self._count
        ctx = as_context(frame, index)
        image = ctx.image
        if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'ClipPoseEstimator: frame {index} must be an (H, W, 3) image, '
                             f'got {getattr(image, "shape", type(image).__name__)}')
        if self._frames:
            first = next(iter(self._frames.values()))
            if first.shape != image.shape:
                raise ValueError(f'ClipPoseEstimator: frame {index} is {image.shape} but the '
                                 f'video\'s frames are {first.shape}; call reset() between '
                                 'videos')
        extra: Dict[str, np.ndarray] = {}
        if isinstance(proposals, InstanceData):
            bboxes = proposals.bboxes
            bbox_scores = proposals.get('bbox_scores', bbox_scores)
            crop_bboxes = proposals.get('crop_bboxes', crop_bboxes)
            extra = {k: v for k, v in proposals.items() if k not in _BOX_FIELDS}
        else:
            bboxes = proposals
        bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
        n = len(bboxes)
        scores = (np.ones(n, np.float32) if bbox_scores is None else
                  np.asarray(bbox_scores, np.float32).reshape(n))
        crops = None if crop_bboxes is None else np.asarray(crop_bboxes,
                                                            np.float32).reshape(n, 4)
        self._count += 1
        self._frames[index] = image
        self._pending.append(_Pending(index, ctx, bboxes, scores, crops, extra))
        return self._emit(final=False)

    def flush(self) -> List[Tuple[FrameContext, InstanceData]]:
        """End of the video: the frames still waiting, with neighbours clipped to the last
        frame. The last clip's frames stay buffered (for :meth:`estimate`) until
        :meth:`reset`, which must come before the next video's first :meth:`push`."""
        results = self._emit(final=True)
        self._flushed = True
        return results

    def __call__(self, frame: np.ndarray, bboxes: np.ndarray,
                 bbox_scores: Optional[np.ndarray] = None,
                 crop_bboxes: Optional[np.ndarray] = None) -> InstanceData:
        """Poses of the frame just given, for a stage without look-ahead (past-only
        offsets): the zero-latency call of a per-frame pose stage.

        Raises:
            RuntimeError: the stage has a look-ahead (the pipeline must use push/flush).
        """
        if self.lookahead > 0:
            raise RuntimeError(
                f'ClipPoseEstimator with neighbour_offsets={self.neighbour_offsets} needs '
                f'{self.lookahead} future frame(s) per result: drive it with push()/flush() '
                '(PoseTrackingPipeline.push), or use past-only offsets such as (-2, -1)')
        ((_, poses), ) = self.push(frame, bboxes, bbox_scores, crop_bboxes)
        return poses

    def estimate(self, index: int, bboxes: np.ndarray,
                 bbox_scores: Optional[np.ndarray] = None) -> InstanceData:
        """Poses inside ``bboxes`` of a buffered frame (e.g. boxes proposed by recovery for the
        frame being emitted), with that frame's clip.

        Args:
            index: a frame index still buffered (the one just emitted or later).
            bboxes: ``(M, 4)`` ``xyxy``.
            bbox_scores: ``(M,)`` (1 when None).
        """
        if index not in self._frames:
            raise KeyError(f'ClipPoseEstimator: frame {index} is not buffered (held: '
                           f'{sorted(self._frames)})')
        bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
        scores = (np.ones(len(bboxes), np.float32) if bbox_scores is None else
                  np.asarray(bbox_scores, np.float32).reshape(len(bboxes)))
        return self._poses(index, bboxes, scores, None, last=self._count - 1)

    def empty(self) -> InstanceData:
        """Poses of a frame with nobody (``N = 0``)."""
        return empty_poses(self.num_keypoints)

    # ------------------------------------------------------------------ internals
    def clip_indices(self, index: int, last: int) -> List[int]:
        """Frame indices of the clip of frame ``index`` (current first), clipped to
        ``[0, last]`` like ``VideoFrameNeighboursDataset``."""
        return [index] + [min(max(index + o, 0), last) for o in self.neighbour_offsets]

    def _emit(self, final: bool) -> List[Tuple[FrameContext, InstanceData]]:
        last = self._count - 1
        results = []
        while self._pending and (final or self._pending[0].index + self.lookahead <= last):
            item = self._pending.popleft()
            poses = self._poses(item.index, item.bboxes, item.bbox_scores, item.crop_bboxes,
                                last)
            for key, value in item.extra.items():
                poses.set_field(value, key)
            results.append((item.ctx, poses))
            # frames no pending result (nor `estimate` of the emitted one) can still need
            oldest = item.index - self.lookbehind
            for old in [i for i in self._frames if i < oldest]:
                del self._frames[old]
        return results

    def _poses(self, index: int, bboxes: np.ndarray, scores: np.ndarray,
               crops: Optional[np.ndarray], last: int) -> InstanceData:
        n = len(bboxes)
        if n == 0:
            return self.empty()
        clip = self.clip_indices(index, last)
        images = [self._frames[i] for i in clip]
        h, w = images[0].shape[:2]
        boxes = bboxes if crops is None else crops
        data = []
        for box in boxes:
            info = dict(img=list(images), img_shape=(h, w), ori_shape=(h, w),
                        frame_paths=[f'{self._video}/{i:08d}' for i in clip],
                        img_path=f'{self._video}/{index:08d}', video_name=self._video,
                        frame_index=index, neighbour_frame_indices=clip[1:],
                        bbox=box[None], bbox_score=np.ones(1, np.float32))
            info.update(self.dataset_meta)
            data.append(self.test_pipeline(info))
        step = self.max_batch or n
        keypoints, keypoint_scores = [], []
        with torch.no_grad():
            for start in range(0, n, step):
                for sample in self.model.test_step(pseudo_collate(data[start:start + step])):
                    pred = sample.pred_instances
                    keypoints.append(_numpy(pred.keypoints)[..., :2].reshape(-1, 2))
                    keypoint_scores.append(_numpy(pred.keypoint_scores).reshape(-1))
        return InstanceData(keypoints=np.stack(keypoints).astype(np.float32),
                            keypoint_scores=np.stack(keypoint_scores).astype(np.float32),
                            bboxes=bboxes, bbox_scores=scores)


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
