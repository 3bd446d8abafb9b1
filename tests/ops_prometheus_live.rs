//! Live: a real Prometheus scrapes a real `zhaoshang run` consuming from a
//! real Kafka-protocol broker, all on 127.0.0.1. Through Prometheus' HTTP
//! API the daemon's counters must appear and move exactly with the traffic
//! the test produces; the alert rules must evaluate without error; every
//! dashboard query must run; and the daemon's own /metrics must export what
//! src/metrics.rs documents, with the documented types.
//!
//! Needs ZHAOSHANG_TEST_KAFKA (broker address, e.g. from
//! `scripts/services/tansu.sh start`) and ZHAOSHANG_TEST_PROMETHEUS (the
//! prometheus binary, `scripts/services/prometheus.sh env`);
//! ZHAOSHANG_TEST_PROMTOOL adds `promtool check metrics` on the scrape.

mod ops_support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ops_support::{
    dashboard_exprs, family_of, free_port, http_get, metric_table, read, repo, service_env, tool_path, url_encode,
};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;

/// Kills a child process when the test ends, however it ends.
struct Guard {
    name: &'static str,
    child: Child,
}

impl Guard {
    /// SIGTERM first (zhaoshang drains and commits on it), SIGKILL after 10 s.
    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("{} did not stop on SIGTERM within 10 s; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Prometheus {
    addr: SocketAddr,
}

impl Prometheus {
    /// Runs an instant query; returns the result vector as (labels, value).
    fn query(&self, promql: &str) -> Result<Vec<(BTreeMap<String, String>, f64)>, String> {
        let (status, body) = http_get(self.addr, &format!("/api/v1/query?query={}", url_encode(promql)))
            .map_err(|e| format!("query {promql}: {e}"))?;
        let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("{promql}: {e}: {body}"))?;
        if status != 200 || json["status"] != "success" {
            return Err(format!("{promql}: HTTP {status}: {body}"));
        }
        let result = json["data"]["result"].as_array().cloned().unwrap_or_default();
        Ok(result
            .iter()
            .map(|r| {
                let labels = r["metric"]
                    .as_object()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
                    .unwrap_or_default();
                let value = r["value"][1].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
                (labels, value)
            })
            .collect())
    }

    /// The single value of a `sum(...)`-style query; 0 when it has no series.
    fn scalar(&self, promql: &str) -> f64 {
        match self.query(promql) {
            Ok(v) if v.is_empty() => 0.0,
            Ok(v) => v[0].1,
            Err(e) => panic!("{e}"),
        }
    }

    /// Polls until `promql` reaches `want` (bounded), returning the last value.
    fn wait_for(&self, promql: &str, want: f64, within: Duration) -> f64 {
        let deadline = Instant::now() + within;
        loop {
            let got = self.scalar(promql);
            if got == want || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn create_topics(brokers: &str, topics: &[&str]) {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", brokers).create().expect("admin client");
    let new: Vec<NewTopic> = topics.iter().map(|t| NewTopic::new(t, 2, TopicReplication::Fixed(1))).collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = futures::executor::block_on(admin.create_topics(&new, &opts)).expect("create_topics");
    for r in results {
        if let Err((topic, code)) = r {
            panic!("cannot create topic {topic}: {code:?}");
        }
    }
}

/// Articles written for this test, in the envelope of spec section 1. Each
/// batch has `relevant` distinct items, `copies` repeats of one of them
/// (duplicates), and `empty` articles with no content (rejected → DLQ).
fn produce(brokers: &str, topic: &str, batch: &str, relevant: usize, copies: usize, empty: usize) -> usize {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .create()
        .expect("producer");
    // Distinct wording on purpose: near-duplicate detection must not merge them.
    let texts = [
        "芜湖市经开区昨日举行新能源汽车零部件产业招商推介会，现场集中签约项目12个，总投资86亿元。",
        "绵阳高新区与两家电子信息企业签署投资协议，拟建设显示模组生产线，协议投资额30亿元。",
        "洛阳市今年一季度新引进亿元以上工业项目41个，实际到位省外资金同比增长一成以上。",
        "赣州经济技术开发区稀土新材料产业园开工建设，首期入驻企业7家，计划投资22亿元。",
        "柳州市在深圳召开专场恳谈会，与汽车电子、智能网联等领域客商达成合作意向15项。",
        "襄阳市政府与某储能科技公司签订战略合作框架协议，双方将共建年产10吉瓦时电池基地。",
        "遵义市农业农村局透露，全市茶产业精深加工项目本月新签合同金额达到6.5亿元。",
        "盐城港经济区风电装备配套项目完成备案，总投资18亿元，预计明年三月投产。",
        "泉州晋江举办纺织鞋服数字化转型对接会，签约技改项目9个，总投资约14亿元。",
        "宜宾三江新区动力电池材料项目落地，企业计划分两期投资，首期投入25亿元。",
        "九江市湖口县引进钢铁深加工项目一个，固定资产投资12亿元，年底前开工。",
        "潍坊滨海区化工新材料产业链招商取得进展，新签约精细化工项目4个。",
    ];
    assert!(relevant <= texts.len(), "only {} test articles", texts.len());
    let offset = if batch == "a" { 0 } else { texts.len() - relevant };
    let mut bodies: Vec<String> = texts[offset..offset + relevant].iter().map(|t| format!("<html><body><p>{t}</p></body></html>")).collect();
    for _ in 0..copies {
        bodies.push(bodies[0].clone());
    }
    for _ in 0..empty {
        bodies.push(String::new());
    }
    for (i, body) in bodies.iter().enumerate() {
        let envelope = serde_json::json!({
            "id": format!("ops-live-{batch}-{i}"),
            "source": "运维联调测试",
            "published_at": "2026-11-20T09:00:00+08:00",
            "content_type": "text/html",
            "content": body,
        })
        .to_string();
        let key = format!("{batch}-{i}");
        producer
            .send(BaseRecord::to(topic).key(&key).payload(&envelope))
            .unwrap_or_else(|(e, _)| panic!("produce: {e}"));
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(20)).expect("flush the test articles");
    bodies.len()
}

fn start_prometheus(bin: &Path, dir: &Path, target: SocketAddr) -> (Guard, Prometheus) {
    std::fs::copy(repo().join("deploy/prometheus/alerts.yml"), dir.join("alerts.yml")).expect("copy alerts");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - alerts.yml\n\
         scrape_configs:\n  - job_name: zhaoshang\n    static_configs:\n      - targets: [\"{target}\"]\n"
    );
    std::fs::write(dir.join("prometheus.yml"), config).expect("write prometheus.yml");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let log = std::fs::File::create(dir.join("prometheus.log")).expect("log");
    let child = Command::new(bin)
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address={addr}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    let guard = Guard { name: "prometheus", child };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(http_get(addr, "/-/ready"), Ok((200, _))) {
        assert!(
            Instant::now() < deadline,
            "prometheus not ready in 30 s:\n{}",
            std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (guard, Prometheus { addr })
}

fn start_daemon(dir: &Path, brokers: &str, id: &str, metrics: SocketAddr) -> Guard {
    let log = std::fs::File::create(dir.join("zhaoshang.log")).expect("log");
    let child = Command::new(env!("CARGO_BIN_EXE_zhaoshang"))
        .arg("run")
        .env_clear()
        .env("ZHAOSHANG__KAFKA__BROKERS", brokers)
        .env("ZHAOSHANG__KAFKA__GROUP_ID", format!("ops-live-{id}"))
        .env("ZHAOSHANG__KAFKA__INPUT_TOPICS", format!("ops.{id}.raw"))
        .env("ZHAOSHANG__KAFKA__OUTPUT_TOPIC", format!("ops.{id}.events"))
        .env("ZHAOSHANG__KAFKA__DLQ_TOPIC", format!("ops.{id}.dlq"))
        .env("ZHAOSHANG__KAFKA__STATISTICS_INTERVAL_MS", "1000")
        // tansu's first group join takes about half the session timeout.
        .env("ZHAOSHANG__KAFKA__PROPERTIES__SESSION_TIMEOUT_MS", "6000")
        .env("ZHAOSHANG__KAFKA__PROPERTIES__HEARTBEAT_INTERVAL_MS", "1000")
        .env("ZHAOSHANG__DEDUP__BACKEND", "memory")
        .env("ZHAOSHANG__DEDUP__PATH", dir.join("state"))
        .env("ZHAOSHANG__METRICS__ADDRESS", metrics.to_string())
        .env("ZHAOSHANG__LOG__FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start zhaoshang run");
    Guard { name: "zhaoshang", child }
}

/// `# TYPE name kind` lines of a text exposition.
fn scraped_types(exposition: &str) -> BTreeMap<String, String> {
    exposition
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(n, t)| (n.to_string(), t.trim().to_string()))
        .collect()
}

#[test]
fn prometheus_scrapes_a_running_daemon_and_counters_follow_traffic() {
    let Some(brokers) = service_env("ZHAOSHANG_TEST_KAFKA", "a Kafka-protocol broker (scripts/services/tansu.sh start)") else {
        return;
    };
    let Some(prometheus_bin) = tool_path("ZHAOSHANG_TEST_PROMETHEUS", "the prometheus binary (scripts/services/prometheus.sh env)")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let id = format!("{}-{}", std::process::id(), fastrand::u32(..));
    let (input, output, dlq) = (format!("ops.{id}.raw"), format!("ops.{id}.events"), format!("ops.{id}.dlq"));
    create_topics(&brokers, &[&input, &output, &dlq]);

    let metrics_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let mut daemon = start_daemon(dir.path(), &brokers, &id, metrics_addr);
    let (mut prom_guard, prom) = start_prometheus(&prometheus_bin, dir.path(), metrics_addr);
    let daemon_log = || std::fs::read_to_string(dir.path().join("zhaoshang.log")).unwrap_or_default();
    let job = r#"job="zhaoshang""#;

    // Scraped at all, then ready (partitions assigned).
    let up = prom.wait_for(&format!("sum(up{{{job}}})"), 1.0, Duration::from_secs(30));
    assert_eq!(up, 1.0, "Prometheus never scraped the daemon; daemon log:\n{}", daemon_log());
    let ready = prom.wait_for(&format!("max(zhaoshang_ready{{{job}}})"), 1.0, Duration::from_secs(60));
    assert_eq!(ready, 1.0, "the daemon never became ready; log:\n{}", daemon_log());
    let build = prom.query(&format!("zhaoshang_build_info{{{job}}}")).expect("build_info");
    assert_eq!(build.len(), 1);
    assert_eq!(build[0].0.get("version").map(String::as_str), Some(env!("CARGO_PKG_VERSION")));

    let consumed = format!("sum(zhaoshang_messages_consumed_total{{{job}}})");
    let outcomes = format!("sum(zhaoshang_outcomes_total{{{job}}})");
    let decoded = format!(r#"sum(zhaoshang_stage_duration_seconds_count{{{job}, stage="decode"}})"#);
    assert_eq!(prom.scalar(&consumed), 0.0, "counted messages before any were produced");

    // First batch: 8 distinct articles, 3 copies of the first, 2 empty.
    let first = produce(&brokers, &input, "a", 8, 3, 2);
    let got = prom.wait_for(&consumed, first as f64, Duration::from_secs(60));
    assert_eq!(got, first as f64, "consumed counter after {first} messages; log:\n{}", daemon_log());
    let got = prom.wait_for(&outcomes, first as f64, Duration::from_secs(30));
    assert_eq!(got, first as f64, "one outcome per input");
    assert_eq!(prom.wait_for(&decoded, first as f64, Duration::from_secs(10)), first as f64, "decode stage histogram count");
    let by_outcome: BTreeMap<String, f64> = prom
        .query(&format!("sum by (outcome) (zhaoshang_outcomes_total{{{job}}})"))
        .expect("outcomes by kind")
        .into_iter()
        .map(|(l, v)| (l.get("outcome").cloned().unwrap_or_default(), v))
        .collect();
    assert_eq!(by_outcome.get("duplicate").copied(), Some(3.0), "3 exact copies: {by_outcome:?}");
    assert_eq!(by_outcome.get("rejected").copied(), Some(2.0), "2 empty articles: {by_outcome:?}");
    let to_dlq = prom.scalar(&format!(r#"sum(zhaoshang_dlq_messages_total{{{job}, reason="empty"}})"#));
    assert_eq!(to_dlq, 2.0, "empty articles go to the DLQ as `empty`");

    // Second batch: the counters move by exactly the new traffic.
    let second = produce(&brokers, &input, "b", 4, 0, 0);
    let total = (first + second) as f64;
    assert_eq!(prom.wait_for(&consumed, total, Duration::from_secs(60)), total, "consumed after the second batch");
    assert_eq!(prom.wait_for(&outcomes, total, Duration::from_secs(30)), total, "outcomes after the second batch");
    let moved = prom.scalar(&format!("sum(increase(zhaoshang_messages_consumed_total{{{job}}}[5m]))"));
    assert!(moved > 0.0, "increase() over the scraped counter is {moved}");

    // The alert rules evaluate against the real series without error.
    let (_, rules) = http_get(prom.addr, "/api/v1/rules").expect("rules");
    let rules: serde_json::Value = serde_json::from_str(&rules).expect("rules JSON");
    let mut evaluated = 0;
    for group in rules["data"]["groups"].as_array().expect("groups") {
        for rule in group["rules"].as_array().expect("rules") {
            assert_eq!(rule["health"], "ok", "rule {} failed: {}", rule["name"], rule["lastError"]);
            evaluated += 1;
        }
    }
    assert!(evaluated >= 6, "only {evaluated} rules loaded");

    // Every dashboard query runs on the real server.
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("deploy/grafana/dashboards/zhaoshang.json")).expect("dashboard");
    for expr in dashboard_exprs(&dashboard) {
        prom.query(&expr).unwrap_or_else(|e| panic!("dashboard query fails on Prometheus: {e}"));
    }
    let throughput = prom.scalar(&format!("sum(rate(zhaoshang_messages_consumed_total{{{job}}}[1m]))"));
    assert!(throughput > 0.0, "the throughput panel's query shows {throughput}");

    // The daemon's own exposition against src/metrics.rs. Consumer lag is
    // published from librdkafka's statistics callback, once per
    // statistics interval after the assignment: give it a few intervals.
    let lag_deadline = Instant::now() + Duration::from_secs(15);
    let (status, exposition) = loop {
        let (status, body) = http_get(metrics_addr, "/metrics").expect("scrape /metrics");
        if body.contains("zhaoshang_consumer_lag_messages{") || Instant::now() > lag_deadline {
            break (status, body);
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(status, 200);
    let scraped = scraped_types(&exposition);
    let table = metric_table();
    let mut problems = Vec::new();
    for (name, kind) in &scraped {
        match table.get(name) {
            Some(def) if def.kind == *kind => {}
            Some(def) => problems.push(format!("{name}: exported as {kind}, documented as {}", def.kind)),
            None => problems.push(format!("{name}: exported but not in src/metrics.rs")),
        }
    }
    // After this traffic every family has a series, but store errors (none
    // happened) and the address-space limit (exported only when one is set).
    let only_on_failure: BTreeSet<&str> = ["zhaoshang_dedup_store_errors_total", "process_virtual_memory_max_bytes"].into();
    for def in table.values() {
        if !scraped.contains_key(&def.name) && !only_on_failure.contains(def.name.as_str()) {
            problems.push(format!("{}: documented but not exported after traffic", def.name));
        }
    }
    for sample in exposition.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let series = sample.split(['{', ' ']).next().unwrap_or_default();
        if family_of(&table, series).is_none() {
            problems.push(format!("series {series} belongs to no documented family"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    if let Some(promtool) = std::env::var_os("ZHAOSHANG_TEST_PROMTOOL") {
        let mut child = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("promtool check metrics");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), exposition.as_bytes()).expect("pipe");
        let out = child.wait_with_output().expect("promtool");
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        let own: Vec<&str> = text.lines().filter(|l| l.contains("zhaoshang_")).collect();
        assert!(own.is_empty(), "promtool check metrics on zhaoshang's families:\n{}", own.join("\n"));
    }

    // Graceful stop on SIGTERM.
    daemon.stop();
    let status = daemon.child.wait().expect("wait zhaoshang");
    assert!(status.success(), "zhaoshang exited with {status} on SIGTERM; log:\n{}", daemon_log());
    prom_guard.stop();
}
