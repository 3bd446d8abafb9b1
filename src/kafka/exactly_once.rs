//! Exactly-once delivery with Kafka transactions.
//!
//! Messages are collected into one transaction for up to
//! `kafka.commit_interval_ms` or `kafka.max_in_flight` messages, processed
//! concurrently, and their outputs produced inside it; then the next input
//! offsets are added with `send_offsets_to_transaction` and the transaction
//! commits. Outputs and input progress become visible together or not at
//! all: on any failure (or a revocation, or a crash) the transaction is
//! aborted, a `read_committed` reader never sees its records, and the
//! consumer rewinds to the batch start.
//!
//! A message that makes its transaction fail is remembered by position: it
//! is retried with backoff up to `kafka.max_retries` times (at once no more
//! when the error is permanent, e.g. a record over `message.max.bytes`),
//! then its raw bytes go to the DLQ inside the next transaction together
//! with its offset, so one bad message never stops its partition or the daemon.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::Producer;
use rdkafka::Offset;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::context::DaemonContext;
use super::message::{self, Input};
use super::offsets::{partition_list, Tp};
use super::order::Ticket;
use super::{RunError, Shared};
use crate::pipeline::Processed;

type Kc = StreamConsumer<DaemonContext>;

/// A message whose outputs are produced inside the open transaction.
struct Done {
    input: Arc<Input>,
    result: DoneKind,
}

enum DoneKind {
    Processed { processed: Box<Processed>, produce_time: Duration },
    /// Its retries ran out: the DLQ record and a `rejected` outcome instead.
    DeadLettered,
}

/// A message that failed; `inserted` names a dedup entry to undo on abort.
struct Failed {
    /// The input to blame; `None` when the failure is not its own (its DLQ
    /// record could not be written: the broker is the problem).
    input: Option<Arc<Input>>,
    error: String,
    inserted: Option<String>,
    /// Retrying cannot help (too large, a pipeline panic): DLQ on the next try.
    permanent: bool,
}

type Task = JoinHandle<Result<Done, Failed>>;

/// Input position: topic, partition, offset.
type Position = (String, i32, i64);

/// Failed tries per input across aborted transactions, so the input that
/// keeps aborting them is found and dead-lettered.
#[derive(Debug, Default)]
struct Attempts {
    by_position: HashMap<Position, (u32, String)>,
}

impl Attempts {
    /// Record a failed try; returns the tries so far (`u32::MAX` once permanent).
    fn failed(&mut self, at: Position, error: String, permanent: bool) -> u32 {
        let entry = self.by_position.entry(at).or_insert((0, String::new()));
        entry.0 = if permanent { u32::MAX } else { entry.0.saturating_add(1) };
        entry.1 = error;
        entry.0
    }

    /// The last error of an input that may not be tried again.
    fn exhausted(&self, at: &Position, max_retries: u32) -> Option<&str> {
        self.by_position.get(at).filter(|(n, _)| *n > max_retries).map(|(_, e)| e.as_str())
    }

    /// Forget inputs below the committed offsets (they are settled).
    fn committed(&mut self, next: &BTreeMap<Tp, i64>) {
        self.by_position.retain(|(topic, partition, offset), _| {
            next.get(&(topic.clone(), *partition)).is_none_or(|n| offset >= n)
        });
    }
}

#[derive(Default)]
struct Batch {
    /// First offset read per partition in this transaction (where to rewind).
    start: BTreeMap<Tp, i64>,
    /// One past the last offset read per partition (what to commit).
    next: BTreeMap<Tp, i64>,
    done: Vec<Done>,
    messages: usize,
}

impl Batch {
    fn note(&mut self, input: &Input) {
        let tp = (input.topic.clone(), input.partition);
        self.start.entry(tp.clone()).or_insert(input.offset);
        self.next.insert(tp, input.offset + 1);
        self.messages += 1;
    }
}

/// Why a transaction is being aborted.
#[derive(Default)]
struct Abort {
    reason: Option<String>,
    /// Some message's own failure (as opposed to the broker or a rebalance).
    by_message: bool,
    /// The longest backoff a failed message asks for before it is retried.
    backoff: Option<Duration>,
}

impl Abort {
    fn set(&mut self, why: String) {
        self.reason.get_or_insert(why);
    }
}

pub async fn run(shared: Arc<Shared>, consumer: Arc<Kc>, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
    let k = &shared.kafka;
    let interval = Duration::from_millis(k.commit_interval_ms);
    let grace = Duration::from_millis(k.shutdown_grace_ms);
    let mut attempts = Attempts::default();
    // Consecutive transactions that failed for reasons no message explains.
    let mut failures = 0u32;
    let mut stopping = false;
    tokio::pin!(shutdown);
    while !stopping {
        // Open a transaction only once there is something to put in it.
        let first = tokio::select! {
            biased;
            () = &mut shutdown => break,
            m = consumer.recv() => m,
        };
        let first = match first {
            Ok(m) => Arc::new(Input::from_message(&m)),
            Err(e) => {
                tracing::warn!(error = %e, "consumer error");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // A revocation before this message touched no transaction.
        consumer.context().take_revoked();
        let p = shared.producer.clone();
        super::blocking(|| p.begin_transaction()).map_err(RunError::Transaction)?;
        let mut batch = Batch::default();
        let mut tasks: FuturesUnordered<Task> = FuturesUnordered::new();
        batch.note(&first);
        tasks.push(spawn(&shared, first, &attempts));
        let deadline = tokio::time::Instant::now() + interval;
        let mut abort = Abort::default();
        while abort.reason.is_none() && batch.messages < k.max_in_flight {
            tokio::select! {
                biased;
                () = &mut shutdown => { stopping = true; break }
                () = tokio::time::sleep_until(deadline) => break,
                Some(r) = tasks.next(), if !tasks.is_empty() => settle(&shared, r, &mut batch, &mut attempts, &mut abort).await,
                m = consumer.recv() => match m {
                    Ok(m) => {
                        let input = Arc::new(Input::from_message(&m));
                        drop(m);
                        batch.note(&input);
                        if consumer.context().take_revoked() {
                            // Not processed: the rewind below reads it again.
                            abort.set("partitions were revoked".to_owned());
                        } else {
                            tasks.push(spawn(&shared, input, &attempts));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "consumer error"),
                },
            }
        }
        // Every produce of this transaction must be answered before it ends.
        let drain_until = Instant::now() + grace;
        while let Some(r) = tokio::time::timeout(drain_until.saturating_duration_since(Instant::now()), tasks.next()).await.unwrap_or(None) {
            settle(&shared, r, &mut batch, &mut attempts, &mut abort).await;
        }
        if !tasks.is_empty() {
            abort.set(format!("{} messages unfinished after kafka.shutdown_grace_ms", tasks.len()));
        }
        if consumer.context().take_revoked() {
            abort.set("partitions were revoked".to_owned());
        }
        if abort.reason.is_none() {
            match commit(&shared, &consumer, &batch).await {
                Ok(()) => {
                    failures = 0;
                    attempts.committed(&batch.next);
                    for d in &batch.done {
                        match &d.result {
                            DoneKind::Processed { processed, produce_time } => message::count_success(&shared, &d.input, processed, *produce_time),
                            DoneKind::DeadLettered => message::count_exhausted(&shared, &d.input),
                        }
                    }
                    tracing::debug!(messages = batch.messages, "transaction committed");
                    continue;
                }
                Err(e) => abort.set(e),
            }
        }
        let why = abort.reason.clone().unwrap_or_default();
        shared.metrics.commit_failures.inc();
        tracing::warn!(reason = %why, messages = batch.messages, "aborting the transaction; its messages will be processed again");
        let p = shared.producer.clone();
        if let Err(e) = super::blocking(|| p.abort_transaction(grace)) {
            return Err(RunError::Transaction(e));
        }
        for d in &batch.done {
            if let DoneKind::Processed { processed, .. } = &d.result {
                if message::inserted_in_store(processed) {
                    message::forget(&shared, &processed.outcome.article_id).await;
                }
            }
        }
        rewind(&consumer, &batch)?;
        if abort.by_message {
            // The failing message is retried, or dead-lettered, next time.
            if let (Some(wait), false) = (abort.backoff, stopping) {
                shared.metrics.retries.inc();
                tokio::time::sleep(wait).await;
            }
            continue;
        }
        failures += 1;
        if failures > k.max_retries {
            return Err(RunError::TransactionsKeepFailing { count: failures, last: why });
        }
        if !stopping {
            shared.metrics.retries.inc();
            tokio::time::sleep(message::backoff(k.retry_backoff_ms, failures)).await;
        }
    }
    tracing::info!("stopped consuming; open transaction settled");
    Ok(())
}

/// Take one finished message task into the batch, or into the abort.
async fn settle(shared: &Arc<Shared>, r: Result<Result<Done, Failed>, tokio::task::JoinError>, batch: &mut Batch, attempts: &mut Attempts, abort: &mut Abort) {
    match r {
        Ok(Ok(done)) => batch.done.push(done),
        Ok(Err(f)) => {
            if let Some(id) = &f.inserted {
                message::forget(shared, id).await;
            }
            let Some(i) = &f.input else {
                abort.set(f.error);
                return;
            };
            let tries = attempts.failed((i.topic.clone(), i.partition, i.offset), f.error.clone(), f.permanent);
            let max = shared.kafka.max_retries;
            tracing::warn!(
                topic = %i.topic, partition = i.partition, offset = i.offset, error = %f.error, tries = tries.min(max + 1), max_retries = max,
                "{}", if tries > max { "message failed for good: it goes to the dead-letter topic in the next transaction" } else { "message failed; it will be retried" }
            );
            if tries <= max {
                let wait = message::backoff(shared.kafka.retry_backoff_ms, tries);
                abort.backoff = Some(abort.backoff.map_or(wait, |w| w.max(wait)));
            }
            abort.by_message = true;
            abort.set(format!("message {}/{}@{} failed: {}", i.topic, i.partition, i.offset, f.error));
        }
        Err(e) => abort.set(format!("message task failed: {e}")),
    }
}

fn spawn(shared: &Arc<Shared>, input: Arc<Input>, attempts: &Attempts) -> Task {
    shared.metrics.messages_consumed.with_label_values(&[&input.topic]).inc();
    let span = tracing::info_span!("message", topic = %input.topic, partition = input.partition, offset = input.offset);
    let exhausted = attempts.exhausted(&(input.topic.clone(), input.partition, input.offset), shared.kafka.max_retries).map(str::to_owned);
    let ticket = exhausted.is_none().then(|| shared.dedup_order.enter(&input.topic, input.partition, input.offset));
    let shared = shared.clone();
    tokio::spawn(
        async move {
            shared.metrics.in_flight.inc();
            let r = match exhausted {
                None => handle(&shared, input, ticket).await,
                Some(error) => dead_letter(&shared, input, &error).await,
            };
            shared.metrics.in_flight.dec();
            r
        }
        .instrument(span),
    )
}

async fn handle(shared: &Arc<Shared>, input: Arc<Input>, ticket: Option<Ticket>) -> Result<Done, Failed> {
    let fail = |input: &Arc<Input>, error: String, inserted: Option<String>, permanent: bool| Failed { input: Some(input.clone()), error, inserted, permanent };
    let processed = match message::process(shared, &input, ticket).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            shared.metrics.dedup_store_errors.with_label_values(&[shared.store.backend(), "failed"]).inc();
            return Err(fail(&input, e.to_string(), None, false));
        }
        Err(e) => return Err(fail(&input, format!("pipeline failed: {e}"), None, true)),
    };
    let inserted = message::inserted_in_store(&processed).then(|| processed.outcome.article_id.clone());
    let mut records = match message::records(shared, &input, &processed) {
        Ok(r) => r,
        Err(e) => return Err(fail(&input, format!("cannot serialise output: {e}"), inserted, true)),
    };
    let started = Instant::now();
    if let Err(e) = message::produce(shared, &mut records).await {
        return Err(fail(&input, e.to_string(), inserted, message::is_permanent(&e)));
    }
    Ok(Done { input, result: DoneKind::Processed { processed: Box::new(processed), produce_time: started.elapsed() } })
}

/// The DLQ record and `rejected` outcome of an input whose tries ran out.
/// If even these fail, the transaction aborts like any other failure and
/// they are tried again (giving up would lose the input).
async fn dead_letter(shared: &Arc<Shared>, input: Arc<Input>, error: &str) -> Result<Done, Failed> {
    let id = input.fallback_id();
    tracing::warn!(article_id = %id, error, "retries exhausted; sending the input to the dead-letter topic");
    let mut records = message::exhausted_records(shared, &input, &id, error);
    match message::produce(shared, &mut records).await {
        Ok(()) => Ok(Done { input, result: DoneKind::DeadLettered }),
        Err(e) => Err(Failed { error: format!("cannot write to the dead-letter topic: {e}"), input: None, inserted: None, permanent: false }),
    }
}

/// Make the batch's dedup entries durable, then add the consumed offsets to
/// the transaction and commit it.
async fn commit(shared: &Arc<Shared>, consumer: &Kc, batch: &Batch) -> Result<(), String> {
    shared.store_sync.flush_async().await.map_err(|e| {
        shared.metrics.dedup_store_errors.with_label_values(&[shared.store.backend(), "failed"]).inc();
        format!("dedup store flush failed: {e}")
    })?;
    let tpl = partition_list(&batch.next).map_err(|e| e.to_string())?;
    let meta = consumer.group_metadata().ok_or("the consumer has no group metadata")?;
    let timeout = Duration::from_millis(shared.kafka.shutdown_grace_ms.max(10_000));
    let p = &shared.producer;
    super::blocking(|| {
        p.send_offsets_to_transaction(&tpl, &meta, timeout).map_err(|e| format!("send_offsets_to_transaction: {e}"))?;
        p.commit_transaction(timeout).map_err(|e| format!("commit_transaction: {e}"))
    })
}

/// Point every partition of the aborted batch back at its first message.
/// A partition no longer assigned is skipped (its new owner starts from the
/// committed offset); any other failure stops the daemon, because going on
/// from the current position would skip the aborted messages.
fn rewind(consumer: &Kc, batch: &Batch) -> Result<(), RunError> {
    let assigned = consumer.assignment().map_err(RunError::Transaction)?;
    for ((topic, partition), offset) in &batch.start {
        if assigned.find_partition(topic, *partition).is_none() {
            continue;
        }
        consumer
            .seek(topic, *partition, Offset::Offset(*offset), Duration::from_secs(10))
            .map_err(RunError::Transaction)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: i64) -> Position {
        ("news.raw".to_owned(), 0, offset)
    }

    #[test]
    fn an_input_is_dead_lettered_after_max_retries_or_at_once_when_permanent() {
        let mut a = Attempts::default();
        for n in 1..=2 {
            assert_eq!(a.failed(at(7), format!("timeout {n}"), false), n);
            assert_eq!(a.exhausted(&at(7), 2), None, "still retried after {n} failures");
        }
        a.failed(at(7), "timeout 3".into(), false);
        assert_eq!(a.exhausted(&at(7), 2), Some("timeout 3"));
        a.failed(at(9), "message too large".into(), true);
        assert_eq!(a.exhausted(&at(9), 1000), Some("message too large"));
        assert_eq!(a.exhausted(&at(8), 0), None, "inputs that never failed are processed");
    }

    #[test]
    fn committed_inputs_are_forgotten() {
        let mut a = Attempts::default();
        a.failed(at(7), "x".into(), true);
        a.failed(at(12), "y".into(), true);
        a.committed(&BTreeMap::from([(("news.raw".to_owned(), 0), 10)]));
        assert_eq!(a.exhausted(&at(7), 0), None);
        assert!(a.exhausted(&at(12), 0).is_some());
    }
}
