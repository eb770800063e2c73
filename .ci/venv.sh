# Sourced by .ci/run and .ci/examples: make sure .venv exists and holds the project with its dev extra.
# Reinstalls only when pyproject.toml changed since the last install.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=".venv/.flowdsl-install-stamp"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install --quiet -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import flowdsl, compiler, testing" && echo "$want" > "$stamp"
fi
