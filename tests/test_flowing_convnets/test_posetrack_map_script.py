"""projects/flowing_convnets/tools/posetrack_map.py: per-person dumps -> PoseTrack mAP."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / 'projects' / 'flowing_convnets' / 'tools' / \
    'posetrack_map.py'


def _script():
    spec = importlib.util.spec_from_file_location('flowing_posetrack_map', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dumps(root, shift=0.0, drop_frame=None):
    """Per-person prediction dicts (as DumpResults writes them) from the ground truth."""
    data = json.loads((root / 'annotations' / 'val.json').read_text())
    preds = []
    for ann in data['annotations']:
        if ann['image_id'] == drop_frame:
            continue
        kv = np.asarray(ann['keypoints'], np.float32).reshape(-1, 3)
        preds.append(dict(img_id=ann['image_id'], id=ann['id'], pred_instances=dict(
            keypoints=kv[None, :, :2] + shift, keypoint_scores=np.ones((1, len(kv))))))
    return preds


def test_perfect_predictions_score_100_and_misses_lower_it(tiny_video_root):
    script = _script()
    gt = str(tiny_video_root / 'annotations' / 'val')
    perfect = script.posetrack_map(_dumps(tiny_video_root), gt)
    assert perfect['posetrack/mAP'] == pytest.approx(100.0)
    # a frame without predictions: its persons are misses (2 of 10 person-frames)
    first_image = json.loads((tiny_video_root / 'annotations' / 'val.json').read_text())[
        'images'][0]['id']
    missing = script.posetrack_map(_dumps(tiny_video_root, drop_frame=first_image), gt)
    assert missing['posetrack/mAP'] == pytest.approx(80.0, abs=1e-6)
    # every joint 30 px off (far beyond half a head size): nothing is correct
    off = script.posetrack_map(_dumps(tiny_video_root, shift=30.0), gt)
    assert off['posetrack/mAP'] == pytest.approx(0.0)


def test_unknown_images_are_reported(tiny_video_root):
    preds = _dumps(tiny_video_root)
    preds[0]['img_id'] = 123
    with pytest.raises(KeyError, match='not in'):
        _script().posetrack_map(preds, str(tiny_video_root / 'annotations' / 'val'))
