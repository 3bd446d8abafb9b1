//! The Kubernetes manifests: valid against the API schemas (strict, with
//! kubernetes-validate from `deploy/tools.sh`, path in
//! ZHAOSHANG_TEST_KUBE_VALIDATE), and consistent with each other and with
//! the daemon: probes on the real endpoints and port, selectors that select
//! the pods, a non-root security context matching the image's user.

mod ops_support;

use ops_support::{read, repo, run_tool, tool_path};
use regex::Regex;
use zhaoshang::config::{Config, Sources};

const MANIFESTS: &[&str] = &[
    "configmap.yaml",
    "deployment.yaml",
    "poddisruptionbudget.yaml",
    "secret.example.yaml",
    "service.yaml",
    "servicemonitor.yaml",
    "kustomization.yaml",
];

#[test]
fn manifests_pass_strict_schema_validation() {
    let Some(validate) = tool_path("ZHAOSHANG_TEST_KUBE_VALIDATE", "kubernetes-validate (deploy/tools.sh env)") else {
        return;
    };
    let paths: Vec<String> = MANIFESTS.iter().map(|m| format!("deploy/kubernetes/{m}")).collect();
    let mut args = vec!["--strict"];
    args.extend(paths.iter().map(String::as_str));
    let (ok, out) = run_tool(&validate, &args, repo());
    assert!(ok, "kubernetes-validate --strict failed:\n{out}");
    // Core kinds must have been validated, not skipped; only the CRD
    // (ServiceMonitor) and kustomize's own file have no schema there.
    for core in ["configmap", "deployment", "poddisruptionbudget", "secret", "service"] {
        assert!(out.contains(&format!("passed for resource {core}/")), "{core} was not validated:\n{out}");
    }
    for line in out.lines().filter(|l| l.starts_with("WARN")) {
        assert!(line.contains("ServiceMonitor") || line.contains("Kustomization"), "unexpected warning: {line}");
    }
}

fn value<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let re = Regex::new(&format!(r"(?m)^\s*-?\s*{key}:\s*(\S.*?)\s*$")).expect("regex");
    re.captures_iter(text).map(|c| c.get(1).expect("value").as_str().trim_matches('"')).collect()
}

#[test]
fn probes_ports_and_selectors_line_up() {
    let deployment = read("deploy/kubernetes/deployment.yaml");
    let service = read("deploy/kubernetes/service.yaml");
    let monitor = read("deploy/kubernetes/servicemonitor.yaml");
    let pdb = read("deploy/kubernetes/poddisruptionbudget.yaml");
    let config = Config::load(&Sources::default()).expect("defaults");
    let port = config.metrics.address.rsplit(':').next().expect("port").to_string();

    // The probes hit the daemon's endpoints on its metrics port.
    let paths = value(&deployment, "path");
    assert!(paths.contains(&"/healthz") && paths.contains(&"/readyz"), "probe paths: {paths:?}");
    let readiness = deployment.split("readinessProbe:").nth(1).expect("readinessProbe");
    assert!(readiness.split("resources:").next().expect("block").contains("/readyz"), "readiness must use /readyz");
    let liveness = deployment.split("livenessProbe:").nth(1).expect("livenessProbe");
    assert!(liveness.split("readinessProbe:").next().expect("block").contains("/healthz"), "liveness must use /healthz");
    assert_eq!(value(&deployment, "containerPort"), vec![port.as_str()]);
    assert!(deployment.contains(&format!("prometheus.io/port: \"{port}\"")), "scrape annotation port");
    assert!(deployment.contains("prometheus.io/scrape: \"true\"") && deployment.contains("prometheus.io/path: \"/metrics\""));
    // Named port shared by container, probes, Service and ServiceMonitor.
    assert!(deployment.contains("- name: metrics\n              containerPort"), "container port is named `metrics`");
    assert_eq!(value(&service, "targetPort"), vec!["metrics"]);
    assert_eq!(value(&service, "port"), vec![port.as_str()]);
    assert!(value(&monitor, "port").contains(&"metrics"));
    // The Service name is the ServiceMonitor job label the alerts select.
    assert!(service.contains("metadata:\n  name: zhaoshang\n"));

    // Every selector selects the pod template's label.
    let label = "app.kubernetes.io/name: zhaoshang";
    let template = deployment.split("template:").nth(1).expect("template");
    assert!(template.split("spec:").next().expect("metadata").contains(label), "pod template label");
    for (name, text) in [("deployment", &deployment), ("service", &service), ("servicemonitor", &monitor), ("pdb", &pdb)] {
        let selector = text.split("selector:").nth(1).unwrap_or_else(|| panic!("{name}: no selector"));
        assert!(selector.lines().take(4).any(|l| l.trim() == label), "{name} does not select {label}");
    }

    // More than one replica only with the shared store, and a PDB that lets
    // a drain proceed.
    let replicas: u32 = value(&deployment, "replicas")[0].parse().expect("replicas");
    assert!(replicas > 1);
    assert!(read("deploy/kubernetes/configmap.yaml").contains("ZHAOSHANG__DEDUP__BACKEND: \"redis\""));
    assert_eq!(value(&pdb, "maxUnavailable"), vec!["1"]);
}

#[test]
fn pods_run_non_root_with_limits_and_a_drain_window() {
    let deployment = read("deploy/kubernetes/deployment.yaml");
    for needed in [
        "runAsNonRoot: true",
        "allowPrivilegeEscalation: false",
        "readOnlyRootFilesystem: true",
        "drop: [\"ALL\"]",
        "type: RuntimeDefault",
    ] {
        assert!(deployment.contains(needed), "deployment lacks {needed}");
    }
    let dockerfile = read("Dockerfile");
    let uid = Regex::new(r"(?m)^USER (\d+)").expect("regex").captures(&dockerfile).expect("USER")[1].to_string();
    assert!(deployment.contains(&format!("runAsUser: {uid}")), "runAsUser must be the image's uid {uid}");
    for r in ["requests:", "limits:", "cpu:", "memory:"] {
        assert!(deployment.contains(r), "resources lack {r}");
    }
    // readOnlyRootFilesystem: the dedup path must be a mounted volume.
    assert!(deployment.contains("mountPath: /var/lib/zhaoshang"), "dedup.path is not writable");
    // The grace period outlasts the daemon's drain.
    let grace: u64 = value(&deployment, "terminationGracePeriodSeconds")[0].parse().expect("grace");
    let cm = read("deploy/kubernetes/configmap.yaml");
    let drain_ms: u64 = value(&cm, "ZHAOSHANG__KAFKA__SHUTDOWN_GRACE_MS")[0].parse().expect("drain");
    assert!(grace * 1000 > drain_ms, "terminationGracePeriodSeconds {grace} s <= shutdown_grace_ms {drain_ms}");
}
