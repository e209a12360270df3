#!/usr/bin/env bash
# sohoa's two commands, for a fresh Debian machine as much as for a developer's:
#   bash dev.sh demo   set everything up, then run the whole pipeline on sample scans
#   bash dev.sh test   set everything up, then run every check and the full test suite
# Anything after the command is passed on (to `sohoa demo` or to pytest).
set -euo pipefail
cd "$(dirname "$0")"
VENV=${SOHOA_VENV:-.venv}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

system_packages() {
  # Debian packages sohoa needs at run time: tesseract with Vietnamese and orientation data,
  # fonts with every Vietnamese letter (for the sample scans and the OCR corpus), Python's venv.
  local missing=() langs=""
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  if command -v tesseract >/dev/null; then langs=$(tesseract --list-langs 2>/dev/null || true)
  else missing+=(tesseract-ocr); fi
  grep -qx vie <<<"$langs" || missing+=(tesseract-ocr-vie)
  grep -qx osd <<<"$langs" || missing+=(tesseract-ocr-osd)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || missing+=(fonts-dejavu-core)
  [ -e /usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf ] || missing+=(fonts-noto-core)
  # Times New Roman metrics for the OCR test corpus (tests/support/corpus.py)
  [ -e /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] || missing+=(fonts-liberation2)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)  # PDF/A text-layer check
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

browser_test_tools() {
  # The workspace's browser tests: Debian's chromium (driven by Playwright from PyPI, never a
  # browser of Playwright's own) and axe-core from the npm registry, pinned in package-lock.json.
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  local stamp
  stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  [ -e "$stamp" ] && return 0
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
}

python_env() {
  # The venv is rebuilt only when pyproject.toml changes.
  local stamp
  stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  [ -e "$stamp" ] && return 0
  echo "installing Python dependencies into $VENV …"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
  touch "$stamp"
}

postgres_for_tests() {
  # Tests use PostgreSQL at 127.0.0.1:5432 (or SOHOA_TEST_POSTGRES_URL); start an installed
  # cluster that is down. Without one, PostgreSQL tests skip with a reason (fail when CI=true).
  [ -n "${SOHOA_TEST_POSTGRES_URL:-}" ] && return 0
  if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    local version
    version=$(ls /etc/postgresql 2>/dev/null | head -n 1)
    [ -n "$version" ] && as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
}

checks() {
  "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check .
  "$VENV/bin/mypy"
  "$VENV/bin/lint-imports"
  "$VENV/bin/python" -m services.ops.asyncapi --check
  "$VENV/bin/python" -m services.ops.openapi --check
}

command=${1:-}
shift || true
case "$command" in
  demo)
    system_packages
    python_env
    exec "$VENV/bin/sohoa" demo "$@"
    ;;
  test)
    system_packages
    browser_test_tools
    python_env
    postgres_for_tests
    checks
    status=0
    "$VENV/bin/python" -m pytest -m "not bench" "$@" || status=$?
    if [ "$status" -eq 5 ]; then echo "no tests were collected: that is a failure" >&2; exit 1; fi
    exit "$status"
    ;;
  *)
    echo "usage: bash dev.sh demo|test [args…]" >&2
    exit 2
    ;;
esac
