#!/usr/bin/env bash
# `make demo`: the sample app deployed on the local cluster, broken the way the mission's first workflow
# describes (the backend's new image built on the host but not loaded onto the node: ImagePullBackOff), then
# recovered by `shipshape chat "pods show ImagePullBackOff" --yes` with the offline brain. Exits 0 only if the
# deployments are rolled out and both real servers answer 200 afterwards (the backend's uvicorn on /health, the
# frontend's Next.js on /api/health), checked here independently of what shipshape says.
#
# It works on a copy of examples/todo (examples/.demo-todo, git-ignored) so the repository's sample stays as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.tools/bin:$PATH" KUBECONFIG="$ROOT/.cluster/kubeconfig"
SHIP="$ROOT/.venv/bin/shipshape"
DEMO="$ROOT/examples/.demo-todo"
NS=todo
say() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }
json_tag() { "$ROOT/.venv/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(next(i["tag"] for i in d["images"] if i["name"]==sys.argv[2]))' "$@"; }
repo_of() { "$ROOT/.venv/bin/python" -c 'import sys; t=sys.argv[1]; print(t.rsplit(":",1)[0] if ":" in t else "")' "$1"; }
tag_of() { echo "${1##*:}"; }

say "1. A copy of the sample app in $DEMO"
rm -rf "$DEMO"
cp -a "$ROOT/examples/todo" "$DEMO"
kubectl get namespace "$NS" >/dev/null 2>&1 || kubectl create namespace "$NS" >/dev/null
helm uninstall todo -n "$NS" --wait >/dev/null 2>&1 || true

say "2. Build both images and load them onto the node (shipshape build)"
(cd "$DEMO" && "$SHIP" build --json > "$DEMO/build.json")
FRONT=$(json_tag "$DEMO/build.json" frontend); BACK=$(json_tag "$DEMO/build.json" backend)
echo "frontend: $FRONT   backend: $BACK"

say "3. Deploy with helm and wait until it is healthy"
helm upgrade --install todo "$DEMO/chart" -n "$NS" \
  --set frontend.image.repository="$(repo_of "$FRONT")" --set frontend.image.tag="$(tag_of "$FRONT")" \
  --set backend.image.repository="$(repo_of "$BACK")" --set backend.image.tag="$(tag_of "$BACK")" \
  --wait --timeout 120s >/dev/null
kubectl -n "$NS" get pods -o wide

say "4. Break it: a new backend version, built on the host only (--no-load), then deployed"
echo "demo-$(date +%s)" > "$DEMO/backend/app/VERSION"
(cd "$DEMO" && "$SHIP" build --only backend --no-load --json > "$DEMO/build2.json")
NEWBACK=$(json_tag "$DEMO/build2.json" backend)
echo "new backend image $NEWBACK is on the host, not on the node"
helm upgrade todo "$DEMO/chart" -n "$NS" --reuse-values \
  --set backend.image.repository="$(repo_of "$NEWBACK")" --set backend.image.tag="$(tag_of "$NEWBACK")" >/dev/null
# wait until a live pod running the new image reports the failed pull (not a leftover of an earlier run)
for _ in $(seq 1 90); do
  if kubectl -n "$NS" get pods -l app=todo-backend -o json | "$ROOT/.venv/bin/python" -c '
import json, sys
image = sys.argv[1]
for p in json.load(sys.stdin)["items"]:
    if p["metadata"].get("deletionTimestamp"):
        continue
    for c in p["status"].get("containerStatuses", []):
        if c["image"] == image and (c["state"].get("waiting") or {}).get("reason") in ("ErrImagePull", "ImagePullBackOff"):
            sys.exit(0)
sys.exit(1)' "$NEWBACK"; then break; fi
  sleep 1
done
kubectl -n "$NS" get pods

say "5. shipshape chat \"pods show ImagePullBackOff\" --yes   (offline rulebook brain)"
cd "$DEMO"
set +e
"$SHIP" chat "pods show ImagePullBackOff" --yes --brain rulebook
CHAT_RC=$?
set -e
cd "$ROOT"

say "6. Independent check: rollouts complete, /health and /api/health answer 200"
ok=0
kubectl -n "$NS" rollout status deployment/todo-backend --timeout=60s || ok=1
kubectl -n "$NS" rollout status deployment/todo-frontend --timeout=60s || ok=1
# a Ready pod that is not on its way out (a terminating pod may still say Running, without an address)
ready_pod_ip() {
  kubectl -n "$NS" get pods -l "app=$1" -o json | "$ROOT/.venv/bin/python" -c '
import json, sys
pods = json.load(sys.stdin)["items"]
ready = [p for p in pods if not p["metadata"].get("deletionTimestamp") and p["status"].get("podIP")
         and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]
print(ready[0]["status"]["podIP"] if ready else "")'
}
for app in "todo-backend 8000 /health" "todo-frontend 3000 /api/health"; do
  set -- $app
  ip=$(ready_pod_ip "$1")
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$ip:$2$3" || true)
  image=$(kubectl -n "$NS" get deploy "$1" -o jsonpath='{.spec.template.spec.containers[0].image}')
  echo "$1 runs $image; GET http://$ip:$2$3 -> $code"
  [ "$code" = "200" ] || ok=1
done
echo "shipshape chat exit code $CHAT_RC"
[ "$CHAT_RC" = "0" ] || ok=1
if [ $ok -eq 0 ]; then say "demo: recovered and verified"; else say "demo: NOT recovered"; fi
exit $ok
