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
/// A verified copy at least this similar ends a lookup early. Another
/// stored article closer still would be nearly this one again, and the store
/// keeps one article per story, so reading the remaining anchors would
/// almost never change the answer.
pub const SURE_COPY: f64 = 0.9;
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

    /// The stored record (format [`RECORD_VERSION`]): only what verification
    /// and removal read, compactly. The anchors kept are the ones the entry
    /// is indexed under (removal needs no others); each is its position in
    /// the sketch (which holds its top 32 bits) plus its low 32 bits. The
    /// sketches are ascending, so their gaps are Rice-coded (~3 bytes a
    /// value instead of 4). Of the content hash only the index key
    /// ([`EXACT_KEY_BYTES`]) is kept.
    pub fn encode(&self) -> Vec<u8> {
        let fp = &self.fp;
        let positions = anchor_positions(&fp.anchors, &fp.sketch);
        let rice = is_ascending(&fp.sketch) && is_ascending(&fp.figure_sketch);
        let flags = u8::from(self.origin.is_some()) | u8::from(positions.is_some()) << 1 | u8::from(rice) << 2;
        let mut out = Vec::with_capacity(64 + fp.anchors.len() * 5 + (fp.sketch.len() + fp.figure_sketch.len()) * 3);
        out.push(RECORD_VERSION);
        out.push(flags);
        put_bytes(&mut out, self.article_id.as_bytes());
        if let Some(origin) = &self.origin {
            put_bytes(&mut out, origin.as_bytes());
        }
        put_varint(&mut out, zigzag(self.stamp_unix));
        out.extend_from_slice(&fp.exact[..EXACT_KEY_BYTES]);
        put_varint(&mut out, u64::from(fp.shingles));
        put_varint(&mut out, u64::from(fp.figures));
        put_varint(&mut out, fp.anchors.len() as u64);
        match positions {
            Some(positions) => {
                for (a, p) in fp.anchors.iter().zip(positions) {
                    out.push(p);
                    out.extend_from_slice(&(*a as u32).to_le_bytes());
                }
            }
            None => fp.anchors.iter().for_each(|a| out.extend_from_slice(&a.to_le_bytes())),
        }
        for s in [&fp.sketch, &fp.figure_sketch] {
            put_varint(&mut out, s.len() as u64);
            if rice {
                put_rice(&mut out, s);
            } else {
                s.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
            }
        }
        put_varint(&mut out, fp.years.len() as u64);
        fp.years.iter().for_each(|y| put_varint(&mut out, u64::from(*y)));
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Entry, DedupError> {
        let mut r = Reader(bytes);
        match r.byte()? {
            RECORD_VERSION => {}
            1 => return Err(corrupt("a record of format 1 (written by an older zhaoshang); this version reads format 2 only")),
            v => return Err(corrupt(&format!("unknown record format {v}"))),
        }
        let flags = r.byte()?;
        let article_id = r.string()?;
        let origin = if flags & 1 != 0 { Some(r.string()?) } else { None };
        let stamp_unix = unzigzag(r.varint()?);
        let mut exact = [0u8; 32];
        exact[..EXACT_KEY_BYTES].copy_from_slice(r.take(EXACT_KEY_BYTES)?);
        let shingles = r.u32()?;
        let figures = r.u32()?;
        let n_anchors = r.len()?;
        let mut raw_anchors = Vec::with_capacity(n_anchors);
        for _ in 0..n_anchors {
            raw_anchors.push(if flags & 2 != 0 {
                let p = r.byte()?;
                (Some(p), u64::from(u32::from_le_bytes(r.array()?)))
            } else {
                (None, u64::from_le_bytes(r.array()?))
            });
        }
        let mut sketches = [Vec::new(), Vec::new()];
        for s in &mut sketches {
            let n = r.len()?;
            *s = if flags & 4 != 0 { r.rice(n)? } else { (0..n).map(|_| r.array().map(u32::from_le_bytes)).collect::<Result<_, _>>()? };
        }
        let [sketch, figure_sketch] = sketches;
        let anchors = raw_anchors
            .into_iter()
            .map(|(p, low)| match p {
                Some(p) => sketch.get(usize::from(p)).map(|top| u64::from(*top) << 32 | low).ok_or_else(|| corrupt("anchor outside the sketch")),
                None => Ok(low),
            })
            .collect::<Result<_, _>>()?;
        let n_years = r.len()?;
        let years = (0..n_years).map(|_| r.varint().and_then(|y| u16::try_from(y).map_err(|_| corrupt("year")))).collect::<Result<_, _>>()?;
        if !r.0.is_empty() {
            return Err(corrupt("trailing bytes"));
        }
        Ok(Entry { article_id, origin, stamp_unix, fp: Fingerprint { exact, shingles, anchors, sketch, figures, figure_sketch, years } })
    }
}

/// Version byte of a stored record; format 1 (fixed-width, every anchor)
/// was written by zhaoshang before the compact layout.
pub const RECORD_VERSION: u8 = 2;
/// Bytes of the content hash stored and indexed: 128 bits cannot collide
/// by chance within any window.
pub const EXACT_KEY_BYTES: usize = 16;

/// An anchor is one of the smallest shingle hashes, so the sketch already
/// holds its top 32 bits: find where, for each anchor in order. `None` if
/// some anchor is not there (a fingerprint not made by `fingerprint()`).
fn anchor_positions(anchors: &[u64], sketch: &[u32]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(anchors.len());
    let mut from = 0usize;
    for a in anchors {
        let top = (a >> 32) as u32;
        let limit = sketch.len().min(256);
        let p = (from..limit).find(|&p| sketch[p] == top)?;
        out.push(p as u8);
        from = p + 1;
    }
    Some(out)
}

fn is_ascending(s: &[u32]) -> bool {
    s.windows(2).all(|w| w[0] <= w[1])
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Rice code of the gaps of an ascending list: one byte for the parameter
/// k (about log2 of the mean gap), then per gap its quotient in unary and
/// its k low bits.
fn put_rice(out: &mut Vec<u8>, values: &[u32]) {
    let Some(last) = values.last() else { return };
    let mean = u64::from(*last) / values.len() as u64;
    let k = if mean == 0 { 0 } else { 63 - mean.leading_zeros() } as u8;
    out.push(k);
    let mut bits = BitWriter { out, acc: 0, used: 0 };
    let mut prev = 0u32;
    for v in values {
        let gap = u64::from(v - prev);
        prev = *v;
        let q = gap >> k;
        for _ in 0..q {
            bits.push(1, 1);
        }
        bits.push(0, 1);
        bits.push(gap & ((1u64 << k) - 1), k);
    }
    bits.finish();
}

struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    used: u8,
}

impl BitWriter<'_> {
    fn push(&mut self, value: u64, n: u8) {
        for i in (0..n).rev() {
            self.acc = self.acc << 1 | (value >> i & 1);
            self.used += 1;
            if self.used == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.used = 0;
            }
        }
    }
    fn finish(self) {
        if self.used > 0 {
            self.out.push((self.acc << (8 - self.used)) as u8);
        }
    }
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
    fn byte(&mut self) -> Result<u8, DedupError> {
        Ok(self.take(1)?[0])
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DedupError> {
        self.take(N)?.try_into().map_err(|_| corrupt("truncated"))
    }
    fn varint(&mut self) -> Result<u64, DedupError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt("varint too long"))
    }
    fn u32(&mut self) -> Result<u32, DedupError> {
        u32::try_from(self.varint()?).map_err(|_| corrupt("count out of range"))
    }
    /// A length, bounded by what is left so a corrupt one cannot make us
    /// allocate wildly.
    fn len(&mut self) -> Result<usize, DedupError> {
        let n = self.varint()?;
        usize::try_from(n).ok().filter(|n| *n <= self.0.len() * 8 + 8).ok_or_else(|| corrupt("length out of range"))
    }
    fn string(&mut self) -> Result<String, DedupError> {
        let n = self.len()?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| corrupt("invalid UTF-8"))
    }
    fn rice(&mut self, n: usize) -> Result<Vec<u32>, DedupError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let k = self.byte()?;
        if k > 31 {
            return Err(corrupt("Rice parameter"));
        }
        let mut bits = BitReader { bytes: self.0, pos: 0 };
        let mut out = Vec::with_capacity(n);
        let mut prev = 0u64;
        for _ in 0..n {
            let q = bits.unary()?;
            let low = bits.bits(k)?;
            prev += q << k | low;
            out.push(u32::try_from(prev).map_err(|_| corrupt("sketch value out of range"))?);
        }
        let used = bits.pos.div_ceil(8);
        self.take(used)?;
        Ok(out)
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    /// The next 64 bits from the current position (zeros past the end) and
    /// how many of them are real.
    fn window(&self) -> (u64, usize) {
        let byte = self.pos / 8;
        let mut buf = [0u8; 8];
        let rest = self.bytes.get(byte..).unwrap_or(&[]);
        let n = rest.len().min(8);
        buf[..n].copy_from_slice(&rest[..n]);
        let shift = self.pos % 8;
        ((u64::from_be_bytes(buf) << shift), (n * 8).saturating_sub(shift))
    }

    /// Ones up to the next zero (the zero is consumed).
    fn unary(&mut self) -> Result<u64, DedupError> {
        let mut q = 0u64;
        loop {
            let (w, valid) = self.window();
            if valid == 0 {
                return Err(corrupt("truncated"));
            }
            let ones = (!w).leading_zeros() as usize;
            if ones < valid {
                self.pos += ones + 1;
                return Ok(q + ones as u64);
            }
            q += valid as u64;
            self.pos += valid;
        }
    }

    /// The next `k` (≤ 32) bits as a number.
    fn bits(&mut self, k: u8) -> Result<u64, DedupError> {
        if k == 0 {
            return Ok(0);
        }
        let (w, valid) = self.window();
        if valid < usize::from(k) {
            return Err(corrupt("truncated"));
        }
        self.pos += usize::from(k);
        Ok(w >> (64 - k))
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
        // Anchors are read one by one, the article's smallest hashes first.
        // One that a single stored article holds points straight at a likely
        // original: it is verified at once, and a sure copy ends the search
        // (a near copy then costs two or three reads instead of one per
        // anchor). Otherwise every anchor is read and the candidates are
        // verified strongest evidence first, an anchor shared by few
        // articles saying more than a stock phrase shared by many.
        let mut search = Search { matcher: self, fp, key, now_unix, best: None, verified: Vec::new() };
        let mut evidence: HashMap<u64, Evidence> = HashMap::new();
        for a in &fp.anchors {
            let ids = tables.postings(*a)?;
            if let [only] = ids[..] {
                if search.verified.len() < MAX_VERIFY && !search.verified.contains(&only) {
                    if let Some(decision) = search.verify(tables, only)? {
                        return Ok(decision);
                    }
                    if search.sure() {
                        break;
                    }
                }
            }
            let weight = 1.0 / ids.len().max(1) as f64;
            let full = ids.len() >= POSTING_CAP;
            for id in ids {
                let e = evidence.entry(id).or_default();
                e.weight += weight;
                e.hits += 1;
                e.open |= !full;
            }
        }
        if !search.sure() {
            // An article met only through one full posting shares nothing
            // with this one but a stock phrase: not worth a read.
            let mut ranked: Vec<(u64, f64)> = evidence
                .into_iter()
                .filter(|(id, e)| (e.open || e.hits > 1) && !search.verified.contains(id))
                .map(|(id, e)| (id, e.weight))
                .collect();
            ranked.sort_unstable_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
            let budget = MAX_VERIFY.saturating_sub(search.verified.len());
            for (id, _) in ranked.into_iter().take(budget) {
                if let Some(decision) = search.verify(tables, id)? {
                    return Ok(decision);
                }
            }
        }
        Ok(match search.best {
            Some((similarity, _, e)) => Decision::Duplicate { of: e.article_id, similarity, kind: DuplicateKind::Near },
            None => Decision::Insert,
        })
    }
}

/// How a stored article was met while reading the anchors.
#[derive(Default)]
struct Evidence {
    /// Sum over shared anchors of 1 / (articles holding the anchor).
    weight: f64,
    hits: u32,
    /// Met through at least one posting that is not full.
    open: bool,
}

/// One near-duplicate lookup: the article looked up, the candidates
/// verified so far and the best copy among them.
struct Search<'a> {
    matcher: &'a Matcher,
    fp: &'a Fingerprint,
    key: &'a DedupKey<'a>,
    now_unix: i64,
    best: Option<(f64, u64, Entry)>,
    verified: Vec<u64>,
}

impl Search<'_> {
    /// Compare stored article `id` with the one looked up and keep it if it
    /// is the best copy so far; `Some` when the lookup is decided.
    fn verify(&mut self, tables: &mut dyn Lookup, id: u64) -> Result<Option<Decision>, DedupError> {
        self.verified.push(id);
        let Some(e) = tables.entry(id)?.filter(|e| e.live(self.now_unix, self.matcher.window_secs)) else { return Ok(None) };
        if is_redelivery(e.origin.as_deref(), self.key.origin) {
            return Ok(Some(Decision::Redelivery));
        }
        let Some(sim) = compare(self.fp, &e.fp).near_duplicate(self.fp, &e.fp, self.matcher.near_threshold) else { return Ok(None) };
        // Ties go to the earliest entry: the story as first seen.
        if self.best.as_ref().is_none_or(|(s, bid, _)| sim > *s || (sim == *s && id < *bid)) {
            self.best = Some((sim, id, e));
        }
        Ok(None)
    }

    /// A copy similar enough that the remaining anchors need not be read.
    fn sure(&self) -> bool {
        self.best.as_ref().is_some_and(|(sim, _, _)| *sim >= SURE_COPY)
    }
}

/// Read-write access to the tables inside one atomic step (a locked map,
/// an LSM write batch with its overlay).
pub trait Tables: Lookup {
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
    let decision = matcher.decide(tables, fp, key, now_unix)?;
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
        // Only the index key of the content hash is kept.
        let mut stored = e.clone();
        stored.fp.exact[EXACT_KEY_BYTES..].fill(0);
        assert_eq!(Entry::decode(&e.encode()).unwrap(), stored);
        let none = Entry { origin: None, ..stored.clone() };
        assert_eq!(Entry::decode(&none.encode()).unwrap(), none);
        for cut in [1, 20, e.encode().len() - 1] {
            assert!(Entry::decode(&e.encode()[..cut]).is_err());
        }
    }

    #[test]
    fn records_are_compact() {
        let text = "3月5日，某某区签约项目8个，总投资52亿元，涉及新能源与新材料。".repeat(40);
        let mut e = Entry { article_id: "a1".into(), origin: None, stamp_unix: 1_700_000_000, fp: fingerprint(&text) };
        e.fp.anchors.truncate(crate::dedup::fingerprint::INDEXED_ANCHORS);
        let fixed = e.fp.sketch.len() * 4 + e.fp.anchors.len() * 8;
        assert!(e.encode().len() < fixed, "{} bytes", e.encode().len());
    }

    #[test]
    fn fingerprints_not_made_by_fingerprint_still_round_trip() {
        let fp = Fingerprint {
            exact: [7; 32],
            shingles: 900,
            anchors: vec![u64::MAX, 3, 1 << 40],
            sketch: vec![9, 4, 4_000_000_000, 0],
            figures: 2,
            figure_sketch: vec![5, 1],
            years: vec![1999, 2025],
        };
        let e = Entry { article_id: "x".into(), origin: Some("file:y".into()), stamp_unix: -5, fp };
        let back = Entry::decode(&e.encode()).unwrap();
        assert_eq!((back.fp.anchors, back.fp.sketch, back.fp.figure_sketch, back.stamp_unix), (e.fp.anchors, e.fp.sketch, e.fp.figure_sketch, -5));
    }

    #[test]
    fn an_old_record_format_is_named() {
        let err = Entry::decode(&[1, 0, 0]).unwrap_err();
        assert!(err.to_string().contains("format 1"), "{err}");
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
