"""Config harness, part 0 of harness.NUM_PARTS: every config of this part runs end to end
(tools/train.py + tools/test.py, or tools/test.py + tools/track.py, ...; see harness.py)."""
import pytest

import harness


@pytest.mark.parametrize('path', harness.params(harness.part(0)))
def test_config_runs_end_to_end(path, mini_roots, harness_dirs, tmp_path):
    cache, checkpoints = harness_dirs
    harness.run_config(path, mini_roots, cache, checkpoints, tmp_path)
