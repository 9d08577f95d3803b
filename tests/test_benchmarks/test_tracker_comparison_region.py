"""The region-update tracker's row of ``benchmarks/tracker_comparison.py`` end to end: a tiny
synthetic video, its failure checker (``DetectorRegionScorer``) a randomly initialised
detector built from the synthetic Faster R-CNN config (no checkpoint, no download)."""
import json
import math
from pathlib import Path

import pytest
from script_utils import load_script, tiny_synthetic_val

ROOT = Path(__file__).resolve().parents[2]
DET_CONFIG = 'projects/dense_pose_tracking/configs/faster-rcnn_r18-tiny_synthetic-person-192x144.py'



@pytest.fixture(scope='module')
def table():
    return load_script('benchmarks/tracker_comparison.py')


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """One held-out synthetic video of 6 frames, 2-3 persons."""
    return tiny_synthetic_val(tmp_path_factory.mktemp('synth_region'), 6, 2, 3)


def test_region_row_end_to_end(table, video, tmp_path, capsys):
    out = tmp_path / 'synthetic.json'
    table.main(['--dataset', 'mini', '--gt', str(video / 'annotations' / 'val'), '--images',
                str(video), '--trackers', 'region', 'IoU', '--region-detector',
                str(ROOT / DET_CONFIG), 'none', '--presets', 'light', '--seeds', '0', '--out',
                str(out)])
    runs = json.loads(out.read_text())['runs']
    assert sorted(runs) == ['IoU|light|0', 'region|light|0']
    region = runs['region|light|0']
    scorer = region['tracker_cfg']['failure_scorer']
    assert region['tracker_cfg']['type'] == 'RegionUpdateTracker'
    assert scorer['type'] == 'DetectorRegionScorer' and scorer['checkpoint'] is None
    assert scorer['config'].endswith(Path(DET_CONFIG).name)
    for key in ('plain', 'interp'):
        for metric in ('MOTA', 'HOTA', 'IDSW'):
            assert math.isfinite(region[key][metric]), (key, metric, region[key])
        assert 0 < region[key]['HOTA'] <= 100
    capsys.readouterr()
    table.main(['--markdown', str(out)])
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith('| region |')]
    assert len(rows) == 1 and rows[0].count(' / ') == 3  # MOTA, HOTA, IDSW of one preset


def test_region_needs_a_detector_and_frames(table, video, tmp_path):
    gt = str(video / 'annotations' / 'val')
    with pytest.raises(ValueError, match='--region-detector'):
        table.main(['--gt', gt, '--images', str(video), '--trackers', 'region', '--out',
                    str(tmp_path / 'a.json')])
    with pytest.raises(ValueError, match='--images'):
        table.main(['--gt', gt, '--trackers', 'region', '--region-detector', DET_CONFIG,
                    'none', '--out', str(tmp_path / 'b.json')])
    assert not (tmp_path / 'a.json').exists() and not (tmp_path / 'b.json').exists()
