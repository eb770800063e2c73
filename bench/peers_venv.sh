#!/usr/bin/env bash
# Create bench/.venv-peers with the peer SDKs used only by the benchmarks.
# conductor-python and simpy are NOT project dependencies; they live in this venv alone.
# Usage: bash bench/peers_venv.sh   (PYTHON=python3.11 to pick the interpreter)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-peers"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import conductor.client.workflow.conductor_workflow' 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "conductor-python==2.0.0"
fi
if ! "$venv/bin/python" -c 'import simpy' 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "simpy==4.1.2"
fi
"$venv/bin/python" - <<'EOF'
from importlib.metadata import version
print(f"bench/.venv-peers: conductor-python {version('conductor-python')}, simpy {version('simpy')}")
EOF
