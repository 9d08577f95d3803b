"""Switch RMPE's Deep Proposals Generator on from a given training epoch."""
from typing import Any, Iterator, List

from mmengine.hooks import Hook

from plugins.datasets.transforms.dpg_transform import DeepProposalsGenerator
from plugins.registry import HOOKS


def find_transforms(dataset: Any, cls: type) -> List[Any]:
    """All transforms of type ``cls`` in a dataset's pipeline, through dataset wrappers
    (``.dataset``, ``.datasets``) and nested transform lists (``.transforms``)."""
    found: List[Any] = []

    def walk_transforms(obj: Any) -> None:
        if isinstance(obj, cls):
            found.append(obj)
        for child in getattr(obj, 'transforms', None) or []:
            walk_transforms(child)

    def walk_datasets(ds: Any) -> Iterator[Any]:
        yield ds
        if getattr(ds, 'dataset', None) is not None:
            yield from walk_datasets(ds.dataset)
        for sub in getattr(ds, 'datasets', None) or []:
            yield from walk_datasets(sub)

    for ds in walk_datasets(dataset):
        if getattr(ds, 'pipeline', None) is not None:
            walk_transforms(ds.pipeline)
    return found


@HOOKS.register_module()
class DPGScheduleHook(Hook):
    """Enable every ``DeepProposalsGenerator`` of the training pipeline from ``start_epoch`` on.

    RMPE first trains on ground-truth boxes and then adds the DPG-augmented proposals. The hook
    sets ``enabled`` before each training epoch (0-based ``runner.epoch``); when the state changes
    and the dataloader keeps persistent workers, it drops the loader's iterator so that the
    workers restart with the new pipeline state.

    Args:
        start_epoch: first (0-based) epoch trained with the DPG.
    """

    priority = 'NORMAL'

    def __init__(self, start_epoch: int = 0) -> None:
        if start_epoch < 0:
            raise ValueError(f'DPGScheduleHook: start_epoch must be >= 0, got {start_epoch}')
        self.start_epoch = int(start_epoch)

    def before_train_epoch(self, runner) -> None:
        loader = runner.train_dataloader
        transforms = find_transforms(loader.dataset, DeepProposalsGenerator)
        if not transforms:
            raise RuntimeError('DPGScheduleHook: no DeepProposalsGenerator in the training '
                               'pipeline')
        enable = runner.epoch >= self.start_epoch
        changed = any(t.enabled != enable for t in transforms)
        for t in transforms:
            t.enabled = enable
        if changed:
            runner.logger.info(f'DPGScheduleHook: DPG {"on" if enable else "off"} '
                               f'from epoch {runner.epoch}')
            if getattr(loader, 'persistent_workers', False):
                loader._iterator = None  # new workers pick up the changed transforms
