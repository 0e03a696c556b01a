"""Checks of deploy/kubernetes that no schema or linter makes (scripts/check-deploy.sh).

usage: check_manifests.py files KUSTOMIZATION_DIR...
       check_manifests.py consistency RENDERED_YAML SECRET_YAML

`files`: each kustomization lists exactly the YAML files beside it (a file left out would
silently not be applied; one listed but missing fails the render anyway).
`consistency`: the rendered objects keep the rules docs/operations.md ("Kubernetes") gives:
a grace period of SHUTDOWN_GRACE_SECONDS + 10 s (+ 5 s for the hand-over in replica mode),
a memory budget of (PREWARM_POOL_SIZE + MAX_SESSIONS) x 220 MiB inside the memory limit,
probes on the server's health path, the volumes a read-only root filesystem needs, and,
with more than one replica (or NODE_ID set), replica mode wired (replica_rules): NODE_ID,
NODE_URL, CLUSTER_SECRET and DATABASE_URL, one ReadWriteMany workspace claim shared by
every pod, per-pod DATA_DIR and CLAUDE_CONFIG_DIR, a PodDisruptionBudget and a
NetworkPolicy that fit. Every Secret key the StatefulSet needs is in SECRET_YAML (the
example Secret).
"""

import pathlib
import sys

import yaml

from replica_rules import replica_rules

# docs/operations.md, "Sizing": one CLI process after a few turns.
CLI_MIB = 220
# The server itself: about 12 MiB plus 0.3 MiB per live session.
SERVER_MIB = 12
SERVER_MIB_PER_SESSION = 0.3
LIVE_PATH = "/api/v1/health/live"
WRITABLE = {"/data", "/workspace", "/home/app", "/tmp"}

# The hand-over after the drain in replica mode: each session's transcript saved, its lease
# and the replica's row released (a few database writes).
HANDOVER_SECONDS = 5

failures = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def listed_files(kustomization):
    names = [r for r in kustomization.get("resources", []) if r.endswith((".yaml", ".yml"))]
    names += [p["path"] for p in kustomization.get("patches", []) if "path" in p]
    for gen in kustomization.get("configMapGenerator", []) + kustomization.get(
        "secretGenerator", []
    ):
        names += [f.split("=")[-1] for f in gen.get("files", []) + gen.get("envs", [])]
    return names


def files(dirs):
    for d in map(pathlib.Path, dirs):
        k = yaml.safe_load((d / "kustomization.yaml").read_text())
        listed = listed_files(k)
        present = sorted(
            p.name for p in d.iterdir() if p.suffix in (".yaml", ".yml") and p.name != "kustomization.yaml"
        )
        unlisted = sorted(set(present) - set(listed))
        missing = sorted(set(listed) - set(present))
        twice = sorted({n for n in listed if listed.count(n) > 1})
        problems = [f"{label}: {', '.join(names)}" for label, names in (
            ("not listed", unlisted), ("listed but absent", missing), ("listed twice", twice)
        ) if names]
        check(
            not problems,
            f"{d}/kustomization.yaml lists exactly its {len(present)} files"
            + (f" ({'; '.join(problems)})" if problems else ""),
        )


def mib(quantity):
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return float(quantity[: -len(suffix)]) * factor
    raise SystemExit(f"unexpected memory quantity {quantity!r} (use Ki, Mi, Gi or Ti)")


def consistency(rendered, secret_file):
    objs = [o for o in yaml.safe_load_all(pathlib.Path(rendered).read_text()) if o]
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o["kind"], []).append(o)
    (sts,) = by_kind["StatefulSet"]
    (config,) = by_kind["ConfigMap"]
    env = config["data"]
    pod = sts["spec"]["template"]["spec"]
    (server,) = pod["containers"]
    print(f"{pathlib.Path(rendered).stem} (rendered):")

    replicas = sts["spec"].get("replicas", 1)
    replica_mode = replicas > 1 or any(e["name"] == "NODE_ID" for e in server.get("env", []))
    print(f"  {replicas} replica(s), replica mode {'on' if replica_mode else 'off'}")
    grace = int(env["SHUTDOWN_GRACE_SECONDS"])
    extra = 10 + (HANDOVER_SECONDS if replica_mode else 0)
    check(
        pod["terminationGracePeriodSeconds"] == grace + extra,
        f"terminationGracePeriodSeconds {pod['terminationGracePeriodSeconds']}"
        f" = SHUTDOWN_GRACE_SECONDS {grace} + 10"
        + (f" + {HANDOVER_SECONDS} (hand-over)" if replica_mode else ""),
    )
    sessions, pool = int(env["MAX_SESSIONS"]), int(env["PREWARM_POOL_SIZE"])
    budget = int(env["MEMORY_BUDGET_MB"])
    check(
        budget >= (pool + sessions) * CLI_MIB,
        f"MEMORY_BUDGET_MB {budget} >= (PREWARM_POOL_SIZE {pool} + MAX_SESSIONS {sessions})"
        f" x {CLI_MIB}",
    )
    limit = mib(server["resources"]["limits"]["memory"])
    server_mib = SERVER_MIB + SERVER_MIB_PER_SESSION * sessions
    check(
        limit > budget + server_mib,
        f"memory limit {limit:.0f} MiB > budget {budget} + server {server_mib:.0f}"
        f" (leaves {limit - budget - server_mib:.0f} MiB for tools)",
    )
    check(
        server["resources"]["requests"]["memory"] == server["resources"]["limits"]["memory"],
        "memory request = limit",
    )
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        path = server.get(probe, {}).get("httpGet", {}).get("path")
        check(path == LIVE_PATH, f"{probe} on {LIVE_PATH}")
    sc = server["securityContext"]
    check(sc.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
    mounts = {m["mountPath"] for m in server["volumeMounts"]}
    check(WRITABLE <= mounts, f"writable mounts for {', '.join(sorted(WRITABLE))}")
    check(pod["securityContext"].get("runAsUser") == 10001, "runs as uid 10001, the image's user")
    if replica_mode:
        replica_rules(by_kind, sts, env, check)
    secret_keys(sts, secret_file)


def secret_keys(sts, secret_file):
    """Every key the StatefulSet reads from a Secret, unless optional, is in the example."""
    (secret,) = [o for o in yaml.safe_load_all(pathlib.Path(secret_file).read_text()) if o]
    example = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    name = secret["metadata"]["name"]
    needed = set()
    for c in sts["spec"]["template"]["spec"]["containers"]:
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["name"] == name and not ref.get("optional", False):
                needed.add(ref["key"])
    missing = sorted(needed - example)
    check(
        not missing,
        f"{pathlib.Path(secret_file).name} has every key the StatefulSet needs"
        f" ({', '.join(sorted(needed))})" + (f"; missing: {', '.join(missing)}" if missing else ""),
    )


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    {"files": files, "consistency": lambda a: consistency(a[0], a[1])}[mode](args)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
