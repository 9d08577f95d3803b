"""tools/analysis/track_gt_poses.py with the mmdet trackers and the post-processors."""
from pathlib import Path

import pytest
from test_track_gt_poses_tool import _score, gt_dir, tool  # noqa: F401  (fixture)

from plugins.datasets.posetrack_json import load_posetrack_video

ROOT = Path(__file__).resolve().parents[2]
TRACKERS = ROOT / 'configs' / '_base_' / 'trackers'


@pytest.mark.parametrize('name', ['sort', 'bytetrack', 'ocsort', 'pose_bytetrack'])
def test_named_tracker_configs_track_clean_ground_truth(gt_dir, tmp_path, name):  # noqa: F811
    out = tmp_path / name
    summary = tool.main(['--gt', str(gt_dir), '--tracker', str(TRACKERS / f'{name}.py'),
                         '--degrade', 'none', '--out', str(out)])
    assert summary['tracker']['type'] == 'MMDetTrackerAdapter'
    mota = _score(gt_dir, out)
    # the mmdet trackers confirm a track after num_tentatives frames (SORT reports tentative
    # tracks too); on clean ground truth nothing is missed or switched
    assert mota['IDSW'] == 0
    assert mota['Total'] == pytest.approx(100.0)


def test_interpolation_fills_the_frames_a_tracker_missed(gt_dir, tmp_path):  # noqa: F811
    """Persons dropped for a frame or two come back as interpolated poses: recall goes up."""
    args = ['--gt', str(gt_dir), '--tracker', str(TRACKERS / 'bytetrack.py'), '--degrade',
            'none', '--degrade-options', 'drop_rate=0.25', 'max_drop_frames=2', '--seed', '1']
    plain = tool.main(args + ['--out', str(tmp_path / 'plain')])
    filled = tool.main(args + ['--out', str(tmp_path / 'filled'), '--post-process',
                               str(TRACKERS / 'interpolation.py')])
    assert filled['post_processors'][0]['type'] == 'TrackletInterpolation'
    assert filled['persons'] > plain['persons']
    a, b = _score(gt_dir, tmp_path / 'plain'), _score(gt_dir, tmp_path / 'filled')
    assert b['Recall'] > a['Recall'] and b['Total'] > a['Total']
    pred = load_posetrack_video(tmp_path / 'filled' / 'video_a.json')
    assert not pred.frames[5].is_labeled and pred.frames[5].num_persons == 0  # never filled


def test_unknown_post_processor_is_an_error(gt_dir, tmp_path):  # noqa: F811
    with pytest.raises(ValueError, match='post-processor'):
        tool.main(['--gt', str(gt_dir), '--tracker', 'IoUTracker', '--post-process', 'Nope',
                   '--out', str(tmp_path / 'x')])


def test_comparison_table_script(gt_dir, tmp_path, capsys):  # noqa: F811
    import importlib.util
    import json
    spec = importlib.util.spec_from_file_location(
        'tracker_comparison', ROOT / 'benchmarks' / 'tracker_comparison.py')
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    out = tmp_path / 't.json'
    table.main(['--gt', str(gt_dir), '--presets', 'none', '--trackers', 'IoU', 'ByteTrack',
                '--out', str(out)])
    runs = json.loads(out.read_text())['runs']
    assert sorted(runs) == ['ByteTrack|none|0', 'IoU|none|0']
    assert runs['IoU|none|0']['plain']['MOTA'] == pytest.approx(100.0)
    assert runs['IoU|none|0']['plain']['IDSW'] == 0
    assert 0 < runs['IoU|none|0']['plain']['HOTA'] <= 100
    capsys.readouterr()
    table.main(['--markdown', str(out)])
    text = capsys.readouterr().out
    assert '| IoU | 100.0 / 100.0 |' in text
