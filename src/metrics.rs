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
