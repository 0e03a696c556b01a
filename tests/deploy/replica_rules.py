"""The replica-mode rules of check_manifests.py `consistency` (docs/operations.md,
"Replicas" and "Kubernetes"), for a StatefulSet of more than one replica or with NODE_ID:

- NODE_ID is the pod's name; NODE_URL is http://$(NODE_ID).<headless service>.<namespace>...
  on the container port the headless service targets, and every $(VAR) in it is defined
  above it (Kubernetes leaves a reference to a later or unknown variable as literal text);
  CLUSTER_SECRET and DATABASE_URL come from a Secret, not optional;
- the headless service is the StatefulSet's serviceName, selects its pods and publishes
  not-ready ones (a starting or draining replica still owns sessions);
- WORKSPACE_DIR is mounted from ONE PersistentVolumeClaim in the rendered objects (not a
  volumeClaimTemplate, which would give each pod its own), ReadWriteMany;
- DATA_DIR and CLAUDE_CONFIG_DIR are each pod's own: on a volumeClaimTemplate;
- the PodDisruptionBudget selects the pods with maxUnavailable: 1;
- the NetworkPolicy opens the server's port only, and to the server's own pods (replica to
  replica forwarding).
"""

import re

# The image's defaults (Dockerfile), when the ConfigMap does not set them.
IMAGE_ENV = {"WORKSPACE_DIR": "/workspace", "CLAUDE_CONFIG_DIR": "/data/claude"}
DATA_DIR_DEFAULT = "/data"


def selects(selector, labels):
    """Whether a label selector (matchLabels only, as ours are) selects `labels`."""
    match = selector.get("matchLabels", {})
    return bool(match) and not selector.get("matchExpressions") and all(
        labels.get(k) == v for k, v in match.items()
    )


def mount_of(path, mounts):
    """The volume mount holding `path` (the longest mountPath that is a prefix of it)."""
    holding = [
        m for m in mounts
        if path == m["mountPath"] or path.startswith(m["mountPath"].rstrip("/") + "/")
    ]
    return max(holding, key=lambda m: len(m["mountPath"]), default=None)


def env_rules(env_list, headless, port, check):
    by_name = {e["name"]: (i, e) for i, e in enumerate(env_list)}

    def field(name):
        return by_name.get(name, (None, {}))[1].get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")

    check(field("NODE_ID") == "metadata.name", "NODE_ID is the pod's name (fieldRef metadata.name)")
    index, node_url = by_name.get("NODE_URL", (None, {}))
    url = node_url.get("value", "")
    m = re.fullmatch(r"http://([^/:]+):(\d+)", url)
    host, url_port = (m.group(1), int(m.group(2))) if m else ("", None)
    labels = host.split(".")
    check(
        labels[:2] == ["$(NODE_ID)", headless] and len(labels) > 2,
        f"NODE_URL {url!r} is $(NODE_ID).{headless}.<namespace>...: the pod's own DNS name"
        " through the headless service",
    )
    check(url_port == port, f"NODE_URL's port {url_port} is the server's container port {port}")
    refs = re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", url)
    undefined = [r for r in refs if r not in by_name or by_name[r][0] > index]
    check(
        not undefined,
        f"NODE_URL's variables ({', '.join(refs)}) are defined above it"
        + (f"; not: {', '.join(undefined)}" if undefined else ""),
    )
    if "POD_NAMESPACE" in refs:
        check(field("POD_NAMESPACE") == "metadata.namespace", "POD_NAMESPACE is fieldRef metadata.namespace")
    for name in ("CLUSTER_SECRET", "DATABASE_URL"):
        ref = by_name.get(name, (None, {}))[1].get("valueFrom", {}).get("secretKeyRef")
        check(
            bool(ref) and not ref.get("optional", False),
            f"{name} from a Secret, not optional",
        )


def replica_rules(by_kind, sts, env, check):
    pod_spec = sts["spec"]["template"]["spec"]
    pod_labels = sts["spec"]["template"]["metadata"]["labels"]
    (server,) = pod_spec["containers"]
    ports = {p.get("name"): p["containerPort"] for p in server["ports"]}

    headless = [s for s in by_kind.get("Service", []) if s["spec"].get("clusterIP") == "None"]
    check(len(headless) == 1, "one headless service")
    if len(headless) != 1:
        return
    (svc,) = headless
    name = svc["metadata"]["name"]
    check(sts["spec"]["serviceName"] == name, f"serviceName is the headless service {name}")
    check(selects({"matchLabels": svc["spec"].get("selector", {})}, pod_labels), f"{name} selects the pods")
    check(svc["spec"].get("publishNotReadyAddresses") is True, f"{name} publishes not-ready pods")
    target = svc["spec"]["ports"][0].get("targetPort")
    port = ports.get(target) if isinstance(target, str) else target
    env_rules(server.get("env", []), name, port, check)

    # The shared workspace and the per-pod directories.
    mounts = server["volumeMounts"]
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    templates = {t["metadata"]["name"]: t for t in sts["spec"].get("volumeClaimTemplates", [])}
    claims = {c["metadata"]["name"]: c for c in by_kind.get("PersistentVolumeClaim", [])}
    workspace_dir = env.get("WORKSPACE_DIR", IMAGE_ENV["WORKSPACE_DIR"])
    ws = mount_of(workspace_dir, mounts)
    ws_claim = volumes.get(ws["name"], {}).get("persistentVolumeClaim", {}).get("claimName") if ws else None
    check(
        ws is not None and ws["mountPath"] == workspace_dir and ws["name"] not in templates
        and ws_claim in claims,
        f"WORKSPACE_DIR {workspace_dir} is a mount of one claim shared by every pod"
        f" ({ws_claim}, not a volumeClaimTemplate)",
    )
    if ws_claim in claims:
        modes = claims[ws_claim]["spec"].get("accessModes", [])
        check(modes == ["ReadWriteMany"], f"the workspace claim {ws_claim} is ReadWriteMany ({modes})")
    for var, path in (
        ("DATA_DIR", env.get("DATA_DIR", DATA_DIR_DEFAULT)),
        ("CLAUDE_CONFIG_DIR", env.get("CLAUDE_CONFIG_DIR", IMAGE_ENV["CLAUDE_CONFIG_DIR"])),
    ):
        m = mount_of(path, mounts)
        check(
            m is not None and m["name"] in templates,
            f"{var} {path} is the pod's own (volumeClaimTemplate {m['name'] if m else None!r})",
        )

    (pdb,) = by_kind.get("PodDisruptionBudget", [None])
    check(
        pdb is not None and pdb["spec"].get("maxUnavailable") == 1
        and "minAvailable" not in pdb["spec"] and selects(pdb["spec"]["selector"], pod_labels),
        "PodDisruptionBudget: maxUnavailable 1 over the pods (one replica at a time)",
    )

    policies = [
        n for n in by_kind.get("NetworkPolicy", [])
        if selects(n["spec"]["podSelector"], pod_labels)
    ]
    check(len(policies) == 1, "one NetworkPolicy selects the pods")
    if len(policies) != 1:
        return
    rules = policies[0]["spec"].get("ingress", [])
    server_ports = {port, target}

    def opens_only_server_port(rule):
        listed = rule.get("ports")
        return bool(listed) and all(p.get("port") in server_ports for p in listed)

    check(
        bool(rules) and all(opens_only_server_port(r) for r in rules),
        f"the NetworkPolicy opens port {port} only",
    )

    def from_peers(rule):
        peers = rule.get("from")
        if not peers:
            return True  # from anywhere
        return any(
            "podSelector" in p and "namespaceSelector" not in p and "ipBlock" not in p
            and selects(p["podSelector"], pod_labels)
            for p in peers
        )

    check(
        any(from_peers(r) for r in rules),
        f"the NetworkPolicy lets the pods reach each other's port {port} (forwarding)",
    )
