"""The batched top-down pose stage against mmpose's own ``inference_topdown`` on identical boxes."""
import copy
import warnings

import cv2
import numpy as np
import pytest
import torch
from mmengine.model import ImgDataPreprocessor

from mmpose.apis import inference_topdown, init_model
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS

from plugins.apis import MMPoseTopdownEstimator
from plugins.apis.batched_topdown import TopdownCropper, affine_crops_torch

POSE_CFG = 'configs/demo/td-hm_res18-tiny_synthetic-128x96.py'  # flip test on


@MODELS.register_module(force=True)
class _PredictOverridingEstimator(TopdownPoseEstimator):
    """A subclass with its own predict (forces the stage's generic model.predict path)."""

    def predict(self, inputs, data_samples):
        return super().predict(inputs, data_samples)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory, repo_root):
    torch.manual_seed(0)
    model = init_model(str(repo_root / POSE_CFG), None, device='cpu')
    # random but not degenerate batch-norm statistics, so that fusing them changes the weights
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp('ckpt') / 'pose.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


@pytest.fixture(scope='module')
def frame():
    rng = np.random.default_rng(0)
    return cv2.GaussianBlur(rng.integers(0, 255, (150, 200, 3), dtype=np.uint8), (0, 0), 2)


@pytest.fixture(scope='module')
def boxes():
    # inside, partly outside, tiny, wide, tall, whole frame
    return np.array([[20, 30, 60, 120], [-15, 80, 40, 170], [150, 10, 154, 16],
                     [10, 100, 190, 140], [170, 0, 185, 149], [0, 0, 200, 150],
                     [95.3, 40.7, 130.1, 101.9]], np.float32)


def reference(model, frame, boxes):
    """mmpose's demo loop: keypoints (N, K, 2) and scores (N, K) of ``inference_topdown``."""
    out = inference_topdown(model, frame, boxes)
    return (np.stack([s.pred_instances.keypoints[0] for s in out]),
            np.stack([s.pred_instances.keypoint_scores[0] for s in out]))


def exact_stage(repo_root, checkpoint, **kw):
    kw = {**dict(channels_last=False, fuse_conv_bn=False, merge_flip=False, crop_backend='cv2'),
          **kw}
    return MMPoseTopdownEstimator(str(repo_root / POSE_CFG), checkpoint, **kw)


@pytest.fixture(scope='module')
def mmpose_model(repo_root, checkpoint):
    return init_model(str(repo_root / POSE_CFG), checkpoint, device='cpu')


def test_exact_mode_is_bit_identical_to_inference_topdown(repo_root, checkpoint, mmpose_model,
                                                          frame, boxes):
    ref_k, ref_s = reference(mmpose_model, frame, boxes)
    stage = exact_stage(repo_root, checkpoint)
    assert stage.cropper is not None and stage._plain_predict  # the batched path ran
    out = stage(frame, boxes, bbox_scores=np.linspace(1, 0.5, len(boxes)))
    np.testing.assert_array_equal(out.keypoints, ref_k.astype(np.float32))
    np.testing.assert_array_equal(out.keypoint_scores, ref_s.astype(np.float32))
    np.testing.assert_array_equal(out.bboxes, boxes)
    np.testing.assert_allclose(out.bbox_scores, np.linspace(1, 0.5, len(boxes)), rtol=1e-6)
    # one person alone (a batch of one) equals mmpose on that box alone
    one_k, one_s = reference(mmpose_model, frame, boxes[3:4])
    one = stage(frame, boxes[3:4])
    np.testing.assert_array_equal(one.keypoints, one_k.astype(np.float32))
    np.testing.assert_array_equal(one.keypoint_scores, one_s.astype(np.float32))


def test_batched_crops_equal_the_test_pipeline_crops(repo_root, checkpoint, mmpose_model, frame,
                                                     boxes):
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpose'):
        pipeline = Compose(mmpose_model.cfg.test_dataloader.dataset.pipeline)
    stage = exact_stage(repo_root, checkpoint)
    inputs, centers, scales = stage.crop_inputs(frame, boxes)
    for i, box in enumerate(boxes):
        info = dict(img=frame, bbox=box[None], bbox_score=np.ones(1, np.float32))
        info.update(mmpose_model.dataset_meta)
        packed = pipeline(info)
        assert torch.equal(inputs[i], packed['inputs'])
        np.testing.assert_array_equal(centers[i], packed['data_samples'].metainfo['input_center'])
        np.testing.assert_array_equal(scales[i], packed['data_samples'].metainfo['input_scale'])


def test_crop_boxes_and_max_batch(repo_root, checkpoint, mmpose_model, frame, boxes):
    extended = boxes * 1.1
    stage = exact_stage(repo_root, checkpoint, max_batch=3)
    out = stage(frame, boxes, crop_bboxes=extended)
    np.testing.assert_array_equal(out.bboxes, boxes)  # reported boxes stay the given ones
    # mmpose on the same chunks of 3 (a batch's composition may change float rounding)
    parts = [reference(mmpose_model, frame, extended[i:i + 3]) for i in range(0, len(boxes), 3)]
    np.testing.assert_array_equal(out.keypoints, np.concatenate([p[0] for p in parts]))
    np.testing.assert_array_equal(out.keypoint_scores, np.concatenate([p[1] for p in parts]))


def test_fast_mode_equals_mmpose_up_to_float_rounding(repo_root, checkpoint, mmpose_model,
                                                      frame, boxes):
    """Fused batch norms + channels-last compute the same heatmaps up to rounding."""
    fast = MMPoseTopdownEstimator(str(repo_root / POSE_CFG), checkpoint)  # the defaults
    exact = exact_stage(repo_root, checkpoint)
    def batch_norms(model):
        return sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())

    # the backbone's are folded (the head's follow transposed convolutions: kept)
    assert batch_norms(fast.model) < batch_norms(exact.model) - 10
    inputs = exact.crop_inputs(frame, boxes)[0]
    with torch.no_grad():
        batch = ImgDataPreprocessor.forward(exact.model.data_preprocessor,
                                            dict(inputs=inputs))['inputs']
        ref = exact.model(batch, None, mode='tensor')
        got = fast.model(batch, None, mode='tensor')
    assert not torch.equal(ref, got)  # really another computation ...
    assert (ref - got).abs().max() <= 1e-5 * ref.abs().max()  # ... of the same function
    ref_k, ref_s = reference(mmpose_model, frame, boxes)
    out = fast(frame, boxes)
    # a score is a heatmap maximum: continuous in the heatmaps
    np.testing.assert_allclose(out.keypoint_scores, ref_s, atol=1e-5 * float(ref_s.max()))
    same = np.abs(out.keypoints - ref_k).max(-1) < 1e-3
    assert same.mean() >= 0.95, f'{(~same).sum()} of {same.size} joints moved'


def test_torch_crop_backend_matches_opencv(frame, boxes):
    cropper = TopdownCropper((96, 128), padding=1.25)
    centers, scales = cropper.centers_scales(boxes)
    mats = cropper.warp_matrices(centers, scales)
    ref = cropper.crops_cv2(frame, mats).astype(np.float32).transpose(0, 3, 1, 2)
    got = affine_crops_torch(torch.from_numpy(frame), mats, (96, 128)).numpy()
    diff = np.abs(got - ref)
    assert got.shape == ref.shape == (len(boxes), 3, 128, 96)
    # OpenCV interpolates in fixed point (source positions rounded to 1/32 px, 15-bit
    # weights): a few grey levels on steep edges of a magnified crop, ~0 on average
    assert diff.max() <= 4
    assert diff.mean() < 0.1
    # a pure translation by whole pixels is exact in both
    mat = np.array([[[1., 0., -10.], [0., 1., -20.]]])
    t = affine_crops_torch(torch.from_numpy(frame), mat, (50, 40)).numpy()[0]
    np.testing.assert_array_equal(t.transpose(1, 2, 0), frame[20:60, 10:60])


def test_torch_crop_backend_stage(repo_root, checkpoint, frame, boxes):
    exact = exact_stage(repo_root, checkpoint)
    stage = exact_stage(repo_root, checkpoint, crop_backend='torch')
    ref = exact.crop_inputs(frame, boxes)[0].float()
    got = stage.crop_inputs(frame, boxes)[0]
    assert got.dtype == torch.float32 and got.shape == ref.shape
    assert (got - ref).abs().max() <= 4
    out, ref_out = stage(frame, boxes), exact(frame, boxes)
    assert out.keypoints.shape == ref_out.keypoints.shape
    assert np.abs(out.keypoint_scores - ref_out.keypoint_scores).max() < 0.05


def test_generic_predict_path_and_output_keypoint_indices(repo_root, checkpoint, frame, boxes):
    options = dict(model=dict(type='_PredictOverridingEstimator'))
    stage = exact_stage(repo_root, checkpoint, cfg_options=options)
    assert stage.cropper is not None and not stage._plain_predict
    model = init_model(str(repo_root / POSE_CFG), checkpoint, device='cpu',
                       cfg_options=options)
    ref_k, ref_s = reference(model, frame, boxes)
    out = stage(frame, boxes)
    np.testing.assert_array_equal(out.keypoints, ref_k.astype(np.float32))
    np.testing.assert_array_equal(out.keypoint_scores, ref_s.astype(np.float32))

    indices = [0, 5, 6, 11, 12]
    options = dict(model=dict(test_cfg=dict(output_keypoint_indices=indices)))
    stage = exact_stage(repo_root, checkpoint, cfg_options=options)
    model = init_model(str(repo_root / POSE_CFG), checkpoint, device='cpu',
                       cfg_options=options)
    ref_k, ref_s = reference(model, frame, boxes)
    stage.num_keypoints = len(indices)
    out = stage(frame, boxes)
    assert out.keypoints.shape == (len(boxes), len(indices), 2)
    np.testing.assert_array_equal(out.keypoints, ref_k.astype(np.float32))


def test_non_plain_pipeline_falls_back_to_per_crop(repo_root, checkpoint, mmpose_model, frame,
                                                   boxes):
    from plugins.apis.model_config import load_model_config
    cfg = copy.deepcopy(load_model_config(str(repo_root / POSE_CFG)))
    pipeline = cfg.test_dataloader.dataset.pipeline
    pipeline.insert(2, dict(type='RandomFlip', prob=0.0))  # a no-op, but not "plain"
    with pytest.warns(UserWarning, match='not a plain top-down'):
        stage = MMPoseTopdownEstimator(cfg, checkpoint, channels_last=False, fuse_conv_bn=False,
                                       merge_flip=False)
    assert stage.cropper is None
    ref_k, ref_s = reference(mmpose_model, frame, boxes)
    out = stage(frame, boxes)
    np.testing.assert_array_equal(out.keypoints, ref_k.astype(np.float32))
    assert TopdownCropper.from_pipeline(pipeline) is None
    assert TopdownCropper.from_pipeline(
        [dict(type='mmpose.LoadImage'), dict(type='GetBBoxCenterScale', padding=1.5),
         dict(type='TopdownAffine', input_size=(48, 64), use_udp=True),
         dict(type='PackPoseInputs')]).__dict__ == dict(input_size=(48, 64), padding=1.5,
                                                         use_udp=True, to_float32=False)


def test_empty_and_bad_arguments(repo_root, checkpoint, frame):
    stage = exact_stage(repo_root, checkpoint)
    out = stage(frame, np.zeros((0, 4), np.float32))
    assert out.keypoints.shape == (0, 17, 2) and out.keypoint_scores.shape == (0, 17)
    with pytest.raises(ValueError, match='crop_backend'):
        MMPoseTopdownEstimator(str(repo_root / POSE_CFG), checkpoint, crop_backend='gpu')
    with pytest.raises(ValueError, match='max_batch'):
        MMPoseTopdownEstimator(str(repo_root / POSE_CFG), checkpoint, max_batch=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        exact_stage(repo_root, checkpoint)
    assert not [w for w in caught if 'plain top-down' in str(w.message)]
