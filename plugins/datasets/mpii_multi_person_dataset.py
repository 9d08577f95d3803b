"""MPII in mmpose's layout, evaluated multi-person: top-down samples from person detections."""
import json
import os.path as osp
from typing import List

import numpy as np
from mmengine.logging import MMLogger
from mmpose.datasets.datasets.body import MpiiDataset
from mmpose.registry import DATASETS


@DATASETS.register_module()
class MpiiMultiPersonDataset(MpiiDataset):
    """mmpose's ``MpiiDataset`` that also reads person detections (``bbox_file``).

    Without ``bbox_file`` it is ``MpiiDataset`` (one sample per annotated person, ground-truth
    boxes). With ``bbox_file`` (test mode only, as mmpose's COCO datasets), every detection of
    every image of ``ann_file`` becomes one top-down sample (``bbox`` ``xyxy``, ``bbox_score``),
    so that a pose NMS and ``MpiiMultiPersonMetric`` can evaluate the multi-person protocol.

    Args:
        bbox_file: COCO detection results JSON (detections of images outside ``ann_file`` are
            ignored, with a warning) (``[{image_id, bbox: [x, y, w, h], score,
            category_id}]``) whose ``image_id`` is mmpose's MPII image id (the integer stem of
            the image file name, e.g. 15601864 for ``015601864.jpg``).
        det_score_thr: detections scored below it are dropped.
        det_category_id: category of persons in ``bbox_file`` (entries without
            ``category_id`` are kept).
        **kwargs: ``MpiiDataset`` arguments.
    """

    def __init__(self, *args, det_score_thr: float = 0.0, det_category_id: int = 1,
                 **kwargs) -> None:
        self.det_score_thr = float(det_score_thr)
        self.det_category_id = int(det_category_id)
        super().__init__(*args, **kwargs)

    def _load_detection_results(self) -> List[dict]:
        """One top-down sample per detection of an image of ``ann_file``."""
        for path, what in ((self.ann_file, 'ann_file'), (self.bbox_file, 'bbox_file')):
            if not osp.isfile(path):
                raise FileNotFoundError(f'{type(self).__name__}: {what} {path!r} not found')
        with open(self.ann_file) as f:
            anns = json.load(f)
        images = {}
        for a in anns:
            stem = osp.splitext(osp.basename(a['image']))[0]
            images[int(stem)] = a['image']
        with open(self.bbox_file) as f:
            dets = json.load(f)
        if not isinstance(dets, list):
            raise ValueError(f'{self.bbox_file}: expected a list of COCO detection results')
        k = self.metainfo['num_keypoints']
        data_list, unknown = [], set()
        for i, d in enumerate(dets):
            for key in ('image_id', 'bbox'):
                if key not in d:
                    raise ValueError(f'{self.bbox_file}: detection {i} lacks "{key}"')
            if d.get('category_id', self.det_category_id) != self.det_category_id:
                continue
            score = float(d.get('score', 1.0))
            if score < self.det_score_thr:
                continue
            img_id = int(d['image_id'])
            if img_id not in images:
                unknown.add(img_id)
                continue
            x, y, w, h = (float(v) for v in d['bbox'])
            data_list.append(dict(
                id=len(data_list), img_id=img_id,
                img_path=osp.join(self.data_prefix['img'], images[img_id]),
                bbox=np.array([[x, y, x + w, y + h]], np.float32),
                bbox_score=np.array([score], np.float32),
                keypoints=np.zeros((1, k, 2), np.float32),
                keypoints_visible=np.ones((1, k), np.float32)))
        if unknown:
            MMLogger.get_current_instance().warning(
                f'{self.bbox_file}: detections of {len(unknown)} images that are not in '
                f'{self.ann_file} are ignored (image ids {sorted(unknown)[:5]}...)')
        return data_list
