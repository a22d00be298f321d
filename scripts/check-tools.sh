#!/usr/bin/env bash
# Setup self-check: each tool in scripts/suite-tools.txt is there, or one sentence names the apt package that brings it.
# Uses only bash builtins (and clang, to find its runtime dir), so PATH may be anything. Overrides, for its own test:
# TOOL_ROOT prefixes the `file` paths; CLANG_RT_DIR replaces clang's runtime dir.
set -uo pipefail
here=${0%/*}; [ "$here" = "$0" ] && here=.
list="$here/suite-tools.txt"
[ -r "$list" ] || { echo "check-tools: cannot read $list (it lists the tools the suite needs)" >&2; exit 2; }
arch=$(uname -m 2>/dev/null) || arch=x86_64
rt_dir=${CLANG_RT_DIR:-}
if [ -z "$rt_dir" ] && command -v clang >/dev/null; then rt_dir="$(clang -print-resource-dir)/lib/linux"; fi
missing=0
while read -r kind name pkg why; do
  case "$kind" in ''|'#'*) continue ;; esac
  name=${name//\{arch\}/$arch}
  case "$kind" in
    exe) command -v "$name" >/dev/null && continue ;;
    file) [ -x "${TOOL_ROOT:-}$name" ] && continue ;;
    clang-rt) [ -n "$rt_dir" ] && [ -e "$rt_dir/$name" ] && continue ;;
    *) echo "check-tools: $list: unknown kind '$kind' for $name (use exe, file or clang-rt)" >&2; missing=1; continue ;;
  esac
  echo "check-tools: $name is missing (used by $why): install the apt package $pkg (npm run setup does)." >&2
  missing=1
done < "$list"
exit $missing
