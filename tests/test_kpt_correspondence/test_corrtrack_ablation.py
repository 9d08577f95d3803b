"""``tools/analysis/corrtrack_ablation.py`` end to end on one tiny synthetic video, every model
at random weights (no training, no download): the detector-box setting builds the demo's
detector stage, and every setting reports HOTA next to mAP / MOTA."""
import json
import math
from pathlib import Path

import pytest
from script_utils import load_script, tiny_synthetic_val

ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture(scope='module')
def ablation():
    return load_script('tools/analysis/corrtrack_ablation.py')


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """One held-out synthetic video of 4 frames, 2 persons."""
    return tiny_synthetic_val(tmp_path_factory.mktemp('synth_ablation'), 4, 2, 2)


def test_detector_stage_is_built_only_for_detector_boxes(ablation, monkeypatch):
    monkeypatch.chdir(ROOT)
    ov = ablation.variants()['previous']
    corr = {ablation.REFINE[0]: 'none'}
    pipe = ablation.build_pipeline(ov, 'none', (ablation.DETECTOR[0], 'none'), corr)
    assert type(pipe.detector).__name__ == 'MMDetPersonDetector'
    assert pipe.detector.score_thr == 0.4 and pipe.detector.bbox_extension == 1.2
    assert ablation.build_pipeline(ov, 'none', None, corr).detector is None


def test_detector_and_gt_boxes_end_to_end(ablation, video, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    work = tmp_path / 'ablation'
    results = ablation.main([
        '--boxes', 'detector', 'gt', '--data-root', str(video), '--pose-checkpoint', 'none',
        '--detector-checkpoint', 'none', '--refine-checkpoint', 'none', '--siamese-checkpoint',
        'none', '--variants', 'previous', '--work-dir', str(work)])
    assert sorted(results) == ['detector', 'gt']
    for boxes in ('detector', 'gt'):
        row = results[boxes]['previous']
        assert row['frames'] == 4
        for key in ('mAP', 'MOTA', 'IDSW', 'HOTA', 'DetA', 'AssA'):
            assert key in row
        assert math.isfinite(row['mAP']) and math.isfinite(row['seconds'])
    # ground-truth boxes, even with random pose weights, give a finite HOTA
    assert math.isfinite(results['gt']['previous']['HOTA'])
    assert json.loads((work / 'results.json').read_text()) == json.loads(json.dumps(results))
    out = capsys.readouterr().out
    assert 'detector boxes, 1 val videos' in out
    assert '| variant | mAP | MOTA | IDSW | HOTA |' in out
