"""Drawing tracked poses with mmpose's visualizer, one colour per track id."""
import cv2
import numpy as np
from mmengine.structures import InstanceData

GOLDEN_RATIO_CONJUGATE = 0.618033988749895


def track_colors(track_ids: np.ndarray) -> np.ndarray:
    """A distinct, deterministic BGR colour per track id (hues spaced by the golden ratio).

    Args:
        track_ids: (N,) integer ids.

    Returns:
        (N, 3) uint8 BGR colours; the same id always gets the same colour.
    """
    ids = np.asarray(track_ids, np.int64).reshape(-1)
    hue = np.mod(ids * GOLDEN_RATIO_CONJUGATE, 1.0) * 179  # OpenCV hue range 0..179
    sat = np.where(ids % 2 == 0, 230, 170)
    hsv = np.stack([hue, sat, np.full_like(hue, 255)], axis=1).astype(np.uint8)
    return cv2.cvtColor(hsv[:, None, :], cv2.COLOR_HSV2BGR)[:, 0, :]


class PoseTrackRenderer:
    """Draw skeletons (and boxes with their ids) coloured by track id.

    Uses mmpose's :class:`PoseLocalVisualizer` (OpenCV backend) for drawing and the dataset
    metainfo for the skeleton; colours come from :func:`track_colors` instead of the metainfo's
    per-link colours so that identities can be followed across frames.

    Args:
        dataset_meta: the pose model's parsed metainfo (``skeleton_links``).
        kpt_thr: joints scored below it are not drawn (nor their links).
        radius: joint radius in pixels.
        line_width: link and box thickness in pixels.
        show_bbox: draw the person boxes and their track ids.
    """

    def __init__(self,
                 dataset_meta: dict,
                 kpt_thr: float = 0.3,
                 radius: int = 3,
                 line_width: int = 2,
                 show_bbox: bool = True) -> None:
        from mmpose.visualization import PoseLocalVisualizer
        self.visualizer = PoseLocalVisualizer(name='pose_track_renderer', backend='opencv',
                                              radius=radius, line_width=line_width)
        self.visualizer.set_dataset_meta(dataset_meta)
        links = dataset_meta.get('skeleton_links') or []
        self.skeleton = np.asarray(links, np.int64).reshape(-1, 2)
        self.kpt_thr = float(kpt_thr)
        self.radius = int(radius)
        self.line_width = int(line_width)
        self.show_bbox = show_bbox

    def render(self, image: np.ndarray, instances: InstanceData) -> np.ndarray:
        """Draw the tracked poses of one frame.

        Args:
            image: (H, W, 3) BGR uint8 (not modified).
            instances: ``keypoints`` (N, K, 2), ``keypoint_scores`` (N, K), ``bboxes``,
                ``track_ids`` (N,).

        Returns:
            The drawn (H, W, 3) BGR uint8 image.
        """
        vis = self.visualizer
        vis.set_image(image.copy())
        if len(instances) == 0:
            return vis.get_image()
        h, w = image.shape[:2]
        kpts = np.asarray(instances.keypoints, np.float32)
        scores = np.asarray(instances.keypoint_scores, np.float32)
        ids = np.asarray(instances.get('track_ids', np.arange(len(kpts))), np.int64)
        colors = [tuple(int(c) for c in col) for col in track_colors(ids)]
        inside = ((kpts[..., 0] >= 0) & (kpts[..., 0] < w) & (kpts[..., 1] >= 0)
                  & (kpts[..., 1] < h))
        valid = inside & (scores >= self.kpt_thr) & np.isfinite(kpts).all(-1)
        pix = np.nan_to_num(kpts).round().astype(np.int64)
        if len(self.skeleton):
            a, b = self.skeleton[:, 0], self.skeleton[:, 1]
            for n, l in zip(*np.nonzero(valid[:, a] & valid[:, b])):
                p, q = pix[n, a[l]], pix[n, b[l]]
                vis.draw_lines([int(p[0]), int(q[0])], [int(p[1]), int(q[1])], colors[n],
                               line_widths=self.line_width)
        for n, j in zip(*np.nonzero(valid)):
            vis.draw_circles(pix[n, j], self.radius, face_colors=colors[n])
        if self.show_bbox and 'bboxes' in instances:
            boxes = np.nan_to_num(np.asarray(instances.bboxes, np.float32)).astype(np.int64)
            for n, box in enumerate(boxes):
                vis.draw_bboxes(box[None], edge_colors=[colors[n]], line_widths=1)
                vis.draw_texts(f'id {ids[n]}', (int(box[0]), int(box[1])),
                               font_sizes=self._font_size(h), colors=(255, 255, 255),
                               vertical_alignments='top',
                               bboxes=[dict(facecolor=colors[n])])
        return vis.get_image()

    @staticmethod
    def _font_size(height: int) -> int:
        return int(max(10, height // 40))
