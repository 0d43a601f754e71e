#!/usr/bin/env bash
# The installed package, used the way a user would: `cmake --install` into a fresh prefix, the
# installed tree (libraries, soname, header, command, CMake package, pkg-config file), the shared
# library exporting exactly the public API, then examples/xor built out of tree against the
# installed package (CMake, shared and static; pkg-config, shared and static) and run.
# usage: install_test.sh BUILD_DIR SOURCE_DIR LIBDIR VERSION C_COMPILER [FLAGS]
#   LIBDIR: CMAKE_INSTALL_LIBDIR (lib or lib/x86_64-linux-gnu); FLAGS: compiler and linker flags
#   the example builds need, e.g. "-fsanitize=address,undefined" when the library has them.
set -euo pipefail

build="$1"
src="$2"
libdir_rel="$3"
version="$4"
cc="$5"
flags="${6:-}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
libdir="$prefix/$libdir_rel"
failures=0

ok() { echo "ok   $1"; }
# fail WHAT EXPECTED GOT
fail() {
    failures=$((failures + 1))
    echo "FAIL $1"
    echo "     expected: $2"
    echo "     got:      $3"
}
# die WHAT EXPECTED GOT [LOG]: a failure the remaining checks cannot go on from.
die() {
    fail "$1" "$2" "$3"
    if [ -n "${4:-}" ]; then echo "---- $4"; tail -n 60 "$4"; fi
    exit 1
}
# must NAME LOG -- COMMAND...: runs a step whose output goes to LOG; a failure shows the log.
must() {
    local name="$1" log="$2"
    shift 3
    if "$@" >"$log" 2>&1; then
        ok "$name"
    else
        die "$name" "exit 0" "exit $? from: $*" "$log"
    fi
}

# ---- install ------------------------------------------------------------------------------------
must "cmake --install into a fresh prefix" "$tmp/install.log" -- \
    cmake --install "$build" --prefix "$prefix"

# ---- the installed tree -------------------------------------------------------------------------
major="${version%%.*}"
for f in "$libdir/libcltrain.so.$version" "$libdir/libcltrain.a" "$prefix/include/cltrain.h" \
         "$prefix/bin/cltrain" "$libdir/cmake/cltrain/cltrainConfig.cmake" \
         "$libdir/cmake/cltrain/cltrainConfigVersion.cmake" \
         "$libdir/cmake/cltrain/cltrainTargets.cmake" "$libdir/pkgconfig/cltrain.pc"; do
    if [ -f "$f" ]; then ok "installed ${f#"$prefix"/}"; else
        fail "installed ${f#"$prefix"/}" "a file" "missing (installed: $(cd "$prefix" && find . -type f -o -type l | sort | tr '\n' ' '))"
    fi
done
[ -x "$prefix/bin/cltrain" ] || fail "bin/cltrain is executable" "mode +x" "$(stat -c %A "$prefix/bin/cltrain" 2>&1)"

# libcltrain.so -> libcltrain.so.MAJOR -> libcltrain.so.VERSION, whose soname is libcltrain.so.MAJOR
check_link() {
    local link="$1" want="$2" got
    got=$(readlink "$libdir/$link" 2>/dev/null || echo "not a symbolic link")
    if [ "$got" = "$want" ]; then ok "$link -> $want"; else fail "$link is a symbolic link" "$want" "$got"; fi
}
check_link libcltrain.so "libcltrain.so.$major"
check_link "libcltrain.so.$major" "libcltrain.so.$version"
soname=$(readelf -d "$libdir/libcltrain.so.$version" 2>&1 | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" = "libcltrain.so.$major" ]; then ok "soname $soname"; else
    fail "soname of libcltrain.so.$version" "libcltrain.so.$major" "${soname:-none}"
fi

# Only the public headers are installed, and each compiles on its own (no internal header, no
# OpenCL header or definition needed).
for h in "$prefix"/include/*.h; do
    name=$(basename "$h")
    if grep -Eq '#[[:space:]]*include[[:space:]]*[<"]CL/' "$h"; then
        fail "$name does not include the OpenCL headers" "no #include <CL/...>" "$(grep -E '#[[:space:]]*include' "$h" | tr '\n' ' ')"
    fi
    if printf '#include <%s>\nint main(void) { return 0; }\n' "$name" |
        "$cc" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" -x c - >"$tmp/hdr.log" 2>&1; then
        ok "include/$name compiles on its own"
    else
        fail "include/$name compiles on its own" "no error" "$(head -c 2000 "$tmp/hdr.log")"
    fi
done

# ---- no back doors: the shared library exports exactly the CT_API functions of the headers ------
nm -D --defined-only "$libdir/libcltrain.so.$version" | awk '{print $NF}' | sort -u >"$tmp/exported"
# What the linker itself defines in every shared object.
grep -Evx '_init|_fini|_edata|_end|__bss_start' "$tmp/exported" >"$tmp/exported.api" || true
cat "$prefix"/include/*.h |
    grep -oE 'CT_API[^;(]*[^A-Za-z0-9_]ct_[A-Za-z0-9_]+[[:space:]]*\(' |
    grep -oE 'ct_[A-Za-z0-9_]+[[:space:]]*\($' | tr -d '( \t' | sort -u >"$tmp/declared"
extra=$(comm -23 "$tmp/exported.api" "$tmp/declared" | tr '\n' ' ')
missing=$(comm -13 "$tmp/exported.api" "$tmp/declared" | tr '\n' ' ')
if [ -n "$extra" ]; then
    fail "every exported symbol is a CT_API function of an installed header" \
        "only the $(wc -l <"$tmp/declared") declared ct_ functions" "also exported: $extra"
fi
if [ -n "$missing" ]; then
    fail "every CT_API function of the installed headers is exported" "all exported" "not exported: $missing"
fi
if [ -z "$extra" ] && [ -z "$missing" ]; then
    ok "libcltrain.so exports exactly the $(wc -l <"$tmp/declared") CT_API functions"
fi
if [ ! -s "$tmp/declared" ]; then fail "the headers declare CT_API functions" "at least one" "none"; fi

# ---- helpers for the programs built against the installed tree ----------------------------------
# run_example NAME BINARY: runs it (in a folder of its own: it saves a model), exit 0 expected;
# shows its output.
run_example() {
    local name="$1" exe="$2" rc=0
    mkdir -p "$tmp/run-$name"
    (cd "$tmp/run-$name" && "$exe") >"$tmp/run.log" 2>&1 || rc=$?
    sed 's/^/     | /' "$tmp/run.log" | tail -n 20
    if [ "$rc" = 0 ]; then ok "$name runs"; else fail "$name runs" "exit 0" "exit $rc"; fi
}
# check_needed NAME BINARY yes|no: whether it loads libcltrain.so.MAJOR, and from the prefix.
check_needed() {
    local name="$1" exe="$2" want="$3" needed
    needed=$(readelf -d "$exe" | grep -c "(NEEDED).*\[libcltrain\.so\.$major\]" || true)
    if [ "$want" = yes ]; then
        local from
        from=$(ldd "$exe" | awk '$1 == "libcltrain.so.'"$major"'" {print $3}')
        # The same file, however the path is spelled ($ORIGIN/../lib gives bin/../lib).
        if [ -n "$from" ] && [ "$(readlink -f "$from")" = "$(readlink -f "$libdir/libcltrain.so.$major")" ]; then
            ok "$name loads $from"
        else
            fail "$name loads the installed libcltrain.so.$major" "$libdir/libcltrain.so.$major" "${from:-not linked (needed: $needed)}"
        fi
    elif [ "$needed" = 0 ]; then
        ok "$name does not need libcltrain.so"
    else
        fail "$name is linked statically" "no NEEDED libcltrain.so.$major" "$(readelf -d "$exe" | grep NEEDED | tr -s ' ' | tr '\n' ' ')"
    fi
}

# ---- the installed command ----------------------------------------------------------------------
rc=0
out=$("$prefix/bin/cltrain" --version 2>&1) || rc=$?
if [ "$rc" = 0 ] && [ "$out" = "cltrain $version" ]; then ok "installed bin/cltrain --version: $out"; else
    fail "installed bin/cltrain --version" "'cltrain $version', exit 0" "'$out', exit $rc"
fi
missing_libs=$(ldd "$prefix/bin/cltrain" | grep "not found" || true)
if [ -n "$missing_libs" ]; then fail "bin/cltrain finds its libraries" "none missing" "$missing_libs"; fi
# Linked to the shared library (CLTRAIN_CLI_SHARED): it finds the installed one ($ORIGIN/../lib).
if readelf -d "$prefix/bin/cltrain" | grep -q "(NEEDED).*\[libcltrain\.so"; then
    check_needed "bin/cltrain" "$prefix/bin/cltrain" yes
fi

# ---- the example, through the CMake package -----------------------------------------------------
cmake_example() {
    local name="$1" dir="$tmp/$1"
    shift
    must "$name: configure" "$tmp/$name.configure.log" -- \
        cmake -S "$src/examples/xor" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
        -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF "$@"
    local found
    found=$(sed -n 's/^cltrain_DIR:PATH=//p' "$dir/CMakeCache.txt")
    if [ "$found" = "$libdir/cmake/cltrain" ]; then ok "$name: found the installed package"; else
        fail "$name: find_package(cltrain) found the installed package" "$libdir/cmake/cltrain" "$found"
    fi
    must "$name: build" "$tmp/$name.build.log" -- cmake --build "$dir"
}
cmake_example cmake-shared
check_needed cmake-shared "$tmp/cmake-shared/xor" yes
run_example cmake-shared "$tmp/cmake-shared/xor"
cmake_example cmake-static -DCLTRAIN_EXAMPLE_STATIC=ON
check_needed cmake-static "$tmp/cmake-static/xor" no
run_example cmake-static "$tmp/cmake-static/xor"

# ---- the example, through pkg-config ------------------------------------------------------------
export PKG_CONFIG_PATH="$libdir/pkgconfig"
pcversion=$(pkg-config --modversion cltrain 2>&1 || true)
if [ "$pcversion" = "$version" ]; then ok "pkg-config --modversion cltrain: $pcversion"; else
    fail "pkg-config --modversion cltrain" "$version" "$pcversion"
fi
read -r -a pc_cflags <<<"$(pkg-config --cflags cltrain)"
read -r -a pc_libs <<<"$(pkg-config --libs cltrain)"
# Static: the same flags with libcltrain.a named exactly (-lcltrain would take the .so beside it).
read -r -a pc_static <<<"$(pkg-config --static --libs cltrain | sed 's/-lcltrain\b/-l:libcltrain.a/')"
read -r -a extra_flags <<<"$flags"
must "pkg-config-shared: build" "$tmp/pc-shared.log" -- \
    "$cc" -std=c11 "${extra_flags[@]}" "${pc_cflags[@]}" "$src/examples/xor/xor.c" -o "$tmp/xor-pc-shared" \
    "${pc_libs[@]}" -Wl,-rpath,"$libdir"
check_needed pkg-config-shared "$tmp/xor-pc-shared" yes
run_example pkg-config-shared "$tmp/xor-pc-shared"
must "pkg-config-static: build" "$tmp/pc-static.log" -- \
    "$cc" -std=c11 "${extra_flags[@]}" "${pc_cflags[@]}" "$src/examples/xor/xor.c" -o "$tmp/xor-pc-static" \
    "${pc_static[@]}"
check_needed pkg-config-static "$tmp/xor-pc-static" no
run_example pkg-config-static "$tmp/xor-pc-static"

# ---- the README's pkg-config recipe, run as written ----------------------------------------------
# The lines of its block after "or with pkg-config:", with /opt/cltrain replaced by the test's
# prefix, in a folder holding xor.c, without LD_LIBRARY_PATH: the program it builds must start
# (the loader finds libcltrain.so.0 outside the system's folders only by the recorded rpath).
recipe=$(awk '/^or with pkg-config:/ {on = 1; next}
              on && /^```sh/ {body = 1; next}
              body && /^```/ {exit}
              body' "$src/README.md")
if [ -z "$recipe" ] || ! grep -q 'pkg-config --cflags --libs cltrain' <<<"$recipe"; then
    fail "README: a pkg-config recipe after 'or with pkg-config:'" "a \`\`\`sh block" "'$recipe'"
else
    mkdir -p "$tmp/readme-pc"
    cp "$src/examples/xor/xor.c" "$tmp/readme-pc/"
    script=$(sed -e "s#/opt/cltrain/lib#$libdir#g" -e "s#/opt/cltrain#$prefix#g" \
        -e "s#^cc #\"$cc\" $flags #" <<<"$recipe")
    if (cd "$tmp/readme-pc" && env -u LD_LIBRARY_PATH bash -e -c "$script" &&
        env -u LD_LIBRARY_PATH ./xor) >"$tmp/readme-pc.log" 2>&1; then
        ok "the README's pkg-config recipe builds a program that runs"
    else
        fail "the README's pkg-config recipe builds a program that runs" "exit 0" \
            "$(tail -n 5 "$tmp/readme-pc.log" | tr '\n' ' ') (ran: $(tr '\n' ';' <<<"$script"))"
    fi
fi

if [ "$failures" -gt 0 ]; then
    echo "install: $failures check(s) failed"
    exit 1
fi
echo "install: every check passed"
