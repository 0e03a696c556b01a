"""The rules catch what they are for (scripts/check-deploy.sh): each mutation of the
rendered example overlay breaks one replica-mode rule, and `check_manifests.py consistency`
must then fail, naming that rule.

usage: mutations.py RENDERED_YAML SECRET_YAML
"""

import pathlib
import subprocess
import sys
import tempfile

import yaml


def statefulset(objs):
    return next(o for o in objs if o["kind"] == "StatefulSet")


def env(objs):
    return statefulset(objs)["spec"]["template"]["spec"]["containers"][0]["env"]


def by_name(objs, name):
    return next(e for e in env(objs) if e["name"] == name)


def workspace_rwo(objs):
    next(o for o in objs if o["kind"] == "PersistentVolumeClaim")["spec"]["accessModes"] = ["ReadWriteOnce"]


def namespace_after_url(objs):
    e = env(objs)
    e.append(e.pop(next(i for i, x in enumerate(e) if x["name"] == "POD_NAMESPACE")))


def database_optional(objs):
    by_name(objs, "DATABASE_URL")["valueFrom"]["secretKeyRef"]["optional"] = True


def no_cluster_secret(objs):
    env(objs).remove(by_name(objs, "CLUSTER_SECRET"))


def workspace_per_pod(objs):
    sts = statefulset(objs)
    pod = sts["spec"]["template"]["spec"]
    pod["volumes"] = [v for v in pod["volumes"] if v["name"] != "workspace"]
    sts["spec"]["volumeClaimTemplates"].append(
        {"metadata": {"name": "workspace"}, "spec": {"accessModes": ["ReadWriteMany"]}}
    )


def config_dir_shared(objs):
    next(o for o in objs if o["kind"] == "ConfigMap")["data"]["CLAUDE_CONFIG_DIR"] = "/workspace/.claude"


def no_peer_traffic(objs):
    policy = next(o for o in objs if o["kind"] == "NetworkPolicy")
    policy["spec"]["ingress"] = [
        {"from": [{"namespaceSelector": {"matchLabels": {"ingress": "yes"}}}], "ports": [{"port": 8000}]}
    ]


def url_wrong_port(objs):
    e = by_name(objs, "NODE_URL")
    e["value"] = e["value"].rsplit(":", 1)[0] + ":9000"


def url_not_headless(objs):
    by_name(objs, "NODE_URL")["value"] = "http://claude-sdk-pattern:8000"


def grace_without_handover(objs):
    statefulset(objs)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 35


def pdb_min_available(objs):
    spec = next(o for o in objs if o["kind"] == "PodDisruptionBudget")["spec"]
    del spec["maxUnavailable"]
    spec["minAvailable"] = 2


# mutation -> the start of the rule's line that must FAIL
MUTATIONS = {
    workspace_rwo: "the workspace claim",
    namespace_after_url: "NODE_URL's variables",
    database_optional: "DATABASE_URL from a Secret",
    no_cluster_secret: "CLUSTER_SECRET from a Secret",
    workspace_per_pod: "WORKSPACE_DIR /workspace is a mount of one claim",
    config_dir_shared: "CLAUDE_CONFIG_DIR",
    no_peer_traffic: "the NetworkPolicy lets the pods reach",
    url_wrong_port: "NODE_URL's port",
    url_not_headless: "NODE_URL 'http://claude-sdk-pattern:8000' is $(NODE_ID)",
    grace_without_handover: "terminationGracePeriodSeconds",
    pdb_min_available: "PodDisruptionBudget",
}


def main():
    rendered, secret = sys.argv[1], sys.argv[2]
    here = pathlib.Path(__file__).parent
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        for mutate, rule in MUTATIONS.items():
            objs = [o for o in yaml.safe_load_all(pathlib.Path(rendered).read_text()) if o]
            mutate(objs)
            path = pathlib.Path(tmp) / f"{mutate.__name__}.yaml"
            path.write_text(yaml.safe_dump_all(objs))
            run = subprocess.run(
                [sys.executable, str(here / "check_manifests.py"), "consistency", str(path), secret],
                capture_output=True, text=True,
            )
            failed = [line for line in run.stdout.splitlines() if line.startswith("  FAIL")]
            ok = run.returncode != 0 and any(line[len("  FAIL  "):].startswith(rule) for line in failed)
            print(f"  {'ok  ' if ok else 'FAIL'}  {mutate.__name__}: caught by '{rule}...'")
            if not ok:
                bad.append(mutate.__name__)
    if bad:
        sys.exit(f"not caught: {', '.join(bad)}")


if __name__ == "__main__":
    main()
