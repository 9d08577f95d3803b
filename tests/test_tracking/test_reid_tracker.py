"""ReIDTracker and its embedders: appearance keeps identities where geometry swaps them."""
import numpy as np
import pytest
import torch
from tracking_test_sequences import (POSETRACK_METAINFO, assert_identities_kept, make_instances,
                                     pose_at)

from plugins.registry import MODELS, TRACKERS
from plugins.tracking.reid_tracker import crop_boxes

BOX = (60, 120)  # person patch (width, height)


def person_patch(color, seed):
    """A textured person of a main colour (BGR)."""
    rng = np.random.default_rng(seed)
    tex = rng.integers(-30, 30, (BOX[1], BOX[0], 3))
    return np.clip(np.asarray(color)[None, None] + tex, 0, 255).astype(np.uint8)


RED, BLUE = person_patch((30, 30, 200), 0), person_patch((200, 60, 20), 1)


def frame_with(persons):
    """A grey frame with (x, y, patch) persons and the matching instances."""
    img = np.full((240, 400, 3), 128, np.uint8)
    poses = []
    for x, y, patch in persons:
        img[y:y + BOX[1], x:x + BOX[0]] = patch
        poses.append(pose_at(x, y, BOX[0] - 1, BOX[1] - 1))
    return img, make_instances(poses)


def swap_sequence():
    """Red left / blue right, then both reappear swapped (e.g. after passing behind a wall)."""
    seq = []
    for x_red, x_blue in [(40, 280), (44, 276), (280, 40), (276, 44)]:
        img, inst = frame_with([(x_red, 60, RED), (x_blue, 60, BLUE)])
        seq.append((img, inst, np.array([0, 1])))
    return seq


def run(tracker, seq):
    tracker.reset()
    return [tracker.update(img, inst).track_ids for img, inst, _ in seq]


def test_histogram_reid_keeps_identities_through_a_swap():
    seq = swap_sequence()
    gt = [g for *_, g in seq]
    reid = TRACKERS.build(dict(type='ReIDTracker'))
    assert_identities_kept(run(reid, seq), gt)
    # control: box IoU follows the positions, so the identities swap (the case needs appearance)
    iou = TRACKERS.build(dict(type='IoUTracker', max_age=5, match_threshold=0.0))
    with pytest.raises(AssertionError, match='identity switched'):
        assert_identities_kept(run(iou, seq), gt)


def test_geometry_gating_forbids_far_matches():
    seq = swap_sequence()
    tracker = TRACKERS.build(dict(type='ReIDTracker', geometry='iou', geometry_weight=0.3,
                                  gate_threshold=0.1))
    ids = run(tracker, seq)
    # frames 0-1 continue; at the swap the same-colour boxes do not overlap (gated) and the
    # overlapping ones look different (0.7 * ~0 + 0.3 * IoU < 0.5): two new tracks
    assert [i.tolist() for i in ids[:3]] == [[0, 1], [0, 1], [2, 3]]
    oks = TRACKERS.build(dict(type='ReIDTracker', geometry='oks', geometry_weight=0.5,
                              metainfo=POSETRACK_METAINFO))
    assert_identities_kept(run(oks, seq[:2]), [g for *_, g in seq[:2]])


def test_histogram_embedder_properties():
    emb = MODELS.build(dict(type='ColorHistogramEmbedder', bins=(8, 4, 4), num_stripes=2))
    img, inst = frame_with([(40, 60, RED), (280, 60, BLUE)])
    e = emb(img, inst.bboxes)
    assert e.shape == (2, emb.dim) == (2, 256) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1, atol=1e-6)
    # the same person elsewhere in another frame embeds identically; other colour differs
    img2, inst2 = frame_with([(200, 100, RED)])
    np.testing.assert_allclose(emb(img2, inst2.bboxes)[0], e[0], atol=1e-6)
    assert float(e[0] @ e[1]) < 0.2
    # Bhattacharyya coefficient by hand for a uniform crop: one bin per stripe -> 1-hot rows
    flat = np.full((50, 50, 3), (0, 0, 255), np.uint8)  # pure red
    one = emb(flat, np.array([[0, 0, 50, 50]], np.float32))[0]
    assert np.count_nonzero(one) == 2 and one.max() == pytest.approx(2**-0.5)
    assert emb(img, np.zeros((0, 4))).shape == (0, 256)


def test_crop_boxes_matches_slicing():
    img = np.random.default_rng(0).integers(0, 255, (40, 50, 3)).astype(np.uint8)
    crops = crop_boxes(img, np.array([[10, 5, 30, 25]], np.float32), (20, 20))
    np.testing.assert_allclose(crops[0].permute(1, 2, 0).numpy(), img[5:25, 10:30], atol=1e-3)


def test_model_embedder_from_config():
    torch.manual_seed(0)
    cfg = dict(type='CropFeatureEmbedder', input_size=(32, 64),
               backbone=dict(type='ResNet', depth=18, base_channels=8, out_indices=(3, )))
    emb = MODELS.build(cfg)
    img, inst = frame_with([(40, 60, RED), (280, 60, BLUE)])
    e = emb(img, inst.bboxes)
    assert e.shape == (2, 64)  # last stage: 8 * base_channels
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    img2, inst2 = frame_with([(200, 100, RED)])
    np.testing.assert_allclose(emb(img2, inst2.bboxes)[0], e[0], atol=1e-4)
    tracker = TRACKERS.build(dict(type='ReIDTracker', embedder=cfg))
    seq = swap_sequence()
    assert_identities_kept(run(tracker, seq), [g for *_, g in seq])


def test_precomputed_embeddings_and_missing_frame():
    tracker = TRACKERS.build(dict(type='ReIDTracker'))
    inst = make_instances([pose_at(0, 0), pose_at(200, 0)])
    with pytest.raises(ValueError, match='needs the BGR frame'):
        tracker.update(None, inst)
    tracker.reset()
    inst.embeddings = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
    assert tracker.update(None, inst).track_ids.tolist() == [0, 1]
    swapped = make_instances([pose_at(0, 0), pose_at(200, 0)])
    swapped.embeddings = np.array([[0, 2, 0], [3, 0, 0.1]], np.float32)
    assert tracker.update(None, swapped).track_ids.tolist() == [1, 0]
    assert tracker.update(None, make_instances([])).track_ids.shape == (0, )


def test_bad_configs():
    with pytest.raises(ValueError, match='geometry'):
        TRACKERS.build(dict(type='ReIDTracker', geometry='flow'))
    with pytest.raises(ValueError, match='need geometry'):
        TRACKERS.build(dict(type='ReIDTracker', gate_threshold=0.2))
    with pytest.raises(ValueError, match='momentum'):
        TRACKERS.build(dict(type='ReIDTracker', momentum=1.0))
