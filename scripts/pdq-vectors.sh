#!/usr/bin/env bash
# PDQ conformance on Meta's JPEG vectors (../shared/reference/pdq-vectors: not in this repository, never copied in),
# through the README's command: ./scripts/run.sh hashes pdq. Asserts, per vectors.csv and dihedral.csv:
#   - the exact hash (distance 0) and quality of every quality-100 image;
#   - quality < 50 (refused for matching) for the low-quality ones, whose hashes are unstable by design;
#   - distance <= 31 inside the bridge family and > 31 between unrelated images;
#   - the eight dihedral hashes of bridge-square-256x256.jpg exactly;
#   - an unreadable or non-image file answers "error <reason> <path>" and a non-zero exit.
# Prints one line per check, then "pdq vectors: N passed, M failed", and writes "N M" to artifacts/test-results/pdq-vectors.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/reference/pdq-vectors}
results=artifacts/test-results
mkdir -p "$results"
[[ -f "$dir/vectors.csv" ]] || { echo "pdq vectors: $dir/vectors.csv not found"; echo "0 1" >"$results/pdq-vectors.txt"; exit 1; }
out=$(mktemp); dih=$(mktemp); bad=$(mktemp)
./scripts/run.sh hashes pdq "$dir"/*.jpg >"$out" 2>&1; plain=$?
./scripts/run.sh hashes pdq --dihedral "$dir/bridge-square-256x256.jpg" >"$dih" 2>&1
./scripts/run.sh hashes pdq "$dir/README.md" "$dir/no-such-file.jpg" >"$bad" 2>&1; refused=$?
python3 - "$dir" "$out" "$dih" "$bad" "$plain" "$refused" "$results/pdq-vectors.txt" <<'PY'
import csv, os, sys
d, out, dih, bad, plain, refused, summary = sys.argv[1:]
passed = failed = 0
def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok: passed += 1
    else: failed += 1
got = {}
for line in open(out, encoding="utf-8"):
    parts = line.split()
    if len(parts) == 3 and len(parts[0]) == 64:
        got[os.path.basename(parts[2])] = (parts[0], int(parts[1]))
dist = lambda a, b: bin(int(a, 16) ^ int(b, 16)).count("1")
rows = list(csv.DictReader(open(os.path.join(d, "vectors.csv"), encoding="utf-8")))
check(plain == "0", f"hashes pdq exits 0 on the {len(rows)} vector images")
for r in rows:
    name, want, q = r["filename"], r["expected_hash_hex"], int(r["expected_quality"])
    h = got.get(name)
    if h is None:
        check(False, f"{name}: no hash printed"); continue
    if q >= 50:
        check(h == (want, q), f"{name}: {h[0]} quality {h[1]} (expected {want} quality {q}, distance {dist(h[0], want)})")
    else:
        check(h[1] < 50 and h[1] == q, f"{name}: quality {h[1]} (expected {q}: refused for matching)")
bridge = [r["filename"] for r in rows if r["role"].startswith("bridge")]
others = [r["filename"] for r in rows if r["role"].startswith("unrelated")]
inside = [dist(got[a][0], got[b][0]) for a in bridge for b in bridge if a < b and a in got and b in got]
across = [dist(got[a][0], got[b][0]) for a in bridge + others for b in others if a != b and a in got and b in got]
check(inside and max(inside) <= 31, f"bridge family: distances {min(inside, default=-1)}-{max(inside, default=-1)} (<= 31)")
check(across and min(across) > 31, f"unrelated images: distances from {min(across, default=-1)} (> 31)")
want = {r["transform"]: r["expected_hash_hex"] for r in csv.DictReader(open(os.path.join(d, "dihedral.csv"), encoding="utf-8"))}
have = {l.split()[3]: l.split()[0] for l in open(dih, encoding="utf-8") if len(l.split()) == 4}
for t, h in want.items():
    check(have.get(t) == h, f"dihedral {t}: {have.get(t)} (expected {h})")
lines = open(bad, encoding="utf-8").read().split("\n")
check(refused != "0" and any(l.startswith("error ") and l.endswith("README.md") for l in lines) and any(l.startswith("error not-found ") for l in lines),
      "a non-image and a missing file: 'error <reason> <path>' and a non-zero exit")
print(f"pdq vectors: {passed} passed, {failed} failed")
open(summary, "w").write(f"{passed} {failed}\n")
sys.exit(1 if failed else 0)
PY
