//! Prometheus metrics. Names are a public interface (dashboards and alerts
//! in deploy/ use them): change them only with those files.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `zhaoshang_build_info` | gauge (1) | `version` |
//! | `zhaoshang_messages_consumed_total` | counter | `topic` |
//! | `zhaoshang_outcomes_total` | counter | `outcome` (events, irrelevant, duplicate, rejected) |
//! | `zhaoshang_events_emitted_total` | counter | `kind` (the 9 event kinds) |
//! | `zhaoshang_dlq_messages_total` | counter | `reason` (empty, too_large, undecodable, bad_envelope, retries_exhausted) |
//! | `zhaoshang_duplicates_total` | counter | `type` (exact, near) |
//! | `zhaoshang_stage_duration_seconds` | histogram | `stage` (decode, normalize, dedup, extract, produce) |
//! | `zhaoshang_end_to_end_latency_seconds` | histogram | — (message timestamp → output acknowledged) |
//! | `zhaoshang_consumer_lag_messages` | gauge | `topic`, `partition` |
//! | `zhaoshang_in_flight_messages` | gauge | — |
//! | `zhaoshang_commit_failures_total` | counter | — |
//! | `zhaoshang_producer_errors_total` | counter | — |
//! | `zhaoshang_retries_total` | counter | — |
//! | `zhaoshang_dedup_store_entries` | gauge | `backend` |
//! | `zhaoshang_dedup_store_errors_total` | counter | `backend`, `action` (failed, passed) |
//! | `zhaoshang_ready` | gauge (0/1) | — |
//!
//! Plus the `process_*` metrics of the prometheus crate (RSS, CPU, fds).

pub mod http;

use prometheus::{
    exponential_buckets, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry,
};

use crate::event::{EventKind, OutcomeKind};

/// Every zhaoshang metric, registered once in its own registry. Cloning is
/// cheap (the collectors are reference-counted), so each task holds one.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub build_info: IntGaugeVec,
    pub messages_consumed: IntCounterVec,
    pub outcomes: IntCounterVec,
    pub events_emitted: IntCounterVec,
    pub dlq_messages: IntCounterVec,
    pub duplicates: IntCounterVec,
    pub stage_duration: HistogramVec,
    pub end_to_end_latency: Histogram,
    pub consumer_lag: IntGaugeVec,
    pub in_flight: IntGauge,
    pub commit_failures: IntCounter,
    pub producer_errors: IntCounter,
    pub retries: IntCounter,
    pub dedup_store_entries: IntGaugeVec,
    pub dedup_store_errors: IntCounterVec,
    pub ready: IntGauge,
}

/// DLQ reasons besides the decode rejections (bounded label set).
pub const DLQ_RETRIES_EXHAUSTED: &str = "retries_exhausted";

#[derive(Debug, thiserror::Error)]
#[error("cannot register metric: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    pub fn new() -> Result<Metrics, MetricsError> {
        let registry = Registry::new();
        let r = &registry;
        fn reg<C: prometheus::core::Collector + Clone + 'static>(r: &Registry, c: C) -> Result<C, MetricsError> {
            r.register(Box::new(c.clone()))?;
            Ok(c)
        }
        let stage_buckets = exponential_buckets(0.000_05, 2.5, 14)?; // 50 µs … ~7 min
        let latency_buckets = exponential_buckets(0.001, 2.0, 18)?; // 1 ms … ~2 min
        let m = Metrics {
            build_info: reg(r, IntGaugeVec::new(Opts::new("zhaoshang_build_info", "Build of the running binary (always 1)"), &["version"])?)?,
            messages_consumed: reg(r, IntCounterVec::new(Opts::new("zhaoshang_messages_consumed_total", "Input messages received from Kafka"), &["topic"])?)?,
            outcomes: reg(r, IntCounterVec::new(Opts::new("zhaoshang_outcomes_total", "Inputs by outcome, counted once their outputs are acknowledged"), &["outcome"])?)?,
            events_emitted: reg(r, IntCounterVec::new(Opts::new("zhaoshang_events_emitted_total", "Events acknowledged on the output topic"), &["kind"])?)?,
            dlq_messages: reg(r, IntCounterVec::new(Opts::new("zhaoshang_dlq_messages_total", "Inputs written to the dead-letter topic"), &["reason"])?)?,
            duplicates: reg(r, IntCounterVec::new(Opts::new("zhaoshang_duplicates_total", "Inputs found to repeat an earlier story"), &["type"])?)?,
            stage_duration: reg(r, HistogramVec::new(HistogramOpts::new("zhaoshang_stage_duration_seconds", "Time per message in each stage").buckets(stage_buckets), &["stage"])?)?,
            end_to_end_latency: reg(r, Histogram::with_opts(HistogramOpts::new("zhaoshang_end_to_end_latency_seconds", "Input message timestamp to all outputs acknowledged").buckets(latency_buckets))?)?,
            consumer_lag: reg(r, IntGaugeVec::new(Opts::new("zhaoshang_consumer_lag_messages", "Messages behind the partition end, from librdkafka statistics"), &["topic", "partition"])?)?,
            in_flight: reg(r, IntGauge::new("zhaoshang_in_flight_messages", "Messages being processed or awaiting acknowledgement")?)?,
            commit_failures: reg(r, IntCounter::new("zhaoshang_commit_failures_total", "Offset or transaction commits that failed")?)?,
            producer_errors: reg(r, IntCounter::new("zhaoshang_producer_errors_total", "Output records the broker did not acknowledge")?)?,
            retries: reg(r, IntCounter::new("zhaoshang_retries_total", "Message retries after a transient failure")?)?,
            dedup_store_entries: reg(r, IntGaugeVec::new(Opts::new("zhaoshang_dedup_store_entries", "Live fingerprints in the dedup store"), &["backend"])?)?,
            dedup_store_errors: reg(r, IntCounterVec::new(Opts::new("zhaoshang_dedup_store_errors_total", "Dedup store failures by what was done about them"), &["backend", "action"])?)?,
            ready: reg(r, IntGauge::new("zhaoshang_ready", "1 when the consumer is connected and has partitions assigned")?)?,
            registry,
        };
        #[cfg(target_os = "linux")]
        m.registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
        m.build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        // Pre-create the bounded label sets so dashboards show 0, not "no data".
        for k in OutcomeKind::ALL {
            m.outcomes.with_label_values(&[k.as_str()]);
        }
        for k in EventKind::ALL {
            m.events_emitted.with_label_values(&[k.as_str()]);
        }
        for r in ["empty", "too_large", "undecodable", "bad_envelope", DLQ_RETRIES_EXHAUSTED] {
            m.dlq_messages.with_label_values(&[r]);
        }
        for t in ["exact", "near"] {
            m.duplicates.with_label_values(&[t]);
        }
        Ok(m)
    }

    /// The text exposition format served at `/metrics`.
    pub fn render(&self) -> String {
        let families = self.registry.gather();
        prometheus::TextEncoder::new().encode_to_string(&families).unwrap_or_default()
    }
}

/// Structured logs to stderr, text or JSON (`log.format`), filtered by
/// `log.level` (`RUST_LOG` wins when set). librdkafka's own log lines come
/// through the `log` bridge.
pub fn init_tracing(log: &crate::config::LogConfig) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&log.level)).unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = if log.format == "json" {
        builder.json().with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_metric_is_exposed() {
        let m = Metrics::new().unwrap();
        m.stage_duration.with_label_values(&["decode"]).observe(0.001);
        m.end_to_end_latency.observe(0.5);
        m.messages_consumed.with_label_values(&["news.raw"]).inc();
        m.consumer_lag.with_label_values(&["news.raw", "0"]).set(3);
        m.dedup_store_entries.with_label_values(&["memory"]).set(1);
        m.dedup_store_errors.with_label_values(&["redis", "failed"]).inc();
        let text = m.render();
        let documented: Vec<&str> = include_str!("metrics.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//! | `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        assert_eq!(documented.len(), 16);
        for name in documented {
            assert!(text.contains(&format!("\n{name}")) || text.starts_with(name) || text.contains(&format!("# TYPE {name} ")), "{name} missing");
        }
        assert!(text.contains("zhaoshang_build_info{version=\"0.1.0\"} 1"));
        assert!(text.contains("process_resident_memory_bytes"));
    }
}
