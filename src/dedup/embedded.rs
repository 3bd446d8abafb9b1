//! Embedded persistent store (the default): the shared index in an LSM
//! tree (fjall) under `dedup.path`.
//!
//! Why an LSM tree: every article adds keys at random places (its content
//! hash, sixteen anchors). A copy-on-write B-tree (redb, used before)
//! rewrites a leaf page and its parents for each of them: 467 inserts/s and
//! ~2 KB of file per article at 250 k entries, hours for 10 M. An LSM tree
//! appends them to a journal and a memtable and sorts them into files in the
//! background. "No such anchor" (the common case: most anchors of a new
//! story are new) is answered before the tree, by an in-memory
//! [`KeyFilter`] built from the tree on open and kept up by every write.
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
use std::thread::JoinHandle;
use std::time::Duration;

use fjall::config::PinningPolicy;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use super::fingerprint::INDEXED_ANCHORS;
use super::index::{self, put_varint, Entry, Lookup, Matcher, Tables, POSTING_CAP};
use super::key_filter::{key_hash, KeyFilter};
use super::{lock, Clock, DedupError, DedupKey, DedupStore, Fingerprint, Verdict};

/// Longest time an acknowledged insert may stay unsynced.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(100);
/// How often the compaction watch looks at level 0.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// fjall halts every write to a keyspace whose level 0 holds this many runs.
const L0_HALT_RUNS: usize = 30;
/// Keys read per iterator when the key filter is rebuilt.
const SCAN_CHUNK_KEYS: usize = 16_384;
/// The LSM tree's directory inside `dedup.path`.
pub const INDEX_DIR: &str = "index";
/// The file of the previous (redb) store, which this version cannot read.
pub const OLD_FILE_NAME: &str = "dedup.redb";
/// Layout version, kept in `meta`; bump when keys or values change shape.
const FORMAT: u64 = 2;

/// Memory budget (see README, "Deduplication"): the block cache holds data
/// and index blocks of the deeper levels; the tree's bloom filters are
/// pinned apart from it (~10 bits per key, all levels but the last); the
/// [`KeyFilter`] takes ~9.6 bits per index key with up to 1.5× headroom
/// (~200–320 MB at 10 M articles); each keyspace has one active memtable of
/// at most its size, plus those being flushed.
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

impl Space {
    /// The keyspaces whose absent keys [`KeyFilter`] answers for: those a
    /// check reads by key without knowing whether the key exists.
    const FILTERED: [Space; 3] = [Space::Exact, Space::Anchors, Space::Articles];

    fn filtered(self) -> bool {
        Self::FILTERED.contains(&self)
    }
}

impl Spaces {
    fn all(&self) -> [&Keyspace; 6] {
        [&self.entries, &self.exact, &self.anchors, &self.articles, &self.expiry, &self.meta]
    }

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
    /// Set when the store is dropped, so a filter rebuild stops early.
    closing: AtomicBool,
    filter_builder: Mutex<Option<JoinHandle<()>>>,
}

/// What the steps share besides the tables: the id counter, the entry
/// count, and where the expiry sweep stopped (so it does not walk over the
/// tombstones of what it already removed).
struct State {
    next_id: u64,
    count: u64,
    expiry_from: Vec<u8>,
    /// `None` while it is being (re)built, or if building it failed: then
    /// every read goes to the tree.
    filter: Option<KeyFilter>,
    /// While a rebuild runs: the hashes of keys written since it started,
    /// added to the new filter when it is installed.
    pending: Option<Vec<u64>>,
    filter_failed: bool,
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

/// Options of a new keyspace. fjall stores them with the keyspace and
/// ignores them on reopen: a change here reaches only stores created after it.
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
        // Three workers. fjall 3.1.13 has worker 0 re-queue compaction
        // requests while another worker compacts; with the default two
        // (on two cores) it spins a whole core for as long as a compaction
        // runs (seen with perf: ~17 % of CPU, lookup p99 4.6 ms at 200 k
        // entries). A third worker takes those requests instead: p99
        // 0.5 ms. With one, memtable flushes queued behind long
        // compactions (journal and RSS grew for minutes).
        let db = Database::builder(&path).cache_size(CACHE_BYTES).worker_threads(3).open().or_io(&path)?;
        let open = |name: &str, memtable: u64, point_hits: bool| db.keyspace(name, || options(memtable, point_hits)).or_io(&path);
        let spaces = Spaces {
            // Verification reads entries known to exist: no filter needed
            // on the last level.
            entries: open("entries", BIG_MEMTABLE_BYTES, true)?,
            // The key filter turns away absent keys first, so reads that
            // reach these trees mostly hit: their largest level (~90 % of
            // the keys) needs no filter of its own (~200 MB at 10 M).
            exact: open("exact", SMALL_MEMTABLE_BYTES, true)?,
            anchors: open("anchors", SMALL_MEMTABLE_BYTES, true)?,
            articles: open("articles", SMALL_MEMTABLE_BYTES, true)?,
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
        let count = meta_u64("count")?.unwrap_or(0);
        // An empty store needs no scan to know it holds no keys.
        let filter = (count == 0).then(|| KeyFilter::sized_for(0));
        let state =
            State { next_id: meta_u64("next_id")?.unwrap_or(0), count, expiry_from: Vec::new(), filter, pending: None, filter_failed: false };
        let inner = Arc::new(Inner {
            db,
            spaces,
            path,
            matcher,
            clock,
            state: Mutex::new(state),
            unsynced: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            filter_builder: Mutex::new(None),
        });
        if count > 0 {
            inner.start_filter_rebuild(&mut lock(&inner.state));
        }
        every(&inner, "dedup-sync", SYNC_INTERVAL, sync)?;
        let mut halted = [false; 6];
        every(&inner, "dedup-compact", WATCH_INTERVAL, move |inner| {
            if !inner.closing.load(Ordering::Acquire) {
                compact_halted(&inner.spaces.all(), &mut halted);
            }
        })?;
        Ok(EmbeddedStore { inner })
    }

    pub fn dir(&self) -> &Path {
        &self.inner.path
    }
}

/// Run `tick` on a thread of its own every `interval`, for as long as the
/// store lives (the thread holds it only while ticking).
fn every(inner: &Arc<Inner>, name: &str, interval: Duration, mut tick: impl FnMut(&Inner) + Send + 'static) -> Result<(), DedupError> {
    let weak: Weak<Inner> = Arc::downgrade(inner);
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || loop {
            std::thread::sleep(interval);
            let Some(inner) = weak.upgrade() else { return };
            tick(&inner);
        })
        .map(drop)
        .map_err(|e| DedupError::Io(format!("cannot start the dedup store's thread {name}: {e}")))
}

/// Make committed steps durable (every [`SYNC_INTERVAL`]).
fn sync(inner: &Inner) {
    if inner.unsynced.swap(false, Ordering::AcqRel) {
        if let Err(e) = inner.db.persist(PersistMode::SyncAll) {
            inner.unsynced.store(true, Ordering::Release);
            tracing::warn!(error = %e, "dedup store: periodic sync failed");
        }
    }
}

/// fjall 3.1.13 asks its workers to compact a keyspace only after one of
/// its memtables is flushed (and once on open). When those requests come
/// to nothing (level 0 busy in another compaction) and level 0 reaches
/// [`L0_HALT_RUNS`], every write waits for a compaction that nothing will
/// ask for again: the writer sleeps in `check_write_halt` while all workers
/// idle, for good (seen at 6 M and 10 M entries). This watch runs one
/// compaction round itself on a keyspace found halted twice in a row, as a
/// fourth worker would: the strategy picks among tables no running
/// compaction holds, so it cannot collide with fjall's workers. Ends with
/// the store (a round under way when the store is dropped holds the
/// database open until it ends).
///
/// One look of the compaction watch: a keyspace whose level 0 is at the
/// halt mark now and was at the last look gets one compaction round.
/// Returns how many rounds ran.
fn compact_halted(keyspaces: &[&Keyspace], halted: &mut [bool]) -> usize {
    use fjall::AbstractTree;
    let mut rounds = 0;
    for (was_halted, keyspace) in halted.iter_mut().zip(keyspaces) {
        let runs = keyspace.tree.l0_run_count();
        let now_halted = runs >= L0_HALT_RUNS;
        if now_halted && *was_halted {
            let name: &str = keyspace.name().as_ref();
            tracing::warn!(keyspace = name, level0_runs = runs, "dedup store: writes halted on an uncompacted level 0; compacting it");
            // The keyspaces' own strategy (none sets another); a GC
            // watermark of 0 keeps every version, so nothing a snapshot
            // could still read is dropped.
            let strategy = KeyspaceCreateOptions::default().compaction_strategy;
            if let Err(e) = keyspace.tree.compact(strategy, 0) {
                tracing::warn!(keyspace = name, error = %e, "dedup store: compaction of a halted level 0 failed");
            }
            rounds += 1;
        }
        *was_halted = now_halted;
    }
    rounds
}

impl Inner {
    /// Run one step under the mutex and commit what it wrote as one batch.
    fn write<T>(self: &Arc<Self>, step: impl FnOnce(&mut FjallTables<'_>) -> Result<T, DedupError>) -> Result<T, DedupError> {
        let mut state = lock(&self.state);
        let mut tables = FjallTables {
            spaces: &self.spaces,
            path: &self.path,
            filter: state.filter.as_ref(),
            cells: HashMap::new(),
            next_id: state.next_id,
            count: state.count,
            expiry_from: state.expiry_from.clone(),
        };
        // A failed step may have half-written its overlay: drop it.
        let out = step(&mut tables)?;
        let FjallTables { cells, next_id, count, expiry_from, .. } = tables;
        let mut batch = self.db.batch();
        let mut new_keys = Vec::new();
        for ((space, key), cell) in cells {
            if !cell.dirty {
                continue;
            }
            match cell.value {
                Some(v) => {
                    if space.filtered() {
                        new_keys.push(key_hash(space as u8, &key));
                    }
                    batch.insert(self.spaces.get(space), key, v)
                }
                None => batch.remove(self.spaces.get(space), key),
            }
        }
        if next_id != state.next_id {
            batch.insert(&self.spaces.meta, "next_id", next_id.to_le_bytes());
        }
        if count != state.count {
            batch.insert(&self.spaces.meta, "count", count.to_le_bytes());
        }
        if !batch.is_empty() {
            batch.commit().or_io(&self.path)?;
            self.unsynced.store(true, Ordering::Release);
        }
        state.next_id = next_id;
        state.count = count;
        state.expiry_from = expiry_from;
        // Keys reach the filter only once they are in the tree, and in the
        // same critical section, so no reader can miss them.
        if let Some(filter) = &mut state.filter {
            new_keys.iter().for_each(|h| filter.insert(*h));
        }
        if let Some(pending) = &mut state.pending {
            pending.extend_from_slice(&new_keys);
        }
        if state.filter.as_ref().is_some_and(KeyFilter::is_full) {
            self.start_filter_rebuild(&mut state);
        }
        Ok(out)
    }

    /// Drop the filter and build a new one, sized for what the tree now
    /// holds, on a thread of its own; until it is installed every read
    /// goes to the tree. Called with the state locked, so every key
    /// committed before is in the tree the scan reads, and every key
    /// committed after lands in `pending`.
    fn start_filter_rebuild(self: &Arc<Self>, state: &mut State) {
        if state.pending.is_some() || state.filter_failed {
            return;
        }
        // Every entry adds at most one key per indexed anchor, its content
        // hash and its article id.
        let expected = state.count.saturating_mul(INDEXED_ANCHORS as u64 + 2);
        state.filter = None;
        state.pending = Some(Vec::new());
        let weak = Arc::downgrade(self);
        match std::thread::Builder::new().name("dedup-filter".into()).spawn(move || rebuild_filter(weak, expected)) {
            Ok(handle) => {
                // The previous build ended when it installed its filter.
                let finished = lock(&self.filter_builder).replace(handle);
                drop(finished);
            }
            Err(e) => {
                tracing::warn!(error = %e, "dedup store: cannot start the key filter thread; every lookup reads the index");
                state.pending = None;
                state.filter_failed = true;
            }
        }
    }

    /// Every key of the filtered keyspaces that was committed before the
    /// call; `None` if the store is closing. Read in chunks, each from an
    /// iterator of its own: one iterator over the whole tree would pin the
    /// memtables and tables of its start (every memtable sealed during a
    /// minute-long scan at 10 M) until it ends. Keys committed between
    /// chunks may or may not be seen; they are in `pending` anyway.
    fn scan_keys(&self, expected: u64) -> Result<Option<KeyFilter>, DedupError> {
        use std::ops::Bound::{Excluded, Unbounded};
        let mut filter = KeyFilter::sized_for(expected);
        for space in Space::FILTERED {
            let tree = self.spaces.get(space);
            let mut after: Option<Vec<u8>> = None;
            loop {
                if self.closing.load(Ordering::Acquire) {
                    return Ok(None);
                }
                let from = after.take().map_or(Unbounded, Excluded);
                let mut seen = 0;
                for item in tree.range::<Vec<u8>, _>((from, Unbounded)).take(SCAN_CHUNK_KEYS) {
                    let key = item.key().or_io(&self.path)?;
                    filter.insert(key_hash(space as u8, &key));
                    seen += 1;
                    if seen == SCAN_CHUNK_KEYS {
                        after = Some(key.to_vec());
                    }
                }
                if after.is_none() {
                    break;
                }
            }
        }
        Ok(Some(filter))
    }
}

fn rebuild_filter(inner: Weak<Inner>, expected: u64) {
    let Some(inner) = inner.upgrade() else { return };
    let started = std::time::Instant::now();
    let scanned = inner.scan_keys(expected);
    let mut state = lock(&inner.state);
    let pending = state.pending.take().unwrap_or_default();
    match scanned {
        Ok(Some(mut filter)) => {
            pending.iter().for_each(|h| filter.insert(*h));
            tracing::debug!(
                entries = state.count,
                filter_bytes = filter.bytes(),
                seconds = started.elapsed().as_secs_f64(),
                "dedup store: key filter built"
            );
            state.filter = Some(filter);
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "dedup store: building the key filter failed; every lookup reads the index");
            state.filter_failed = true;
        }
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
    filter: Option<&'t KeyFilter>,
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
                let absent = space.filtered() && self.filter.is_some_and(|f| !f.may_contain(key_hash(space as u8, key)));
                let value = if absent { None } else { self.spaces.get(space).get(key).or_io(self.path)?.map(|s| s.to_vec()) };
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
    fn warming_up(&self) -> bool {
        lock(&self.inner.state).pending.is_some()
    }

    fn check_and_insert(&self, fp: &Fingerprint, key: &DedupKey<'_>) -> Result<Verdict, DedupError> {
        let inner = &self.inner;
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
        // A rebuild holds the database open: stop it, so that the
        // directory can be opened again as soon as this returns.
        self.inner.closing.store(true, Ordering::Release);
        let builder = lock(&self.inner.filter_builder).take();
        if let Some(handle) = builder {
            if handle.join().is_err() {
                tracing::warn!("dedup store: the key filter thread panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fjall hang the watch exists for, made on purpose: without
    /// workers nothing compacts level 0, as when fjall's requests ran dry.
    #[test]
    fn the_compaction_watch_unhalts_a_level_0_nobody_compacts() {
        use fjall::AbstractTree;
        let dir = tempfile::tempdir().unwrap();
        let db = Database::builder(dir.path()).worker_threads_unchecked(0).open().unwrap();
        let ks = db.keyspace("t", || options(SMALL_MEMTABLE_BYTES, true)).unwrap();
        // Each flush spans the same key range, so each is a run of its own.
        let last = L0_HALT_RUNS as u32 - 1;
        for run in 0..=last {
            for key in [&b"a"[..], b"z"] {
                ks.insert(key, run.to_be_bytes()).unwrap();
            }
            ks.tree.flush_active_memtable(0).unwrap();
        }
        assert_eq!(ks.tree.l0_run_count(), L0_HALT_RUNS);
        let mut halted = [false];
        // Seen once: could be a burst fjall's workers are about to take.
        assert_eq!(compact_halted(&[&ks], &mut halted), 0);
        assert_eq!(compact_halted(&[&ks], &mut halted), 1);
        assert!(ks.tree.l0_run_count() < L0_HALT_RUNS, "{} runs left", ks.tree.l0_run_count());
        for key in [&b"a"[..], b"z"] {
            assert_eq!(ks.get(key).unwrap().as_deref(), Some(&last.to_be_bytes()[..]));
        }
        assert_eq!(compact_halted(&[&ks], &mut halted), 0);
    }

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

    /// A text of random Han characters: unrelated to every other one.
    fn random_story(seed: u64) -> String {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..400)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from_u32(0x4e00 + (x % 0x5000) as u32).unwrap_or('中')
            })
            .collect()
    }

    #[test]
    fn a_reopened_store_finds_what_it_held_and_what_came_during_the_filter_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let open = || EmbeddedStore::open(dir.path(), Matcher::new(0.5, 30), super::super::system_clock()).unwrap();
        let fps: Vec<Fingerprint> = (0..300).map(|i| super::super::fingerprint(&random_story(i))).collect();
        let check = |store: &EmbeddedStore, i: usize| {
            let id = format!("a{i}");
            store.check_and_insert(&fps[i], &DedupKey { article_id: &id, origin: None, seen_at_unix: 0 }).unwrap()
        };
        {
            let store = open();
            assert!(lock(&store.inner.state).filter.is_some(), "an empty store starts with its filter");
            (0..200).for_each(|i| assert_eq!(check(&store, i), Verdict::Unique, "story {i}"));
        }
        let store = open();
        // The rebuild runs beside these inserts: they must land in it.
        (200..300).for_each(|i| assert_eq!(check(&store, i), Verdict::Unique, "story {i}"));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while store.warming_up() {
            assert!(std::time::Instant::now() < deadline, "the key filter was not rebuilt within 30 s");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(lock(&store.inner.state).filter.is_some(), "warm, with its filter installed");
        for i in 0..300 {
            assert!(matches!(check(&store, i), Verdict::Duplicate { similarity, .. } if similarity == 1.0), "story {i} not found");
        }
        // Dropping the store mid-rebuild must not keep the directory locked.
        store.inner.start_filter_rebuild(&mut lock(&store.inner.state));
        drop(store);
        drop(open());
    }

    #[test]
    fn an_old_redb_store_is_reported_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(OLD_FILE_NAME), b"redb").unwrap();
        let err = EmbeddedStore::open(dir.path(), Matcher::new(0.5, 30), super::super::system_clock()).err().unwrap();
        assert!(err.to_string().contains("older zhaoshang"), "{err}");
    }
}
