"""Run the config harness outside pytest (e.g. on a GPU machine: tools/gpu_check.sh).

    python tests/test_configs/run_harness.py [PATTERN ...] --out DIR [--device cuda:0]
        [--timings DIR/timings.jsonl] [--list]

PATTERN: substrings of config paths (all configs when none). Makes the mini datasets in
``DIR/data`` (synthetic generator), runs each config as the test does, prints one line per config
and a summary, appends the records to ``--timings`` (report.py renders them). Exit status 1 if
any config fails.
"""
import argparse
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
from mini_datasets import make_synthetic_mini  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('patterns', nargs='*')
    p.add_argument('--out', required=True)
    p.add_argument('--device', default=None, help='device of tracking pipelines')
    p.add_argument('--timings', default=None, help='JSON-lines file of the records')
    p.add_argument('--list', action='store_true', help='only list the selected configs')
    args = p.parse_args(argv)
    configs = harness.all_configs()
    chosen = [c for c in configs
              if not args.patterns or any(s in harness.rel(c) for s in args.patterns)]
    if args.list:
        for c in chosen:
            print(harness.rel(c))
        return 0
    out = Path(args.out)
    roots = {layout: out / 'data' / layout for layout in ('coco', 'posetrack18', 'mpii',
                                                          'synthetic')}
    for layout, root in roots.items():
        if not root.exists():
            make_synthetic_mini(layout, root)
    import conftest
    conftest._prepare_synthetic(roots['synthetic'])
    if args.timings:
        os.environ['CONFIG_HARNESS_TIMINGS'] = str(Path(args.timings).resolve())
    failed = []
    for c in chosen:
        work = out / 'work' / c.stem
        shutil.rmtree(work, ignore_errors=True)
        t0 = time.perf_counter()
        try:
            rec = harness.run_config(c, roots, out / 'cache', out / 'checkpoints', work,
                                     configs=configs, device=args.device)
            print(f'OK    {harness.rel(c)}  cpu {rec["cpu_s"]} s  wall '
                  f'{time.perf_counter() - t0:.0f} s  {json.dumps(rec.get("notes", []))}',
                  flush=True)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            failed.append(harness.rel(c))
            print(f'FAIL  {harness.rel(c)}  {str(e)[:1500]}', flush=True)
    print(f'{len(chosen) - len(failed)} of {len(chosen)} configs ran end to end')
    for f in failed:
        print(f'  failed: {f}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
