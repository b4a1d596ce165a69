#!/usr/bin/env bash
# The SDK as a third party gets it: install the "sdk" component of a build
# into a scratch prefix, build examples/provider-plugin against that prefix
# ONLY (CMake package, then pkg-config), and have the host check the result.
# Usage: sdk_install_example.sh BUILD_DIR EXAMPLE_SRC WORK_DIR REFUSED_SO
set -euo pipefail
build=$1 example=$2 work=$3 refused_so=$4
host="$build/signalforge"

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"

step "install the SDK component into $prefix"
cmake --install "$build" --component sdk --prefix "$prefix"
test -f "$prefix/include/signalforge/signalforge.h" || fail "headers not installed"
test -f "$prefix/share/cmake/Signalforge/SignalforgeConfig.cmake" || fail "CMake package not installed"
test -f "$prefix/share/pkgconfig/signalforge.pc" || fail "pkg-config file not installed"

# Nothing but the prefix may be found: no environment hints, no registries.
unset CMAKE_PREFIX_PATH CMAKE_INCLUDE_PATH PKG_CONFIG_PATH CPATH C_INCLUDE_PATH Signalforge_DIR || true

step "configure and build the example with find_package(Signalforge)"
cmake -S "$example" -B "$work/cmake-build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
found=$(sed -n 's/^Signalforge_DIR:PATH=//p' "$work/cmake-build/CMakeCache.txt")
[[ "$found" == "$prefix/"* ]] || fail "Signalforge found at '$found', not in the install prefix"
cmake --build "$work/cmake-build"
so_cmake="$work/cmake-build/example_walk.so"
test -f "$so_cmake" || fail "the CMake build produced no example_walk.so"
# Only the entry point is exported.
exports=$(nm -D --defined-only "$so_cmake" | awk '$2 ~ /[TD]/ {print $3}')
[[ "$exports" == "sf_plugin_entry" ]] || fail "unexpected exported symbols: $exports"

step "build the example with pkg-config flags"
cflags=$(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags signalforge)
[[ "$cflags" == *"$prefix"* || "$cflags" == *"prefix/share/pkgconfig/../../include"* ]] \
  || fail "pkg-config cflags do not point into the prefix: $cflags"
mkdir -p "$work/pc-build"
so_pc="$work/pc-build/example_walk.so"
# shellcheck disable=SC2086
cc -std=c99 -Wall -Wextra -Werror -pedantic -shared -fPIC $cflags -Wl,--no-undefined \
  -o "$so_pc" "$example/walk_provider.c" -lm

test -x "$host" || fail "host binary $host is missing (build the signalforge target)"
for so in "$so_cmake" "$so_pc"; do
  step "signalforge plugin check $so"
  out=$("$host" plugin check "$so") || fail "plugin check exited $? for $so"
  echo "$out"
  grep -q "com.example.walk" <<<"$out" || fail "plugin id missing from the output"
  grep -Eq "provider +walk" <<<"$out" || fail "component 'provider walk' missing from the output"
  json=$("$host" plugin check --json "$so") || fail "plugin check --json failed"
  grep -q '"id": "com.example.walk"' <<<"$json" || fail "--json lacks the plugin id: $json"
done

step "a refused library: ABI major mismatch"
set +e
err=$("$host" plugin check "$refused_so" 2>&1 >/dev/null)
rc=$?
set -e
echo "$err"
[[ $rc -ne 0 ]] || fail "plugin check accepted $refused_so"
grep -q "refused: " <<<"$err" || fail "no 'refused:' line on stderr"
grep -q "ABI major 2 != host 1" <<<"$err" || fail "the reason does not name the ABI rule"

step "a refused library: not an ELF file"
echo "just text" >"$work/fake.so"
set +e
err=$("$host" plugin check "$work/fake.so" 2>&1 >/dev/null)
rc=$?
set -e
echo "$err"
[[ $rc -eq 1 ]] || fail "plugin check of a text file exited $rc, expected 1"
grep -q "not an ELF shared object (bad magic)" <<<"$err" || fail "the reason does not say bad magic"

echo "PASS"
