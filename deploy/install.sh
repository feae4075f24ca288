#!/bin/sh
# deploy/install.sh VENV — the one way Rounds is installed for production.
#
# The Dockerfile runs it, and so does CI (tests/test_install.py), since no container runtime
# runs there: a fresh virtual environment, every dependency at the version and hash pinned in
# requirements.lock (nothing else is fetched, not even the build backend), then Rounds built
# as a wheel and installed from it — `pip install .`, not an editable install.
set -eu

VENV=${1:?usage: deploy/install.sh VENV_DIRECTORY}
SOURCE=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
WHEELS=$(mktemp -d)
trap 'rm -rf "$WHEELS"' EXIT

"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --require-hashes --no-deps -r "$SOURCE/requirements.lock"
"$VENV/bin/pip" wheel --quiet --no-deps --no-build-isolation --wheel-dir "$WHEELS" "$SOURCE"
"$VENV/bin/pip" install --quiet --no-deps --no-index "$WHEELS"/rounds-*.whl
"$VENV/bin/pip" check
echo "Rounds $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("rounds"))') installed in $VENV"
