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
# A scale-mode platform (workers without links of their own, routed only once
# SimGrid seals the platform) given as a file runs exactly as the generated one.
scale=(tests/expected/golden8.ini --set run.iterations=3 --set platform.worker_links=0)
"$PSLAB" run "${scale[@]}" --out "$TMP/gen" >/dev/null
"$PSLAB" run "${scale[@]}" --set cluster.platform="$TMP/gen/platform.xml" --out "$TMP/file" >/dev/null ||
    fail "a scale-mode platform.xml given back as cluster.platform was refused"
cmp -s "$TMP/gen/metrics.csv" "$TMP/file/metrics.csv" ||
    fail "the same scale-mode platform, generated or given, gave different metrics"
# SimGrid's own <cluster> tags: a shared backbone, and a two-level fat tree.
for topo in 'bb_bw="2.5GBps" bb_lat="10us"' 'topology="FAT_TREE" topo_parameters="2;4,2;1,2;1,1"'; do
    cat > "$TMP/tag.xml" <<XML
<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <cluster id="c" prefix="node-" suffix="" radical="0-7" speed="1Gf" bw="125MBps" lat="50us" $topo/>
</platform>
XML
    rm -rf "$TMP/tag"
    "$PSLAB" run tests/expected/golden8.ini --set cluster.platform="$TMP/tag.xml" --set run.iterations=3 \
        --out "$TMP/tag" >/dev/null || fail "a <cluster $topo> platform was refused"
    [ "$(wc -l < "$TMP/tag/metrics.csv")" -ge 3 ] || fail "no metrics from a <cluster $topo> run"
done
echo "ok: user platform"
