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

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::Producer;
use rdkafka::{Offset, TopicPartitionList};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::context::DaemonContext;
use super::message::{self, Input};
use super::offsets::Tp;
use super::{RunError, Shared};
use crate::pipeline::Processed;

type Kc = StreamConsumer<DaemonContext>;

/// A message whose outputs are produced inside the open transaction.
struct Done {
    input: Arc<Input>,
    processed: Processed,
    produce_time: Duration,
}

/// A message that failed; `inserted` names a dedup entry to undo on abort.
struct Failed {
    error: String,
    inserted: Option<String>,
}

type Task = JoinHandle<Result<Done, Failed>>;

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

pub async fn run(shared: Arc<Shared>, consumer: Arc<Kc>, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
    let k = &shared.kafka;
    let interval = Duration::from_millis(k.commit_interval_ms);
    let grace = Duration::from_millis(k.shutdown_grace_ms);
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
        tasks.push(spawn(&shared, first));
        let deadline = tokio::time::Instant::now() + interval;
        let mut failed: Option<String> = None;
        while failed.is_none() && batch.messages < k.max_in_flight {
            tokio::select! {
                biased;
                () = &mut shutdown => { stopping = true; break }
                () = tokio::time::sleep_until(deadline) => break,
                Some(r) = tasks.next(), if !tasks.is_empty() => match r {
                    Ok(Ok(done)) => batch.done.push(done),
                    Ok(Err(f)) => failed = Some(remember(&shared, f).await),
                    Err(e) => failed = Some(format!("message task failed: {e}")),
                },
                m = consumer.recv() => match m {
                    Ok(m) => {
                        let input = Arc::new(Input::from_message(&m));
                        drop(m);
                        batch.note(&input);
                        if consumer.context().take_revoked() {
                            // Not processed: the rewind below reads it again.
                            failed = Some("partitions were revoked".to_owned());
                        } else {
                            tasks.push(spawn(&shared, input));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "consumer error"),
                },
            }
        }
        // Every produce of this transaction must be answered before it ends.
        let drain_until = Instant::now() + grace;
        while let Some(r) = tokio::time::timeout(drain_until.saturating_duration_since(Instant::now()), tasks.next()).await.unwrap_or(None) {
            match r {
                Ok(Ok(done)) => batch.done.push(done),
                Ok(Err(f)) => {
                    let why = remember(&shared, f).await;
                    failed.get_or_insert(why);
                }
                Err(e) => {
                    failed.get_or_insert(format!("message task failed: {e}"));
                }
            }
        }
        if !tasks.is_empty() {
            failed.get_or_insert_with(|| format!("{} messages unfinished after kafka.shutdown_grace_ms", tasks.len()));
        }
        if consumer.context().take_revoked() {
            failed.get_or_insert_with(|| "partitions were revoked".to_owned());
        }
        if failed.is_none() {
            match commit(&shared, &consumer, &batch) {
                Ok(()) => {
                    failures = 0;
                    for d in &batch.done {
                        message::count_success(&shared, &d.input, &d.processed, d.produce_time);
                    }
                    tracing::debug!(messages = batch.messages, "transaction committed");
                    continue;
                }
                Err(e) => failed = Some(e),
            }
        }
        let why = failed.unwrap_or_default();
        failures += 1;
        shared.metrics.commit_failures.inc();
        tracing::warn!(reason = %why, messages = batch.messages, "aborting the transaction; its messages will be processed again");
        let p = shared.producer.clone();
        if let Err(e) = super::blocking(|| p.abort_transaction(grace)) {
            return Err(RunError::Transaction(e));
        }
        for d in &batch.done {
            if message::inserted_in_store(&d.processed) {
                message::forget(&shared, &d.processed.outcome.article_id).await;
            }
        }
        rewind(&consumer, &batch)?;
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

async fn remember(shared: &Arc<Shared>, f: Failed) -> String {
    if let Some(id) = &f.inserted {
        message::forget(shared, id).await;
    }
    f.error
}

fn spawn(shared: &Arc<Shared>, input: Arc<Input>) -> Task {
    shared.metrics.messages_consumed.with_label_values(&[&input.topic]).inc();
    let span = tracing::info_span!("message", topic = %input.topic, partition = input.partition, offset = input.offset);
    let shared = shared.clone();
    tokio::spawn(
        async move {
            shared.metrics.in_flight.inc();
            let r = handle(&shared, input).await;
            shared.metrics.in_flight.dec();
            r
        }
        .instrument(span),
    )
}

async fn handle(shared: &Arc<Shared>, input: Arc<Input>) -> Result<Done, Failed> {
    let processed = match message::process(shared, &input).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            shared.metrics.dedup_store_errors.with_label_values(&[shared.store.backend(), "failed"]).inc();
            return Err(Failed { error: e.to_string(), inserted: None });
        }
        Err(e) => return Err(Failed { error: format!("pipeline failed: {e}"), inserted: None }),
    };
    let inserted = message::inserted_in_store(&processed).then(|| processed.outcome.article_id.clone());
    let mut records = message::records(shared, &input, &processed).map_err(|e| Failed { error: e.to_string(), inserted: inserted.clone() })?;
    let started = Instant::now();
    message::produce(shared, &mut records).await.map_err(|e| Failed { error: e.to_string(), inserted })?;
    Ok(Done { input, processed, produce_time: started.elapsed() })
}

/// Add the consumed offsets to the transaction and commit it.
fn commit(shared: &Shared, consumer: &Kc, batch: &Batch) -> Result<(), String> {
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), next) in &batch.next {
        tpl.add_partition_offset(topic, *partition, Offset::Offset(*next)).map_err(|e| e.to_string())?;
    }
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
