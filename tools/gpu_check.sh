#!/usr/bin/env bash
# GPU check: install the pinned stack with mmcv's CUDA ops on a GPU machine WITHOUT network, from
# a carried folder of wheels and source archives, then run every paper config for a few
# iterations on CUDA through the config harness (tests/test_configs/harness.py).
#
#   bash tools/gpu_check.sh CARRY_DIR [--out DIR] [--configs "PATTERN ..."] [--dry-run]
#   bash tools/gpu_check.sh CARRY_DIR --prepare     # on a machine WITH network: fill CARRY_DIR
#
# CARRY_DIR layout (what --prepare writes):
#   wheels/    every wheel the install needs: requirements/{build,runtime,tests}.txt (torch and
#              its CUDA libraries included), mmpose==1.3.2, their dependencies
#   sources/   mmcv-2.1.0.tar.gz and xtcocotools-1.14.3.tar.gz (built here, with CUDA ops)
#
# What it does (each step printed; --dry-run prints the commands and checks CARRY_DIR only):
#   1. nvidia-smi and nvcc present, nvcc's CUDA release == the carried torch's CUDA version;
#   2. tools/install.sh with pip offline (PIP_NO_INDEX=1, PIP_FIND_LINKS=CARRY_DIR/{wheels,sources})
#      and FORCE_CUDA=1, into a fresh venv (VENV, default .venv-gpu) and a fresh wheel cache;
#   3. mmcv's CUDA ops really run: nms and roi_align on cuda:0 equal their CPU results;
#   4. the config harness on CUDA (tests/test_configs/run_harness.py --device cuda:0) for every
#      paper config (default: all configs not made for the synthetic data), mini datasets made
#      by the synthetic generator; models train where mmengine puts them (the GPU);
#   5. OUT/gpu_check.md: GPU, versions, one row per config (report.py), exit 1 if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
[ $# -ge 1 ] || usage 2
case "$1" in -h|--help) usage 0 ;; esac
CARRY=$(cd "$1" 2>/dev/null && pwd) || { echo "gpu_check: no folder $1" >&2; exit 2; }
shift
OUT=work_dirs/gpu_check
PATTERNS=""
DRY=0
PREPARE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --configs) PATTERNS=$2; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    --prepare) PREPARE=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "gpu_check: unknown argument $1" >&2; usage 2 ;;
  esac
done
VENV=${VENV:-.venv-gpu}
PYTHON=${PYTHON:-python3}
MMCV_SDIST=mmcv-2.1.0.tar.gz
XTCOCO_SDIST=xtcocotools-1.14.3.tar.gz

run() {  # print, then run unless --dry-run
  echo "+ $*"
  if [ "$DRY" = 0 ]; then "$@"; fi
}

if [ "$PREPARE" = 1 ]; then
  # needs network; the torch wheel pip picks is the registry's default CUDA build
  mkdir -p "$CARRY/wheels" "$CARRY/sources"
  run "$PYTHON" -m pip download -d "$CARRY/wheels" -r requirements/build.txt \
      -r requirements/runtime.txt -r requirements/tests.txt
  run "$PYTHON" -m pip download -d "$CARRY/wheels" --no-deps mmpose==1.3.2
  run "$PYTHON" -m pip download -d "$CARRY/sources" --no-deps --no-binary :all: \
      mmcv==2.1.0 xtcocotools==1.14.3
  exit 0
fi

echo "[gpu_check] carry folder $CARRY, venv $VENV, out $OUT$([ "$DRY" = 1 ] && echo ' (dry run)')"

# ---------------------------------------------------------------- 0. the carried files
missing=0
[ -d "$CARRY/wheels" ] || { echo "[gpu_check] missing folder $CARRY/wheels" >&2; missing=1; }
for f in "$MMCV_SDIST" "$XTCOCO_SDIST"; do
  [ -f "$CARRY/sources/$f" ] || { echo "[gpu_check] missing $CARRY/sources/$f" >&2; missing=1; }
done
TORCH_SPEC=$(grep -E '^torch==' requirements/runtime.txt | awk '{print $1}')
TORCH_VER=${TORCH_SPEC#torch==}
if ! ls "$CARRY"/wheels/torch-"$TORCH_VER"*-*.whl >/dev/null 2>&1; then
  echo "[gpu_check] missing the torch $TORCH_VER wheel in $CARRY/wheels" >&2; missing=1
fi
for req in torchvision mmengine mmdet mmpose numpy opencv_python scipy; do
  if ! ls "$CARRY"/wheels/"$req"-*.whl >/dev/null 2>&1; then
    echo "[gpu_check] missing a $req wheel in $CARRY/wheels" >&2; missing=1
  fi
done
if [ "$missing" = 1 ]; then
  echo "[gpu_check] the carry folder is incomplete: fill it with" \
       "'bash tools/gpu_check.sh $CARRY --prepare' on a machine with network" >&2
  [ "$DRY" = 1 ] || exit 2
fi

# ---------------------------------------------------------------- 1. GPU and nvcc
if [ "$DRY" = 0 ]; then
  command -v nvidia-smi >/dev/null || { echo "[gpu_check] no nvidia-smi: not a GPU machine" >&2; exit 2; }
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  NVCC=${CUDA_HOME:+$CUDA_HOME/bin/nvcc}
  NVCC=${NVCC:-$(command -v nvcc || true)}
  [ -n "$NVCC" ] && [ -x "$NVCC" ] || { echo "[gpu_check] no nvcc (set CUDA_HOME)" >&2; exit 2; }
  "$NVCC" --version | tail -2
fi

# ---------------------------------------------------------------- 2. offline install
export PIP_NO_INDEX=1
export PIP_FIND_LINKS="$CARRY/wheels $CARRY/sources"
export POSETRACK_WHEEL_CACHE="${POSETRACK_WHEEL_CACHE:-$OUT/wheel-cache}"
run env VENV="$VENV" PYTHON="$PYTHON" FORCE_CUDA=1 bash tools/install.sh
VPY="$VENV/bin/python"

# ---------------------------------------------------------------- 3. CUDA ops run
run "$VPY" - <<'EOF'
import torch
from mmcv.ops import get_compiling_cuda_version, nms, roi_align
assert torch.cuda.is_available(), 'torch sees no GPU'
print(f'[gpu_check] torch {torch.__version__} CUDA {torch.version.cuda}, mmcv ops CUDA '
      f'{get_compiling_cuda_version()}, GPU {torch.cuda.get_device_name(0)}')
g = torch.Generator().manual_seed(0)
xy = torch.rand(200, 2, generator=g) * 100
boxes = torch.cat([xy, xy + 10 + torch.rand(200, 2, generator=g) * 40], 1)
scores = torch.rand(200, generator=g)
_, keep_cpu = nms(boxes, scores, 0.5)
_, keep_gpu = nms(boxes.cuda(), scores.cuda(), 0.5)
assert torch.equal(keep_cpu, keep_gpu.cpu()), 'CUDA nms differs from CPU nms'
feat = torch.rand(1, 8, 32, 32, generator=g)
rois = torch.tensor([[0, 2.0, 3.0, 20.0, 25.0], [0, 0.0, 0.0, 31.0, 31.0]])
a = roi_align(feat, rois, (7, 7), 1.0, 2, 'avg', True)
b = roi_align(feat.cuda(), rois.cuda(), (7, 7), 1.0, 2, 'avg', True).cpu()
assert torch.allclose(a, b, atol=1e-5), 'CUDA roi_align differs from CPU roi_align'
print('[gpu_check] mmcv CUDA ops: nms and roi_align match their CPU results')
EOF

# ---------------------------------------------------------------- 4. paper configs on CUDA
mkdir -p "$OUT"
if [ -z "$PATTERNS" ]; then
  # the paper configs: every config not made for the synthetic data
  LISTER=$VPY
  [ -x "$LISTER" ] || LISTER=$PYTHON  # dry run before any install
  SELECT=$(PYTHONPATH=$PWD "$LISTER" tests/test_configs/run_harness.py --out "$OUT" --list |
           grep -v -e synthetic -e configs/examples/ -e configs/demo/ || true)
else
  SELECT=$PATTERNS
fi
echo "[gpu_check] configs: $(echo "$SELECT" | wc -w)"
rm -f "$OUT/timings.jsonl"
status=0
# shellcheck disable=SC2086
run env PYTHONPATH="$PWD" OMP_NUM_THREADS=4 "$VPY" tests/test_configs/run_harness.py $SELECT \
    --out "$OUT" --device cuda:0 --timings "$OUT/timings.jsonl" || status=1

# ---------------------------------------------------------------- 5. report
if [ "$DRY" = 0 ]; then
  {
    echo "# GPU check ($(date -u +%FT%TZ))"
    echo
    echo '```'
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    "$VPY" -c "import torch, mmcv, mmcv.ops as o; print('torch', torch.__version__, 'CUDA', torch.version.cuda, '| mmcv', mmcv.__version__, 'ops CUDA', o.get_compiling_cuda_version())"
    echo '```'
    echo
    PYTHONPATH="$PWD" "$VPY" tests/test_configs/report.py "$OUT/timings.jsonl" | sed '1,/^$/d'
  } > "$OUT/gpu_check.md"
  echo "[gpu_check] report: $OUT/gpu_check.md"
fi
exit "$status"
