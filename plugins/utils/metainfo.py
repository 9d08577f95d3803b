"""Dataset metainfo for the tracking stages: OKS sigmas, the default layout, PoseTrack
``categories``, and the one ``dataset_meta`` attribute the pipeline sets after building.

A stage that needs the keypoint layout (OKS sigmas, keypoint names) exposes a settable
``dataset_meta`` (:class:`DatasetMetaMixin`), as mmengine's metrics do: the pipeline builds the
stage from its config and then sets ``stage.dataset_meta = pose_model.dataset_meta``. Values the
config names explicitly (``sigmas=``, ``metainfo=``) win over the pipeline's.
"""
import contextlib
import contextvars
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Union

import numpy as np

#: mmpose's COCO metainfo (resolved inside the installed mmpose package if not found locally).
DEFAULT_METAINFO = dict(from_file='configs/_base_/datasets/coco.py')

_META_FOLLOWS = contextvars.ContextVar('posetrack_plugins_dataset_meta_follows', default=False)


@contextlib.contextmanager
def dataset_meta_follows() -> Iterator[None]:
    """Within this block stages may be built without their layout: the builder promises to set
    ``dataset_meta`` right after (the pipeline uses it)."""
    token = _META_FOLLOWS.set(True)
    try:
        yield
    finally:
        _META_FOLLOWS.reset(token)


def meta_will_follow() -> bool:
    """Whether the current build is inside :func:`dataset_meta_follows`."""
    return _META_FOLLOWS.get()


def resolve_metainfo_file(path: str) -> str:
    """A metainfo file as given if it exists, else the same relative path inside mmpose.

    Args:
        path: e.g. ``'configs/_base_/datasets/posetrack18.py'``.

    Returns:
        An existing file path.
    """
    if osp.isfile(path):
        return path
    import mmpose
    mim = osp.join(osp.dirname(mmpose.__file__), '.mim')
    for candidate in (osp.join(mim, path),
                      osp.join(mim, 'configs', '_base_', 'datasets', osp.basename(path))):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f'dataset metainfo file not found: {path} (neither here nor in '
                            'mmpose/.mim)')


def load_sigmas(metainfo: Optional[Union[str, dict]] = None,
                sigmas: Optional[Sequence[float]] = None) -> np.ndarray:
    """Per-joint OKS falloffs from explicit values or from a dataset metainfo.

    Args:
        metainfo: an mmpose ``dataset_info`` file path, a ``dict(from_file=...)`` or an already
            parsed metainfo dict with ``sigmas`` (paths such as
            ``'configs/_base_/datasets/posetrack18.py'`` resolve inside mmpose).
        sigmas: explicit (K,) values; take precedence over ``metainfo``.

    Returns:
        (K,) float64 sigmas.
    """
    if sigmas is not None:
        out = np.asarray(sigmas, dtype=np.float64).reshape(-1)
    else:
        if metainfo is None:
            raise ValueError('OKS needs sigmas: give `sigmas` or a dataset `metainfo`')
        if isinstance(metainfo, str):
            metainfo = dict(from_file=metainfo)
        if 'sigmas' in metainfo and 'from_file' not in metainfo:
            out = np.asarray(metainfo['sigmas'], dtype=np.float64).reshape(-1)
        else:
            from mmpose.datasets.datasets.utils import parse_pose_metainfo
            metainfo = dict(metainfo)
            if 'from_file' in metainfo:
                metainfo['from_file'] = resolve_metainfo_file(metainfo['from_file'])
            parsed = parse_pose_metainfo(metainfo)
            out = np.asarray(parsed.get('sigmas', []), dtype=np.float64).reshape(-1)
    if out.size == 0 or not np.all(np.isfinite(out)) or np.any(out <= 0):
        raise ValueError(f'OKS sigmas must be positive finite numbers, got {out} '
                         f'(from metainfo={metainfo!r})')
    return out


def keypoint_categories(dataset_meta: dict) -> List[dict]:
    """``categories`` for a PoseTrack JSON file from an mmpose metainfo.

    Args:
        dataset_meta: parsed mmpose metainfo (``keypoint_id2name``, ``num_keypoints``,
            ``skeleton_links``).

    Returns:
        One ``person`` category (id 1) with the keypoint names and the 1-based skeleton.
    """
    names = [dataset_meta['keypoint_id2name'][i] for i in range(dataset_meta['num_keypoints'])]
    links = [[int(a) + 1, int(b) + 1] for a, b in dataset_meta.get('skeleton_links', [])]
    return [dict(supercategory='person', id=1, name='person', keypoints=names, skeleton=links)]


class DatasetMetaMixin:
    """A stage whose OKS ``sigmas`` come from a configured metainfo or, when the config names
    none, from the ``dataset_meta`` the pipeline sets after building (COCO's when built
    alone).

    Subclasses call :meth:`_init_sigmas` in ``__init__``.
    """

    sigmas: Optional[np.ndarray] = None
    _sigmas_configured: bool = False
    _dataset_meta: Optional[dict] = None

    def _init_sigmas(self, metainfo: Optional[Union[str, dict]],
                     sigmas: Optional[Sequence[float]], default=DEFAULT_METAINFO) -> None:
        """Sigmas from the config; with none configured, ``default`` (None: required now
        unless the builder sets ``dataset_meta`` after building)."""
        self._sigmas_configured = metainfo is not None or sigmas is not None
        if self._sigmas_configured:
            self.sigmas = load_sigmas(metainfo, sigmas)
        elif default is not None:
            self.sigmas = load_sigmas(default)
        elif not meta_will_follow():
            raise ValueError(f'{type(self).__name__} needs the per-joint "sigmas" of the '
                             'dataset metainfo (give sigmas= or metainfo=)')

    @property
    def dataset_meta(self) -> Optional[dict]:
        """The pose model's parsed metainfo (set by the pipeline after building)."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, meta: Optional[dict]) -> None:
        self._dataset_meta = None if meta is None else dict(meta)
        if meta is not None and not self._sigmas_configured and meta.get('sigmas') is not None:
            self.sigmas = load_sigmas(sigmas=meta['sigmas'])
