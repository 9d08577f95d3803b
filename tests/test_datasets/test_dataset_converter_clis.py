"""The command-line tools of the data area run end to end on tiny inputs."""
import importlib.util
import json

import numpy as np

import plugins  # noqa: F401  (the real package first: the synthetic CLI would bind a bare one)


def _load_tool(repo_root, name):
    path = repo_root / 'tools' / 'dataset_converters' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_synthetic_cli(repo_root, tmp_path, capsys):
    tool = _load_tool(repo_root, 'make_synthetic')
    tool.main(['--out', str(tmp_path), '--videos', '2', '--val-videos', '1', '--frames', '3',
               '--width', '96', '--height', '72', '--workers', '1', '--seed', '4'])
    assert 'train: 2 videos, 6 frames' in capsys.readouterr().out
    for split, n in (('train', 6), ('val', 3)):
        merged = json.load(open(tmp_path / 'annotations' / f'{split}.json'))
        assert len(merged['images']) == n
        for img in merged['images']:
            assert (tmp_path / img['file_name']).is_file()
            assert (img['width'], img['height']) == (96, 72)
    settings = json.load(open(tmp_path / 'settings_train.json'))
    assert settings['seed'] == 4 and settings['num_frames'] == 3


def test_bonn_converter_on_a_tiny_mat(repo_root, tmp_path):
    """A hand-made two-person, two-frame annolist.mat with MATLAB's squeezed shapes."""
    from scipy.io import savemat
    point = lambda i, x, y, v: dict(id=i, x=x, y=y, is_visible=v, is_truncated=0)  # noqa
    ap = np.empty((2, 2), dtype=object)
    ap[0, 0] = dict(point=np.array([point(9, 10.0, 5.0, 1), point(0, 12.0, 50.0, 0)],
                                   dtype=object), head_rect=np.array([5.0, 2.0, 15.0, 12.0]))
    ap[0, 1] = dict(point=point(8, 11.0, 14.0, 1), head_rect=np.zeros(0))  # a single point
    ap[1, 0] = np.zeros(0)  # absent
    ap[1, 1] = dict(point=np.array([point(15, 30.0, 40.0, 1), point(6, 1.0, 1.0, 1)],
                                   dtype=object), head_rect=np.zeros(0))  # pelvis: not kept
    annolist = np.empty(1, dtype=object)
    annolist[0] = dict(name='000042', num_frames=2, num_persons=2, annopoints=ap)
    mat = tmp_path / 'annolist.mat'
    savemat(mat, dict(annolist=annolist))
    tool = _load_tool(repo_root, 'bonn_posetrack_to_posetrack18')
    tool.main([str(mat), str(tmp_path / 'out')])
    raw = json.load(open(tmp_path / 'out' / '000042.json'))
    names = raw['categories'][0]['keypoints']
    assert len(raw['images']) == 2 and len(raw['annotations']) == 3
    a0 = raw['annotations'][0]
    kv = np.array(a0['keypoints']).reshape(-1, 3)
    np.testing.assert_allclose(kv[names.index('head_top')], [10, 5, 2])
    np.testing.assert_allclose(kv[names.index('right_ankle')], [12, 50, 1])  # occluded
    assert a0['num_keypoints'] == 2 and a0['track_id'] == 0
    np.testing.assert_allclose(a0['bbox_head'], [5, 2, 10, 10])
    # box: joints and head box, grown by 10% of its size per side: x 5..15, y 2..50
    np.testing.assert_allclose(a0['bbox'], [4, -2.8, 12, 57.6], atol=1e-3)
    assert [a['track_id'] for a in raw['annotations'][1:]] == [0, 1]
    a2 = np.array(raw['annotations'][2]['keypoints']).reshape(-1, 3)
    assert a2[:, 2].sum() == 2 and 'bbox_head' not in raw['annotations'][2]


def test_bonn_converter_says_when_the_input_is_not_a_mat_file(repo_root, tmp_path):
    import subprocess
    import sys
    tool = repo_root / 'tools' / 'dataset_converters' / 'bonn_posetrack_to_posetrack18.py'
    js = tmp_path / 'annolist.json'
    js.write_text('{"images": []}')
    garbage = tmp_path / 'broken.mat'
    garbage.write_bytes(b'MATLAB 5.0 MAT-file' + b'\0' * 200)
    for path, expected in ((js, 'not a MATLAB .mat file (it looks like JSON)'),
                           (garbage, 'not a readable MATLAB .mat file')):
        proc = subprocess.run([sys.executable, str(tool), str(path), str(tmp_path / 'out')],
                              capture_output=True, text=True, cwd=repo_root)
        assert proc.returncode == 1
        assert expected in proc.stderr and str(path) in proc.stderr, proc.stderr
        assert 'Traceback' not in proc.stderr
