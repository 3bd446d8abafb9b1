//! The one near-duplicate index, whatever stores it: the stored record, the
//! lookup (exact hash, then anchors → candidates → verified containment),
//! the origin rule and the expiry clock. Backends only say how to read and
//! write the tables.

use std::collections::HashMap;

use super::fingerprint::{compare, Fingerprint};
use super::{DedupError, DedupKey, DuplicateKind, Verdict};

/// Candidates verified per lookup, strongest anchor evidence first.
pub const MAX_VERIFY: usize = 16;
/// Articles remembered per anchor. An anchor shared by more articles is a
/// stock phrase, useless for finding copies, so later articles skip it.
pub const POSTING_CAP: usize = 32;
/// Expired articles dropped per insert, so expiry work is spread evenly.
pub const EXPIRE_BATCH: usize = 64;
pub const DAY_SECONDS: i64 = 86_400;

/// One remembered article.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub article_id: String,
    pub origin: Option<String>,
    /// Start of the window: the later of publication and ingestion time.
    pub stamp_unix: i64,
    pub fp: Fingerprint,
}

impl Entry {
    pub fn live(&self, now_unix: i64, window_secs: i64) -> bool {
        self.stamp_unix.saturating_add(window_secs) > now_unix
    }

    /// The day bucket in which this entry expires.
    pub fn expiry_day(&self, window_secs: i64) -> i64 {
        self.stamp_unix.saturating_add(window_secs).div_euclid(DAY_SECONDS)
    }

    pub fn encode(&self) -> Vec<u8> {
        let fp = &self.fp;
        let mut out = Vec::with_capacity(96 + fp.anchors.len() * 8 + (fp.sketch.len() + fp.figure_sketch.len()) * 4);
        out.push(1u8);
        put_str(&mut out, &self.article_id);
        put_str(&mut out, self.origin.as_deref().unwrap_or(""));
        out.push(self.origin.is_some() as u8);
        out.extend_from_slice(&self.stamp_unix.to_le_bytes());
        out.extend_from_slice(&fp.exact);
        out.extend_from_slice(&fp.shingles.to_le_bytes());
        out.extend_from_slice(&fp.figures.to_le_bytes());
        out.extend_from_slice(&(fp.anchors.len() as u16).to_le_bytes());
        fp.anchors.iter().for_each(|a| out.extend_from_slice(&a.to_le_bytes()));
        for s in [&fp.sketch, &fp.figure_sketch] {
            out.extend_from_slice(&(s.len() as u16).to_le_bytes());
            s.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        }
        out.push(fp.years.len().min(255) as u8);
        fp.years.iter().take(255).for_each(|y| out.extend_from_slice(&y.to_le_bytes()));
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Entry, DedupError> {
        let mut r = Reader(bytes);
        if r.take(1)? != [1u8] {
            return Err(corrupt("unknown record version"));
        }
        let article_id = r.string()?;
        let origin = r.string()?;
        let origin = (r.take(1)?[0] == 1).then_some(origin);
        let stamp_unix = i64::from_le_bytes(r.array()?);
        let exact: [u8; 32] = r.array()?;
        let shingles = u32::from_le_bytes(r.array()?);
        let figures = u32::from_le_bytes(r.array()?);
        let n = u16::from_le_bytes(r.array()?) as usize;
        let anchors = (0..n).map(|_| r.array().map(u64::from_le_bytes)).collect::<Result<_, _>>()?;
        let mut sketches = [Vec::new(), Vec::new()];
        for s in &mut sketches {
            let n = u16::from_le_bytes(r.array()?) as usize;
            *s = (0..n).map(|_| r.array().map(u32::from_le_bytes)).collect::<Result<_, _>>()?;
        }
        let [sketch, figure_sketch] = sketches;
        let n = r.take(1)?[0] as usize;
        let years = (0..n).map(|_| r.array().map(u16::from_le_bytes)).collect::<Result<_, _>>()?;
        Ok(Entry { article_id, origin, stamp_unix, fp: Fingerprint { exact, shingles, anchors, sketch, figures, figure_sketch, years } })
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

fn corrupt(what: &str) -> DedupError {
    DedupError::Io(format!("corrupt dedup record: {what}"))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DedupError> {
        if self.0.len() < n {
            return Err(corrupt("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DedupError> {
        self.take(N)?.try_into().map_err(|_| corrupt("truncated"))
    }
    fn string(&mut self) -> Result<String, DedupError> {
        let n = u16::from_le_bytes(self.array()?) as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| corrupt("invalid UTF-8"))
    }
}

/// Seeing our own entry again is a Kafka redelivery of the same record, not
/// a repost. Offline origins (`file:…`) never count: running the same files
/// twice must report the second run as duplicates.
pub fn is_redelivery(stored: Option<&str>, asking: Option<&str>) -> bool {
    matches!((stored, asking), (Some(s), Some(a)) if s == a && a.starts_with("kafka:"))
}

/// Read access to the index tables, as seen inside one atomic step.
pub trait Lookup {
    /// The entry stored under this exact content hash, if any.
    fn exact(&mut self, hash: &[u8; 32]) -> Result<Option<Entry>, DedupError>;
    /// Ids of the entries holding this anchor.
    fn postings(&mut self, anchor: u64) -> Result<Vec<u64>, DedupError>;
    fn entry(&mut self, id: u64) -> Result<Option<Entry>, DedupError>;
}

/// What a lookup concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Duplicate { of: String, similarity: f64, kind: DuplicateKind },
    /// The same Kafka record again: unique, and already stored.
    Redelivery,
    /// No Han characters or digits at all (an empty or all-Latin body):
    /// nothing to recognise a story by, so unique and not stored — two
    /// empty bodies are not the same story.
    Unrecognisable,
    /// A new story: store it.
    Insert,
}

impl Decision {
    pub fn verdict(self) -> Verdict {
        match self {
            Decision::Duplicate { of, similarity, kind } => Verdict::Duplicate { of, similarity, kind },
            Decision::Redelivery | Decision::Unrecognisable | Decision::Insert => Verdict::Unique,
        }
    }
}

/// The matching rules, shared by every backend.
#[derive(Debug, Clone, Copy)]
pub struct Matcher {
    pub near_threshold: f64,
    pub window_secs: i64,
}

impl Matcher {
    pub fn new(near_threshold: f64, window_days: u32) -> Self {
        Matcher { near_threshold, window_secs: i64::from(window_days) * DAY_SECONDS }
    }

    /// Where the window of a new entry starts: the later of the article's
    /// time and now, so a backfill of old articles is still deduplicated
    /// within itself instead of expiring on arrival.
    pub fn stamp(&self, key: &DedupKey<'_>, now_unix: i64) -> i64 {
        key.seen_at_unix.max(now_unix)
    }

    pub fn entry(&self, fp: &Fingerprint, key: &DedupKey<'_>, now_unix: i64) -> Entry {
        Entry {
            article_id: key.article_id.to_owned(),
            origin: key.origin.map(str::to_owned),
            stamp_unix: self.stamp(key, now_unix),
            fp: fp.clone(),
        }
    }

    pub fn decide(&self, tables: &mut dyn Lookup, fp: &Fingerprint, key: &DedupKey<'_>, now_unix: i64) -> Result<Decision, DedupError> {
        let live = |e: &Entry| e.live(now_unix, self.window_secs);
        if fp.shingles == 0 {
            return Ok(Decision::Unrecognisable);
        }
        if let Some(e) = tables.exact(&fp.exact)?.filter(live) {
            if is_redelivery(e.origin.as_deref(), key.origin) {
                return Ok(Decision::Redelivery);
            }
            return Ok(Decision::Duplicate { of: e.article_id, similarity: 1.0, kind: DuplicateKind::Exact });
        }
        // An anchor shared by few articles says more than a stock phrase
        // shared by many: weigh each hit by the posting's rarity.
        let mut hits: HashMap<u64, f64> = HashMap::new();
        for a in &fp.anchors {
            let ids = tables.postings(*a)?;
            let weight = 1.0 / ids.len().max(1) as f64;
            for id in ids {
                *hits.entry(id).or_default() += weight;
            }
        }
        let mut ranked: Vec<(u64, f64)> = hits.into_iter().collect();
        ranked.sort_unstable_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let mut best: Option<(f64, u64, Entry)> = None;
        for (id, _) in ranked.into_iter().take(MAX_VERIFY) {
            let Some(e) = tables.entry(id)?.filter(live) else { continue };
            if is_redelivery(e.origin.as_deref(), key.origin) {
                return Ok(Decision::Redelivery);
            }
            let Some(sim) = compare(fp, &e.fp).near_duplicate(fp, &e.fp, self.near_threshold) else { continue };
            // Ties go to the earliest entry: the story as first seen.
            if best.as_ref().is_none_or(|(s, bid, _)| sim > *s || (sim == *s && id < *bid)) {
                best = Some((sim, id, e));
            }
        }
        Ok(match best {
            Some((similarity, _, e)) => Decision::Duplicate { of: e.article_id, similarity, kind: DuplicateKind::Near },
            None => Decision::Insert,
        })
    }
}

/// Read-write access to the tables inside one atomic step (a locked map,
/// a redb write transaction).
pub trait Tables: Lookup + AsLookup {
    /// Store a new entry under a fresh id, with its exact hash, anchors,
    /// article id and expiry day.
    fn insert(&mut self, entry: &Entry, expiry_day: i64) -> Result<u64, DedupError>;
    fn remove(&mut self, id: u64) -> Result<(), DedupError>;
    /// Up to `limit` ids whose expiry day is before `day`.
    fn expired(&mut self, day: i64, limit: usize) -> Result<Vec<u64>, DedupError>;
    fn ids_of(&mut self, article_id: &str) -> Result<Vec<u64>, DedupError>;
}

/// One check-and-insert, inside whatever makes it atomic for the backend.
pub fn check_and_insert_in(
    tables: &mut dyn Tables,
    matcher: &Matcher,
    fp: &Fingerprint,
    key: &DedupKey<'_>,
    now_unix: i64,
) -> Result<Verdict, DedupError> {
    for id in tables.expired(now_unix.div_euclid(DAY_SECONDS), EXPIRE_BATCH)? {
        tables.remove(id)?;
    }
    let decision = matcher.decide(tables.as_lookup(), fp, key, now_unix)?;
    if decision == Decision::Insert {
        let entry = matcher.entry(fp, key, now_unix);
        tables.insert(&entry, entry.expiry_day(matcher.window_secs))?;
    }
    Ok(decision.verdict())
}

pub fn forget_in(tables: &mut dyn Tables, article_id: &str) -> Result<(), DedupError> {
    for id in tables.ids_of(article_id)? {
        tables.remove(id)?;
    }
    Ok(())
}

/// Upcast helper (trait upcasting coercion needs Rust 1.86; the crate
/// supports 1.85).
pub trait AsLookup {
    fn as_lookup(&mut self) -> &mut dyn Lookup;
}

impl<T: Lookup> AsLookup for T {
    fn as_lookup(&mut self) -> &mut dyn Lookup {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::fingerprint::fingerprint;

    #[test]
    fn records_round_trip() {
        let e = Entry {
            article_id: "a1".into(),
            origin: Some("kafka:news/0/7".into()),
            stamp_unix: 1_700_000_000,
            fp: fingerprint("3月5日，某某区签约项目8个，总投资52亿元，涉及新能源与新材料。"),
        };
        assert_eq!(Entry::decode(&e.encode()).unwrap(), e);
        let none = Entry { origin: None, ..e.clone() };
        assert_eq!(Entry::decode(&none.encode()).unwrap(), none);
        assert!(Entry::decode(&e.encode()[..20]).is_err());
    }

    #[test]
    fn only_kafka_origins_are_redeliveries() {
        assert!(is_redelivery(Some("kafka:t/0/1"), Some("kafka:t/0/1")));
        assert!(!is_redelivery(Some("kafka:t/0/1"), Some("kafka:t/0/2")));
        assert!(!is_redelivery(Some("file:a.txt"), Some("file:a.txt")));
        assert!(!is_redelivery(None, None));
    }

    #[test]
    fn empty_texts_are_never_duplicates_of_each_other() {
        let m = Matcher::new(0.5, 30);
        let mut maps = TestTables::default();
        let key = DedupKey { article_id: "e1", origin: None, seen_at_unix: 0 };
        for text in ["", "", "<p></p> Breaking news"] {
            let d = check_and_insert_in(&mut maps, &m, &fingerprint(text), &key, 0).unwrap();
            assert_eq!(d, Verdict::Unique);
        }
        assert!(maps.0.is_empty());
    }

    /// The smallest tables that satisfy the trait: a list of entries.
    #[derive(Default)]
    struct TestTables(Vec<Entry>);

    impl Lookup for TestTables {
        fn exact(&mut self, hash: &[u8; 32]) -> Result<Option<Entry>, DedupError> {
            Ok(self.0.iter().find(|e| &e.fp.exact == hash).cloned())
        }
        fn postings(&mut self, anchor: u64) -> Result<Vec<u64>, DedupError> {
            Ok((0..self.0.len() as u64).filter(|i| self.0[*i as usize].fp.anchors.contains(&anchor)).collect())
        }
        fn entry(&mut self, id: u64) -> Result<Option<Entry>, DedupError> {
            Ok(self.0.get(id as usize).cloned())
        }
    }

    impl Tables for TestTables {
        fn insert(&mut self, entry: &Entry, _expiry_day: i64) -> Result<u64, DedupError> {
            self.0.push(entry.clone());
            Ok(self.0.len() as u64 - 1)
        }
        fn remove(&mut self, _id: u64) -> Result<(), DedupError> {
            Ok(())
        }
        fn expired(&mut self, _day: i64, _limit: usize) -> Result<Vec<u64>, DedupError> {
            Ok(Vec::new())
        }
        fn ids_of(&mut self, _article_id: &str) -> Result<Vec<u64>, DedupError> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn window_counts_from_the_later_of_publication_and_ingestion() {
        let m = Matcher::new(0.5, 30);
        let key = DedupKey { article_id: "x", origin: None, seen_at_unix: 1_000 };
        let e = m.entry(&fingerprint("文本"), &key, 5_000);
        assert_eq!(e.stamp_unix, 5_000);
        assert!(e.live(5_000 + 30 * DAY_SECONDS - 1, m.window_secs));
        assert!(!e.live(5_000 + 30 * DAY_SECONDS, m.window_secs));
    }
}
