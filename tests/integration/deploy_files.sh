#!/usr/bin/env bash
# The deployment files (deploy/) are well-formed and agree with the program:
# YAML parses, every setting they name is one `kalewx config` knows, the
# probes and health check use /health and /ready, the image and the unit
# point at the same paths, and systemd accepts the unit. Docker itself is
# not available here, so images are not built.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
d=$root/deploy
known=$("$k" config | awk '{print $1}')
[ -n "$known" ] || { echo "FAIL: no settings from kalewx config"; exit 1; }

check yaml 0 python3 - "$d" <<'PY'
import glob, sys, yaml
d = sys.argv[1]
for f in [d + "/docker-compose.yml"] + sorted(glob.glob(d + "/k8s/*.yaml")):
    for doc in yaml.safe_load_all(open(f)):
        assert isinstance(doc, dict), f
c = yaml.safe_load(open(d + "/docker-compose.yml"))
assert {"postgres", "redis", "kalewx-1", "kalewx-2"} <= set(c["services"]), c["services"].keys()
for r in ("kalewx-1", "kalewx-2"):
    env = c["services"][r]["environment"]
    assert env["DATABASE_URL"].startswith("postgresql://") and env["REDIS_URL"].startswith("redis://"), r
    assert c["services"][r]["volumes"] == c["services"]["kalewx-1"]["volumes"], "replicas share the data volume"
k = {doc["kind"]: doc for f in glob.glob(d + "/k8s/*.yaml") for doc in yaml.safe_load_all(open(f))}
assert {"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "Kustomization"} <= set(k), k.keys()
pod = k["Deployment"]["spec"]["template"]["spec"]
ct = pod["containers"][0]
assert ct["livenessProbe"]["httpGet"]["path"] == "/health" and ct["readinessProbe"]["httpGet"]["path"] == "/ready"
assert pod["securityContext"]["runAsNonRoot"] is True and ct["securityContext"]["readOnlyRootFilesystem"] is True
files = set(k["Kustomization"]["resources"])
assert files == {p.rsplit("/", 1)[1] for p in glob.glob(d + "/k8s/*.yaml")} - {"kustomization.yaml"}, files
sel = k["Deployment"]["spec"]["selector"]["matchLabels"]
assert k["Service"]["spec"]["selector"] == sel and k["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == sel
PY

# Every upper-case KEY that the files set must be a kalewx setting (or belong to PostgreSQL's image).
names=$( { python3 - "$d" <<'PY'
import glob, sys, yaml
d = sys.argv[1]
c = yaml.safe_load(open(d + "/docker-compose.yml"))
for r in ("kalewx-1", "kalewx-2"):
    print("\n".join(c["services"][r]["environment"]))
for f in glob.glob(d + "/k8s/*.yaml"):
    for doc in yaml.safe_load_all(open(f)):
        if doc["kind"] in ("ConfigMap", "Secret"):
            print("\n".join(n for n in doc.get("data", doc.get("stringData", {})) if n.isupper()))
PY
    sed -n 's/^Environment=//p' "$d/systemd/kalewx.service" | tr ' ' '\n' | cut -d= -f1
    grep -o '^[A-Z_]*=' "$d/systemd/kalewx.env.example" | tr -d =
    sed -n '/^ENV KALEWX_DATA_DIR/,/^$/p' "$d/Dockerfile" | grep -o '[A-Z_]*=' | tr -d =
  } | sort -u)
for n in $names; do
    grep -qx "$n" <<<"$known" || { echo "FAIL: deploy/ sets $n, which is not a kalewx setting"; fail=1; }
done

contains_file() { grep -q -- "$2" "$1" || { echo "FAIL: $1 lacks $2"; fail=1; }; }
contains_file "$d/Dockerfile" "HEALTHCHECK"
contains_file "$d/Dockerfile" "/health"
contains_file "$d/Dockerfile" "USER kalewx"
contains_file "$d/Dockerfile" "FROM debian:12-slim"
contains_file "$d/Dockerfile" "scripts/bootstrap"
for opt in DynamicUser=yes ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes; do
    contains_file "$d/systemd/kalewx.service" "$opt"
done
# The image and the unit install to the same places the docs describe.
for p in /var/lib/kalewx /usr/share/kalewx/web /usr/bin/kalewx; do
    contains_file "$d/Dockerfile" "$p"
    contains_file "$d/systemd/kalewx.service" "$p"
    contains_file "$root/docs/operations.md" "$p"
done

if command -v systemd-analyze >/dev/null; then
    unit=$(mktemp -d)/kalewx.service
    sed "s#/usr/bin/kalewx#$(readlink -f "$k")#" "$d/systemd/kalewx.service" >"$unit"
    check systemd_verify 0 systemd-analyze verify "$unit"
    rm -rf "$(dirname "$unit")"
else
    echo "deploy_files: systemd-analyze not installed; unit not verified"
fi
[ $fail -eq 0 ] && echo "deploy files: consistent"
exit $fail
