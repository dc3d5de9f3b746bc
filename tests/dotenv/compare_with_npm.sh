#!/usr/bin/env bash
# Compares Coffer's .env reader and writer with npm dotenv, the de-facto standard they follow.
#   compare_with_npm.sh PATH/TO/coffer_dotenv_dump [WORK_DIR]
# Installs a pinned dotenv into WORK_DIR (default: a directory under /tmp; never the repository),
# then runs compare.mjs: every tests/dotenv/corpus/*.env must parse to exactly what dotenv's parse()
# returns, except the files in deliberate_differences.txt, which must be errors for us; and every
# parse must survive WriteDotenv() -> dotenv parse() unchanged. Exits non-zero on any difference.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dump=${1:?usage: compare_with_npm.sh PATH/TO/coffer_dotenv_dump [WORK_DIR]}
work=${2:-${TMPDIR:-/tmp}/coffer-dotenv-npm}

mkdir -p "$work"
work=$(cd "$work" && pwd)
dump=$(cd "$(dirname "$dump")" && pwd)/$(basename "$dump")
"$here/install_dotenv.sh" "$work"

exec node "$here/compare.mjs" "$dump" "$work" "$here"
