"""Transform that adds Support Vector Shape targets next to the keypoint targets."""
from copy import deepcopy
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import KEYPOINT_CODECS, TRANSFORMS


@TRANSFORMS.register_module()
class GenerateSVSTarget(BaseTransform):
    """Encode the (augmented) keypoints of a top-down crop into SVS maps.

    Use it after ``TopdownAffine`` and ``GenerateTarget`` (which makes the keypoint heatmaps);
    it adds ``svs_maps`` (C, H, W) and ``svs_weights`` (1, C) to the results and extends the
    mapping tables so that ``PackPoseInputs`` puts them into ``gt_fields.svs_maps`` and
    ``gt_instance_labels.svs_weights``. Keeping it separate from ``GenerateTarget`` leaves the
    keypoint codec (and its ``keypoint_weights``) untouched.

    Required keys: ``transformed_keypoints`` (or ``keypoints``), ``keypoints_visible``.
    Added keys: ``svs_maps``, ``svs_weights``, ``field_mapping_table``, ``label_mapping_table``.

    Args:
        encoder: the SVS codec config (``dict(type='SVSCodec', ...)``).
    """

    def __init__(self, encoder: dict) -> None:
        super().__init__()
        self.encoder_cfg = deepcopy(encoder)
        self.encoder = KEYPOINT_CODECS.build(self.encoder_cfg)

    def transform(self, results: Dict) -> Optional[Dict]:
        """Add the SVS target of the crop's person (see class docstring)."""
        keypoints = results.get('transformed_keypoints')
        if keypoints is None or np.ndim(keypoints) != 3:
            keypoints = results.get('keypoints')
        if keypoints is None:
            raise ValueError('GenerateSVSTarget needs "transformed_keypoints" or "keypoints" '
                             'in the results (put it after TopdownAffine)')
        if 'keypoints_visible' not in results:
            raise ValueError('GenerateSVSTarget needs "keypoints_visible" in the results')
        visible = np.asarray(results['keypoints_visible'])
        if visible.ndim == 3:
            visible = visible[..., 0]
        results.update(self.encoder.encode(keypoints, visible))
        fields = dict(results.get('field_mapping_table', PackPoseInputs.field_mapping_table))
        fields.update(self.encoder.field_mapping_table)
        labels = dict(results.get('label_mapping_table', PackPoseInputs.label_mapping_table))
        labels.update(self.encoder.label_mapping_table)
        results['field_mapping_table'] = fields
        results['label_mapping_table'] = labels
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(encoder={self.encoder_cfg})'
