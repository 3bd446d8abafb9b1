//! `zhaoshang check-config` and `zhaoshang run` startup failures through
//! the real binary: every bad value reported at once with exit 64, secrets
//! never printed, unreachable brokers a single clear error.

use std::process::{Command, Output};

fn zhaoshang(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhaoshang"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("run zhaoshang")
}

#[test]
fn check_config_reports_every_bad_value_and_exits_64() {
    let out = zhaoshang(
        &["check-config"],
        &[
            ("ZHAOSHANG__KAFKA__BROKERS", ""),
            ("ZHAOSHANG__KAFKA__MAX_IN_FLIGHT", "many"),
            ("ZHAOSHANG__DELIVERY", "twice"),
            ("ZHAOSHANG__METRICS__ADDRESS", "nowhere"),
        ],
    );
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    for line in [
        r#"kafka.brokers="" is not valid"#,
        r#"kafka.max_in_flight="many" is not valid"#,
        r#"delivery="twice" is not valid"#,
        r#"metrics.address="nowhere" is not valid"#,
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
}

#[test]
fn check_config_prints_the_effective_config_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("zs.env");
    std::fs::write(
        &env_file,
        "ZHAOSHANG__KAFKA__SECURITY_PROTOCOL=SASL_SSL\nZHAOSHANG__KAFKA__SASL_MECHANISM=SCRAM-SHA-512\n\
         ZHAOSHANG__KAFKA__SASL_USERNAME=zs\nZHAOSHANG__KAFKA__SASL_PASSWORD=hunter2-secret\n",
    )
    .unwrap();
    let out = zhaoshang(
        &["check-config", "--format", "json"],
        &[
            ("ZHAOSHANG_ENV_FILE", env_file.to_str().unwrap()),
            ("ZHAOSHANG__KAFKA__BROKERS", "k1:9093,k2:9093"),
            ("ZHAOSHANG__KAFKA__PROPERTIES__SSL_KEY_PASSWORD", "also-secret"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("hunter2") && !text.contains("also-secret"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["kafka"]["brokers"], "k1:9093,k2:9093");
    assert_eq!(v["kafka"]["sasl_username"], "zs");
    assert_eq!(v["kafka"]["sasl_password"], "<redacted>");
    assert_eq!(v["kafka"]["properties"]["ssl.key.password"], "<redacted>");
    let toml = zhaoshang(&["check-config"], &[]);
    assert!(String::from_utf8_lossy(&toml.stdout).contains("[kafka]"));
}

#[test]
fn run_exits_1_with_one_message_when_brokers_are_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let brokers = format!("127.0.0.1:{port}");
    let out = zhaoshang(
        &["run"],
        &[
            ("ZHAOSHANG__KAFKA__BROKERS", &brokers),
            ("ZHAOSHANG__KAFKA__STARTUP_TIMEOUT_MS", "1500"),
            ("ZHAOSHANG__METRICS__ADDRESS", "127.0.0.1:0"),
            ("ZHAOSHANG__DEDUP__BACKEND", "memory"),
            ("ZHAOSHANG__LOG__LEVEL", "off"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("brokers {brokers} did not answer within kafka.startup_timeout_ms=1500")), "{err}");
}
