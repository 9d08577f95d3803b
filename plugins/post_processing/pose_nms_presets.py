"""Parameter presets of the parametric pose NMS (:mod:`.parametric_pose_nms`).

Two presets:

* ``'paper'`` — the form written in RMPE (Fang et al., ICCV 2017), Sec. 3.3: distances are
  normalised by the reference person's box size (``max(w, h)``); the confidence term ``K_sim``
  counts joints of the other pose that fall inside a box of 1/10 of the reference's box
  centred on the reference joint; the spatial term is ``H_sim = sum exp(-d^2 / sigma2)``; a
  pose is eliminated when ``K_sim + lambda * H_sim > eta``. The paper learns
  ``sigma1, sigma2, lambda, eta`` on validation data (``tools/analysis/fit_pose_nms.py``); the
  values here are only starting points of that search.
* ``'alphapose'`` — the numerics of the public AlphaPose implementation
  (``alphapose/utils/pPose_nms.py``, body keypoints): pixel distances, ``K_sim`` only for joints
  within 1 pixel, ``H_sim = sum exp(-d / delta2)``, constants ``delta1 = 1, mu = 1.7,
  delta2 = 2.65, gamma = 22.48``, an extra elimination rule "at least ``matchThreds = 5`` joints
  within ``min(alpha * max(w, h), 7)`` pixels" with ``alpha = 0.1``, merging of the joints within
  ``min(alpha * max(w, h), 15)`` pixels of the reference, merged joint score ``sum s^2 / sum s``,
  zero scores replaced by ``1e-5``, poses whose best joint score (before and after merging) is
  below ``scoreThreds = 0.3`` dropped, and the output confidence
  ``mean(s) + bbox_score + 1.25 * max(s)`` (AlphaPose's ``proposal_score``).
"""
from typing import Any, Dict

#: Names of the available presets.
PRESET_NAMES = ('paper', 'alphapose')

_PRESETS: Dict[str, Dict[str, Any]] = {
    'paper':
    dict(
        sigma1=1.0,  # tanh scale of joint confidences in K_sim
        sigma2=0.01,  # H_sim falloff: exp(-(d / box)^2 / sigma2), e^-1 at 10% of the box
        lam=1.0,  # weight of H_sim
        eta=12.0,  # eliminate when K_sim + lam * H_sim > eta (17 joints: max 17 * (1 + tanh(1)^2))
        distance_unit='box',
        spatial_kernel='gaussian',
        ksim_window='box',
        ksim_size=0.1,  # box of 1/10 of the reference's box around each reference joint
        match_thr=None,
        match_radius=0.1,
        match_radius_cap=None,
        merge_radius=0.1,  # merge joints within 0.1 * max(w, h) of the reference joint
        merge_radius_cap=None,
        score_thr=None,
        zero_score_eps=1e-5,
        output_score='keypoint_mean'),
    'alphapose':
    dict(
        sigma1=1.0,  # delta1
        sigma2=2.65,  # delta2
        lam=1.7,  # mu
        eta=22.48,  # gamma
        distance_unit='pixel',
        spatial_kernel='exponential',
        ksim_window='radius',
        ksim_size=1.0,  # pixels
        match_thr=5,  # matchThreds
        match_radius=0.1,  # alpha
        match_radius_cap=7.0,
        merge_radius=0.1,  # alpha
        merge_radius_cap=15.0,
        score_thr=0.3,  # scoreThreds
        zero_score_eps=1e-5,
        output_score='alphapose'),
}


def pose_nms_preset(name: str) -> Dict[str, Any]:
    """A copy of the parameters of a named preset.

    Args:
        name: one of :data:`PRESET_NAMES`.

    Returns:
        Keyword arguments of :class:`plugins.post_processing.parametric_pose_nms.ParametricPoseNMS`.
    """
    if name not in _PRESETS:
        raise ValueError(f'unknown parametric pose NMS preset {name!r}; '
                         f'choose one of {PRESET_NAMES}')
    return dict(_PRESETS[name])
