"""Siamese matching: the batched affinity equals a naive loop over keypoints and pixels."""
import numpy as np
import torch
import torch.nn.functional as F

import plugins  # noqa: F401
from plugins.registry import MODELS


def _matcher(patch_size=3, temperature=0.1):
    return MODELS.build(dict(
        type='SiameseMatcher', patch_size=patch_size, temperature=temperature,
        backbone=dict(type='BNInception', last_layer=3, widen_factor=1 / 16))).eval()


def naive_affinity(feat_src, feat_dst, cells, p, temperature):
    """Loop over images, queries and target pixels: mean over the patch of dot products."""
    b, c, h, w = feat_src.shape
    r = p // 2
    src = np.pad(feat_src, ((0, 0), (0, 0), (r, r), (r, r)))
    dst = np.pad(feat_dst, ((0, 0), (0, 0), (r, r), (r, r)))
    q = cells.shape[1]
    corr = np.zeros((b, q, h, w))
    for i in range(b):
        for j in range(q):
            x, y = cells[i, j]
            desc = src[i, :, y:y + p, x:x + p]
            for yy in range(h):
                for xx in range(w):
                    corr[i, j, yy, xx] = (desc * dst[i, :, yy:yy + p, xx:xx + p]).sum() / p**2
    logits = corr.reshape(b, q, -1) / temperature
    logits -= logits.max(-1, keepdims=True)
    prob = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return corr, prob.reshape(b, q, h, w)


def test_affinity_equals_naive_loop():
    torch.manual_seed(0)
    m = _matcher(patch_size=3, temperature=0.1)
    imgs_src, imgs_dst = torch.rand(2, 3, 40, 48), torch.rand(2, 3, 40, 48)
    with torch.no_grad():
        fs, fd = m.extract(imgs_src), m.extract(imgs_dst)
        h, w = fs.shape[-2:]
        # corners (patch partly outside) and interior cells, different per image
        cells = torch.tensor([[[0, 0], [w - 1, h - 1], [2, 3]], [[1, 0], [w - 1, 0], [3, 2]]])
        corr = m.affinity_logits(fs, fd, cells.float())
        prob = m.softmax(corr)
        aff, corr2, fs2, fd2 = m(imgs_src, imgs_dst, cells.float())
    ref_corr, ref_prob = naive_affinity(fs.numpy().astype(np.float64),
                                        fd.numpy().astype(np.float64), cells.numpy(), 3, 0.1)
    np.testing.assert_allclose(corr.numpy(), ref_corr, atol=1e-5)
    np.testing.assert_allclose(prob.numpy(), ref_prob, atol=1e-5)
    np.testing.assert_allclose(prob.sum((-1, -2)).numpy(), 1, atol=1e-5)
    # forward() runs both images through the shared backbone in one batch (eval: same result)
    np.testing.assert_allclose(aff.numpy(), ref_prob, atol=1e-5)


def test_features_are_unit_norm_per_pixel():
    m = _matcher()
    with torch.no_grad():
        f = m.extract(torch.rand(1, 3, 32, 32))
    np.testing.assert_allclose(f.norm(dim=1).numpy(), 1, atol=1e-5)


def test_identical_images_peak_at_query():
    """Same image on both sides: a descriptor correlates best with itself (Cauchy-Schwarz)."""
    torch.manual_seed(1)
    m = _matcher(patch_size=1, temperature=0.01)
    img = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        f = m.extract(img)
        assert f.shape[-2:] == (8, 8)
        cells = torch.tensor([[[3, 4], [7, 2], [0, 7]]]).float()
        prob = m.softmax(m.affinity_logits(f, f, cells))
    flat = prob.flatten(-2).argmax(-1)[0]
    w = f.shape[-1]
    # the best match has similarity 1; ties are possible only with identical features
    sims = F.normalize(f, dim=1)[0].flatten(1).t() @ F.normalize(f, dim=1)[0].flatten(1)
    for j, (x, y) in enumerate(cells[0].long().tolist()):
        assert sims[y * w + x, flat[j]] > 1 - 1e-5


def test_learnable_temperature_is_a_parameter():
    m = MODELS.build(dict(type='SiameseMatcher', learn_temperature=True, temperature=0.2,
                          backbone=dict(type='BNInception', last_layer=1, widen_factor=0.1)))
    assert any(n == 'log_temperature' for n, _ in m.named_parameters())
    assert abs(float(m.temperature) - 0.2) < 1e-6


def test_patches_read_by_index_equal_unfold():
    """Descriptors and the decoder's 3x3 windows are gathered by index: bit-equal to reading
    them from F.unfold of the whole map (corners, clamped cells, patch sizes 3 and 5)."""
    torch.manual_seed(1)
    feats = torch.rand(2, 6, 7, 9)
    cells = torch.tensor([[[0, 0], [8, 6], [4, 3], [20, -3]], [[1, 6], [8, 0], [0, 5], [3, 3]]])
    for p in (3, 5):
        m = _matcher(patch_size=p)
        cols = F.unfold(feats, p, padding=p // 2)
        x, y = cells[..., 0].clamp(0, 8), cells[..., 1].clamp(0, 6)
        index = (y * 9 + x).unsqueeze(1).expand(2, cols.shape[1], -1)
        want = torch.gather(cols, 2, index).permute(0, 2, 1).reshape(2, -1, 6, p, p)
        assert torch.equal(m.descriptors(feats, cells), want)
    from plugins.codecs.correspondence_maps import decode_affinity_maps
    maps = torch.rand(3, 4, 7, 9)
    maps[0, 0, 0, 0] = maps[1, 2, 6, 8] = maps[2, 3, 0, 8] = 5.0  # peaks on the border
    pts, _ = decode_affinity_maps(maps, (36, 28))
    flat = maps.reshape(-1, 63)
    idx = flat.argmax(-1)
    neigh = F.unfold(maps.reshape(-1, 1, 7, 9), 3, padding=1)
    patch = torch.gather(neigh, 2, idx[:, None, None].expand(-1, 9, 1))[..., 0]
    d = torch.tensor([-1.0, 0.0, 1.0])
    dy, dx = torch.meshgrid(d, d, indexing='ij')
    mass = patch.sum(-1).clamp_min(1e-12)
    cx = (idx % 9).float() + (patch * dx.reshape(1, 9)).sum(-1) / mass
    cy = (idx // 9).float() + (patch * dy.reshape(1, 9)).sum(-1) / mass
    stride = 4.0  # 36 / 9 and 28 / 7
    want = torch.stack([(cx + 0.5) * stride - 0.5, (cy + 0.5) * stride - 0.5], -1)
    assert torch.allclose(pts.reshape(-1, 2), want, atol=1e-5)
