#!/usr/bin/env bash
# Validates the manifests against the Kubernetes API schemas, offline, with
# kubernetes-validate (PyPI; it ships the schemas) in a venv under
# .work/deploy-tools. --strict rejects unknown fields (a misspelt probe is
# otherwise silently dropped by kubectl apply).
#   deploy/kubernetes/validate.sh           validate deploy/kubernetes/*.yaml
#   deploy/kubernetes/validate.sh env       print ZHAOSHANG_TEST_KUBE_VALIDATE=...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.work/deploy-tools"
BIN="$VENV/bin/kubernetes-validate"
VERSION="1.37.0"

install() {
  [[ -x "$BIN" ]] && return 0
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VERSION"
}

install
case "${1:-}" in
  env) echo "ZHAOSHANG_TEST_KUBE_VALIDATE=$BIN" ;;
  "") "$BIN" --strict "$ROOT"/deploy/kubernetes/*.yaml ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
