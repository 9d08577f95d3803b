"""One video runner for ``tools/track.py``, ``tools/test.py`` (tracking configs) and
``PoseTrackingPipeline.run_video``: frames -> pipeline -> sinks, post-processors' edits at the
end of each video.

A sink has three methods (MMPose's inferencer split: the pipeline is preprocess + forward, the
sinks are visualise / postprocess):

- ``open(video: VideoInfo)`` before the first frame of a video;
- ``write(index, image, result, info)`` per finished frame (online ``track_ids``);
- ``close(edits: TrackEdits or None)`` at the end (None: the video stopped early, no edits).

Nothing here keeps a whole video: frames are read, tracked, written and dropped; the only
per-video state is what the post-processors summarise and what the sinks stream.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence

import numpy as np
from mmengine.structures import InstanceData

from plugins.tracking.track_edits import TrackEdits
from plugins.utils.metainfo import keypoint_categories


@dataclass
class VideoInfo:
    """What the sinks know of a video before its first frame."""

    name: str
    fps: float = 25.0
    num_frames: Optional[int] = None
    dataset_meta: Dict[str, Any] = field(default_factory=dict)


class VideoFrame(NamedTuple):
    """One input frame with what the sinks record about it.

    ``info``: ``dict(image_id, file_name, frame_index, width, height)`` (filled from the image
    and index when None); ``bboxes`` / ``bbox_scores``: given person boxes (instead of the
    detector); ``sample``: the ground truth the evaluator sink scores against.
    """

    image: np.ndarray
    info: Optional[dict] = None
    bboxes: Optional[np.ndarray] = None
    bbox_scores: Optional[np.ndarray] = None
    sample: Optional[dict] = None


class VideoRunner:
    """Run a pipeline over one video at a time and feed its sinks.

    Args:
        pipeline: a :class:`PoseTrackingPipeline` (or any object with ``reset()`` and
            ``step(frame)``, and optionally ``finalize_edits()``).
        sinks: objects with ``open`` / ``write`` / ``close`` (module docstring).
        apply_edits: hand the post-processors' edits to the sinks (False: online ids only).
        max_frames: stop each video after this many frames.
    """

    def __init__(self, pipeline, sinks: Sequence = (), apply_edits: bool = True,
                 max_frames: Optional[int] = None) -> None:
        self.pipeline = pipeline
        self.sinks = list(sinks)
        self.apply_edits = apply_edits
        self.max_frames = max_frames

    def run(self, frames: Iterable, bboxes: Optional[Iterable] = None,
            video: Optional[VideoInfo] = None, stop: Optional[Callable[[], bool]] = None
            ) -> Dict[str, Any]:
        """Track one video from a fresh state.

        Args:
            frames: arrays, :class:`~.frame_readers.Frame` records or :class:`VideoFrame`.
            bboxes: optional per-frame boxes (instead of the detector).
            video: the video's :class:`VideoInfo` (name ``'video'`` by default).
            stop: polled after every frame; True ends the video early (edits are skipped).

        Returns:
            ``dict(frames, persons, tracks, completed)`` (``tracks``: distinct online ids).
        """
        pipe = self.pipeline
        video = video or VideoInfo(name='video',
                                   dataset_meta=dict(getattr(pipe, 'dataset_meta', {}) or {}))
        pipe.reset()
        for sink in self.sinks:
            sink.open(video)
        box_iter = iter(bboxes) if bboxes is not None else None
        pending: Dict[int, tuple] = {}  # frames inside a look-ahead pose stage (bounded)
        stats = dict(frames=0, persons=0, tracks=0, completed=False)
        track_ids = set()
        completed = False
        try:
            for index, item in enumerate(frames):
                if self.max_frames is not None and index >= self.max_frames:
                    break
                frame = _as_video_frame(item, index, video.name)
                boxes, scores = frame.bboxes, frame.bbox_scores
                if box_iter is not None:
                    boxes = next(box_iter)
                pending[index] = (frame.info, frame.sample)
                if hasattr(pipe, 'push'):
                    done = pipe.push(frame.image, bboxes=boxes, bbox_scores=scores)
                else:
                    done = [(index, frame.image,
                             pipe.step(frame.image) if boxes is None else
                             pipe.step(frame.image, bboxes=boxes))]
                for fr in done:
                    self._emit(fr, pending, stats, track_ids)
                if stop is not None and stop():
                    raise _Stopped
            for fr in (pipe.flush() if hasattr(pipe, 'flush') else []):
                self._emit(fr, pending, stats, track_ids)
            completed = True
        except _Stopped:
            pass
        finally:
            edits = None
            if completed and self.apply_edits:
                edits = self._edits()
            for sink in self.sinks:
                sink.close(edits)
        stats['completed'] = completed
        stats['tracks'] = len(track_ids)
        if edits is not None and not edits.is_identity:
            stats['tracks'] = len({edits.final_id(t) for t in track_ids} - edits.dropped)
        return stats

    def _edits(self) -> TrackEdits:
        if hasattr(self.pipeline, 'finalize_edits'):
            return self.pipeline.finalize_edits()
        return TrackEdits()

    def _emit(self, fr, pending, stats, track_ids) -> None:
        index, image, result = fr
        info, sample = pending.pop(index)
        if info is None:
            h, w = image.shape[:2]
            info = dict(image_id=index, file_name=f'{index:06d}.jpg', frame_index=index,
                        width=w, height=h)
        if sample is not None:
            info = dict(info, sample=sample)
        for sink in self.sinks:
            sink.write(index, image, result, info)
        stats['frames'] += 1
        stats['persons'] += len(result)
        track_ids.update(int(t) for t in np.asarray(result.track_ids).reshape(-1))


class _Stopped(Exception):
    pass


def _as_video_frame(item, index: int, video_name: str) -> VideoFrame:
    if isinstance(item, VideoFrame):
        return item
    image = getattr(item, 'image', item)
    info = None
    if hasattr(item, 'name') and hasattr(item, 'index'):  # a frame reader's Frame record
        h, w = image.shape[:2]
        info = dict(image_id=item.index, file_name=osp.join(video_name, item.name),
                    frame_index=item.index, width=w, height=h)
    return VideoFrame(image=image, info=info)


# ---------------------------------------------------------------------------------- sinks
class PoseTrackJsonSink:
    """PoseTrack18 prediction JSON per video, valid on disk after every frame (eval's
    :class:`PoseTrackJsonWriter`, O(1) per frame); at the end the post-processors' edits are
    applied in one streaming pass over the written file (:func:`apply_track_edits`).

    Args:
        out_dir: folder of ``<video>.json``.
        flush_every: rewrite the file on disk every this many frames.
        done_marker: also write ``<video>.done`` once the video is complete (lets a killed
            run skip the finished videos).
    """

    def __init__(self, out_dir: str, flush_every: int = 1, done_marker: bool = False) -> None:
        self.out_dir = out_dir
        self.flush_every = flush_every
        self.done_marker = done_marker
        self.path: Optional[str] = None
        self._writer = None

    def open(self, video: VideoInfo) -> None:
        from plugins.datasets.posetrack_json import PoseTrackJsonWriter
        os.makedirs(self.out_dir, exist_ok=True)
        self.path = osp.join(self.out_dir, f'{video.name}.json')
        marker = done_path(self.path)
        if osp.exists(marker):
            os.remove(marker)
        self.categories = keypoint_categories(video.dataset_meta)
        self._writer = PoseTrackJsonWriter(self.path, is_prediction=True,
                                           categories=self.categories,
                                           flush_every=self.flush_every,
                                           reserve_frames=video.num_frames or 0)
        self._frame_index: Dict[int, int] = {}  # runner index -> recorded frame index

    def write(self, index, image, result, info) -> None:
        info = {k: info[k] for k in ('image_id', 'file_name', 'frame_index', 'width', 'height')}
        if int(info['frame_index']) != index:
            self._frame_index[index] = int(info['frame_index'])
        self._writer.add_instances(keypoints=result.keypoints,
                                   keypoint_scores=result.keypoint_scores,
                                   track_ids=result.track_ids, bboxes=result.get('bboxes'),
                                   bbox_scores=result.get('bbox_scores'), **info)

    def close(self, edits: Optional[TrackEdits]) -> None:
        if self._writer is None:
            return
        self._writer.close()
        self._writer = None
        if edits is not None and not edits.is_identity:
            from plugins.datasets.posetrack_json import apply_track_edits
            if edits.inserted and self._frame_index:  # keys: the frame indices on file
                edits = TrackEdits(edits.id_map, edits.dropped,
                                   {self._frame_index.get(i, i): p
                                    for i, p in edits.inserted.items()})
            apply_track_edits(self.path, edits)
        if edits is not None and self.done_marker:
            with open(done_path(self.path), 'w') as f:
                f.write('done\n')


def done_path(json_path: str) -> str:
    """The marker written next to a finished video's JSON."""
    return osp.splitext(json_path)[0] + '.done'


class RenderSink:
    """Skeletons coloured by (online) track id, written to ``<out_dir>/<video>.mp4`` and/or
    shown in a window.

    Args:
        out_dir: folder of the videos (None: do not write).
        kpt_thr: joints scored below it are not drawn.
        show: display each frame (Esc / q stops the run: :attr:`stopped`).
    """

    def __init__(self, out_dir: Optional[str], kpt_thr: float = 0.3, show: bool = False) -> None:
        self.out_dir, self.kpt_thr, self.show = out_dir, kpt_thr, show
        self.path: Optional[str] = None
        self.stopped = False
        self._video = None
        self._renderer = None

    def open(self, video: VideoInfo) -> None:
        from .pose_renderer import PoseTrackRenderer
        from .video_writer import VideoWriter
        self._renderer = PoseTrackRenderer(video.dataset_meta, kpt_thr=self.kpt_thr)
        if self.out_dir is not None:
            self.path = osp.join(self.out_dir, f'{video.name}.mp4')
            self._video = VideoWriter(self.path, fps=video.fps)

    def write(self, index, image, result, info) -> None:
        drawn = self._renderer.render(image, result)
        if self._video is not None:
            self._video.write(drawn)
        if self.show:
            import cv2
            cv2.imshow('posetrack-plugins', drawn)
            if cv2.waitKey(1) & 0xFF in (27, ord('q')):
                self.stopped = True

    def close(self, edits) -> None:
        if self._video is not None:
            self._video.close()
            self._video = None
        if self.show:
            import cv2
            cv2.destroyAllWindows()


class EvaluatorSink:
    """Feeds an mmengine ``Evaluator`` (e.g. ``PoseTrackMetric``) with every frame's ground
    truth (``info['sample']``) and final poses. The metric needs final ids, known at the end
    of the video, so the video's predictions (keypoints, scores, ids: what the metric keeps
    anyway) wait until :meth:`close`."""

    def __init__(self, evaluator) -> None:
        self.evaluator = evaluator
        self._frames: List[tuple] = []

    def open(self, video) -> None:
        self._frames = []

    def write(self, index, image, result, info) -> None:
        pred = InstanceData(keypoints=result.keypoints, keypoint_scores=result.keypoint_scores,
                            track_ids=result.track_ids)
        self._frames.append((index, info['sample'], pred))

    def close(self, edits: Optional[TrackEdits]) -> None:
        for index, sample, pred in self._frames:
            if edits is not None:
                pred = edits.apply(index, pred)
            out = dict(keypoints=pred.keypoints, keypoint_scores=pred.keypoint_scores,
                       track_ids=pred.track_ids)
            self.evaluator.process(data_samples=[dict(sample, pred_instances=out)])
        self._frames = []


class ProgressSink:
    """A tqdm bar in frames, with the persons of the frame and the tracks seen so far."""

    def __init__(self, total: Optional[int] = None, desc: Optional[str] = None) -> None:
        from tqdm import tqdm
        self._bar = tqdm(total=total, unit='frame', desc=desc, dynamic_ncols=True)
        self._ids: set = set()

    def open(self, video: VideoInfo) -> None:
        self._ids = set()
        self._bar.set_description(video.name)

    def write(self, index, image, result, info) -> None:
        self._ids.update(int(t) for t in np.asarray(result.track_ids).reshape(-1))
        self._bar.set_postfix(persons=len(result), tracks=len(self._ids))
        self._bar.update(1)

    def close(self, edits) -> None:
        pass

    def finish(self) -> None:
        """Close the bar."""
        self._bar.close()


def json_number(value: Any) -> Any:
    """A metric value for strict JSON (NaN/inf, e.g. MOTP without matches, become null)."""
    if np.isscalar(value):
        value = float(value)
        return value if np.isfinite(value) else None
    return value


def write_metrics(path: str, metrics: Dict[str, Any]) -> None:
    """``metrics`` as strict JSON."""
    with open(path, 'w') as f:
        json.dump({k: json_number(v) for k, v in metrics.items()}, f, indent=2)
