#!/usr/bin/env bash
# Reproducible install of the pinned OpenMMLab stack + this project into .venv/.
#
# Idempotent: a second run checks a stamp (hash of the requirement files and this script) plus a
# quick import of the stack, and returns in seconds. The wheels that must be compiled (mmcv with
# ops, xtcocotools for numpy 2) are kept in a per-user cache keyed by Python and torch version,
# so a fresh clone on a machine that built them once installs in about a minute, and an mmcv
# built against another torch is never reused.
#
# mmcv's CUDA ops are built by themselves when torch sees a GPU and an nvcc of torch's CUDA
# version is on PATH (or in $CUDA_HOME/bin); otherwise the ops are CPU-only (with a warning when a
# GPU is there), and a CUDA device is refused at build time by plugins/utils/mmcv_ops.py.
#
# Environment:
#   PYTHON                 interpreter used to create the venv (default: python3)
#   VENV                   venv folder (default: .venv)
#   FORCE_CUDA=1 / =0      always / never build mmcv's CUDA ops (default: detect, see above)
#   POSETRACK_WHEEL_CACHE  root of the wheel cache (default: ~/.cache/posetrack-plugins/wheels)
#   PIP_FIND_LINKS / PIP_NO_INDEX   pip's own: install from a folder of wheels (tools/gpu_check.sh)
#
#   bash tools/install.sh --detect-cuda   only print the mmcv ops variant it would build
#                                         (variant=cpu or variant=cudaX.Y) and why
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
VPY="$VENV/bin/python"
PIP=("$VPY" -m pip --disable-pip-version-check)
MMCV_VERSION=2.1.0
XTCOCO_VERSION=1.14.3
MMPOSE_VERSION=1.3.2

warn() { echo "[install] WARNING: $*" >&2; }

nvcc_bin() {  # the nvcc a build would use: $CUDA_HOME/bin/nvcc, else the one on PATH
  if [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ]; then
    echo "$CUDA_HOME/bin/nvcc"
  else
    command -v nvcc 2>/dev/null
  fi
}

# Which mmcv ops to build: "cpu" or "cuda<torch's CUDA version>" (stdout); reasons on stderr.
detect_variant() {
  local vpy=$1 tcuda gpu nvcc rel
  tcuda=$("$vpy" -c 'import torch; print(torch.version.cuda or "")')
  case "${FORCE_CUDA:-auto}" in
    1) if [ -z "$tcuda" ]; then warn "FORCE_CUDA=1 but torch is a CPU build"; echo cpu
       else echo "cuda$tcuda"; fi
       return ;;
    0) echo cpu; return ;;
  esac
  gpu=$("$vpy" -c 'import torch; print(int(torch.cuda.is_available()))')
  if [ "$gpu" != "1" ]; then echo cpu; return; fi
  if [ -z "$tcuda" ]; then
    warn "torch sees no CUDA build; mmcv gets CPU-only ops"; echo cpu; return
  fi
  if ! nvcc=$(nvcc_bin) || [ -z "$nvcc" ]; then
    warn "torch sees a GPU but no nvcc is on PATH (or in \$CUDA_HOME/bin): building CPU-only" \
         "mmcv ops. Install the CUDA $tcuda toolkit (or set CUDA_HOME) and re-run make install."
    echo cpu; return
  fi
  rel=$("$nvcc" --version 2>/dev/null | sed -n 's/.*release \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -1)
  if [ "$rel" != "$tcuda" ]; then
    warn "torch sees a GPU but $nvcc is CUDA ${rel:-?}, torch was built with CUDA $tcuda:" \
         "building CPU-only mmcv ops. Put an nvcc of CUDA $tcuda first on PATH (or set" \
         "CUDA_HOME) and re-run make install (FORCE_CUDA=1 to build with this nvcc anyway)."
    echo cpu; return
  fi
  echo "cuda$tcuda"
}

if [ "${1:-}" = "--detect-cuda" ]; then
  echo "variant=$(detect_variant "${VPY_OVERRIDE:-$VPY}")"
  exit 0
fi

stamp_of() {  # variant
  cat requirements/build.txt requirements/runtime.txt requirements/tests.txt \
      requirements/tests-nodeps.txt tools/install.sh setup.py | sha256sum | cut -d' ' -f1
  echo "MMCV_OPS=$1"
}
STAMP_FILE="$VENV/.posetrack-install-stamp"

ops_match() {  # variant: the installed mmcv's ops are of that variant
  if [ "$1" = "cpu" ]; then
    "$VPY" -c "import mmcv.ops" 2>/dev/null
  else
    "$VPY" -c "from mmcv.ops import get_compiling_cuda_version as v; assert v() != 'not available'" \
      2>/dev/null
  fi
}

if [ -x "$VPY" ] && [ -f "$STAMP_FILE" ] && "$VPY" -c "import torch" 2>/dev/null; then
  EARLY_VARIANT=$(detect_variant "$VPY" 2>/dev/null)
  if [ "$(cat "$STAMP_FILE")" = "$(stamp_of "$EARLY_VARIANT")" ] && ops_match "$EARLY_VARIANT" \
     && "$VPY" -c "import mmcv.ops, mmdet, mmpose, xtcocotools._mask, plugins" 2>/dev/null; then
    echo "[install] .venv is up to date (stamp matches, stack imports, mmcv ops: $EARLY_VARIANT)."
    exit 0
  fi
fi

t0=$(date +%s)
if [ ! -x "$VPY" ]; then
  echo "[install] creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi

echo "[install] build requirements"
"${PIP[@]}" install -q -r requirements/build.txt

TORCH_SPEC=$(grep -E '^torch==' requirements/runtime.txt | awk '{print $1}')
TV_SPEC=$(grep -E '^torchvision==' requirements/runtime.txt | awk '{print $1}')
echo "[install] $TORCH_SPEC $TV_SPEC"
"${PIP[@]}" install -q "$TORCH_SPEC" "$TV_SPEC"

PYTAG=$("$VPY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
TORCH_VER=$("$VPY" -c 'import torch; print(torch.__version__.replace("+", "_"))')
VARIANT=$(detect_variant "$VPY")
echo "[install] mmcv ops: $VARIANT"
CACHE_ROOT=${POSETRACK_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/posetrack-plugins/wheels}
CACHE="$CACHE_ROOT/$PYTAG-torch$TORCH_VER-$VARIANT"
mkdir -p "$CACHE"
echo "[install] wheel cache: $CACHE"

# Build into a temporary folder, then move atomically: an interrupted build never leaves a
# half-written wheel in the cache.
build_wheel() {  # name version extra-pip-args...
  local name=$1 version=$2; shift 2
  if ls "$CACHE"/"${name}"-"${version}"-*.whl >/dev/null 2>&1; then
    echo "[install] $name $version: cached wheel"
    return
  fi
  echo "[install] $name $version: building from source (mmcv takes ~8 min on 2 cores)"
  local tmp; tmp=$(mktemp -d)
  "${PIP[@]}" wheel --no-deps --no-build-isolation --no-cache-dir "$@" -w "$tmp" "$name==$version"
  mv "$tmp"/*.whl "$CACHE"/
  rm -rf "$tmp"
}
if [ "$VARIANT" = "cpu" ]; then
  # mmcv's setup.py builds CUDA ops whenever torch sees a GPU: hide it for a CPU-ops build
  CUDA_VISIBLE_DEVICES="" FORCE_CUDA=0 MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} \
    build_wheel mmcv "$MMCV_VERSION"
else
  NVCC=$(nvcc_bin || true)
  CUDA_HOME=${CUDA_HOME:-$( [ -n "$NVCC" ] && dirname "$(dirname "$(readlink -f "$NVCC")")" )} \
    FORCE_CUDA=1 MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} build_wheel mmcv "$MMCV_VERSION"
fi
build_wheel xtcocotools "$XTCOCO_VERSION" --no-binary xtcocotools

echo "[install] compiled wheels + runtime requirements"
"${PIP[@]}" install -q --no-deps --force-reinstall "$CACHE"/mmcv-"$MMCV_VERSION"-*.whl \
  "$CACHE"/xtcocotools-"$XTCOCO_VERSION"-*.whl
"${PIP[@]}" install -q --find-links "$CACHE" -r requirements/runtime.txt -r requirements/tests.txt
"${PIP[@]}" install -q --no-deps "mmpose==$MMPOSE_VERSION"
"${PIP[@]}" install -q --no-deps -r requirements/tests-nodeps.txt
"${PIP[@]}" install -q --no-deps --no-build-isolation -e .

"$VPY" - <<'EOF'
import torch, mmcv, mmcv.ops, mmengine, mmdet, mmpose, xtcocotools._mask, plugins  # noqa
print(f"[install] torch {torch.__version__}, mmcv {mmcv.__version__} (ops ok), "
      f"mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, mmpose {mmpose.__version__}")
EOF
if ! ops_match "$VARIANT"; then
  echo "[install] ERROR: the installed mmcv's ops are not $VARIANT" >&2
  exit 1
fi
stamp_of "$VARIANT" > "$STAMP_FILE"
echo "[install] done in $(( $(date +%s) - t0 )) s"
