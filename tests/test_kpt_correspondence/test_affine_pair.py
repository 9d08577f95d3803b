"""Self-supervised pairs: targets peak at the warped keypoints; out-of-image joints -> zeros."""
import cv2
import numpy as np
import pytest
from mmpose.datasets.transforms import GenerateTarget, PackPoseInputs

import plugins  # noqa: F401
from plugins.codecs.correspondence_maps import CorrespondenceMaps
from plugins.datasets.transforms.affine_pair import AffineImagePair, random_pair_matrix
from plugins.models.correspondence.geometry import (apply_affine, input_to_map,
                                                    invert_affine, letterbox_matrix,
                                                    map_to_input)

INPUT = (64, 48)
HEATMAP = (16, 12)
FLIP = [0, 2, 1, 4, 3]  # joint 0 central, (1, 2) and (3, 4) left/right pairs


def _results(kpts, vis, img=None):
    if img is None:
        img = np.zeros((60, 80, 3), np.uint8)
    return dict(img=img, keypoints=np.asarray(kpts, np.float32),
                keypoints_visible=np.asarray(vis, np.float32), flip_indices=FLIP,
                bbox=np.array([[0, 0, 79, 59]], np.float32), img_shape=img.shape[:2])


def test_geometry_round_trips():
    pts = np.random.default_rng(0).uniform(-5, 70, (7, 2))
    m = letterbox_matrix((80, 60), INPUT)
    np.testing.assert_allclose(apply_affine(apply_affine(pts, m), invert_affine(m)), pts,
                               atol=1e-9)
    np.testing.assert_allclose(map_to_input(input_to_map(pts, INPUT, HEATMAP), INPUT, HEATMAP),
                               pts, atol=1e-9)
    # map cell i covers input pixels [4i, 4i + 4): its centre is 4i + 1.5
    np.testing.assert_allclose(map_to_input(np.array([[0.0, 0.0], [2.0, 1.0]]), INPUT, HEATMAP),
                               [[1.5, 1.5], [9.5, 5.5]])


def test_warp_moves_pixels_like_keypoints():
    """A bright pixel of the source image lands where the keypoint is predicted to land."""
    img = np.zeros((60, 80, 3), np.uint8)
    x, y = 30, 20
    cv2.circle(img, (x, y), 2, (255, 255, 255), -1)
    t = AffineImagePair(INPUT, flip_prob=0)
    params = dict(angle_deg=20.0, scale=1.1, shift=(3.0, -2.0), flip=False)
    out = t.transform(_results([[[x, y]] * 5], [[1] * 5], img), params=params)
    img2 = out['img'][..., 3:].astype(float).sum(-1)
    ys, xs = np.nonzero(img2 > 0.5 * img2.max())
    centroid = np.array([xs.mean(), ys.mean()])
    np.testing.assert_allclose(centroid, out['pair_keypoints'][0, 0], atol=0.6)
    img1 = out['img'][..., :3].astype(float).sum(-1)
    ys, xs = np.nonzero(img1 > 0.5 * img1.max())
    np.testing.assert_allclose([xs.mean(), ys.mean()], out['keypoints'][0, 0], atol=0.6)


@pytest.mark.parametrize('flip', [False, True])
def test_target_peaks_land_on_warped_keypoints(flip):
    kpts = [[[30, 20], [25, 30], [35, 30], [20, 45], [40, 45]]]
    params = dict(angle_deg=-15.0, scale=0.9, shift=(2.0, 1.0), flip=flip)
    t = AffineImagePair(INPUT, flip_prob=0.5)
    out = t.transform(_results(kpts, [[1] * 5]), params=params)
    # independent expectation: letterbox, then the pair matrix, then (if flipped) relabel
    m_in = letterbox_matrix((80, 60), INPUT)
    expected = apply_affine(apply_affine(np.asarray(kpts, float), m_in),
                            random_pair_matrix(INPUT, **params))
    if flip:
        expected = expected[:, FLIP]
        # the mirrored person's "left" joint (index 1) is the warped right joint (index 2)
        assert expected[0, 1, 0] != pytest.approx(expected[0, 2, 0])
    np.testing.assert_allclose(out['pair_keypoints'], expected, atol=1e-4)
    codec = CorrespondenceMaps(INPUT, HEATMAP, sigma=0.8)
    enc = codec.encode(out['keypoints'], out['keypoints_visible'], out['pair_keypoints'],
                       out['pair_keypoints_visible'])
    maps = enc['affinity_maps'].reshape(1, 5, HEATMAP[1], HEATMAP[0])
    # round trip: the Gaussian's centroid is the warped keypoint in map coordinates
    ys, xs = np.mgrid[:HEATMAP[1], :HEATMAP[0]]
    w = maps[0] / maps[0].sum((-1, -2), keepdims=True)
    centroid = np.stack([(w * xs).sum((-1, -2)), (w * ys).sum((-1, -2))], -1)
    np.testing.assert_allclose(map_to_input(centroid, INPUT, HEATMAP), expected[0], atol=0.35)
    # and the arg-max decodes to the cell containing it
    dec, scores = codec.decode(maps[0])
    assert np.all(np.abs(dec[0] - expected[0]) <= 2.0 + 1e-6)  # half a 4-px cell
    assert np.all(scores > 0.5)


def test_out_of_image_keypoints_get_zero_maps():
    kpts = [[[30, 20], [2, 30], [78, 30], [40, 58], [40, 30]]]
    t = AffineImagePair(INPUT)
    # a large shift to the right pushes the right side of the image out
    params = dict(angle_deg=0.0, scale=1.0, shift=(30.0, 0.0), flip=False)
    out = t.transform(_results(kpts, [[1, 1, 1, 1, 0]]), params=params)
    pair = out['pair_keypoints'][0]
    outside = (pair[:, 0] >= INPUT[0] - 0.5)
    assert outside.tolist() == [False, False, True, False, False]
    np.testing.assert_array_equal(out['pair_keypoints_visible'][0], [1, 1, 0, 1, 0])
    codec = CorrespondenceMaps(INPUT, HEATMAP)
    enc = codec.encode(out['keypoints'], out['keypoints_visible'], out['pair_keypoints'],
                       out['pair_keypoints_visible'])
    maps = enc['affinity_maps'].reshape(5, -1)
    assert np.all(maps[2] == 0) and np.all(maps[4] == 0)
    assert np.all(maps[[0, 1, 3]].max(1) > 0.5)
    # out of the image: still a query (learn "nowhere"); unannotated: no query
    np.testing.assert_array_equal(enc['affinity_weights'][0], [1, 1, 1, 1, 0])


def test_pipeline_packs_pairs_and_targets():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
    kpts = rng.uniform(5, 55, (3, 5, 2))
    vis = np.ones((3, 5))
    vis[1] = 0  # a person without annotated joints is dropped
    results = _results(kpts, vis, img)
    results['bbox'] = np.tile(results['bbox'], (3, 1))
    np.random.seed(0)
    out = AffineImagePair(INPUT, max_persons=5)(results)
    codec = dict(type='CorrespondenceMaps', input_size=INPUT, heatmap_size=HEATMAP)
    out = GenerateTarget(encoder=codec)(out)
    packed = PackPoseInputs()(out)
    assert packed['inputs'].shape == (6, 48, 64)
    ds = packed['data_samples']
    assert ds.gt_instances.keypoints.shape == (2, 5, 2)
    assert ds.gt_instances.pair_keypoints.shape == (2, 5, 2)
    assert ds.gt_fields.affinity_maps.shape == (10, 12, 16)
    assert ds.gt_instance_labels.affinity_weights.shape == (2, 5)


def test_errors_name_the_problem():
    t = AffineImagePair(INPUT, flip_prob=1.0)
    r = _results([[[1, 1]] * 5], [[1] * 5])
    del r['flip_indices']
    with pytest.raises(ValueError, match='flip_indices'):
        t.transform(r, params=dict(angle_deg=0.0, scale=1.0, shift=(0, 0), flip=True))
    with pytest.raises(ValueError, match='pair_keypoints'):
        CorrespondenceMaps(INPUT, HEATMAP).encode(np.zeros((1, 5, 2)))


def test_empty_image():
    out = AffineImagePair(INPUT)(_results(np.zeros((0, 5, 2)), np.zeros((0, 5))))
    enc = CorrespondenceMaps(INPUT, HEATMAP).encode(
        out['keypoints'], out['keypoints_visible'], out['pair_keypoints'],
        out['pair_keypoints_visible'])
    assert enc['affinity_maps'].shape == (0, 12, 16)
    assert enc['affinity_weights'].shape == (0, 5)


def test_letterbox_transform_moves_pixels_and_annotations():
    """LetterboxImage: a bright pixel lands where its keypoint is mapped; followed by
    AffineImagePair it gives the pair AffineImagePair alone gives (one letter-box)."""
    from plugins.datasets.transforms.letterbox import LetterboxImage
    img = np.zeros((60, 80, 3), np.uint8)
    x, y = 30, 20
    cv2.circle(img, (x, y), 2, (255, 255, 255), -1)
    kpts = [[[x, y], [25, 30], [35, 30], [20, 45], [40, 45]]]
    out = LetterboxImage(INPUT)(_results(kpts, [[1] * 5], img))
    assert out['img'].shape == (48, 64, 3) and out['img_shape'] == (48, 64)
    # 80 x 60 -> scale 0.8 exactly fills 64 x 48: x' = 0.8 (x + 0.5) - 0.5
    np.testing.assert_allclose(out['keypoints'][0, 0], [0.8 * 30.5 - 0.5, 0.8 * 20.5 - 0.5],
                               atol=1e-5)
    np.testing.assert_allclose(out['bbox'][0], [-0.1, -0.1, 63.1, 47.1], atol=1e-4)
    lum = out['img'].astype(float).sum(-1)
    ys, xs = np.nonzero(lum > 0.5 * lum.max())
    np.testing.assert_allclose([xs.mean(), ys.mean()], out['keypoints'][0, 0], atol=0.6)
    params = dict(angle_deg=15.0, scale=1.1, shift=(3.0, -2.0), flip=True)
    chained = AffineImagePair(INPUT).transform(out, params=params)
    alone = AffineImagePair(INPUT).transform(_results(kpts, [[1] * 5], img), params=params)
    for key in ('keypoints', 'pair_keypoints', 'pair_keypoints_visible', 'input_matrix',
                'bbox'):
        np.testing.assert_allclose(chained[key], alone[key], atol=1e-4, err_msg=key)
    with pytest.raises(ValueError, match='input_size'):
        LetterboxImage((0, 10))
