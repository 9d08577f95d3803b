"""Helpers of the tests that run repository scripts (tools/, benchmarks/) in process."""
import importlib.util
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_script(relpath: str, name: str = None):
    """The script ``relpath`` (relative to the repository root) imported as a module."""
    path = REPO_ROOT / relpath
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_synthetic_val(root: Path, frames: int, min_persons: int, max_persons: int) -> Path:
    """One held-out synthetic video (192x144, ``frames`` frames) written to ``root``
    (``make_synthetic.py`` layout: ``annotations/val/*.json`` + the frames)."""
    load_script('tools/dataset_converters/make_synthetic.py').main([
        '--out', str(root), '--videos', '0', '--val-videos', '1', '--frames', str(frames),
        '--width', '192', '--height', '144', '--min-persons', str(min_persons),
        '--max-persons', str(max_persons), '--workers', '1'])
    return root
