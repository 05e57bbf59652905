#!/usr/bin/env bash
# A run accepts any valid SimGrid platform file by path and maps roles onto its
# hosts; a malformed platform file gives an error, not a crash.
source "$(dirname "$0")/common.bash"
cat > "$TMP/star.xml" <<'XML'
<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <zone id="world" routing="Full">
    <host id="alpha" speed="2Gf"/>
    <host id="beta" speed="1Gf"/>
    <host id="gamma" speed="1Gf"/>
    <link id="l1" bandwidth="1GBps" latency="100us"/>
    <route src="alpha" dst="beta"><link_ctn id="l1"/></route>
    <route src="alpha" dst="gamma"><link_ctn id="l1"/></route>
    <route src="beta" dst="gamma"><link_ctn id="l1"/></route>
  </zone>
</platform>
XML
"$PSLAB" run tests/expected/golden8.ini --set cluster.platform="$TMP/star.xml" --set run.iterations=4 --out "$TMP/run" >/dev/null
[ "$(wc -l < "$TMP/run/metrics.csv")" -ge 3 ] || fail "no metrics from a run on a user platform"
[ ! -e "$TMP/run/platform.xml" ] || fail "a user platform must not be replaced by a generated one"
printf '<platform version="4.1"><zone id="z" routing="Full"><host id="a" speed="oops"/></zone></platform>\n' > "$TMP/bad.xml"
expect_error "bad.xml" "$PSLAB" run tests/expected/golden8.ini --set cluster.platform="$TMP/bad.xml" --out "$TMP/bad"
echo "ok: user platform"
