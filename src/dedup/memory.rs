//! In-memory store for tests and throwaway runs: the shared index over
//! plain maps behind one mutex (the mutex is what makes a step atomic).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use super::fingerprint::INDEXED_ANCHORS;
use super::index::{self, Entry, Lookup, Matcher, Tables, POSTING_CAP};
use super::{lock, Clock, DedupError, DedupKey, DedupStore, Fingerprint, Verdict};

#[derive(Default)]
struct Maps {
    next_id: u64,
    entries: HashMap<u64, (Entry, i64)>,
    exact: HashMap<[u8; 32], u64>,
    anchors: HashMap<u64, Vec<u64>>,
    articles: HashMap<String, Vec<u64>>,
    by_expiry: BTreeSet<(i64, u64)>,
}

pub struct MemoryStore {
    maps: Mutex<Maps>,
    matcher: Matcher,
    clock: Clock,
}

impl Default for MemoryStore {
    /// Default window (30 days) and threshold (0.5), system clock.
    fn default() -> Self {
        MemoryStore::with_clock(Matcher::new(0.5, 30), super::system_clock())
    }
}

impl MemoryStore {
    pub fn with_clock(matcher: Matcher, clock: Clock) -> Self {
        MemoryStore { maps: Mutex::new(Maps::default()), matcher, clock }
    }
}

impl Lookup for Maps {
    fn exact(&mut self, hash: &[u8; 32]) -> Result<Option<Entry>, DedupError> {
        Ok(self.exact.get(hash).and_then(|id| self.entries.get(id)).map(|(e, _)| e.clone()))
    }

    fn postings(&mut self, anchor: u64) -> Result<Vec<u64>, DedupError> {
        Ok(self.anchors.get(&anchor).cloned().unwrap_or_default())
    }

    fn entry(&mut self, id: u64) -> Result<Option<Entry>, DedupError> {
        Ok(self.entries.get(&id).map(|(e, _)| e.clone()))
    }
}

impl Tables for Maps {
    fn insert(&mut self, entry: &Entry, expiry_day: i64) -> Result<u64, DedupError> {
        let id = self.next_id;
        self.next_id += 1;
        self.exact.insert(entry.fp.exact, id);
        let mut indexed = 0;
        for a in &entry.fp.anchors {
            let posting = self.anchors.entry(*a).or_default();
            if posting.len() < POSTING_CAP {
                posting.push(id);
                indexed += 1;
                if indexed == INDEXED_ANCHORS {
                    break;
                }
            }
        }
        self.articles.entry(entry.article_id.clone()).or_default().push(id);
        self.by_expiry.insert((expiry_day, id));
        self.entries.insert(id, (entry.clone(), expiry_day));
        Ok(id)
    }

    fn remove(&mut self, id: u64) -> Result<(), DedupError> {
        let Some((entry, expiry_day)) = self.entries.remove(&id) else { return Ok(()) };
        if self.exact.get(&entry.fp.exact) == Some(&id) {
            self.exact.remove(&entry.fp.exact);
        }
        for a in &entry.fp.anchors {
            if let Some(posting) = self.anchors.get_mut(a) {
                posting.retain(|x| *x != id);
                if posting.is_empty() {
                    self.anchors.remove(a);
                }
            }
        }
        if let Some(ids) = self.articles.get_mut(&entry.article_id) {
            ids.retain(|x| *x != id);
            if ids.is_empty() {
                self.articles.remove(&entry.article_id);
            }
        }
        self.by_expiry.remove(&(expiry_day, id));
        Ok(())
    }

    fn expired(&mut self, day: i64, limit: usize) -> Result<Vec<u64>, DedupError> {
        Ok(self.by_expiry.range(..(day, 0)).take(limit).map(|(_, id)| *id).collect())
    }

    fn ids_of(&mut self, article_id: &str) -> Result<Vec<u64>, DedupError> {
        Ok(self.articles.get(article_id).cloned().unwrap_or_default())
    }
}

impl DedupStore for MemoryStore {
    fn check_and_insert(&self, fp: &Fingerprint, key: &DedupKey<'_>) -> Result<Verdict, DedupError> {
        index::check_and_insert_in(&mut *lock(&self.maps), &self.matcher, fp, key, (self.clock)())
    }

    fn forget(&self, article_id: &str) -> Result<(), DedupError> {
        index::forget_in(&mut *lock(&self.maps), article_id)
    }

    fn len(&self) -> Result<u64, DedupError> {
        Ok(lock(&self.maps).entries.len() as u64)
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}
