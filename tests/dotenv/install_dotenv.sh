#!/usr/bin/env bash
# Installs the pinned npm dotenv that Coffer's .env reader and writer are checked against.
#   install_dotenv.sh WORK_DIR
# Idempotent, and safe when several tests run it at once (ctest -j): one installs, the others wait.
set -euo pipefail

readonly DOTENV_VERSION=16.6.1
work=${1:?usage: install_dotenv.sh WORK_DIR}
mkdir -p "$work"
work=$(cd "$work" && pwd)

exec 9>"$work/.install.lock"
flock 9
installed=$(node -p "try { require('$work/node_modules/dotenv/package.json').version } catch { '' }")
if [[ "$installed" != "$DOTENV_VERSION" ]]; then
  [[ -f "$work/package.json" ]] || echo '{"private": true}' > "$work/package.json"
  npm install --prefix "$work" --no-audit --no-fund --silent "dotenv@$DOTENV_VERSION"
fi
