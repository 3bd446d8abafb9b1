#!/usr/bin/env bash
# Offline validators for deploy/, from PyPI, in a venv under .work/deploy-tools:
#   kubernetes-validate  the manifests against the Kubernetes API schemas it
#                        ships (--strict: unknown fields are errors, since
#                        kubectl apply would drop a misspelt probe silently)
#   check-jsonschema     the compose file against the compose-spec schema it
#                        vendors (vendor.compose-spec)
#
#   deploy/tools.sh check     run both on deploy/
#   deploy/tools.sh env       print ZHAOSHANG_TEST_KUBE_VALIDATE=... and
#                             ZHAOSHANG_TEST_CHECK_JSONSCHEMA=... for the tests
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.work/deploy-tools"
KUBE="$VENV/bin/kubernetes-validate"
JSONSCHEMA="$VENV/bin/check-jsonschema"

install() {
  [[ -x "$KUBE" && -x "$JSONSCHEMA" ]] && return 0
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==1.37.0" "check-jsonschema==0.39.0"
}

install
case "${1:-}" in
  env)
    echo "ZHAOSHANG_TEST_KUBE_VALIDATE=$KUBE"
    echo "ZHAOSHANG_TEST_CHECK_JSONSCHEMA=$JSONSCHEMA"
    ;;
  check)
    "$KUBE" --strict "$ROOT"/deploy/kubernetes/*.yaml
    "$JSONSCHEMA" --builtin-schema vendor.compose-spec "$ROOT/deploy/compose/compose.yaml"
    ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
