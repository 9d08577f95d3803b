"""ParametricPoseNMS(params_file=...): the file fit_pose_nms.py writes, read back."""
import json

import numpy as np
import pytest

from plugins.post_processing.parametric_pose_nms import (ParametricPoseNMS, PoseNMSParams,
                                                         load_pose_nms_params,
                                                         save_pose_nms_params)
from plugins.post_processing.pose_nms_presets import pose_nms_preset
from plugins.registry import METRICS, POSE_NMS

from .rmpe_test_utils import load_tool
from .test_pose_nms_coco_metric import evaluate
from .test_pose_nms_fitting import tiny_coco


def test_round_trip(tmp_path):
    params = PoseNMSParams(**pose_nms_preset('paper')).replace(sigma1=1.41, sigma2=0.0071,
                                                               eta=6.0)
    path = tmp_path / 'nms.json'
    save_pose_nms_params(str(path), 'paper', params, best_ap=0.5)
    assert load_pose_nms_params(str(path)) == ('paper', params.__dict__)
    nms = POSE_NMS.build(dict(type='ParametricPoseNMS', preset='paper', params_file=str(path)))
    assert nms.params == params
    # explicit arguments still override the file
    assert ParametricPoseNMS('paper', str(path), eta=7.0).params == params.replace(eta=7.0)


def test_fit_tool_output_is_what_the_nms_and_the_metric_use(tmp_path):
    main = load_tool('tools/analysis/fit_pose_nms.py').main
    path, records = tiny_coco(tmp_path)
    res = [dict(image_id=r['image_id'], category_id=1, score=r['bbox_score'],
                bbox=[*r['bbox'][:2], *(r['bbox'][2:] - r['bbox'][:2])],
                keypoints=np.concatenate([r['keypoints'], r['keypoint_scores'][:, None]],
                                         1).ravel().tolist()) for r in records]
    (tmp_path / 'cands.json').write_text(json.dumps(res))
    out = tmp_path / 'fit.json'
    result = main([str(path), str(tmp_path / 'cands.json'), '--preset', 'paper', '--factors',
                   '0.25', '1', '4', '--max-rounds', '2', '--out', str(out)])
    nms = ParametricPoseNMS(preset='paper', params_file=str(out))
    assert nms.params == PoseNMSParams(**{**pose_nms_preset('paper'), **result['best']})
    metric = METRICS.build(dict(type='PoseNMSCocoMetric', ann_file=str(path), pose_nms=dict(
        type='ParametricPoseNMS', preset='paper', params_file=str(out))))
    assert evaluate(metric, records)['coco/AP'] == pytest.approx(result['best_ap'], abs=1e-9)


def _write(tmp_path, content):
    p = tmp_path / 'bad.json'
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(p)


def test_missing_or_malformed_files_are_named(tmp_path):
    good = dict(format='rmpe-pose-nms-params', version=1, preset='paper',
                params=PoseNMSParams(**pose_nms_preset('paper')).__dict__)
    with pytest.raises(FileNotFoundError, match='fit_pose_nms.py'):
        ParametricPoseNMS('paper', str(tmp_path / 'missing.json'))
    with pytest.raises(ValueError, match='bad.json.*not JSON'):
        ParametricPoseNMS('paper', _write(tmp_path, '{"format": '))
    with pytest.raises(ValueError, match='"format" field'):
        ParametricPoseNMS('paper', _write(tmp_path, dict(best=dict(eta=1.0))))
    with pytest.raises(ValueError, match='version'):
        ParametricPoseNMS('paper', _write(tmp_path, dict(good, version=7)))
    with pytest.raises(ValueError, match='no "params"'):
        ParametricPoseNMS('paper', _write(tmp_path, dict(good, params=None)))
    bad = dict(good, params=dict(good['params'], gamma=1.0))
    with pytest.raises(ValueError, match=r"unknown parameters \['gamma'\]"):
        ParametricPoseNMS('paper', _write(tmp_path, bad))
    params = dict(good['params'])
    del params['eta']
    with pytest.raises(ValueError, match=r"missing parameters \['eta'\]"):
        ParametricPoseNMS('paper', _write(tmp_path, dict(good, params=params)))
    with pytest.raises(ValueError, match='bad.json.*sigma1 must be > 0'):
        ParametricPoseNMS('paper', _write(tmp_path, dict(good, params=dict(good['params'],
                                                                            sigma1=-1.0))))
    with pytest.raises(ValueError, match="fitted with preset='paper' but preset='alphapose'"):
        ParametricPoseNMS('alphapose', _write(tmp_path, good))
