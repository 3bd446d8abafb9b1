//! librdkafka callbacks: rebalances, commit results and statistics.
//!
//! Callbacks run on the thread that polls the consumer (inside `recv()`), so
//! a revocation is handled before the next message of the new assignment is
//! seen: in at-least-once mode the revoked partitions' in-flight messages
//! get up to `kafka.shutdown_grace_ms` to finish and their offsets are
//! committed synchronously before the partitions are given up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaResult;
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, TopicPartitionList};

use super::offsets::{partition_list, OffsetTracker, Tp};
use super::StoreSync;
use crate::config::Delivery;
use crate::metrics::http::Health;
use crate::metrics::Metrics;

pub struct DaemonContext {
    metrics: Metrics,
    health: Health,
    tracker: Arc<Mutex<OffsetTracker>>,
    store_sync: Arc<StoreSync>,
    delivery: Delivery,
    grace: Duration,
    /// Exactly-once: set when partitions were revoked, so the open
    /// transaction (which may hold their outputs) is aborted, never committed.
    revoked: AtomicBool,
}

impl DaemonContext {
    pub fn new(metrics: Metrics, health: Health, tracker: Arc<Mutex<OffsetTracker>>, store_sync: Arc<StoreSync>, delivery: Delivery, grace: Duration) -> Self {
        DaemonContext { metrics, health, tracker, store_sync, delivery, grace, revoked: AtomicBool::new(false) }
    }

    /// Whether a revocation happened since the last call (and clear it).
    pub fn take_revoked(&self) -> bool {
        self.revoked.swap(false, Ordering::AcqRel)
    }

    fn tracker(&self) -> std::sync::MutexGuard<'_, OffsetTracker> {
        self.tracker.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn on_revoke(&self, consumer: &BaseConsumer<Self>, tpl: &TopicPartitionList) {
        let tps: Vec<Tp> = tpl.elements().iter().map(|e| (e.topic().to_owned(), e.partition())).collect();
        self.health.set_ready(false);
        for (topic, partition) in &tps {
            let _ = self.metrics.consumer_lag.remove_label_values(&[topic, &partition.to_string()]);
        }
        if self.delivery == Delivery::ExactlyOnce {
            self.revoked.store(true, Ordering::Release);
            tracing::info!(partitions = tps.len(), "partitions revoked: the open transaction will be aborted");
            return;
        }
        let started = Instant::now();
        let left = super::blocking(|| loop {
            let left = self.tracker().pending(Some(&tps));
            if left == 0 || started.elapsed() >= self.grace {
                return left;
            }
            std::thread::sleep(Duration::from_millis(5));
        });
        let offsets = self.tracker().take_committable_for(&tps);
        if !offsets.is_empty() {
            // On the polling thread, off the async workers: flushing here is fine.
            if let Err(e) = super::blocking(|| self.store_sync.flush()) {
                self.metrics.commit_failures.inc();
                tracing::warn!(error = %e, "dedup store flush failed; not committing the revoked partitions, their new owner will see these messages again");
            } else if let Err(e) = partition_list(offsets.iter().map(|(tp, o)| (tp, o))).and_then(|tpl| consumer.commit(&tpl, CommitMode::Sync)) {
                tracing::warn!(error = %e, "commit on revocation failed; the new owner will see these messages again");
            }
        }
        self.tracker().revoke(&tps);
        tracing::info!(partitions = tps.len(), abandoned = left, waited_ms = started.elapsed().as_millis() as u64, "partitions revoked");
    }
}

impl ClientContext for DaemonContext {
    fn stats(&self, stats: Statistics) {
        for (name, topic) in &stats.topics {
            for (id, p) in &topic.partitions {
                // -1 is librdkafka's "not assigned to this consumer" partition.
                if *id >= 0 && p.fetch_state == "active" && p.consumer_lag >= 0 {
                    self.metrics.consumer_lag.with_label_values(&[name, &id.to_string()]).set(p.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for DaemonContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            self.on_revoke(consumer, tpl);
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let list: Vec<String> = tpl.elements().iter().map(|e| format!("{}/{}", e.topic(), e.partition())).collect();
                tracing::info!(partitions = %list.join(","), "partitions assigned");
                self.health.set_ready(tpl.count() > 0);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if let Err(e) = result {
            self.metrics.commit_failures.inc();
            tracing::warn!(error = %e, "offset commit failed; will retry with the next commit");
            let mut t = self.tracker();
            for el in offsets.elements() {
                t.commit_failed(&(el.topic().to_owned(), el.partition()));
            }
        }
    }
}
