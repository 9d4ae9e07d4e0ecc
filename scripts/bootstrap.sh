#!/usr/bin/env bash
# One entry point for a fresh clone: find a Python >= 3.12, make .venv, install, then
#   bootstrap.sh run [ARGS...]   run the default scenario (or ARGS) with `multipolar run`
#   bootstrap.sh test [ARGS...]  run the test suite with pytest
#   bootstrap.sh viz [ARGS...]   install the viz extra and start `multipolar viz` (browser view)
#   bootstrap.sh env             only create/refresh the virtual environment
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

ok_python() {  # prints the interpreter path if it is Python >= 3.12
  "$1" -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null
}

find_python() {
  local candidate found
  for candidate in "${PYTHON:-}" python3.14 python3.13 python3.12 python3 python; do
    [[ -n "$candidate" ]] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if found=$(ok_python "$candidate"); then echo "$found"; return 0; fi
  done
  if command -v pyenv >/dev/null 2>&1; then  # pyenv shims answer only for an active version
    for candidate in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.[0-9]+)?$' | sort -rV); do
      if found=$(ok_python "$(PYENV_VERSION=$candidate pyenv which python3 2>/dev/null)"); then
        echo "$found"; return 0
      fi
    done
  fi
  return 1
}

ensure_env() {
  local spec="$1" stamp=".venv/.installed-${2}"
  if [[ ! -x .venv/bin/python ]] || ! ok_python .venv/bin/python >/dev/null; then
    local py
    py=$(find_python) || { echo "multipolar needs Python >= 3.12; set PYTHON=/path/to/python3.12" >&2; exit 2; }
    echo "creating .venv with $py" >&2
    rm -rf .venv
    "$py" -m venv .venv
  fi
  if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e "$spec"
    touch "$stamp"
  fi
}

cmd="${1:-run}"; shift || true
case "$cmd" in
  run)  ensure_env "." run; exec .venv/bin/multipolar run "$@" ;;
  test) ensure_env ".[test]" test; exec .venv/bin/python -m pytest "$@" ;;
  env)  ensure_env ".[test]" test ;;
  viz)  ensure_env ".[viz]" viz; exec .venv/bin/multipolar viz "$@" ;;
  *) echo "usage: scripts/bootstrap.sh run|test|env|viz [ARGS...]" >&2; exit 2 ;;
esac
