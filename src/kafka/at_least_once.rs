//! At-least-once delivery: messages are processed concurrently (bounded by
//! `kafka.max_in_flight`), each one's outputs are produced and acknowledged,
//! and offsets are committed every `kafka.commit_interval_ms` up to the
//! high watermark of finished messages.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::Producer;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use super::context::DaemonContext;
use super::message::{self, Input};
use super::offsets::{partition_list, Tp};
use super::order::Ticket;
use super::{RunError, Shared};

type Kc = StreamConsumer<DaemonContext>;

pub async fn run(shared: Arc<Shared>, consumer: Arc<Kc>, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
    let k = &shared.kafka;
    let permits = Arc::new(Semaphore::new(k.max_in_flight));
    let mut commit_tick = tokio::time::interval(Duration::from_millis(k.commit_interval_ms));
    commit_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut store_tick = tokio::time::interval(Duration::from_secs(10));
    store_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        let next = async {
            let permit = permits.clone().acquire_owned().await;
            (permit, consumer.recv().await)
        };
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            _ = commit_tick.tick() => commit_acknowledged(&shared, &consumer).await,
            _ = store_tick.tick() => update_store_gauge(&shared).await,
            (permit, received) = next => {
                let Ok(permit) = permit else { break };
                match received {
                    Ok(m) => {
                        let input = Arc::new(Input::from_message(&m));
                        drop(m);
                        start(&shared, input, permit);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "consumer error");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    }
    drain(&shared, &consumer, &permits).await;
    Ok(())
}

/// Stop fetching (the caller already did), let in-flight messages finish
/// within the grace period, flush the producer, commit what is done.
async fn drain(shared: &Arc<Shared>, consumer: &Arc<Kc>, permits: &Arc<Semaphore>) {
    let k = &shared.kafka;
    let grace = Duration::from_millis(k.shutdown_grace_ms);
    let started = Instant::now();
    let in_flight = shared.metrics.in_flight.get();
    tracing::info!(in_flight, grace_ms = k.shutdown_grace_ms, "shutting down: draining in-flight messages");
    let all = u32::try_from(k.max_in_flight).unwrap_or(u32::MAX);
    if !super::within(grace, permits.acquire_many(all)).await {
        tracing::warn!(
            unfinished = shared.metrics.in_flight.get(),
            "grace period over; unfinished messages are not committed and will be consumed again"
        );
    }
    let left = grace.saturating_sub(started.elapsed()).max(Duration::from_secs(1));
    let producer = shared.producer.clone();
    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || producer.flush(left)).await {
        tracing::warn!(error = %e, "producer flush incomplete");
    }
    let (s, c) = (shared.clone(), consumer.clone());
    let _ = tokio::task::spawn_blocking(move || {
        let offsets = take_committable(&s);
        let flushed = s.store_sync.flush().is_ok();
        commit(&s, &c, offsets, flushed, CommitMode::Sync);
        // Already committed: the revocation when the consumer closes has nothing left to wait for.
        s.tracker().clear();
    })
    .await;
    tracing::info!(waited_ms = started.elapsed().as_millis() as u64, "drained and committed");
}

/// The periodic commit: flush the dedup store on the blocking pool when
/// needed, then commit without waiting for the broker's answer (the
/// commit callback reports failures).
async fn commit_acknowledged(shared: &Arc<Shared>, consumer: &Kc) {
    let offsets = take_committable(shared);
    if offsets.is_empty() {
        return;
    }
    let flushed = shared.store_sync.flush_async().await.is_ok();
    commit(shared, consumer, offsets, flushed, CommitMode::Async);
}

fn take_committable(shared: &Shared) -> Vec<(Tp, i64)> {
    shared.tracker().take_committable()
}

/// Commit `offsets` (taken from the tracker) if the dedup entries of their
/// messages are durable (`flushed`); otherwise offer them again next time.
fn commit(shared: &Shared, consumer: &Kc, offsets: Vec<(Tp, i64)>, flushed: bool, mode: CommitMode) {
    if offsets.is_empty() {
        return;
    }
    let result = if flushed {
        partition_list(offsets.iter().map(|(tp, o)| (tp, o))).and_then(|tpl| consumer.commit(&tpl, mode)).map_err(|e| e.to_string())
    } else {
        Err("the dedup store could not be flushed".to_owned())
    };
    if let Err(e) = result {
        shared.metrics.commit_failures.inc();
        tracing::warn!(error = %e, "offset commit failed; will retry");
        let mut t = shared.tracker();
        for (tp, _) in &offsets {
            t.commit_failed(tp);
        }
    } else {
        tracing::debug!(partitions = offsets.len(), "offsets committed");
    }
}

async fn update_store_gauge(shared: &Arc<Shared>) {
    let s = shared.clone();
    if let Ok(Ok(n)) = tokio::task::spawn_blocking(move || s.store.len()).await {
        shared.metrics.dedup_store_entries.with_label_values(&[shared.store.backend()]).set(i64::try_from(n).unwrap_or(i64::MAX));
    }
}

/// Register the message as outstanding and process it on its own task.
fn start(shared: &Arc<Shared>, input: Arc<Input>, permit: OwnedSemaphorePermit) {
    shared.metrics.messages_consumed.with_label_values(&[&input.topic]).inc();
    shared.tracker().track(&input.topic, input.partition, input.offset);
    shared.metrics.in_flight.inc();
    let ticket = shared.dedup_order.enter(&input.topic, input.partition, input.offset);
    let span = tracing::info_span!("message", topic = %input.topic, partition = input.partition, offset = input.offset);
    let shared = shared.clone();
    tokio::spawn(
        async move {
            handle(&shared, &input, ticket).await;
            // Only now — every output acknowledged — may the offset be committed.
            shared.tracker().done(&input.topic, input.partition, input.offset);
            shared.metrics.in_flight.dec();
            drop(permit);
        }
        .instrument(span),
    );
}

/// Process and produce with retries; on exhaustion, DLQ. Returns once the
/// message is fully accounted for on the broker.
async fn handle(shared: &Arc<Shared>, input: &Arc<Input>, ticket: Ticket) {
    let k = &shared.kafka;
    let mut attempt = 0u32;
    // Only the first try keeps the partition's dedup order: a retry (the
    // store failed) must not hold up the messages behind it.
    let mut ticket = Some(ticket);
    let processed = loop {
        match message::process(shared, input, ticket.take()).await {
            Ok(Ok(p)) => break p,
            Ok(Err(e)) => {
                shared.metrics.dedup_store_errors.with_label_values(&[shared.store.backend(), "failed"]).inc();
                if attempt >= k.max_retries {
                    return exhaust(shared, input, &input.fallback_id(), &e.to_string()).await;
                }
                attempt += 1;
                shared.metrics.retries.inc();
                tracing::warn!(error = %e, attempt, "dedup store failed; retrying");
                tokio::time::sleep(message::backoff(k.retry_backoff_ms, attempt)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "pipeline failed on this input");
                return exhaust(shared, input, &input.fallback_id(), &format!("pipeline failed: {e}")).await;
            }
        }
    };
    let mut records = match message::records(shared, input, &processed) {
        Ok(r) => r,
        Err(e) => return exhaust(shared, input, &processed.outcome.article_id, &format!("cannot serialise output: {e}")).await,
    };
    let started = Instant::now();
    loop {
        match message::produce(shared, &mut records).await {
            Ok(()) => {
                message::count_success(shared, input, &processed, started.elapsed());
                tracing::debug!(article_id = %processed.outcome.article_id, outcome = processed.outcome.outcome.as_str(), events = processed.events.len(), "done");
                return;
            }
            Err(e) if message::is_permanent(&e) || attempt >= k.max_retries => {
                if message::inserted_in_store(&processed) {
                    message::forget(shared, &processed.outcome.article_id).await;
                }
                return exhaust(shared, input, &processed.outcome.article_id, &e.to_string()).await;
            }
            Err(e) => {
                attempt += 1;
                shared.metrics.retries.inc();
                tracing::warn!(error = %e, attempt, left = records.len(), "produce failed; retrying");
                tokio::time::sleep(message::backoff(k.retry_backoff_ms, attempt)).await;
            }
        }
    }
}

/// The input could not be delivered: DLQ it (with a `rejected` outcome)
/// so it does not block its partition. Tries until the broker takes it:
/// giving up here would lose the message.
async fn exhaust(shared: &Arc<Shared>, input: &Input, article_id: &str, error: &str) {
    tracing::warn!(article_id, error, "retries exhausted; sending the input to the dead-letter topic");
    let mut records = message::exhausted_records(shared, input, article_id, error);
    let mut attempt = 0u32;
    while let Err(e) = message::produce(shared, &mut records).await {
        attempt += 1;
        tracing::error!(error = %e, attempt, "cannot write to the dead-letter topic; retrying");
        tokio::time::sleep(message::backoff(shared.kafka.retry_backoff_ms, attempt)).await;
    }
    message::count_exhausted(shared, input);
}
