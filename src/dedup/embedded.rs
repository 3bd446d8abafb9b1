//! Embedded persistent store (the default): the shared index in an LSM
//! tree (fjall) under `dedup.path`.
//!
//! Why an LSM tree: every article adds keys at random places (its content
//! hash, sixteen anchors). A copy-on-write B-tree (redb, used before)
//! rewrites a leaf page and its parents for each of them: 467 inserts/s and
//! ~2 KB of file per article at 250 k entries, hours for 10 M. An LSM tree
//! appends them to a journal and a memtable and sorts them into files in the
//! background; its bloom filters answer "no such anchor" (the common case:
//! most anchors of a new story are new) without touching disk.
//!
//! One check-and-insert is one write batch (atomic in the journal, applied
//! together); steps run one at a time under a mutex, and a step reads its
//! own earlier writes through [`FjallTables`]' overlay. Batches reach the OS
//! at once, so a kill -9 loses nothing committed; fsync is grouped: at
//! least every [`SYNC_INTERVAL`] by a background thread, on
//! [`DedupStore::flush`] and on drop. A crash recovers the journal up to
//! the last whole batch.
//!
//! Keyspaces: `entries` (id → expiry day + record), `exact` (content hash
//! key → id), `anchors` (anchor → ids), `articles` (article id → ids, for
//! `forget`), `expiry` ((day, id) → ∅, for the window sweep), `meta`
//! (format, next id, entry count).

use std::collections::hash_map::Entry as Slot;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use fjall::config::PinningPolicy;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use super::fingerprint::INDEXED_ANCHORS;
use super::index::{self, put_varint, Entry, Lookup, Matcher, Tables, POSTING_CAP};
use super::{lock, Clock, DedupError, DedupKey, DedupStore, Fingerprint, Verdict};

/// Longest time an acknowledged insert may stay unsynced.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(100);
/// The LSM tree's directory inside `dedup.path`.
pub const INDEX_DIR: &str = "index";
/// The file of the previous (redb) store, which this version cannot read.
pub const OLD_FILE_NAME: &str = "dedup.redb";
/// Layout version, kept in `meta`; bump when keys or values change shape.
const FORMAT: u64 = 2;

/// Memory budget (see README, "Deduplication"): the block cache holds data
/// and index blocks of the deeper levels; bloom filters are pinned apart
/// from it (~10 bits per key, ~200 MB at 10 M articles); each keyspace has
/// one active memtable of at most its size, plus those being flushed.
const CACHE_BYTES: u64 = 128 << 20;
const BIG_MEMTABLE_BYTES: u64 = 16 << 20;
const SMALL_MEMTABLE_BYTES: u64 = 4 << 20;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Space {
    Entries,
    Exact,
    Anchors,
    Articles,
    Expiry,
}

struct Spaces {
    entries: Keyspace,
    exact: Keyspace,
    anchors: Keyspace,
    articles: Keyspace,
    expiry: Keyspace,
    meta: Keyspace,
}

impl Spaces {
    fn get(&self, s: Space) -> &Keyspace {
        match s {
            Space::Entries => &self.entries,
            Space::Exact => &self.exact,
            Space::Anchors => &self.anchors,
            Space::Articles => &self.articles,
            Space::Expiry => &self.expiry,
        }
    }
}

pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    spaces: Spaces,
    path: PathBuf,
    matcher: Matcher,
    clock: Clock,
    state: Mutex<State>,
    unsynced: AtomicBool,
}

/// What the steps share besides the tables: the id counter, the entry
/// count, and where the expiry sweep stopped (so it does not walk over the
/// tombstones of what it already removed).
struct State {
    next_id: u64,
    count: u64,
    expiry_from: Vec<u8>,
}

/// fjall's errors, with the directory they concern.
trait OrIo<T> {
    fn or_io(self, path: &Path) -> Result<T, DedupError>;
}

impl<T, E: std::fmt::Display> OrIo<T> for Result<T, E> {
    fn or_io(self, path: &Path) -> Result<T, DedupError> {
        self.map_err(|e| DedupError::Io(format!("{}: {e}", path.display())))
    }
}

fn options(memtable: u64, point_hits: bool) -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .max_memtable_size(memtable)
        .filter_block_pinning_policy(PinningPolicy::all(true))
        .expect_point_read_hits(point_hits)
}

impl EmbeddedStore {
    /// Open (or create) the store in directory `dir`.
    pub fn open(dir: &Path, matcher: Matcher, clock: Clock) -> Result<Self, DedupError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| DedupError::Io(format!("cannot create dedup state directory {}: {e}", dir.display())))?;
        let old = dir.join(OLD_FILE_NAME);
        if old.exists() {
            return Err(DedupError::Config(format!(
                "{} is a dedup store of an older zhaoshang (redb), which this version does not read. Delete it to start \
                 with an empty store (stories of the last window may then be emitted once more), or set dedup.path \
                 (ZHAOSHANG__DEDUP__PATH) to another directory",
                old.display()
            )));
        }
        let path = dir.join(INDEX_DIR);
        // Default workers (two here). With one, fjall 3.1.13 stopped
        // flushing memtables after ~200 k inserts (journal and RSS grew
        // without bound); with two, worker 0 re-queues compaction requests
        // in a busy loop while worker 1 compacts (~25% CPU, seen with perf).
        let db = Database::builder(&path).cache_size(CACHE_BYTES).open().or_io(&path)?;
        let open = |name: &str, memtable: u64, point_hits: bool| db.keyspace(name, || options(memtable, point_hits)).or_io(&path);
        let spaces = Spaces {
            // Verification reads entries known to exist: no filter needed
            // on the last level.
            entries: open("entries", BIG_MEMTABLE_BYTES, true)?,
            exact: open("exact", SMALL_MEMTABLE_BYTES, false)?,
            anchors: open("anchors", SMALL_MEMTABLE_BYTES, false)?,
            articles: open("articles", SMALL_MEMTABLE_BYTES, false)?,
            expiry: open("expiry", SMALL_MEMTABLE_BYTES, false)?,
            meta: open("meta", SMALL_MEMTABLE_BYTES, true)?,
        };
        let meta_u64 = |key: &str| -> Result<Option<u64>, DedupError> {
            let Some(v) = spaces.meta.get(key).or_io(&path)? else { return Ok(None) };
            let bytes: [u8; 8] = v.as_ref().try_into().map_err(|_| DedupError::Io(format!("{}: corrupt meta {key}", path.display())))?;
            Ok(Some(u64::from_le_bytes(bytes)))
        };
        match meta_u64("format")? {
            None => spaces.meta.insert("format", FORMAT.to_le_bytes()).or_io(&path)?,
            Some(FORMAT) => {}
            Some(other) => {
                return Err(DedupError::Config(format!(
                    "{} holds a dedup store of layout {other}; this zhaoshang reads layout {FORMAT}. Delete the directory \
                     to start with an empty store, or set dedup.path to another directory",
                    path.display()
                )))
            }
        }
        let state = State { next_id: meta_u64("next_id")?.unwrap_or(0), count: meta_u64("count")?.unwrap_or(0), expiry_from: Vec::new() };
        let inner = Arc::new(Inner { db, spaces, path, matcher, clock, state: Mutex::new(state), unsynced: AtomicBool::new(false) });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("dedup-sync".into())
            .spawn(move || sync_loop(weak))
            .map_err(|e| DedupError::Io(format!("cannot start the dedup sync thread: {e}")))?;
        Ok(EmbeddedStore { inner })
    }

    pub fn dir(&self) -> &Path {
        &self.inner.path
    }
}

/// Make committed steps durable every [`SYNC_INTERVAL`]; ends with the store.
fn sync_loop(inner: Weak<Inner>) {
    loop {
        std::thread::sleep(SYNC_INTERVAL);
        let Some(inner) = inner.upgrade() else { return };
        if inner.unsynced.swap(false, Ordering::AcqRel) {
            if let Err(e) = inner.db.persist(PersistMode::SyncAll) {
                inner.unsynced.store(true, Ordering::Release);
                tracing::warn!(error = %e, "dedup store: periodic sync failed");
            }
        }
    }
}

impl Inner {
    /// Run one step under the mutex and commit what it wrote as one batch.
    fn write<T>(&self, step: impl FnOnce(&mut FjallTables<'_>) -> Result<T, DedupError>) -> Result<T, DedupError> {
        let mut state = lock(&self.state);
        let mut tables = FjallTables {
            spaces: &self.spaces,
            path: &self.path,
            cells: HashMap::new(),
            next_id: state.next_id,
            count: state.count,
            expiry_from: state.expiry_from.clone(),
        };
        // A failed step may have half-written its overlay: drop it.
        let out = step(&mut tables)?;
        let mut batch = self.db.batch();
        for ((space, key), cell) in tables.cells {
            if !cell.dirty {
                continue;
            }
            match cell.value {
                Some(v) => batch.insert(self.spaces.get(space), key, v),
                None => batch.remove(self.spaces.get(space), key),
            }
        }
        if tables.next_id != state.next_id {
            batch.insert(&self.spaces.meta, "next_id", tables.next_id.to_le_bytes());
        }
        if tables.count != state.count {
            batch.insert(&self.spaces.meta, "count", tables.count.to_le_bytes());
        }
        if !batch.is_empty() {
            batch.commit().or_io(&self.path)?;
            self.unsynced.store(true, Ordering::Release);
        }
        state.next_id = tables.next_id;
        state.count = tables.count;
        state.expiry_from = tables.expiry_from;
        Ok(out)
    }
}

/// A value as this step sees it: read from the tree or written by the step.
struct Cell {
    value: Option<Vec<u8>>,
    dirty: bool,
}

struct FjallTables<'t> {
    spaces: &'t Spaces,
    path: &'t Path,
    cells: HashMap<(Space, Vec<u8>), Cell>,
    next_id: u64,
    count: u64,
    expiry_from: Vec<u8>,
}

fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// (day, id) in an order that sorts by day, negative days included.
fn expiry_key(day: i64, id: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&((day as u64) ^ (1 << 63)).to_be_bytes());
    k[8..].copy_from_slice(&id.to_be_bytes());
    k
}

fn encode_ids(ids: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 5);
    ids.iter().for_each(|id| put_varint(&mut out, *id));
    out
}

fn decode_ids(bytes: &[u8], path: &Path) -> Result<Vec<u64>, DedupError> {
    let mut ids = Vec::new();
    let (mut v, mut shift) = (0u64, 0u32);
    for b in bytes {
        if shift > 63 {
            return Err(DedupError::Io(format!("{}: corrupt id list", path.display())));
        }
        v |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if *b < 0x80 {
            ids.push(v);
            (v, shift) = (0, 0);
        }
    }
    if shift != 0 {
        return Err(DedupError::Io(format!("{}: truncated id list", path.display())));
    }
    Ok(ids)
}

impl FjallTables<'_> {
    fn cell(&mut self, space: Space, key: &[u8]) -> Result<&mut Cell, DedupError> {
        match self.cells.entry((space, key.to_vec())) {
            Slot::Occupied(o) => Ok(o.into_mut()),
            Slot::Vacant(v) => {
                let value = self.spaces.get(space).get(key).or_io(self.path)?.map(|s| s.to_vec());
                Ok(v.insert(Cell { value, dirty: false }))
            }
        }
    }

    fn read(&mut self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, DedupError> {
        Ok(self.cell(space, key)?.value.clone())
    }

    fn put(&mut self, space: Space, key: &[u8], value: Option<Vec<u8>>) {
        self.cells.insert((space, key.to_vec()), Cell { value, dirty: true });
    }

    fn ids(&mut self, space: Space, key: &[u8]) -> Result<Vec<u64>, DedupError> {
        let path = self.path;
        match &self.cell(space, key)?.value {
            Some(v) => decode_ids(v, path),
            None => Ok(Vec::new()),
        }
    }

    fn put_ids(&mut self, space: Space, key: &[u8], ids: &[u64]) {
        self.put(space, key, (!ids.is_empty()).then(|| encode_ids(ids)));
    }

    fn remove_id(&mut self, space: Space, key: &[u8], id: u64) -> Result<(), DedupError> {
        let mut ids = self.ids(space, key)?;
        let before = ids.len();
        ids.retain(|x| *x != id);
        if ids.len() != before {
            self.put_ids(space, key, &ids);
        }
        Ok(())
    }

    /// An entry is stored as its expiry day and its record, so removal finds
    /// its expiry key even if `window_days` changed since.
    fn entry_with_expiry(&mut self, id: u64) -> Result<Option<(Entry, i64)>, DedupError> {
        let Some(bytes) = self.read(Space::Entries, &id_key(id))? else { return Ok(None) };
        let day: [u8; 8] = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| DedupError::Io(format!("{}: corrupt entry {id}", self.path.display())))?;
        Ok(Some((Entry::decode(&bytes[8..])?, i64::from_le_bytes(day))))
    }
}

impl Lookup for FjallTables<'_> {
    fn exact(&mut self, hash: &[u8; 32]) -> Result<Option<Entry>, DedupError> {
        match self.ids(Space::Exact, &hash[..index::EXACT_KEY_BYTES])?.first() {
            Some(id) => self.entry(*id),
            None => Ok(None),
        }
    }

    fn postings(&mut self, anchor: u64) -> Result<Vec<u64>, DedupError> {
        self.ids(Space::Anchors, &anchor.to_be_bytes())
    }

    fn entry(&mut self, id: u64) -> Result<Option<Entry>, DedupError> {
        Ok(self.entry_with_expiry(id)?.map(|(e, _)| e))
    }
}

impl Tables for FjallTables<'_> {
    fn insert(&mut self, entry: &Entry, expiry_day: i64) -> Result<u64, DedupError> {
        let id = self.next_id;
        self.next_id += 1;
        self.count += 1;
        let mut indexed = Vec::with_capacity(INDEXED_ANCHORS);
        for a in &entry.fp.anchors {
            let key = a.to_be_bytes();
            let mut ids = self.ids(Space::Anchors, &key)?;
            if ids.len() < POSTING_CAP {
                ids.push(id);
                self.put_ids(Space::Anchors, &key, &ids);
                indexed.push(*a);
                if indexed.len() == INDEXED_ANCHORS {
                    break;
                }
            }
        }
        // The record keeps only the anchors it is indexed under.
        let mut stored = entry.clone();
        stored.fp.anchors = indexed;
        let mut value = expiry_day.to_le_bytes().to_vec();
        value.extend_from_slice(&stored.encode());
        self.put(Space::Entries, &id_key(id), Some(value));
        self.put_ids(Space::Exact, &entry.fp.exact[..index::EXACT_KEY_BYTES], &[id]);
        let mut of_article = self.ids(Space::Articles, entry.article_id.as_bytes())?;
        of_article.push(id);
        self.put_ids(Space::Articles, entry.article_id.as_bytes(), &of_article);
        self.put(Space::Expiry, &expiry_key(expiry_day, id), Some(Vec::new()));
        Ok(id)
    }

    fn remove(&mut self, id: u64) -> Result<(), DedupError> {
        let Some((entry, expiry_day)) = self.entry_with_expiry(id)? else { return Ok(()) };
        self.put(Space::Entries, &id_key(id), None);
        self.count = self.count.saturating_sub(1);
        let key = &entry.fp.exact[..index::EXACT_KEY_BYTES];
        if self.ids(Space::Exact, key)?.first() == Some(&id) {
            self.put(Space::Exact, key, None);
        }
        for a in &entry.fp.anchors {
            self.remove_id(Space::Anchors, &a.to_be_bytes(), id)?;
        }
        self.remove_id(Space::Articles, entry.article_id.as_bytes(), id)?;
        self.put(Space::Expiry, &expiry_key(expiry_day, id), None);
        Ok(())
    }

    fn expired(&mut self, day: i64, limit: usize) -> Result<Vec<u64>, DedupError> {
        let end = expiry_key(day, 0).to_vec();
        if self.expiry_from >= end {
            return Ok(Vec::new());
        }
        let mut ids = Vec::new();
        let mut last = None;
        for item in self.spaces.expiry.range(self.expiry_from.clone()..end.clone()).take(limit) {
            let key = item.key().or_io(self.path)?;
            let id: [u8; 8] = key.get(8..16).and_then(|b| b.try_into().ok()).ok_or_else(|| DedupError::Io(format!("{}: corrupt expiry key", self.path.display())))?;
            ids.push(u64::from_be_bytes(id));
            last = Some(key.to_vec());
        }
        // Everything before `end` is being removed, or everything up to the
        // last key seen: the next sweep starts after it. New entries
        // always expire after today, so none lands behind the cursor.
        self.expiry_from = match last {
            Some(mut k) if ids.len() == limit => {
                k.push(0);
                k
            }
            _ => end,
        };
        Ok(ids)
    }

    fn ids_of(&mut self, article_id: &str) -> Result<Vec<u64>, DedupError> {
        self.ids(Space::Articles, article_id.as_bytes())
    }
}

impl DedupStore for EmbeddedStore {
    fn check_and_insert(&self, fp: &Fingerprint, key: &DedupKey<'_>) -> Result<Verdict, DedupError> {
        let inner = &*self.inner;
        let now = (inner.clock)();
        inner.write(|t| index::check_and_insert_in(t, &inner.matcher, fp, key, now))
    }

    fn forget(&self, article_id: &str) -> Result<(), DedupError> {
        self.inner.write(|t| index::forget_in(t, article_id))?;
        self.flush()
    }

    fn len(&self) -> Result<u64, DedupError> {
        Ok(lock(&self.inner.state).count)
    }

    fn backend(&self) -> &'static str {
        "embedded"
    }

    fn flush(&self) -> Result<(), DedupError> {
        self.inner.unsynced.store(false, Ordering::Release);
        self.inner.db.persist(PersistMode::SyncAll).or_io(&self.inner.path)
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "dedup store: final sync failed; the last inserts may be lost");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_round_trip() {
        let ids = [0, 1, 127, 128, 300, u64::from(u32::MAX) + 7];
        assert_eq!(decode_ids(&encode_ids(&ids), Path::new("x")).unwrap(), ids);
        assert!(decode_ids(&[0x80], Path::new("x")).is_err());
    }

    #[test]
    fn expiry_keys_sort_by_day_then_id() {
        assert!(expiry_key(-1, 9) < expiry_key(0, 0));
        assert!(expiry_key(5, 1) < expiry_key(5, 2));
        assert!(expiry_key(5, u64::MAX) < expiry_key(6, 0));
    }

    #[test]
    fn an_old_redb_store_is_reported_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(OLD_FILE_NAME), b"redb").unwrap();
        let err = EmbeddedStore::open(dir.path(), Matcher::new(0.5, 30), super::super::system_clock()).err().unwrap();
        assert!(err.to_string().contains("older zhaoshang"), "{err}");
    }
}
