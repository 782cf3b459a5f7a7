#!/usr/bin/env bash
# Prints shell exports of the development secrets `make run` uses, kept in .dev/env
# (git-ignored) so that they stay the same from run to run of this checkout:
#   GATEWAY_API_KEYS   the merchant API key the README's curls and a storefront use;
#   GATEWAY_TOKEN_KEY  the key that seals stored cards and kept Idempotency-Key answers, so
#                      that they survive a restart.
# The file is made on the first run; delete it for new secrets. A variable already set in the
# environment wins over the file.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.dev
file=$dir/env

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

if [ ! -s "$file" ]; then
  umask 077
  mkdir -p "$dir"
  {
    echo "# Development secrets of this checkout, made by make run (scripts/dev-env.sh)."
    echo "# Delete this file for new ones. Never use them in production."
    echo "GATEWAY_API_KEYS=sk_dev_$(hex 16)"
    echo "GATEWAY_TOKEN_KEY=dev:$(hex 32)"
  } >"$file.tmp"
  mv "$file.tmp" "$file"
  printf 'gateway: made development secrets in %s\n' "$file" >&2
fi

while IFS='=' read -r name value; do
  case "$name" in '' | \#*) continue ;; esac
  if [ -z "${!name:-}" ]; then
    printf 'export %s=%q\n' "$name" "$value"
  fi
done <"$file"
