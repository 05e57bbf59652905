#!/usr/bin/env bash
# Bad input gets a clear error naming the file, line and key; nothing crashes and
# an earlier run directory is never overwritten.
source "$(dirname "$0")/common.bash"
cfg=$TMP/bad.ini
printf '[run]\niterations = 5\n[cluster]\nservers = 1\nworkers = 2\n[model]\nlrate = 0.1\n' > "$cfg"
expect_error "$cfg:7" "$PSLAB" run "$cfg" --out "$TMP/r1"
expect_error "lrate" "$PSLAB" run "$cfg" --out "$TMP/r1"
printf '[run]\niterations = 5\n[cluster]\nservers = 1\nworkers = 2\n[model]\nlr = -3\n' > "$cfg"
expect_error "$cfg:7" "$PSLAB" run "$cfg" --out "$TMP/r2"
printf '[run]\niterations = 5\n[cluster]\nservers = 1\n' > "$cfg"
expect_error "cluster.workers" "$PSLAB" run "$cfg" --out "$TMP/r3"
expect_error "model.nope" "$PSLAB" run tests/expected/golden8.ini --set model.nope=1 --out "$TMP/r4"
expect_error "no/such/file.ini" "$PSLAB" run no/such/file.ini
expect_error "unknown option" "$PSLAB" run tests/expected/golden8.ini --frobnicate
expect_error "cluster.platform" "$PSLAB" run tests/expected/golden8.ini --set cluster.platform=/nonexistent.xml --out "$TMP/r5"
mkdir -p "$TMP/taken"
expect_error "already exists" "$PSLAB" run tests/expected/golden8.ini --out "$TMP/taken"
"$PSLAB" run --help | grep -q -- "--help-config" || fail "run --help"
grep -q "consistency" <<<"$("$PSLAB" run --help-config)" || fail "--help-config lacks keys"
"$PSLAB" platform --help >/dev/null || fail "platform --help"
"$PSLAB" plot --help >/dev/null || fail "plot --help"
expect_error "unknown command" "$PSLAB" frobnicate
