#!/usr/bin/env bash
# Reproducible install of the pinned OpenMMLab stack + this project into .venv/.
#
# Idempotent: a second run checks a stamp (hash of the requirement files and this script) plus a
# quick import of the stack, and returns in seconds. The wheels that must be compiled (mmcv with
# ops, xtcocotools for numpy 2) are kept in a per-user cache keyed by Python and torch version,
# so a fresh clone on a machine that built them once installs in about a minute, and an mmcv
# built against another torch is never reused.
#
# Environment:
#   PYTHON                 interpreter used to create the venv (default: python3)
#   VENV                   venv folder (default: .venv)
#   FORCE_CUDA=1           build mmcv's CUDA ops (GPU machines; needs nvcc matching torch's CUDA)
#   POSETRACK_WHEEL_CACHE  root of the wheel cache (default: ~/.cache/posetrack-plugins/wheels)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
VPY="$VENV/bin/python"
PIP=("$VPY" -m pip --disable-pip-version-check)
MMCV_VERSION=2.1.0
XTCOCO_VERSION=1.14.3
MMPOSE_VERSION=1.3.2

stamp_of() {
  cat requirements/build.txt requirements/runtime.txt requirements/tests.txt requirements/tests-nodeps.txt \
      tools/install.sh setup.py | sha256sum | cut -d' ' -f1
  echo "FORCE_CUDA=${FORCE_CUDA:-0}"
}
STAMP_FILE="$VENV/.posetrack-install-stamp"

if [ -x "$VPY" ] && [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$(stamp_of)" ] \
   && "$VPY" -c "import mmcv.ops, mmdet, mmpose, xtcocotools._mask, plugins" 2>/dev/null; then
  echo "[install] .venv is up to date (stamp matches, stack imports)."
  exit 0
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
VARIANT="cpu"
if [ "${FORCE_CUDA:-0}" = "1" ]; then
  VARIANT="cuda$("$VPY" -c 'import torch; print(torch.version.cuda)')"
fi
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
MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} build_wheel mmcv "$MMCV_VERSION"
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
stamp_of > "$STAMP_FILE"
echo "[install] done in $(( $(date +%s) - t0 )) s"
