"""Checks of deploy/kubernetes that no schema or linter makes (scripts/check-deploy.sh).

usage: check_manifests.py files KUSTOMIZATION_DIR...
       check_manifests.py consistency RENDERED_YAML

`files`: each kustomization lists exactly the YAML files beside it (a file left out would
silently not be applied; one listed but missing fails the render anyway).
`consistency`: the rendered objects keep the rules docs/operations.md ("Kubernetes") gives:
one replica until the replica mode lands, a grace period of SHUTDOWN_GRACE_SECONDS + 10 s,
a memory budget of (PREWARM_POOL_SIZE + MAX_SESSIONS) x 220 MiB inside the memory limit,
probes on the server's health path, the volumes a read-only root filesystem needs.
"""

import pathlib
import sys

import yaml

# docs/operations.md, "Sizing": one CLI process after a few turns.
CLI_MIB = 220
# The server itself: about 12 MiB plus 0.3 MiB per live session.
SERVER_MIB = 12
SERVER_MIB_PER_SESSION = 0.3
LIVE_PATH = "/api/v1/health/live"
WRITABLE = {"/data", "/workspace", "/home/app", "/tmp"}

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


def consistency(rendered):
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

    check(sts["spec"]["replicas"] == 1, "replicas: 1 (the replica mode is not built yet)")
    grace = int(env["SHUTDOWN_GRACE_SECONDS"])
    check(
        pod["terminationGracePeriodSeconds"] == grace + 10,
        f"terminationGracePeriodSeconds {pod['terminationGracePeriodSeconds']}"
        f" = SHUTDOWN_GRACE_SECONDS {grace} + 10",
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
    names = {e["name"] for e in server["env"]}
    check(
        {"NODE_ID", "NODE_URL", "CLUSTER_SECRET", "DATABASE_URL"} <= names,
        "replica-mode variables present",
    )
    (headless,) = [s for s in by_kind["Service"] if s["spec"].get("clusterIP") == "None"]
    check(sts["spec"]["serviceName"] == headless["metadata"]["name"], "serviceName is the headless service")
    check(
        f".{headless['metadata']['name']}." in next(e["value"] for e in server["env"] if e["name"] == "NODE_URL"),
        "NODE_URL goes through the headless service",
    )


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    {"files": files, "consistency": lambda a: consistency(a[0])}[mode](args)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
