#!/usr/bin/env bash
# A registry file sent over GraphQL (multipart), read as it arrives: the
# server's resident memory sampled while it imports a household registry of
# ROWS rows (the demo's own household file repeated), and the time taken.
# Run it for two sizes: memory that does not grow with the file is the point.
#
# Knobs (environment): ROWS (600000), GRIDGOV_BIN (target/debug/gridgov),
# RESIDENTS of the demo city the server seeds (3000).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${GRIDGOV_BIN:-target/debug/gridgov}
dir=$(mktemp -d /tmp/gridgov-upload-XXXX)
"$bin" --data-dir "$dir" --listen 127.0.0.1:0 --residents "${RESIDENTS:-3000}" >"$dir/out.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
url=
for _ in $(seq 1 300); do
  url=$(sed -n 's/^  GraphQL *\(http[^ ]*\).*/\1/p' "$dir/out.log" | head -n 1)
  [ -n "$url" ] && break
  sleep 1
done
[ -n "$url" ] || { cat "$dir/out.log"; exit 1; }
token=$(curl -sf "$url" -H 'content-type: application/json' \
  -d '{"query":"mutation { login(input: {username: \"admin\", password: \"gridgov-demo\"}) { session { accessToken } } }"}' |
  sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')

src="$dir/registries/household.csv"
rows=$(($(wc -l <"$src") - 1))
repeat=$((${ROWS:-600000} / rows + 1))
{
  head -1 "$src"
  for _ in $(seq 1 "$repeat"); do tail -n +2 "$src"; done
} >"$dir/big.csv"
echo "file: $(stat -c %s "$dir/big.csv") bytes, $(($(wc -l <"$dir/big.csv") - 1)) rows"
echo "before: $(awk '/VmRSS/ {print $2}' /proc/$pid/status) kB resident"

start=$(date +%s.%N)
curl -s "$url" -H "authorization: Bearer $token" \
  -F 'operations={"query":"mutation($f: Upload!) { importRegistry(input: {kind: HOUSEHOLD, file: $f}) { snapshot { rows } faultCount userErrors { message } } }","variables":{"f":null}}' \
  -F 'map={"0":["variables.f"]}' -F "0=@$dir/big.csv;type=text/csv" >"$dir/answer.json" &
sent=$!
peak=0
while kill -0 $sent 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  [ "$rss" -gt "$peak" ] && peak=$rss
  sleep 0.2
done
wait $sent
end=$(date +%s.%N)
cat "$dir/answer.json"
echo
echo "while importing: at most $peak kB resident; $(echo "$end - $start" | bc) s"
