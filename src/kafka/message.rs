//! One input message: run the pipeline on the blocking pool, turn the
//! result into output records (events, outcome, DLQ), produce them, and
//! count what was acknowledged.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use rdkafka::Message;

use super::Shared;
use crate::dedup::DedupError;
use crate::event::{OutcomeKind, OutcomeRecord, SourceRef, OUTCOME_SCHEMA};
use crate::metrics::DLQ_RETRIES_EXHAUSTED;
use crate::decode::Rejection;
use crate::pipeline::{Prepared, Processed, StageTimings};
use super::order::Ticket;

/// Header names on output records. Part of the output contract.
pub const H_SOURCE_TOPIC: &str = "zhaoshang.source.topic";
pub const H_SOURCE_PARTITION: &str = "zhaoshang.source.partition";
pub const H_SOURCE_OFFSET: &str = "zhaoshang.source.offset";
pub const H_REASON: &str = "zhaoshang.dlq.reason";
pub const H_DETAIL: &str = "zhaoshang.dlq.detail";
pub const H_TRUNCATED: &str = "zhaoshang.dlq.original_bytes";

/// An input detached from the consumer, so the consumer can go on fetching.
#[derive(Debug)]
pub struct Input {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
    /// The message timestamp (ms since the epoch), for end-to-end latency.
    pub timestamp_ms: Option<i64>,
}

impl Input {
    pub fn from_message(m: &BorrowedMessage<'_>) -> Input {
        let headers = m
            .headers()
            .map(|h| h.iter().map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec).unwrap_or_default())).collect())
            .unwrap_or_default();
        Input {
            topic: m.topic().to_owned(),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
            headers,
            timestamp_ms: m.timestamp().to_millis(),
        }
    }

    /// The message key as the article id to use when the envelope has none.
    fn id_hint(&self) -> Option<&str> {
        self.key.as_deref().and_then(|k| std::str::from_utf8(k).ok()).filter(|k| !k.is_empty())
    }

    /// The id to report when the article's own id is not known: the
    /// message key, else a hash of the payload.
    pub fn fallback_id(&self) -> String {
        self.key
            .as_deref()
            .and_then(|k| std::str::from_utf8(k).ok())
            .filter(|k| !k.is_empty())
            .map_or_else(|| crate::decode::fallback_id(&self.payload), str::to_owned)
    }

    pub fn source(&self) -> SourceRef {
        SourceRef::Kafka { topic: self.topic.clone(), partition: self.partition, offset: self.offset }
    }

    fn source_headers(&self) -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (H_SOURCE_TOPIC, self.topic.as_bytes().to_vec()),
            (H_SOURCE_PARTITION, self.partition.to_string().into_bytes()),
            (H_SOURCE_OFFSET, self.offset.to_string().into_bytes()),
        ]
    }
}

/// One record to produce.
#[derive(Debug, Clone)]
pub struct OutRecord {
    pub topic: String,
    pub key: Vec<u8>,
    pub payload: Vec<u8>,
    pub headers: Vec<(&'static str, Vec<u8>)>,
}

/// The pipeline on the blocking pool: it is CPU-bound and must not stall
/// the runtime's workers (which drive the consumer and the producer). With
/// a `ticket`, the dedup check waits for the partition's earlier messages
/// (see [`super::order`]); the wait is on the async side, between the two
/// blocking halves, so waiting never holds a blocking thread.
pub async fn process(shared: &Arc<Shared>, input: &Arc<Input>, ticket: Option<Ticket>) -> Result<Result<Processed, DedupError>, tokio::task::JoinError> {
    let (s, i) = (shared.clone(), input.clone());
    let Some(ticket) = ticket else {
        return tokio::task::spawn_blocking(move || {
            let mut timings = StageTimings::default();
            let prepared = s.pipeline.prepare(&i.payload, i.id_hint(), &mut timings);
            finish(&s, &i, prepared, timings, || {})
        })
        .await;
    };
    let (prepared, timings) = tokio::task::spawn_blocking(move || {
        let mut timings = StageTimings::default();
        (s.pipeline.prepare(&i.payload, i.id_hint(), &mut timings), timings)
    })
    .await?;
    if prepared.is_ok() {
        ticket.turn().await;
    }
    let (s, i) = (shared.clone(), input.clone());
    tokio::task::spawn_blocking(move || finish(&s, &i, prepared, timings, move || drop(ticket))).await
}

fn finish(s: &Shared, i: &Input, prepared: Result<Prepared, Rejection>, timings: StageTimings, deduped: impl FnOnce()) -> Result<Processed, DedupError> {
    let now = chrono::Utc::now().timestamp();
    let r = s.pipeline.process_prepared(prepared, timings, Some(i.source()), s.store.as_ref(), s.store_failure, now, deduped);
    if r.as_ref().is_ok_and(inserted_in_store) {
        s.store_sync.inserted();
    }
    r
}

/// Events, then the outcome record, then (for a rejected input) the DLQ record.
pub fn records(shared: &Shared, input: &Input, p: &Processed) -> Result<Vec<OutRecord>, serde_json::Error> {
    let k = &shared.kafka;
    let mut out = Vec::with_capacity(p.events.len() + 2);
    for ev in &p.events {
        out.push(OutRecord {
            topic: k.output_topic.clone(),
            key: ev.key().as_bytes().to_vec(),
            payload: serde_json::to_vec(ev)?,
            headers: input.source_headers(),
        });
    }
    if !k.outcomes_topic.is_empty() {
        out.push(outcome_record(shared, input, &p.outcome)?);
    }
    if let Some(r) = &p.rejection {
        out.push(dlq_record(shared, input, r.reason.code(), &r.reason.to_string()));
    }
    Ok(out)
}

fn outcome_record(shared: &Shared, input: &Input, outcome: &OutcomeRecord) -> Result<OutRecord, serde_json::Error> {
    Ok(OutRecord {
        topic: shared.kafka.outcomes_topic.clone(),
        key: outcome.article_id.as_bytes().to_vec(),
        payload: serde_json::to_vec(outcome)?,
        headers: input.source_headers(),
    })
}

/// The raw input with its original key and headers, plus why and from where.
pub fn dlq_record(shared: &Shared, input: &Input, reason: &str, detail: &str) -> OutRecord {
    let mut headers = input.source_headers();
    headers.push((H_REASON, reason.as_bytes().to_vec()));
    headers.push((H_DETAIL, detail.as_bytes().to_vec()));
    let key = input.key.clone().unwrap_or_default();
    // Leave room for key, headers and framing under the producer's record
    // limit (the configured one: a smaller message.max.bytes must not make
    // the DLQ record itself undeliverable).
    let used = key.len() + headers.iter().map(|(k, v)| k.len() + v.len() + 16).sum::<usize>() + 64 + 1024;
    let room = super::message_max_bytes(&shared.kafka).saturating_sub(used);
    let payload = if input.payload.len() > room {
        headers.push((H_TRUNCATED, input.payload.len().to_string().into_bytes()));
        input.payload[..room].to_vec()
    } else {
        input.payload.clone()
    };
    OutRecord { topic: shared.kafka.dlq_topic.clone(), key, payload, headers }
}

/// Longest article id written in the outcome of a dead-lettered input: the
/// id may be what made its records too large, and the source position names
/// the input exactly anyway.
const EXHAUSTED_ID_MAX_BYTES: usize = 512;

/// For an input whose outputs kept failing: a DLQ record and a `rejected`
/// outcome, so the input is still accounted for.
pub fn exhausted_records(shared: &Shared, input: &Input, article_id: &str, error: &str) -> Vec<OutRecord> {
    let mut out = vec![dlq_record(shared, input, DLQ_RETRIES_EXHAUSTED, error)];
    if !shared.kafka.outcomes_topic.is_empty() {
        let mut cut = article_id.len().min(EXHAUSTED_ID_MAX_BYTES);
        while !article_id.is_char_boundary(cut) {
            cut -= 1;
        }
        let outcome = OutcomeRecord {
            schema: OUTCOME_SCHEMA.to_owned(),
            article_id: article_id[..cut].to_owned(),
            source: Some(input.source()),
            outcome: OutcomeKind::Rejected,
            events: 0,
            duplicate_of: None,
            similarity: None,
            reason: Some(format!("{DLQ_RETRIES_EXHAUSTED}: {error}")),
        };
        if let Ok(r) = outcome_record(shared, input, &outcome) {
            out.push(r);
        }
    }
    out
}

/// Count an input written to the DLQ after its retries ran out (once its
/// DLQ record is acknowledged or, exactly-once, committed).
pub fn count_exhausted(shared: &Shared, input: &Input) {
    shared.metrics.dlq_messages.with_label_values(&[DLQ_RETRIES_EXHAUSTED]).inc();
    shared.metrics.outcomes.with_label_values(&[OutcomeKind::Rejected.as_str()]).inc();
    observe_latency(shared, input);
}

/// Produce all records concurrently and wait for the broker's answer.
/// Acknowledged records are removed from `records`; what is left failed.
pub async fn produce(shared: &Shared, records: &mut Vec<OutRecord>) -> Result<(), KafkaError> {
    let sends = records.iter().map(|r| {
        let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
        for (k, v) in &r.headers {
            headers = headers.insert(Header { key: k, value: Some(v.as_slice()) });
        }
        let record = FutureRecord::to(&r.topic).key(&r.key).payload(&r.payload).headers(headers);
        shared.producer.send(record, Duration::from_secs(30))
    });
    let results = futures::future::join_all(sends).await;
    let mut first_error = None;
    let mut i = 0;
    records.retain(|_| {
        let ok = results[i].is_ok();
        if let Err((e, _)) = &results[i] {
            shared.metrics.producer_errors.inc();
            first_error.get_or_insert_with(|| e.clone());
        }
        i += 1;
        !ok
    });
    match first_error {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

/// Errors that retrying cannot fix: go to the DLQ at once.
pub fn is_permanent(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::MessageSizeTooLarge | RDKafkaErrorCode::InvalidMessageSize | RDKafkaErrorCode::InvalidRecord | RDKafkaErrorCode::TopicAuthorizationFailed)
    )
}

/// Count a message whose outputs are all acknowledged (or committed).
pub fn count_success(shared: &Shared, input: &Input, p: &Processed, produce_time: Duration) {
    let m = &shared.metrics;
    m.outcomes.with_label_values(&[p.outcome.outcome.as_str()]).inc();
    for ev in &p.events {
        m.events_emitted.with_label_values(&[ev.kind.as_str()]).inc();
    }
    if let Some(r) = &p.rejection {
        m.dlq_messages.with_label_values(&[r.reason.code()]).inc();
    }
    if let Some(kind) = p.duplicate_kind {
        m.duplicates.with_label_values(&[kind.as_str()]).inc();
    }
    if let Some(why) = &p.dedup_bypassed {
        m.dedup_store_errors.with_label_values(&[shared.store.backend(), "passed"]).inc();
        tracing::warn!(error = %why, "dedup store failed; message treated as unique (dedup.redis_failure_policy = pass)");
    }
    let t = &p.timings;
    for (stage, d) in [("decode", t.decode), ("normalize", t.normalize), ("dedup", t.dedup), ("extract", t.extract), ("produce", produce_time)] {
        m.stage_duration.with_label_values(&[stage]).observe(d.as_secs_f64());
    }
    observe_latency(shared, input);
}

pub fn observe_latency(shared: &Shared, input: &Input) {
    if let Some(ts) = input.timestamp_ms {
        let now = chrono::Utc::now().timestamp_millis();
        if now >= ts {
            shared.metrics.end_to_end_latency.observe((now - ts) as f64 / 1000.0);
        }
    }
}

/// Whether the pipeline recorded this input in the dedup store (and so must
/// forget it if its output never gets out).
pub fn inserted_in_store(p: &Processed) -> bool {
    matches!(p.outcome.outcome, OutcomeKind::Events | OutcomeKind::Irrelevant)
}

/// Undo the dedup insert of an input whose output failed for good.
pub async fn forget(shared: &Arc<Shared>, article_id: &str) {
    let (s, id) = (shared.clone(), article_id.to_owned());
    let result = tokio::task::spawn_blocking(move || s.store.forget(&id)).await;
    if !matches!(result, Ok(Ok(()))) {
        shared.metrics.dedup_store_errors.with_label_values(&[shared.store.backend(), "failed"]).inc();
        tracing::warn!(article_id, "could not remove the dedup entry of a failed message; a later copy may be reported as duplicate");
    }
}

/// Exponential backoff from `kafka.retry_backoff_ms`, capped at 30 s.
pub fn backoff(base_ms: u64, attempt: u32) -> Duration {
    Duration::from_millis(base_ms.saturating_mul(1u64 << attempt.min(16)).min(30_000))
}
