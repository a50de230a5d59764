#!/usr/bin/env bash
# Static validation of everything under deploy/ (and docs/operations.md coverage).
# Offline: every tool and schema comes from the `lint` dependency group in uv.lock.
#
#   uv sync && bash deploy/check.sh
#
# Checks, in order; the script exits non-zero on the first failing one:
#   1. yamllint (--strict, /.yamllint)       syntax, duplicate keys, truthy values, layout
#   2. hadolint deploy/Dockerfile             Dockerfile best practices + ShellCheck of RUN
#   3. Dockerfile/.dockerignore contract      non-root USER, ENTRYPOINT/CMD, HEALTHCHECK,
#                                             no secret-looking ENV/ARG, allow-list context
#   4. check-jsonschema vendor.compose-spec   deploy/compose.yaml against the compose spec
#   5. compose cross-references               depends_on targets/conditions, replicas, volumes
#   6. kubernetes-validate (strict)           every manifest against the bundled OpenAPI
#                                             schemas of the oldest and newest supported
#                                             Kubernetes; an unknown kind/apiVersion fails
#   7. Kubernetes cross-references            kustomization files, selectors, probes,
#                                             ConfigMap/Secret/ServiceAccount names, HPA/PDB
#   8. docs/operations.md                     documents every variable the manifests set
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Oldest and newest Kubernetes minor versions the manifests must be valid for.
K8S_VERSIONS="${K8S_VERSIONS:-1.30.0 1.37.0}"

VENV="${UV_PROJECT_ENVIRONMENT:-$ROOT/.venv}"
if [[ -d "$VENV/bin" ]]; then
    PATH="$VENV/bin:$PATH"
fi
for tool in python yamllint hadolint check-jsonschema kubernetes-validate; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "deploy/check.sh: '$tool' not found; run 'uv sync' (the lint group is a default group)" >&2
        exit 1
    fi
done
python -c 'import kubernetes_validate, yaml' 2>/dev/null || {
    echo "deploy/check.sh: python in $VENV lacks kubernetes_validate/yaml; run 'uv sync'" >&2
    exit 1
}

step() { printf '\n==> %s\n' "$*"; }

step "1/8 yamllint"
yamllint --strict -c .yamllint .yamllint deploy/
echo "ok"

step "2/8 hadolint deploy/Dockerfile ($(hadolint --version))"
hadolint --no-color --failure-threshold info deploy/Dockerfile
echo "ok"

step "3/8 Dockerfile and .dockerignore contract"
python - deploy/Dockerfile .dockerignore <<'PY'
import json
import re
import sys

dockerfile, dockerignore = sys.argv[1], sys.argv[2]
errors: list[str] = []

# Join continuation lines, drop comments.
text = open(dockerfile, encoding="utf-8").read()
logical: list[str] = []
buf = ""
for raw in text.splitlines():
    line = raw.strip()
    if not buf and (not line or line.startswith("#")):
        continue
    if line.endswith("\\"):
        buf += line[:-1] + " "
        continue
    logical.append(buf + line)
    buf = ""

stages: list[list[str]] = []
for line in logical:
    if line.upper().startswith("FROM "):
        stages.append([])
    if stages:
        stages[-1].append(line)
if len(stages) < 2:
    errors.append("expected a multi-stage build (builder + runtime)")
final = stages[-1] if stages else []

def instr(lines: list[str], name: str) -> list[str]:
    return [l[len(name) + 1 :].strip() for l in lines if l.upper().startswith(name + " ")]

users = instr(final, "USER")
if not users:
    errors.append("final stage has no USER")
elif not re.fullmatch(r"[1-9][0-9]{3,}(:[1-9][0-9]{3,})?", users[-1]):
    errors.append(f"final USER must be a fixed numeric non-root uid[:gid], got {users[-1]!r}")

for name, want in (("ENTRYPOINT", ["followup"]), ("CMD", ["api"])):
    values = instr(final, name)
    if not values:
        errors.append(f"final stage has no {name}")
        continue
    try:
        got = json.loads(values[-1])
    except ValueError:
        errors.append(f"{name} must use the exec (JSON) form, got {values[-1]!r}")
        continue
    if got != want:
        errors.append(f"{name} must be {want}, got {got}")

if not instr(final, "HEALTHCHECK"):
    errors.append("final stage has no HEALTHCHECK")

env_text = " ".join(instr(final, "ENV"))
for var in ("PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"):
    if var not in env_text:
        errors.append(f"final stage does not set {var}")

secretish = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|DATABASE_URL|SMTP_URL)", re.I)
for line in logical:
    word = line.split(None, 1)[0].upper()
    if word in ("ENV", "ARG") and secretish.search(line):
        errors.append(f"secret-looking build argument or variable baked into the image: {line!r}")

sync_lines = [l for l in logical if "uv sync" in l]
if not sync_lines:
    errors.append("no 'uv sync' in the Dockerfile")
for l in sync_lines:
    for flag in ("--frozen", "--no-dev", "--no-group embedded", "--no-group lint"):
        if flag not in l:
            errors.append(f"'uv sync' without {flag}: {l!r}")

ignore = [l.strip() for l in open(dockerignore, encoding="utf-8") if l.strip() and not l.startswith("#")]
if not ignore or ignore[0] != "*":
    errors.append(".dockerignore must start with '*' (allow-list the build context)")
for must_not in ("!.env", "!.venv", "!.local", "!.git"):
    if any(l.rstrip("/") == must_not for l in ignore):
        errors.append(f".dockerignore lets {must_not[1:]} into the build context")

if errors:
    print("\n".join(f"ERROR {dockerfile}: {e}" for e in errors))
    sys.exit(1)
print("ok")
PY

step "4/8 compose spec schema (check-jsonschema vendor.compose-spec)"
check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.yaml

step "5/8 compose cross-references"
python - deploy/compose.yaml <<'PY'
import sys

import yaml

path = sys.argv[1]
doc = yaml.safe_load(open(path, encoding="utf-8"))  # resolves the <<: merge keys
services = doc.get("services") or {}
volumes = set((doc.get("volumes") or {}).keys())
errors: list[str] = []

for name, svc in services.items():
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        deps = {d: {"condition": "service_started"} for d in deps}
    for dep in deps:
        if dep not in services:
            errors.append(f"{name}: depends_on unknown service {dep!r}")
        if dep == name:
            errors.append(f"{name}: depends on itself")
    for vol in svc.get("volumes") or []:
        source = vol.get("source") if isinstance(vol, dict) else str(vol).split(":", 1)[0]
        if source and not source.startswith((".", "/", "~", "$")) and source not in volumes:
            errors.append(f"{name}: named volume {source!r} is not declared under volumes:")
    replicas = ((svc.get("deploy") or {}).get("replicas")) or 1
    if replicas > 1 and "container_name" in svc:
        errors.append(f"{name}: container_name prevents {replicas} replicas")
    for port in svc.get("ports") or []:
        spec = str(port.get("published", "")) if isinstance(port, dict) else str(port)
        host = spec.rsplit(":", 1)[0] if ":" in spec else ""
        host_port = host.rsplit(":", 1)[-1]
        if replicas > 1 and host_port and "-" not in host_port:
            errors.append(f"{name}: fixed host port {spec!r} with {replicas} replicas")

for required in ("postgres", "redis", "migrate", "api", "worker"):
    if required not in services:
        errors.append(f"service {required!r} missing")
for name in ("api", "worker"):
    deps = (services.get(name) or {}).get("depends_on") or {}
    cond = (deps.get("migrate") or {}).get("condition") if isinstance(deps, dict) else None
    if cond != "service_completed_successfully":
        errors.append(f"{name}: must depend on migrate with condition service_completed_successfully")
    if "healthcheck" not in (services.get(name) or {}):
        errors.append(f"{name}: no healthcheck")
for name in ("postgres", "redis"):
    if "healthcheck" not in (services.get(name) or {}):
        errors.append(f"{name}: no healthcheck")
for name, cmd in (("migrate", ["migrate"]), ("api", ["api"]), ("worker", ["worker"])):
    got = (services.get(name) or {}).get("command")
    if got != cmd:
        errors.append(f"{name}: command must be {cmd}, got {got}")

if errors:
    print("\n".join(f"ERROR {path}: {e}" for e in errors))
    sys.exit(1)
print("ok")
PY

step "6/8 kubernetes-validate --strict against Kubernetes ${K8S_VERSIONS}"
# The CLI only warns (exit 0) on an unknown kind or apiVersion; the library raises,
# so a misspelt kind or a removed API version fails here.
python - "$K8S_VERSIONS" <<'PY'
import pathlib
import sys

import kubernetes_validate
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError, VersionNotSupportedError

versions = sys.argv[1].split()
failed = 0
count = 0
for path in sorted(pathlib.Path("deploy/k8s").rglob("*.y*ml")):
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    if not docs:
        print(f"ERROR {path}: empty file")
        failed += 1
    for doc in docs:
        if doc.get("kind") == "Kustomization":
            continue  # not an API object; checked in the next step
        count += 1
        ident = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        for version in versions:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except ValidationError as exc:
                where = ".".join(str(p) for p in exc.path)
                print(f"ERROR {path} {ident} (k8s {version}): {where}: {exc.message}")
                failed += 1
            except SchemaNotFoundError:
                print(f"ERROR {path}: no schema for kind {doc.get('kind')!r} "
                      f"apiVersion {doc.get('apiVersion')!r} in Kubernetes {version}")
                failed += 1
            except VersionNotSupportedError:
                print(f"ERROR kubernetes-validate has no schemas for Kubernetes {version}")
                sys.exit(1)
if failed:
    sys.exit(1)
if count == 0:
    print("ERROR no Kubernetes manifests found under deploy/k8s")
    sys.exit(1)
print(f"ok ({count} objects x {len(versions)} versions)")
PY

step "7/8 Kubernetes cross-references"
python - <<'PY'
import pathlib
import sys

import yaml

base = pathlib.Path("deploy/k8s")
errors: list[str] = []
objects: dict[tuple[str, str], dict] = {}
referenced: set[pathlib.Path] = set()
kustomizations = sorted(base.rglob("kustomization.yaml"))
image_names: set[str] = set()

if not kustomizations:
    errors.append("deploy/k8s has no kustomization.yaml")
for kpath in kustomizations:
    k = yaml.safe_load(kpath.read_text(encoding="utf-8")) or {}
    if k.get("namespace"):
        errors.append(f"{kpath}: sets a namespace; the manifests must stay namespace-agnostic")
    for res in k.get("resources") or []:
        target = (kpath.parent / res).resolve()
        if not target.is_file():
            errors.append(f"{kpath}: resource {res!r} does not exist")
        elif target in referenced:
            errors.append(f"{kpath}: {res!r} is listed by two kustomizations")
        referenced.add(target)
    image_names |= {i.get("name") for i in k.get("images") or []}

for path in sorted(base.rglob("*.y*ml")):
    if path.name == "kustomization.yaml":
        continue
    if path.resolve() not in referenced:
        errors.append(f"{path}: not listed in any kustomization.yaml")
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if not doc:
            continue
        meta = doc.get("metadata") or {}
        if "namespace" in meta:
            errors.append(f"{path}: metadata.namespace set; keep manifests namespace-agnostic")
        key = (doc["kind"], meta.get("name"))
        if key in objects:
            errors.append(f"{path}: duplicate {key[0]}/{key[1]}")
        objects[key] = doc

def names(kind: str) -> set[str]:
    return {n for (k, n) in objects if k == kind}

def matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

workloads: dict[str, dict] = {}
for (kind, name), doc in objects.items():
    if kind in ("Deployment", "Job"):
        workloads[name] = doc
        spec = doc["spec"]
        tmpl = spec["template"]
        labels = (tmpl.get("metadata") or {}).get("labels") or {}
        sel = (spec.get("selector") or {}).get("matchLabels")
        if kind == "Deployment" and not matches(sel, labels):
            errors.append(f"{kind}/{name}: selector {sel} does not match template labels {labels}")
        pod = tmpl["spec"]
        psc = pod.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True:
            errors.append(f"{kind}/{name}: pod securityContext.runAsNonRoot must be true")
        sa = pod.get("serviceAccountName")
        if sa and sa not in names("ServiceAccount"):
            errors.append(f"{kind}/{name}: serviceAccountName {sa!r} not defined")
        mounts_ok = {v["name"] for v in pod.get("volumes") or [] if "emptyDir" in v}
        for c in pod["containers"]:
            where = f"{kind}/{name} container {c['name']}"
            csc = c.get("securityContext") or {}
            if csc.get("readOnlyRootFilesystem") is not True:
                errors.append(f"{where}: readOnlyRootFilesystem must be true")
            if csc.get("allowPrivilegeEscalation") is not False:
                errors.append(f"{where}: allowPrivilegeEscalation must be false")
            if not any(m["mountPath"] == "/tmp" and m["name"] in mounts_ok for m in c.get("volumeMounts") or []):
                errors.append(f"{where}: needs an emptyDir mounted on /tmp (read-only root filesystem)")
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in (res.get(part) or {}):
                        errors.append(f"{where}: resources.{part}.{r} missing")
            image = str(c.get("image", ""))
            if image.split(":")[0] not in image_names:
                errors.append(f"{where}: image {image!r} is not set by a kustomization images: entry")
            for src in c.get("envFrom") or []:
                for ref_key, ref_kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    ref = (src.get(ref_key) or {}).get("name")
                    if ref and ref not in names(ref_kind):
                        errors.append(f"{where}: {ref_key} {ref!r} not defined")

def container(name: str) -> dict:
    return workloads[name]["spec"]["template"]["spec"]["containers"][0] if name in workloads else {}

api, worker, job = container("followup-api"), container("followup-worker"), container("followup-migrate")
if not api:
    errors.append("Deployment/followup-api missing")
else:
    if api.get("args") != ["api"]:
        errors.append("followup-api: args must be ['api']")
    if (api.get("readinessProbe") or {}).get("httpGet", {}).get("path") != "/readyz":
        errors.append("followup-api: readinessProbe must GET /readyz")
    if (api.get("livenessProbe") or {}).get("httpGet", {}).get("path") != "/healthz":
        errors.append("followup-api: livenessProbe must GET /healthz")
    if not (api.get("lifecycle") or {}).get("preStop"):
        errors.append("followup-api: needs a preStop hook so load balancers drain")
    grace = workloads["followup-api"]["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
    pre = ((api.get("lifecycle") or {}).get("preStop") or {}).get("exec", {}).get("command", [])
    if len(pre) == 2 and pre[0] == "sleep" and int(pre[1]) >= grace:
        errors.append("followup-api: terminationGracePeriodSeconds must exceed the preStop sleep")
if not worker:
    errors.append("Deployment/followup-worker missing")
else:
    if worker.get("args") != ["worker"]:
        errors.append("followup-worker: args must be ['worker']")
    cmd = ((worker.get("livenessProbe") or {}).get("exec") or {}).get("command")
    if cmd != ["followup", "worker-health"]:
        errors.append("followup-worker: livenessProbe must exec ['followup', 'worker-health']")
    if worker.get("ports"):
        errors.append("followup-worker: the worker has no HTTP port")
if not job:
    errors.append("Job/followup-migrate missing")
elif job.get("args") != ["migrate"]:
    errors.append("followup-migrate: args must be ['migrate']")

for (kind, name), doc in objects.items():
    spec = doc.get("spec") or {}
    if kind == "Service":
        sel = spec.get("selector") or {}
        targets = [w for w in workloads.values() if w["kind"] == "Deployment"
                   and matches(sel, w["spec"]["template"]["metadata"]["labels"])]
        if not targets:
            errors.append(f"Service/{name}: selector {sel} matches no Deployment")
        for p in spec.get("ports") or []:
            tp = p.get("targetPort")
            if isinstance(tp, str) and not any(
                tp in {cp.get("name") for c in w["spec"]["template"]["spec"]["containers"] for cp in c.get("ports") or []}
                for w in targets
            ):
                errors.append(f"Service/{name}: targetPort {tp!r} is not a named container port")
    if kind == "PodDisruptionBudget":
        sel = (spec.get("selector") or {}).get("matchLabels") or {}
        if not any(w["kind"] == "Deployment" and matches(sel, w["spec"]["template"]["metadata"]["labels"])
                   for w in workloads.values()):
            errors.append(f"PodDisruptionBudget/{name}: selector {sel} matches no Deployment")
    if kind == "HorizontalPodAutoscaler":
        ref = spec.get("scaleTargetRef") or {}
        if (ref.get("kind"), ref.get("name")) not in objects:
            errors.append(f"HorizontalPodAutoscaler/{name}: target {ref} not defined")
        elif spec.get("minReplicas", 1) > spec.get("maxReplicas", 0):
            errors.append(f"HorizontalPodAutoscaler/{name}: minReplicas > maxReplicas")

if errors:
    print("\n".join(f"ERROR {e}" for e in errors))
    sys.exit(1)
print(f"ok ({len(objects)} objects, {len(kustomizations)} kustomizations)")
PY

step "8/8 docs/operations.md documents every variable the deployment sets"
python - <<'PY'
import pathlib
import re
import sys

import yaml

docs = pathlib.Path("docs/operations.md")
if not docs.is_file():
    print("ERROR docs/operations.md missing")
    sys.exit(1)
text = docs.read_text(encoding="utf-8")
variables: set[str] = set()
for path in pathlib.Path("deploy/k8s").rglob("*.yaml"):
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if doc and doc.get("kind") in ("ConfigMap", "Secret"):
            variables |= set((doc.get("data") or {}) | (doc.get("stringData") or {}))
compose = yaml.safe_load(pathlib.Path("deploy/compose.yaml").read_text(encoding="utf-8"))
for name in ("api", "worker", "migrate"):
    env = compose["services"][name].get("environment") or {}
    variables |= set(env if isinstance(env, dict) else (e.split("=", 1)[0] for e in env))
missing = sorted(v for v in variables if not re.search(rf"`{re.escape(v)}`", text))
if missing:
    print("ERROR docs/operations.md does not document: " + ", ".join(missing))
    sys.exit(1)
print(f"ok ({len(variables)} variables)")
PY

printf '\ndeploy/check.sh: all checks passed\n'
