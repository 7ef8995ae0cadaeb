#!/usr/bin/env bash
# Installs what scripts/system-packages.txt lists and this machine lacks (as
# root, with apt-get); prints nothing when all are there. `--check` only
# prints the missing ones, one per line. SYSTEM_PACKAGES_LIST names another
# list (the tests use it).
set -euo pipefail
list="${SYSTEM_PACKAGES_LIST:-$(dirname "$0")/system-packages.txt}"

missing=()
no_recommends=()
while read -r pkg flag _; do
  [ -n "$pkg" ] || continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && continue
  if [ "$flag" = no-recommends ]; then no_recommends+=("$pkg"); else missing+=("$pkg"); fi
done < <(sed 's/#.*//' "$list")

if [ "${1:-}" = --check ]; then
  printf '%s\n' "${missing[@]}" "${no_recommends[@]}" | sed '/^$/d'
  exit 0
fi
[ ${#missing[@]} -gt 0 ] || [ ${#no_recommends[@]} -gt 0 ] || exit 0
echo "installing ${missing[*]} ${no_recommends[*]}"
apt-get update -qq
export DEBIAN_FRONTEND=noninteractive
[ ${#missing[@]} -eq 0 ] || apt-get install -y -qq "${missing[@]}" >/dev/null
[ ${#no_recommends[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${no_recommends[@]}" >/dev/null
