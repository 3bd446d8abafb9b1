//! The pure, synchronous core: bytes in, outcome out.
//!
//! decode → normalize → fingerprint → (dedup store) → extract. The only
//! side effect is the dedup store call, injected as a trait object, so the
//! offline command, the daemon, tests and benchmarks all run this one path.

use std::time::{Duration, Instant};

use crate::decode::{self, DecodeLimits, Rejection};
use crate::dedup::{self, DedupError, DedupKey, DedupStore, DuplicateKind, Fingerprint, Verdict};
use crate::event::{ArticleMeta, Event, OutcomeKind, OutcomeRecord, SourceRef, OUTCOME_SCHEMA};
use crate::extract::{ExtractError, Extractor};
use crate::normalize::{self, Normalized};

/// A decoded and normalised article, ready for dedup and extraction.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub meta: ArticleMeta,
    pub doc: Normalized,
    pub fingerprint: Fingerprint,
}

/// Time spent per stage, for `zhaoshang_stage_duration_seconds`.
#[derive(Debug, Clone, Default)]
pub struct StageTimings {
    pub decode: Duration,
    pub normalize: Duration,
    pub dedup: Duration,
    pub extract: Duration,
}

/// Everything one input produced.
#[derive(Debug, Clone)]
pub struct Processed {
    pub outcome: OutcomeRecord,
    pub events: Vec<Event>,
    /// Set when the input was rejected: the daemon sends it to the DLQ.
    pub rejection: Option<Rejection>,
    pub duplicate_kind: Option<DuplicateKind>,
    /// The dedup store failed and policy said to pass the message as unique
    /// (counted as `zhaoshang_dedup_store_errors_total{action="passed"}`).
    pub dedup_bypassed: Option<String>,
    pub timings: StageTimings,
}

/// What to do when the dedup store cannot answer (`dedup.redis_failure_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFailure {
    /// Return the error so the caller retries the message later.
    Fail,
    /// Treat the article as unique and carry on.
    Pass,
}

pub struct Pipeline {
    limits: DecodeLimits,
    extractor: Extractor,
}

impl Pipeline {
    pub fn new(limits: DecodeLimits) -> Result<Self, ExtractError> {
        Ok(Pipeline { limits, extractor: Extractor::new()? })
    }

    /// decode + normalize + fingerprint.
    pub fn prepare(&self, bytes: &[u8], id_hint: Option<&str>, timings: &mut StageTimings) -> Result<Prepared, Rejection> {
        let t = Instant::now();
        let raw = decode::decode(bytes, id_hint, &self.limits);
        timings.decode = t.elapsed();
        let raw = raw?;
        let t = Instant::now();
        let doc = normalize::normalize(&raw);
        let fingerprint = dedup::fingerprint(&doc.text);
        timings.normalize = t.elapsed();
        let meta = ArticleMeta {
            id: raw.id,
            url: raw.url,
            title: doc.title.clone().or(raw.title),
            source: raw.source,
            published_at: raw.published_at,
            script: doc.script,
            content_sha256: hex::encode(fingerprint.exact),
        };
        Ok(Prepared { meta, doc, fingerprint })
    }

    pub fn extract(&self, p: &Prepared) -> Vec<Event> {
        self.extractor.extract(&p.meta, &p.doc)
    }

    /// The whole per-message path. `Err` only when the dedup store failed
    /// and its policy says to retry the message later.
    pub fn process(
        &self,
        bytes: &[u8],
        id_hint: Option<&str>,
        source: Option<SourceRef>,
        store: &dyn DedupStore,
        on_store_failure: StoreFailure,
        now_unix: i64,
    ) -> Result<Processed, DedupError> {
        let mut timings = StageTimings::default();
        let prepared = self.prepare(bytes, id_hint, &mut timings);
        self.process_prepared(prepared, timings, source, store, on_store_failure, now_unix, || {})
    }

    /// [`Self::process`] after `prepare`. `deduped` runs as soon as the
    /// dedup check is done: the daemon prepares and extracts messages
    /// concurrently but lets one partition's dedup checks through in offset
    /// order, so the first copy of a story is the one kept, as offline.
    #[allow(clippy::too_many_arguments)]
    pub fn process_prepared(
        &self,
        prepared: Result<Prepared, Rejection>,
        mut timings: StageTimings,
        source: Option<SourceRef>,
        store: &dyn DedupStore,
        on_store_failure: StoreFailure,
        now_unix: i64,
        deduped: impl FnOnce(),
    ) -> Result<Processed, DedupError> {
        let prepared = match prepared {
            Ok(p) => p,
            Err(rejection) => {
                let outcome = outcome_record(&rejection.article_id, source, OutcomeKind::Rejected, 0);
                let outcome = OutcomeRecord { reason: Some(rejection.reason.to_string()), ..outcome };
                return Ok(Processed { outcome, events: Vec::new(), rejection: Some(rejection), duplicate_kind: None, dedup_bypassed: None, timings });
            }
        };
        let origin = source.as_ref().map(SourceRef::origin);
        let key = DedupKey {
            article_id: &prepared.meta.id,
            origin: origin.as_deref(),
            seen_at_unix: published_unix(prepared.meta.published_at.as_deref()).unwrap_or(now_unix),
        };
        let t = Instant::now();
        let verdict = store.check_and_insert(&prepared.fingerprint, &key);
        timings.dedup = t.elapsed();
        deduped();
        let (verdict, dedup_bypassed) = match verdict {
            Ok(v) => (v, None),
            Err(e) if on_store_failure == StoreFailure::Pass => (Verdict::Unique, Some(e.to_string())),
            Err(e) => return Err(e),
        };
        if let Verdict::Duplicate { of, similarity, kind } = verdict {
            let outcome = outcome_record(&prepared.meta.id, source, OutcomeKind::Duplicate, 0);
            let outcome = OutcomeRecord { duplicate_of: Some(of), similarity: Some(similarity), ..outcome };
            return Ok(Processed { outcome, events: Vec::new(), rejection: None, duplicate_kind: Some(kind), dedup_bypassed, timings });
        }
        let t = Instant::now();
        let events = self.extract(&prepared);
        timings.extract = t.elapsed();
        let kind = if events.is_empty() { OutcomeKind::Irrelevant } else { OutcomeKind::Events };
        let outcome = outcome_record(&prepared.meta.id, source, kind, events.len());
        Ok(Processed { outcome, events, rejection: None, duplicate_kind: None, dedup_bypassed, timings })
    }
}

fn outcome_record(article_id: &str, source: Option<SourceRef>, outcome: OutcomeKind, events: usize) -> OutcomeRecord {
    OutcomeRecord {
        schema: OUTCOME_SCHEMA.to_owned(),
        article_id: article_id.to_owned(),
        source,
        outcome,
        events,
        duplicate_of: None,
        similarity: None,
        reason: None,
    }
}

/// Seconds since the epoch of an RFC 3339 or `YYYY-MM-DD` publication time.
pub fn published_unix(published_at: Option<&str>) -> Option<i64> {
    let s = published_at?.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    let day = chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp() - 8 * 3600)
}
