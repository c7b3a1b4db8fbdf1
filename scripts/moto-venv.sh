#!/usr/bin/env bash
# Creates (once) the Python venv that the collector tests start moto server from.
# Idempotent: a venv that already has the pinned moto is left alone.
# Usage: scripts/moto-venv.sh [VENV_DIR]   (default: target/moto-venv next to Cargo.toml)
set -euo pipefail

MOTO_VERSION="5.2.5"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-${root}/target/moto-venv}"

if [ -x "${venv}/bin/python" ] \
  && "${venv}/bin/python" -c "import moto, sys; sys.exit(0 if moto.__version__ == '${MOTO_VERSION}' else 1)" 2>/dev/null \
  && "${venv}/bin/python" -c "import flask, flask_cors" 2>/dev/null; then
  exit 0
fi

python="${PYTHON:-python3}"
command -v "${python}" >/dev/null || { echo "moto-venv: ${python} not found; install Python 3" >&2; exit 1; }

mkdir -p "$(dirname "${venv}")"
"${python}" -m venv "${venv}"
"${venv}/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}"
"${venv}/bin/python" -c "import moto; assert moto.__version__ == '${MOTO_VERSION}', moto.__version__"
echo "moto-venv: moto ${MOTO_VERSION} ready in ${venv}" >&2
