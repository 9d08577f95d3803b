"""SVS codec: grid evaluation vs scikit-learn, sign structure, invisible joints, equivariance,
the fit cache (hits, identical arrays, corrupt files, concurrent writers) and the target
transform inside an mmpose top-down pipeline."""
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from mmpose.registry import KEYPOINT_CODECS, TRANSFORMS
from sklearn.svm import SVC

import plugins  # noqa: F401
from plugins.codecs.svs_fitting import rbf_decision_function, resolve_parts

META = dict(from_file='configs/_base_/datasets/posetrack18.py')
NAMES = ['nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
         'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
         'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle']
J = {n: i for i, n in enumerate(NAMES)}
# a person with spread arms, in heatmap pixels of a 48x64 grid (x right, y down)
POSE_HM = np.array([[24, 10], [24, 14], [24, 5], [26, 9], [22, 9], [29, 16], [19, 16],
                    [36, 20], [12, 20], [43, 22], [5, 22], [27, 32], [21, 32], [28, 43],
                    [20, 43], [28, 54], [20, 54]], np.float64)
INPUT, HEATMAP = (192, 256), (48, 64)


def make_codec(**kw):
    cfg = dict(type='SVSCodec', input_size=INPUT, heatmap_size=HEATMAP, metainfo=META)
    cfg.update(kw)
    return KEYPOINT_CODECS.build(cfg)


@pytest.fixture(scope='module')
def codec():
    return make_codec()


@pytest.fixture(scope='module')
def encoded(codec):
    return codec.encode(POSE_HM[None] * 4, np.ones((1, 17)))


def test_rbf_decision_function_matches_svc():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    y = (np.linalg.norm(x, axis=1) < 1.0).astype(int)
    svm = SVC(C=6, kernel='rbf', gamma=2.5, class_weight='balanced').fit(x, y)
    q = rng.uniform(-3, 3, size=(500, 2))
    ours = rbf_decision_function(q, svm.support_vectors_, svm.dual_coef_[0],
                                 svm.intercept_[0], 2.5)
    np.testing.assert_allclose(ours, svm.decision_function(q), atol=1e-5, rtol=0)


def test_codec_maps_match_sklearn_decision_function(codec, encoded):
    """Every channel equals SVC(C, rbf, balanced).decision_function on the heatmap grid."""
    maps = encoded['svs_maps']
    assert maps.shape == (28, 64, 48) and maps.dtype == np.float32
    np.testing.assert_array_equal(encoded['svs_weights'], np.ones((1, 28), np.float32))
    visible = np.ones(17, bool)
    frame, points = codec.canonicalize(POSE_HM, visible)
    sets = codec.training_sets(points, visible)
    ys, xs = np.mgrid[0:64, 0:48]
    grid = frame.to_canonical(np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float64))
    num_parts = len(codec.parts)
    for g, c in enumerate(codec.c_values):
        for p, (x, y) in enumerate(sets):
            svm = SVC(C=c, kernel='rbf', gamma=codec.gamma, class_weight='balanced').fit(x, y)
            ref = svm.decision_function(grid).reshape(64, 48)
            np.testing.assert_allclose(maps[g * num_parts + p], ref, atol=1e-5, rtol=0,
                                       err_msg=codec.channel_names()[g * num_parts + p])


def test_sign_structure(codec, encoded):
    """Positive on the part's limbs, negative far from the person and on other limbs."""
    maps = encoded['svs_maps'].reshape(len(codec.c_values), len(codec.parts), 64, 48)
    part = {n: i for i, n in enumerate(codec.part_names)}

    def at(xy):
        return maps[:, :, int(round(xy[1])), int(round(xy[0]))]

    mid_left_forearm = (POSE_HM[J['left_elbow']] + POSE_HM[J['left_wrist']]) / 2
    mid_right_shin = (POSE_HM[J['right_knee']] + POSE_HM[J['right_ankle']]) / 2
    assert (at(mid_left_forearm)[:, part['left_arm']] > 0).all()
    assert (at(mid_left_forearm)[:, part['body']] > 0).all()
    assert (at(mid_right_shin)[:, part['right_leg']] > 0).all()
    # the left arm channel is negative on the right wrist, the head channel on the ankles
    assert (at(POSE_HM[J['right_wrist']])[:, part['left_arm']] < 0).all()
    assert (at(POSE_HM[J['left_ankle']])[:, part['head']] < 0).all()
    # far from every joint (corners of the grid): negative in every channel
    for corner in [(0, 63), (47, 63), (0, 0), (47, 0)]:
        assert (at(corner) < 0).all(), corner


def test_invisible_joints_give_no_landmarks(codec, encoded):
    part = {n: i for i, n in enumerate(codec.part_names)}
    left_arm = [g * len(codec.parts) + part['left_arm'] for g in range(len(codec.c_values))]
    vis = np.ones((1, 17))
    vis[0, [J['left_wrist']]] = 0
    out = codec.encode(POSE_HM[None] * 4, vis)
    x, y = ((POSE_HM[J['left_elbow']] + POSE_HM[J['left_wrist']]) / 2).round().astype(int)
    x_w, y_w = POSE_HM[J['left_wrist']].astype(int)
    assert (encoded['svs_maps'][left_arm, y_w, x_w] > 0).all()
    assert (out['svs_maps'][left_arm, y_w, x_w] < 0).all()  # the wrist is no landmark now
    assert (out['svs_weights'][0, left_arm] == 1).all()  # the shoulder and elbow still are
    vis[0, [J['left_shoulder'], J['left_elbow']]] = 0
    out = codec.encode(POSE_HM[None] * 4, vis)
    assert (out['svs_weights'][0, left_arm] == 0).all()
    assert (out['svs_maps'][left_arm] == 0).all()
    assert out['svs_weights'].sum() == 28 - 4
    nobody = codec.encode(POSE_HM[None] * 4, np.zeros((1, 17)))
    assert not nobody['svs_maps'].any() and not nobody['svs_weights'].any()


def test_similarity_transformed_pose_shares_the_fit(codec):
    """Rotated, scaled, shifted (and flipped-then-relabelled) crops map to the same fit key."""
    visible = np.ones(17, bool)
    key = codec.cache_key(*codec.canonicalize(POSE_HM, visible)[1:], visible)
    for angle, scale, shift in [(0.3, 1.2, (3, -2)), (-0.5, 0.8, (-4, 5)), (np.pi, 1.0, (0, 0))]:
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        moved = (POSE_HM - 25) @ rot.T * scale + 25 + np.array(shift)
        frame, points = codec.canonicalize(moved, visible)
        assert codec.cache_key(points, visible) == key
        # and the map follows the person: positive on its moved left forearm
        out = codec.encode(moved[None] * 4, np.ones((1, 17)))
        mid = (moved[J['left_elbow']] + moved[J['left_wrist']]) / 2
        x, y = np.clip(mid.round().astype(int), 0, [47, 63])
        assert out['svs_maps'][codec.part_names.index('left_arm'), y, x] > 0


def test_resolve_parts_uses_names_and_skeleton():
    name2id = {'a': 0, 'b': 1, 'c': 2, 'd': 3}
    parts = resolve_parts([('ab', ['a', 'b', 'missing']), ('all', ['*'])], name2id,
                          [(0, 1), (1, 2), (2, 3)])
    assert parts[0].joints == (0, 1) and parts[0].links == ((0, 1), )
    assert parts[1].joints == (0, 1, 2, 3) and len(parts[1].links) == 3
    with pytest.raises(ValueError, match='none of its joints'):
        resolve_parts([('x', ['nope'])], name2id, [])


def test_cache_hit_returns_identical_arrays(tmp_path, monkeypatch):
    first = make_codec(cache_dir=str(tmp_path))
    a = first.encode(POSE_HM[None] * 4, np.ones((1, 17)))
    assert (first.cache.hits, first.cache.misses) == (0, 1)
    files = list(tmp_path.rglob('*.npz'))
    assert len(files) == 1 and not list(tmp_path.rglob('*.tmp'))

    def no_fit(*args, **kwargs):
        raise AssertionError('the cache should have answered')

    second = make_codec(cache_dir=str(tmp_path))  # e.g. another data-loader worker
    monkeypatch.setattr('plugins.codecs.svs.fit_svs', no_fit)
    b = second.encode(POSE_HM[None] * 4, np.ones((1, 17)))
    assert (second.cache.hits, second.cache.misses) == (1, 0)
    for k in a:
        assert np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype
    monkeypatch.undo()
    # a corrupt file is a miss: refitted, rewritten, same result as without cache
    files[0].write_bytes(b'garbage')
    third = make_codec(cache_dir=str(tmp_path))
    c = third.encode(POSE_HM[None] * 4, np.ones((1, 17)))
    assert third.cache.misses == 1
    no_cache = make_codec().encode(POSE_HM[None] * 4, np.ones((1, 17)))
    for k in a:
        assert np.array_equal(c[k], a[k]) and np.array_equal(no_cache[k], a[k])


def _encode_in_worker(args):
    cache_dir, shift = args
    codec = make_codec(cache_dir=cache_dir, c_values=(3, ))
    return codec.encode((POSE_HM[None] + shift) * 4, np.ones((1, 17)))['svs_maps']


def test_cache_is_safe_under_concurrent_workers(tmp_path):
    jobs = [(str(tmp_path), s) for s in (0, 1, 0, 1, 0, 1)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_encode_in_worker, jobs))
    assert len(list(tmp_path.rglob('*.npz'))) == 1  # a shift is a similarity: one fit
    assert not list(tmp_path.rglob('*.tmp'))
    for r in results[2::2]:
        assert np.array_equal(r, results[0])
    assert not np.array_equal(results[0], results[1])


def test_bad_input_is_named(codec):
    with pytest.raises(ValueError, match=r'\(1, K, 2\)'):
        codec.encode(np.zeros((2, 17, 2)), np.ones((2, 17)))
    with pytest.raises(ValueError, match='17'):
        codec.encode(np.zeros((1, 5, 2)), np.ones((1, 5)))
    with pytest.raises(NotImplementedError):
        codec.decode(np.zeros((28, 64, 48)))


def test_target_transform_in_topdown_pipeline(codec):
    """GenerateSVSTarget after GenerateTarget: PackPoseInputs packs both targets."""
    from mmcv.transforms import Compose
    from mmengine.registry import DefaultScope
    msra = dict(type='MSRAHeatmap', input_size=INPUT, heatmap_size=HEATMAP, sigma=2)
    svs = dict(type='SVSCodec', input_size=INPUT, heatmap_size=HEATMAP, metainfo=META)
    with DefaultScope.overwrite_default_scope('mmpose'):
        pipeline = Compose([TRANSFORMS.build(t) for t in [
            dict(type='GetBBoxCenterScale'),
            dict(type='TopdownAffine', input_size=INPUT),
            dict(type='GenerateTarget', encoder=msra),
            dict(type='GenerateSVSTarget', encoder=svs),
            dict(type='PackPoseInputs')]])
    kpts = (POSE_HM * 4 + 100)[None].astype(np.float32)
    results = dict(img=np.zeros((480, 400, 3), np.uint8), img_shape=(480, 400),
                   bbox=np.array([[100, 100, 292, 356]], np.float32), bbox_score=np.ones(1),
                   keypoints=kpts, keypoints_visible=np.ones((1, 17), np.float32),
                   dataset_keypoint_weights=np.ones(17, np.float32))
    packed = pipeline(results)
    sample = packed['data_samples']
    assert tuple(sample.gt_fields.heatmaps.shape) == (17, 64, 48)
    assert tuple(sample.gt_fields.svs_maps.shape) == (28, 64, 48)
    assert tuple(sample.gt_instance_labels.keypoint_weights.shape) == (1, 17)
    assert tuple(sample.gt_instance_labels.svs_weights.shape) == (1, 28)
    # the crop is a similarity of the annotation: the SVS is that of the crop's keypoints
    crop_kpts = results['transformed_keypoints']
    direct = codec.encode(crop_kpts, np.ones((1, 17)))['svs_maps']
    np.testing.assert_allclose(sample.gt_fields.svs_maps.numpy(), direct, atol=1e-6)
