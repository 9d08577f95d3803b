"""End-to-end config harness: run every config of the project the way a user runs it.

For each config file (``projects/*/configs/**/*.py`` and ``configs/**/*.py``, found by glob so
that new configs are picked up), :func:`runner_for` picks what a user runs with it:

- ``model`` (a ``model`` and a ``train_dataloader``): ``tools/train.py`` for one epoch of a
  mini dataset (two iterations) with the config's own validation pass, evaluator and
  ``save_best`` key, then ``tools/test.py`` on the saved checkpoint;
- ``tracking`` (a ``tracking_pipeline``): ``tools/test.py CONFIG none`` on the mini videos
  (PoseTrack mAP and MOTA) when the config has a ``test_dataloader``, the same with the
  ground-truth boxes when the pipeline has a detector (the stand-in detector of random weights
  finds nobody, so this is the run that exercises pose stage, NMS, recovery and tracker), and
  ``tools/track.py`` on one mini video;
- ``tracker`` (only ``tracker = dict(...)``): ``benchmarks/bench_correspondence_tracking.py``
  (degraded ground-truth poses + frames) on the mini synthetic videos;
- ``post_processor`` (only ``post_processors = [...]``): ``tools/analysis/track_gt_poses.py
  --post-process CONFIG`` on the mini PoseTrack18 videos;
- ``metainfo`` (``dataset_info``): parsed by mmpose's ``parse_pose_metainfo``, every field
  sized to the keypoints;
- ``base`` (a config with nothing runnable of its own): at least one config inheriting it
  is run by the harness.

A config that fits none of these fails (:class:`NoRunner`): nothing is skipped silently.

Only data paths, iteration counts, loader sizes (batch 1-2, no worker processes) and
checkpoints are overridden, through ``--cfg-options`` (:func:`overrides`): data paths under
``data/<dataset>/`` go to the mini dataset of that layout, ``data/cache/`` to a temporary folder;
every checkpoint that is not a local file (URLs, ``work_dirs/...``, ``torchvision://``) is
replaced by a locally saved checkpoint of the same architecture (random weights, built from the
config or module that names it; :func:`stand_in_checkpoint`).
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import math
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
CONFIG_GLOBS = ('projects/*/configs/**/*.py', 'configs/**/*.py')

#: data roots the configs read -> mini dataset layout
DATA_LAYOUTS = {
    'data/coco/': 'coco',
    'data/posetrack18/': 'posetrack18',
    'data/mpii/': 'mpii',
    'data/synthetic/': 'synthetic',
}
CACHE_PREFIX = 'data/cache/'
#: top-level keys whose values a run reads (others are config-file variables)
RUN_KEYS = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
            'test_evaluator', 'load_from', 'tracking_pipeline', 'tracker', 'post_processors',
            'custom_hooks')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class NoRunner(AssertionError):
    """The harness does not know how to run a config."""


class HarnessError(AssertionError):
    """A config does not run end to end (message names config, step and cause)."""


def all_configs() -> List[Path]:
    """Every config file of the project, sorted."""
    found = set()
    for pattern in CONFIG_GLOBS:
        found.update(p for p in ROOT.glob(pattern) if p.is_file())
    return sorted(found)


def rel(path: Path) -> str:
    """Path relative to the repository (absolute when outside it)."""
    p = Path(path).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def load(path: Path):
    from mmengine.config import Config
    import plugins  # noqa: F401
    return Config.fromfile(str(path))


# ------------------------------------------------------------------------------ inheritance
def base_files(path: Path) -> List[Path]:
    """Local files named in ``_base_`` of a config (``mmpose::`` / ``mmdet::`` bases skipped)."""
    from mmengine.config import Config
    out = []
    for b in Config._get_base_files(str(path)):
        if '::' in b:
            continue
        p = (Path(path).parent / b).resolve()
        out.append(p)
    return out


def children_of(configs: Sequence[Path]) -> Dict[Path, List[Path]]:
    """``base -> configs inheriting it directly``."""
    kids: Dict[Path, List[Path]] = {}
    for c in configs:
        for b in base_files(c):
            kids.setdefault(b, []).append(Path(c).resolve())
    return kids


# ------------------------------------------------------------------------------ classification
def runner_for(path: Path, cfg=None, configs: Optional[Sequence[Path]] = None) -> str:
    """``'model'``, ``'tracking'``, ``'tracker'``, ``'post_processor'``, ``'metainfo'`` or
    ``'base'``.

    Raises:
        NoRunner: naming the config when none fits.
    """
    cfg = load(path) if cfg is None else cfg
    if cfg.get('tracking_pipeline') is not None:
        return 'tracking'
    if cfg.get('model') is not None and cfg.get('train_dataloader') is not None:
        return 'model'
    if isinstance(cfg.get('tracker'), dict) and 'type' in cfg.tracker:
        return 'tracker'
    if cfg.get('post_processors'):
        return 'post_processor'
    if 'dataset_info' in cfg and cfg.get('model') is None:
        return 'metainfo'
    kids = children_of(configs if configs is not None else all_configs())
    if kids.get(Path(path).resolve()):
        return 'base'
    raise NoRunner(f'{rel(path)}: the config harness has no runner for it (no model with a '
                   f'train_dataloader, no tracking_pipeline, no tracker, no dataset_info, and no '
                   f'config inherits it); add one in tests/test_configs/harness.py')


# ------------------------------------------------------------------------------ overrides
def _walk(obj: Any, path: Tuple = ()) -> Iterator[Tuple[Tuple, Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, path + (k, ))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _walk(v, path + (i, ))
    else:
        yield path, obj


def _get(obj: Any, path: Tuple) -> Any:
    for k in path:
        obj = obj[k]
    return obj


def key(path: Tuple) -> str:
    return '.'.join(str(k) for k in path)


def layout_of(value: str) -> Optional[str]:
    for prefix, layout in DATA_LAYOUTS.items():
        if value.startswith(prefix) or value + '/' == prefix:
            return layout
    return None


def map_data_path(value: str, roots: Dict[str, Path], cache: Path, where: str) -> str:
    """``data/<dataset>/rest`` -> ``<mini root of the layout>/rest``.

    Raises:
        HarnessError: for a ``data/`` folder without a mini dataset.
    """
    if value.startswith(CACHE_PREFIX):
        return str(cache / value[len(CACHE_PREFIX):])
    layout = layout_of(value)
    if layout is None:
        raise HarnessError(f'{where}: reads {value!r}; the harness has no mini dataset for it '
                           f'(known: {sorted(DATA_LAYOUTS)}); add a layout')
    prefix = next(p for p in DATA_LAYOUTS if value.startswith(p) or value + '/' == p)
    rest = value[len(prefix):] if value.startswith(prefix) else ''
    out = str(roots[layout]) + '/' + rest
    return out


def is_local_file(value: str) -> bool:
    return '://' not in value and ((ROOT / value).is_file() or Path(value).is_file())


def checkpoint_paths(cfg_dict: dict) -> List[Tuple[Tuple, str]]:
    """``(path, value)`` of every checkpoint a run of the config would read."""
    out = []
    for path, value in _walk({k: cfg_dict.get(k) for k in RUN_KEYS}):
        if not isinstance(value, str) or not path:
            continue
        if path[-1] in ('checkpoint', 'load_from', 'pretrained') and not is_local_file(value):
            out.append((path, value))
    return out


def overrides(path: Path, cfg, roots: Dict[str, Path], cache: Path, ckpt_dir: Path,
              train: bool = True) -> Dict[str, Any]:
    """The ``--cfg-options`` of a harness run of ``cfg``: data paths, loader sizes, iterations,
    checkpoints. Keys are dotted (list indices as numbers)."""
    d = cfg.to_dict()
    opts: Dict[str, Any] = {}
    where = rel(path)
    for p, value in _walk({k: d.get(k) for k in RUN_KEYS}):
        if isinstance(value, str) and (value.startswith('data/') or
                                       (p and p[-1] == 'data_root' and layout_of(value))):
            opts[key(p)] = map_data_path(value, roots, cache, f'{where}: {key(p)}')
    for loader in LOADERS:
        ld = d.get(loader)
        if not isinstance(ld, dict):
            continue
        bs = 2 if loader == 'train_dataloader' else 1
        if ld.get('batch_size', 1) > bs:
            opts[f'{loader}.batch_size'] = bs
        opts[f'{loader}.num_workers'] = 0
        opts[f'{loader}.persistent_workers'] = False
    if train and isinstance(d.get('train_cfg'), dict):
        tc = d['train_cfg']
        if 'max_iters' in tc or tc.get('type') == 'IterBasedTrainLoop':
            opts['train_cfg.max_iters'] = 2
            opts['train_cfg.val_interval'] = 2
        else:
            opts['train_cfg.max_epochs'] = 1
            opts['train_cfg.val_interval'] = 1
            if 'val_begin' in tc:
                opts['train_cfg.val_begin'] = 1
    for p, value in checkpoint_paths(d):
        opts[key(p)] = str(stand_in_for(path, d, p, value, ckpt_dir))
    return opts


def as_cli(opts: Dict[str, Any]) -> List[str]:
    """``--cfg-options`` arguments (``key=value``; paths and numbers as written)."""
    out = []
    for k, v in opts.items():
        if isinstance(v, bool):
            v = str(v)
        elif v is None:
            v = 'None'
        out.append(f'{k}={v}')
    return out


# ------------------------------------------------------------------------------ checkpoints
def _config_by_stem(stem: str) -> Optional[Path]:
    for c in all_configs():
        if c.stem == stem:
            return c
    return None


def resolve_config_path(name: str) -> str:
    """A config path as the tools resolve it: ``mmdet::``/``mmpose::`` or relative to the repo."""
    if '::' in name:
        return name
    p = Path(name)
    return str(p if p.is_absolute() else ROOT / p)


def _scheme_path(name: str) -> str:
    if '::' not in name:
        return name
    scope, rest = name.split('::', 1)
    mod = importlib.import_module(scope)
    return str(Path(mod.__file__).parent / '.mim' / 'configs' / rest)


def stand_in_for(config_path: Path, d: dict, p: Tuple, value: str, ckpt_dir: Path) -> Path:
    """The local checkpoint replacing checkpoint ``value`` at ``p`` of config ``d``."""
    parent = _get(d, p[:-1]) if len(p) > 1 else d
    if p[-1] == 'load_from' and len(p) == 1:
        stem = Path(value).parent.name if value.startswith('work_dirs/') else None
        producer = _config_by_stem(stem) if stem else None
        return stand_in_checkpoint(('config', str(producer or config_path)), ckpt_dir)
    if isinstance(parent, dict) and isinstance(parent.get('config'), str):
        return stand_in_checkpoint(('config', resolve_config_path(parent['config'])), ckpt_dir)
    if isinstance(parent, dict) and isinstance(parent.get('model'), str) and \
            parent['model'].endswith('.py'):
        return stand_in_checkpoint(('config', resolve_config_path(parent['model'])), ckpt_dir)
    # an init_cfg (dict or list of dicts) of a module
    idx = max(i for i, k in enumerate(p) if k == 'init_cfg') if 'init_cfg' in p else None
    if idx is not None:
        module = dict(_get(d, p[:idx]))
        module.pop('init_cfg', None)
        prefix = parent.get('prefix', '') if isinstance(parent, dict) else ''
        scope = d.get('default_scope') or 'mmpose'
        return stand_in_checkpoint(('module', json.dumps(module, sort_keys=True, default=str),
                                    scope, prefix), ckpt_dir)
    if isinstance(parent, dict) and parent.get('type') in CHECKPOINT_ARCHITECTURES:
        return stand_in_checkpoint(('known', parent['type']), ckpt_dir)
    raise HarnessError(f'{rel(config_path)}: {key(p)}={value!r} is not a local file and the '
                       f'harness cannot tell which architecture it belongs to (add its type to '
                       f'CHECKPOINT_ARCHITECTURES in tests/test_configs/harness.py)')


def _aflink_model():
    from mmdet.models.task_modules.tracking.aflink import AFLinkModel
    return AFLinkModel()


#: components that load a checkpoint of a fixed architecture themselves (type -> builder)
CHECKPOINT_ARCHITECTURES = {
    'AFLink': _aflink_model,  # plugins/tracking/mmdet_aflink.py: mmdet's AFLinkModel weights
}


@contextlib.contextmanager
def _locked(path: Path):
    from filelock import FileLock
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + '.lock'):
        yield


def _build_model_from_config(name: str):
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
    import plugins  # noqa: F401
    cfg = Config.fromfile(_scheme_path(name))
    scope = cfg.get('default_scope') or ('mmdet' if name.startswith('mmdet::') else 'mmpose')
    importlib.import_module(f'{scope}.models') if scope in ('mmdet', 'mmpose') else None
    with DefaultScope.overwrite_default_scope(scope):
        from mmengine.registry import DefaultScope as DS
        reg = MODELS
        if scope == 'mmdet':
            from mmdet.registry import MODELS as reg  # noqa: N811
        elif scope == 'mmpose':
            from mmpose.registry import MODELS as reg  # noqa: N811
        del DS
        return reg.build(cfg.model)


def _build_module(spec: str, scope: str):
    from mmengine.registry import DefaultScope
    import plugins  # noqa: F401
    module = json.loads(spec)
    with DefaultScope.overwrite_default_scope(scope):
        if scope == 'mmdet':
            from mmdet.registry import MODELS as reg  # noqa: N811
        else:
            from mmpose.registry import MODELS as reg  # noqa: N811
        return reg.build(module)


def stand_in_checkpoint(source: Tuple, ckpt_dir: Path) -> Path:
    """A checkpoint of random weights (seed 0) of the architecture ``source`` names.

    Args:
        source: ``('config', config path)`` (the config's ``model``),
            ``('module', json of the module dict, scope, key prefix)`` or ``('known', type)``
            (:data:`CHECKPOINT_ARCHITECTURES`).
        ckpt_dir: Cache folder shared by the test workers (file-locked).

    Returns:
        Path of ``{'state_dict': ..., 'meta': {'harness_stand_in': ...}}``.
    """
    import torch
    digest = hashlib.sha1(json.dumps(source).encode()).hexdigest()[:16]
    out = ckpt_dir / f'{digest}.pth'
    with _locked(out):
        if out.is_file():
            return out
        torch.manual_seed(0)
        if source[0] == 'config':
            model = _build_model_from_config(source[1])
            prefix = ''
        elif source[0] == 'known':
            model = CHECKPOINT_ARCHITECTURES[source[1]]()
            prefix = ''
        else:
            model = _build_module(source[1], source[2])
            prefix = source[3]
        sd = {prefix + k: v for k, v in model.state_dict().items()}
        tmp = out.with_suffix('.tmp')
        torch.save(dict(state_dict=sd, meta=dict(harness_stand_in=list(source[:2]))), tmp)
        os.replace(tmp, out)
    return out


# ------------------------------------------------------------------------------ tools
_TOOLS: Dict[str, Any] = {}


def tool(relpath: str):
    """Import a script of the repository (``tools/train.py`` ...) as a module."""
    if relpath not in _TOOLS:
        spec = importlib.util.spec_from_file_location(
            '_harness_' + relpath.replace('/', '_').replace('.py', ''), ROOT / relpath)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _TOOLS[relpath] = mod
    return _TOOLS[relpath]


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


@contextlib.contextmanager
def step(record: dict, name: str, config: Path):
    """Time a step (CPU and wall seconds) and name config + step in any failure."""
    t0, w0 = cpu_seconds(), time.perf_counter()
    entry = dict(step=name)
    record.setdefault('steps', []).append(entry)
    try:
        yield entry
    except (NoRunner, HarnessError):
        entry['error'] = 'harness'
        raise
    except BaseException as e:  # noqa: B902
        entry['error'] = f'{type(e).__name__}: {e}'[:500]
        raise HarnessError(f'{rel(config)}: step {name!r} failed: {type(e).__name__}: {e}') from e
    finally:
        entry['cpu_s'] = round(cpu_seconds() - t0, 1)
        entry['wall_s'] = round(time.perf_counter() - w0, 1)


def finite_metrics(metrics: dict, where: str, record: Optional[dict] = None) -> None:
    """Metrics are numbers, none infinite; NaN ones (a quantity undefined on the mini data,
    e.g. AP of a joint nobody predicted) are listed in the record's notes."""
    if not metrics:
        raise HarnessError(f'{where}: no metrics')
    nan = []
    for k, v in metrics.items():
        if isinstance(v, (int, float)):
            if math.isinf(float(v)):
                raise HarnessError(f'{where}: metric {k} = {v}')
            if math.isnan(float(v)):
                nan.append(k)
    if nan and record is not None:
        record.setdefault('notes', []).append(f'{where.split(": ", 1)[-1]}: NaN {sorted(nan)}')


def save_best_keys(cfg) -> List[str]:
    ckpt = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    best = ckpt.get('save_best')
    if not best:
        return []
    return [best] if isinstance(best, str) else list(best)


def val_metrics(work_dir: Path) -> dict:
    """The last validation metrics in the training log of ``work_dir`` (``Epoch(val)`` /
    ``Iter(val)`` summary line, as mmengine's LoggerHook writes it)."""
    import re
    out = {}
    for log in sorted(work_dir.glob('*/*.log')):
        for line in log.read_text(errors='replace').splitlines():
            m = re.search(r'(?:Epoch|Iter)\(val\) \[[^\]]*\]\s*\[[^\]]*\]\s+(.*)$', line)
            if not m:
                continue
            row = {}
            for item in re.split(r'\s{2,}', m.group(1).strip()):
                name, _, value = item.rpartition(': ')
                if not name or name in ('time', 'data_time'):
                    continue
                try:
                    row[name] = float(value)
                except ValueError:
                    continue
            out = row
    return out


def timing_log(record: dict) -> None:
    """Append the record to ``$CONFIG_HARNESS_TIMINGS`` (JSON lines) when it is set."""
    path = os.environ.get('CONFIG_HARNESS_TIMINGS')
    if not path:
        return
    with _locked(Path(path)):
        with open(path, 'a') as f:
            f.write(json.dumps(record) + '\n')


# ------------------------------------------------------------------------------ runners
def _has(cfg, *keys) -> bool:
    return all(cfg.get(k) is not None for k in keys)


def run_model(path: Path, cfg, roots, cache, ckpt_dir, work: Path, record: dict) -> None:
    """tools/train.py (one epoch of the mini data + validation) then tools/test.py."""
    where = rel(path)
    opts = overrides(path, cfg, roots, cache, ckpt_dir)
    record['overrides'] = sorted(opts)
    wd = work / 'train'
    with step(record, 'tools/train.py', path):
        tool('tools/train.py').main([str(path), '--work-dir', str(wd), '--cfg-options',
                                     *as_cli(opts)])
    last_file = wd / 'last_checkpoint'
    if not last_file.is_file():
        raise HarnessError(f'{where}: tools/train.py saved no checkpoint in {wd}')
    ckpt = Path(last_file.read_text().strip())
    validates = _has(cfg, 'val_dataloader', 'val_evaluator', 'val_cfg')
    if validates:
        metrics = val_metrics(wd)
        if metrics or cfg.get('default_scope') != 'mmdet':
            finite_metrics(metrics, f'{where}: validation', record)
        else:  # mmdet's CocoMetric returns nothing when nothing was detected
            record['notes'] = record.get('notes', []) + ['validation ran, evaluator returned '
                                                         'no metrics (no predictions)']
        record['val_metrics'] = {k: round(float(v), 4) for k, v in metrics.items()
                                 if isinstance(v, (int, float))}
        for best in save_best_keys(cfg):
            if best == 'auto':
                continue
            if best not in metrics:
                raise HarnessError(f'{where}: save_best={best!r} is not among the validation '
                                   f'metrics {sorted(metrics)}')
            found = sorted(wd.glob(f'best_{best.replace("/", "_")}_*.pth'))
            if not found:
                raise HarnessError(f'{where}: no best_{best.replace("/", "_")}_*.pth in {wd}')
            ckpt = found[-1]
    else:
        record['notes'] = record.get('notes', []) + ['no validation configured']
    if _has(cfg, 'test_dataloader', 'test_evaluator', 'test_cfg'):
        test_opts = overrides(path, cfg, roots, cache, ckpt_dir, train=False)
        with step(record, 'tools/test.py', path):
            metrics = tool('tools/test.py').main([str(path), str(ckpt), '--work-dir',
                                                  str(work / 'test'), '--cfg-options',
                                                  *as_cli(test_opts)])
        if metrics or cfg.get('default_scope') != 'mmdet':
            finite_metrics(metrics, f'{where}: tools/test.py', record)
        else:  # mmdet's CocoMetric returns nothing when nothing was detected
            record['notes'] = record.get('notes', []) + ['tools/test.py: evaluator returned no '
                                                         'metrics (no predictions)']
        record['test_metrics'] = {k: round(float(v), 4) for k, v in metrics.items()
                                  if isinstance(v, (int, float))}
    else:
        record['notes'] = record.get('notes', []) + [
            'no test_dataloader/test_evaluator: checkpoint loaded strictly instead of tools/test.py']
        with step(record, 'load checkpoint (strict)', path):
            from mmengine.runner import load_checkpoint
            model = _build_model_from_config(str(path))
            load_checkpoint(model, str(ckpt), map_location='cpu', strict=True)


def video_folder(root: Path) -> Path:
    """The first validation video's frame folder of a mini dataset."""
    folders = sorted(p for p in (root / 'images' / 'val').iterdir() if p.is_dir())
    if not folders:
        raise HarnessError(f'no video folders in {root}/images/val')
    return folders[0]


def run_tracking(path: Path, cfg, roots, cache, ckpt_dir, work: Path, record: dict,
                 device: Optional[str] = None) -> None:
    """tools/test.py on the mini videos (mAP + MOTA), again with ground-truth boxes when the
    pipeline has a detector, and tools/track.py on one video (``device``: the pipeline's
    device, e.g. ``cuda:0`` in tools/gpu_check.sh; the config's own when ``None``)."""
    where = rel(path)
    opts = overrides(path, cfg, roots, cache, ckpt_dir, train=False)
    if device:
        opts['tracking_pipeline.device'] = device
    record['overrides'] = sorted(opts)
    layout = 'posetrack18'
    if _has(cfg, 'test_dataloader', 'test_evaluator'):
        root = str(cfg.test_dataloader.dataset.get('data_root', ''))
        layout = layout_of(root) or layout
        runs = [('tools/test.py', [])]
        tp = cfg.tracking_pipeline.to_dict()
        # stages that use the detector's model themselves (e.g. the region-update tracker's
        # region classifier, `dict(shared='detector')`) have no ground-truth-box mode
        needs_detector = any(p and p[-1] == 'shared' and v == 'detector' for p, v in _walk(tp))
        if tp.get('detector') is not None and not needs_detector:
            runs.append(('tools/test.py (ground-truth boxes)', ['tracking_pipeline.detector=None']))
        elif needs_detector:
            record['notes'] = record.get('notes', []) + [
                'a stage shares the detector model: no ground-truth-box run']
        for name, extra in runs:
            with step(record, name, path):
                metrics = tool('tools/test.py').main(
                    [str(path), 'none', '--work-dir', str(work / name.replace(' ', '_')),
                     '--cfg-options', *as_cli(opts), *extra])
            for k in ('posetrack/mAP', 'posetrack/MOTA'):
                if k not in metrics:
                    raise HarnessError(f'{where}: {name} reported no {k} ({sorted(metrics)})')
            finite_metrics(metrics, f'{where}: {name}', record)
            record.setdefault('test_metrics', {})[name] = {
                k: round(float(metrics[k]), 2) for k in ('posetrack/mAP', 'posetrack/MOTA')}
    else:
        record['notes'] = record.get('notes', []) + [
            'no test_dataloader/test_evaluator: tools/track.py only']
    if cfg.tracking_pipeline.get('detector') is None:
        # a ground-truth-box config: tools/track.py reads raw videos, which have no boxes
        record['notes'] = record.get('notes', []) + [
            'ground-truth boxes (no detector): tools/track.py does not apply']
        return
    video = video_folder(roots[layout])
    out = work / 'track'
    ckpt_opts = {k: v for k, v in opts.items() if k.startswith('tracking_pipeline.')}
    with step(record, 'tools/track.py', path):
        stats = tool('tools/track.py').main([str(video), '--pipeline', str(path), '--out',
                                             str(out), *(['--device', device] if device else []),
                                             '--cfg-options', *as_cli(ckpt_opts)])
    n = len([f for f in video.iterdir() if f.suffix == '.jpg'])
    if stats['frames'] != n:
        raise HarnessError(f'{where}: tools/track.py tracked {stats["frames"]} of {n} frames')
    from plugins.datasets.posetrack_json import load_posetrack_video
    pred = load_posetrack_video(stats['json'])
    if len(pred.frames) != n:
        raise HarnessError(f'{where}: {stats["json"]} holds {len(pred.frames)} of {n} frames')
    record['track'] = dict(frames=stats['frames'], persons=stats['persons'],
                           tracks=stats['tracks'])


def run_tracker(path: Path, cfg, roots, cache, ckpt_dir, work: Path, record: dict) -> None:
    """benchmarks/bench_correspondence_tracking.py (degraded ground truth + frames) with the
    config's tracker on the mini synthetic videos (checkpoints replaced in a derived config)."""
    from mmengine.config import Config
    opts = overrides(path, cfg, roots, cache, ckpt_dir, train=False)
    record['overrides'] = sorted(opts)
    derived = work / f'{path.stem}.py'
    work.mkdir(parents=True, exist_ok=True)
    merged = Config.fromfile(str(path))
    merged.merge_from_dict(opts)
    merged.dump(str(derived))
    with step(record, 'benchmarks/bench_correspondence_tracking.py', path):
        summary = tool('benchmarks/bench_correspondence_tracking.py').main(
            ['--data-root', str(roots['synthetic']), '--trackers', str(derived), '--degrade',
             'medium', '--seed', '0'])
    res = summary[str(derived)]
    finite_metrics(res, f'{rel(path)}: benchmark', record)
    record['test_metrics'] = {k: round(float(v), 4) for k, v in res.items()}


def run_post_processor(path: Path, cfg, roots, cache, ckpt_dir, work: Path,
                       record: dict) -> None:
    """tools/analysis/track_gt_poses.py (degraded ground truth, OKS tracker) with the config's
    post-processors, on the mini PoseTrack18 videos."""
    from mmengine.config import Config
    opts = overrides(path, cfg, roots, cache, ckpt_dir, train=False)
    record['overrides'] = sorted(opts)
    work.mkdir(parents=True, exist_ok=True)
    derived = work / f'{path.stem}.py'
    merged = Config.fromfile(str(path))
    merged.merge_from_dict(opts)
    merged.dump(str(derived))
    with step(record, 'tools/analysis/track_gt_poses.py --post-process', path):
        totals = tool('tools/analysis/track_gt_poses.py').main(
            ['--gt', str(roots['posetrack18'] / 'annotations' / 'val'), '--tracker',
             'OKSTracker', '--post-process', str(derived), '--out', str(work / 'pred')])
    preds = sorted((work / 'pred').glob('*.json'))
    gts = sorted((roots['posetrack18'] / 'annotations' / 'val').glob('*.json'))
    if [p.name for p in preds] != [g.name for g in gts]:
        raise HarnessError(f'{rel(path)}: predictions {[p.name for p in preds]} for videos '
                           f'{[g.name for g in gts]}')
    record['track'] = {k: v for k, v in (totals or {}).items() if isinstance(v, (int, float))}


def run_metainfo(path: Path, cfg, record: dict) -> None:
    """mmpose parses the dataset_info; every per-keypoint field has K entries."""
    import numpy as np
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    where = rel(path)
    with step(record, 'parse_pose_metainfo', path):
        meta = parse_pose_metainfo(dict(from_file=str(path)))
    k = meta['num_keypoints']
    for name in ('sigmas', 'dataset_keypoint_weights', 'flip_indices'):
        if len(meta[name]) != k:
            raise HarnessError(f'{where}: {name} has {len(meta[name])} entries for {k} keypoints')
    flip = np.asarray(meta['flip_indices'])
    if not (flip[flip] == np.arange(k)).all():
        raise HarnessError(f'{where}: flip_indices is not an involution: {flip.tolist()}')
    links = np.asarray(meta['skeleton_links']).reshape(-1, 2)
    if len(links) and (links.max() >= k or links.min() < 0):
        raise HarnessError(f'{where}: skeleton links outside 0..{k - 1}')
    record['keypoints'] = int(k)


def run_base(path: Path, configs: Sequence[Path], record: dict) -> None:
    """A base with nothing runnable of its own: some config inheriting it (transitively) is run
    by the harness."""
    kids = children_of(configs)
    seen, todo, runnable = set(), [Path(path).resolve()], []
    while todo:
        c = todo.pop()
        for k in kids.get(c, []):
            if k in seen:
                continue
            seen.add(k)
            todo.append(k)
            try:
                if runner_for(k, configs=configs) != 'base':
                    runnable.append(rel(k))
            except NoRunner:
                pass
    if not runnable:
        raise HarnessError(f'{rel(path)}: no config run by the harness inherits it')
    record['covered_by'] = sorted(runnable)


def _fresh_visualizers() -> None:
    """Forget mmengine's global visualizers (as a new process would): the configs name theirs
    ``'visualizer'``, and a runner finding one from an earlier config reuses it with that
    run's (possibly deleted) ``save_dir``."""
    from mmengine.visualization import Visualizer
    todo = [Visualizer]
    while todo:
        cls = todo.pop()
        cls._instance_dict.clear()
        todo.extend(cls.__subclasses__())


def run_config(path: Path, roots, cache, ckpt_dir, work: Path,
               configs: Optional[Sequence[Path]] = None, device: Optional[str] = None) -> dict:
    """Run one config end to end; returns its record (steps with CPU seconds, metrics).

    ``device`` goes to tracking pipelines (models train where mmengine puts them: the GPU when
    torch sees one).
    """
    configs = all_configs() if configs is None else configs
    _fresh_visualizers()
    cfg = load(path)
    kind = runner_for(path, cfg, configs)
    record = dict(config=rel(path), runner=kind)
    t0 = cpu_seconds()
    try:
        if kind == 'model':
            run_model(path, cfg, roots, cache, ckpt_dir, work, record)
        elif kind == 'tracking':
            run_tracking(path, cfg, roots, cache, ckpt_dir, work, record, device=device)
        elif kind == 'tracker':
            run_tracker(path, cfg, roots, cache, ckpt_dir, work, record)
        elif kind == 'post_processor':
            run_post_processor(path, cfg, roots, cache, ckpt_dir, work, record)
        elif kind == 'metainfo':
            run_metainfo(path, cfg, record)
        else:
            run_base(path, configs, record)
        record['ok'] = True
    except BaseException:
        record['ok'] = False
        raise
    finally:
        record['cpu_s'] = round(cpu_seconds() - t0, 1)
        timing_log(record)
        if record.get('ok'):  # paper-scale checkpoints (~20 GB per run of all configs)
            for ckpt in work.rglob('*.pth'):
                ckpt.unlink()
    return record


# ------------------------------------------------------------------------------ test layout
NUM_PARTS = 4
FAST_MARKERS = ('synthetic', 'configs/examples/', 'configs/demo/', 'configs/_base_/datasets/',
                'configs/_base_/trackers/', '/_base_/synthetic')


def is_slow(path: Path) -> bool:
    """Paper-scale configs (real backbones at real input size, real detectors) are ``slow``."""
    r = rel(path)
    return not any(m in r for m in FAST_MARKERS)


def part(i: int, configs: Optional[Sequence[Path]] = None) -> List[Path]:
    """The configs of test file ``test_config_harness_part{i}.py``: slow ones dealt out first
    in snake order, then the fast ones, so that every part gets a similar load."""
    configs = all_configs() if configs is None else configs
    order = sorted(configs, key=lambda p: (not is_slow(p), rel(p)))
    parts: List[List[Path]] = [[] for _ in range(NUM_PARTS)]
    for n, p in enumerate(order):
        lap, pos = divmod(n, NUM_PARTS)
        parts[pos if lap % 2 == 0 else NUM_PARTS - 1 - pos].append(p)
    return sorted(parts[i])


def params(configs: Sequence[Path]) -> list:
    """pytest parameters (id = repository path, ``slow`` mark on paper-scale configs)."""
    import pytest
    return [pytest.param(p, id=rel(p), marks=[pytest.mark.slow] if is_slow(p) else [])
            for p in configs]
