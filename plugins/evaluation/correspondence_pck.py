"""Validation metric of the correspondence network on held-out self-supervised pairs."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpose.registry import METRICS


@METRICS.register_module()
class CorrespondencePCK(BaseMetric):
    """How well the network finds image 1's joints in image 2 of affine pairs.

    For every query joint (annotated in image 1: ``affinity_weights`` > 0) that is still in
    image 2 (``pair_keypoints_visible`` > 0), the predicted location
    (``pred_instances.keypoints``, :meth:`CorrespondenceNet.predict`, network input pixels of
    image 2) is compared with the true one (``gt_instances.pair_keypoints``).

    Reports ``{prefix}/PCK`` (share of joints within ``thr * max(W_in, H_in)`` pixels, in
    [0, 1]) and ``{prefix}/EPE`` (mean end-point error in input pixels).

    Args:
        thr: PCK radius as a fraction of the longer input side.
        collect_device, prefix: as :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix = 'corr'

    def __init__(self, thr: float = 0.05, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if thr <= 0:
            raise ValueError(f'thr must be > 0, got {thr}')
        self.thr = float(thr)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for i, ds in enumerate(data_samples):
            gt = ds.get('gt_instances', {})
            pred = ds.get('pred_instances', {})
            if 'pair_keypoints' not in gt or 'keypoints' not in pred:
                raise ValueError(f'sample {i} ({ds.get("img_path", "?")}): CorrespondencePCK '
                                 'needs gt_instances.pair_keypoints (AffineImagePair in the '
                                 'val pipeline) and pred_instances.keypoints (a '
                                 'CorrespondenceNet)')
            truth = np.asarray(gt['pair_keypoints'], np.float64)
            pts = np.asarray(pred['keypoints'], np.float64)
            if pts.shape != truth.shape:
                raise ValueError(f'sample {i}: predicted keypoints {pts.shape} vs pair '
                                 f'keypoints {truth.shape}')
            counted = np.asarray(gt.get('pair_keypoints_visible', np.ones(truth.shape[:2])),
                                 np.float64).reshape(truth.shape[:2]) > 0
            labels = ds.get('gt_instance_labels', {})
            if 'affinity_weights' in labels:
                w = labels['affinity_weights']
                w = w.cpu().numpy() if hasattr(w, 'cpu') else np.asarray(w)
                counted &= np.asarray(w).reshape(truth.shape[:2]) > 0
            size = ds.get('input_size', ds.get('img_shape', (1, 1)))
            err = np.linalg.norm(pts - truth, axis=-1)[counted]
            self.results.append(dict(err=err, radius=self.thr * float(max(size))))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        errs = [r['err'] for r in results]
        n = int(sum(len(e) for e in errs))
        if n == 0:
            return {'PCK': 0.0, 'EPE': float('nan')}
        hits = sum(int((r['err'] <= r['radius']).sum()) for r in results)
        return {'PCK': hits / n, 'EPE': float(np.concatenate(errs).mean())}
