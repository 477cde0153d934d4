# SPDX-License-Identifier: MIT OR Apache-2.0
# What every CI script needs, sourced by .ci/run and the stage scripts:
#   install_packages PACKAGE...  apt-get update, then install what a fresh Debian 12 machine
#                                lacks (as root, through sudo when not root); SKIP_INSTALL=1 skips
#                                it. Returns non-zero on failure.
#   step NAME COMMAND...         runs one step, prints its result and time, and counts it.
#   summary                      prints one line per step and, last, "N passed, N failed";
#                                returns non-zero if any step failed.
# The step results are kept in the arrays below, so a script can read them.

ci_as_root=()
if [ "$(id -u)" -ne 0 ]; then ci_as_root=(sudo); fi

ci_passed=0
ci_failed=0
ci_summary=()

install_packages() {
  if [ "${SKIP_INSTALL:-0}" = 1 ]; then return 0; fi
  echo "== installing: $*"
  # A failed index refresh is not fatal: the install below says whether the packages are there.
  "${ci_as_root[@]}" apt-get update || echo "apt-get update failed; trying the install with the old lists"
  "${ci_as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
    -o DPkg::Lock::Timeout=600 --no-install-recommends "$@"
}

step() {
  local name=$1
  shift
  echo
  echo "== $name"
  local start=$SECONDS
  if "$@"; then
    ci_passed=$((ci_passed + 1))
    ci_summary+=("$(printf '%-40s passed %5d s' "$name" $((SECONDS - start)))")
  else
    ci_failed=$((ci_failed + 1))
    ci_summary+=("$(printf '%-40s FAILED %5d s' "$name" $((SECONDS - start)))")
  fi
}

summary() {
  echo
  echo "== summary"
  printf '%s\n' "${ci_summary[@]}"
  echo "$ci_passed passed, $ci_failed failed"
  [ "$ci_failed" -eq 0 ]
}
