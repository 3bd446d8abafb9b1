//! Embedded persistent store (the default): the shared index in one redb
//! file under `dedup.path`.
//!
//! Group commit: check-and-inserts run one after another inside a shared
//! write transaction that is committed every [`BATCH_OPS`] steps, and made
//! durable (fsync) at least every [`SYNC_INTERVAL`] by a background thread,
//! on [`DedupStore::flush`] and on drop. One redb transaction per article
//! costs a copy-on-write of every B-tree page it touches (~0.3 ms and
//! 3 KB of file per article, measured); batching shares those pages. A
//! crash loses at most the unsynced steps and leaves the last synced
//! state (redb's commit is atomic), which the kill -9 test checks.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use redb::{
    Database, Durability, MultimapTable, MultimapTableDefinition, ReadableDatabase, ReadableMultimapTable, ReadableTable,
    ReadableTableMetadata, Table, TableDefinition, WriteTransaction,
};

use super::fingerprint::INDEXED_ANCHORS;
use super::index::{self, Entry, Lookup, Matcher, Tables, POSTING_CAP};
use super::{lock, Clock, DedupError, DedupKey, DedupStore, Fingerprint, Verdict};

const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const EXACT: TableDefinition<&[u8], u64> = TableDefinition::new("exact");
const ANCHORS: MultimapTableDefinition<u64, u64> = MultimapTableDefinition::new("anchors");
const ARTICLES: MultimapTableDefinition<&str, u64> = MultimapTableDefinition::new("articles");
const EXPIRY: TableDefinition<(i64, u64), ()> = TableDefinition::new("expiry");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Longest time an acknowledged insert may stay unsynced.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(100);
/// Steps sharing one (non-durable) commit.
pub const BATCH_OPS: usize = 256;
/// redb page cache; the index lives on disk, the cache keeps the hot upper
/// B-tree levels so lookups stay fast without growing the RSS.
const CACHE_BYTES: usize = 256 << 20;
pub const FILE_NAME: &str = "dedup.redb";

pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    path: PathBuf,
    matcher: Matcher,
    clock: Clock,
    batch: Mutex<Batch>,
}

/// The open write transaction and what is not yet durable.
struct Batch {
    tx: Option<WriteTransaction>,
    steps: usize,
    unsynced: bool,
    last_sync: Instant,
}

/// redb's errors, with the file they concern.
trait OrIo<T> {
    fn or_io(self, path: &Path) -> Result<T, DedupError>;
}

impl<T, E: std::fmt::Display> OrIo<T> for Result<T, E> {
    fn or_io(self, path: &Path) -> Result<T, DedupError> {
        self.map_err(|e| DedupError::Io(format!("{}: {e}", path.display())))
    }
}

impl EmbeddedStore {
    /// Open (or create) the store in directory `dir`.
    pub fn open(dir: &Path, matcher: Matcher, clock: Clock) -> Result<Self, DedupError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| DedupError::Io(format!("cannot create dedup state directory {}: {e}", dir.display())))?;
        let path = dir.join(FILE_NAME);
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(&path).or_io(&path)?;
        let batch = Mutex::new(Batch { tx: None, steps: 0, unsynced: false, last_sync: Instant::now() });
        let inner = Arc::new(Inner { db, path, matcher, clock, batch });
        // Create the tables up front so read-only calls (len) find them.
        inner.write(true, |_| Ok(()))?;
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("dedup-sync".into())
            .spawn(move || sync_loop(weak))
            .map_err(|e| DedupError::Io(format!("cannot start the dedup sync thread: {e}")))?;
        Ok(EmbeddedStore { inner })
    }

    pub fn file(&self) -> &Path {
        &self.inner.path
    }
}

/// Make unsynced steps durable every [`SYNC_INTERVAL`]; ends with the store.
fn sync_loop(inner: Weak<Inner>) {
    loop {
        std::thread::sleep(SYNC_INTERVAL);
        let Some(inner) = inner.upgrade() else { return };
        if let Err(e) = inner.sync_if_due() {
            tracing::warn!(error = %e, "dedup store: periodic sync failed");
        }
    }
}

impl Inner {
    fn sync_if_due(&self) -> Result<(), DedupError> {
        let mut batch = lock(&self.batch);
        if batch.last_sync.elapsed() >= SYNC_INTERVAL && (batch.unsynced || batch.tx.is_some()) {
            self.commit(&mut batch, true)?;
        }
        Ok(())
    }

    fn commit(&self, batch: &mut Batch, durable: bool) -> Result<(), DedupError> {
        let tx = match batch.tx.take() {
            Some(tx) => Some(tx),
            // Nothing open but earlier commits are not durable: an empty
            // durable commit persists them.
            None if durable && batch.unsynced => Some(self.db.begin_write().or_io(&self.path)?),
            None => None,
        };
        if let Some(mut tx) = tx {
            tx.set_durability(if durable { Durability::Immediate } else { Durability::None }).or_io(&self.path)?;
            tx.commit().or_io(&self.path)?;
        }
        batch.steps = 0;
        if durable {
            batch.unsynced = false;
            batch.last_sync = Instant::now();
        } else {
            batch.unsynced = true;
        }
        Ok(())
    }

    fn write<T>(&self, force_sync: bool, step: impl FnOnce(&mut RedbTables<'_>) -> Result<T, DedupError>) -> Result<T, DedupError> {
        let mut batch = lock(&self.batch);
        if batch.tx.is_none() {
            batch.tx = Some(self.db.begin_write().or_io(&self.path)?);
        }
        let result = match batch.tx.as_ref() {
            Some(tx) => Self::run_step(tx, &self.path, step),
            None => Err(DedupError::Io("no write transaction".into())),
        };
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                // A failed step may have half-written: drop the whole
                // uncommitted batch rather than commit it.
                if let Some(tx) = batch.tx.take() {
                    let _ = tx.abort();
                }
                batch.steps = 0;
                return Err(e);
            }
        };
        batch.steps += 1;
        if force_sync || batch.last_sync.elapsed() >= SYNC_INTERVAL {
            self.commit(&mut batch, true)?;
        } else if batch.steps >= BATCH_OPS {
            self.commit(&mut batch, false)?;
        }
        Ok(out)
    }

    fn run_step<T>(tx: &WriteTransaction, path: &Path, step: impl FnOnce(&mut RedbTables<'_>) -> Result<T, DedupError>) -> Result<T, DedupError> {
        let mut tables = RedbTables {
            entries: tx.open_table(ENTRIES).or_io(path)?,
            exact: tx.open_table(EXACT).or_io(path)?,
            anchors: tx.open_multimap_table(ANCHORS).or_io(path)?,
            articles: tx.open_multimap_table(ARTICLES).or_io(path)?,
            expiry: tx.open_table(EXPIRY).or_io(path)?,
            meta: tx.open_table(META).or_io(path)?,
            path,
        };
        step(&mut tables)
    }
}

struct RedbTables<'t> {
    entries: Table<'t, u64, &'static [u8]>,
    exact: Table<'t, &'static [u8], u64>,
    anchors: MultimapTable<'t, u64, u64>,
    articles: MultimapTable<'t, &'static str, u64>,
    expiry: Table<'t, (i64, u64), ()>,
    meta: Table<'t, &'static str, u64>,
    path: &'t Path,
}

impl RedbTables<'_> {
    /// An entry is stored as its expiry day (8 bytes) and its record, so
    /// removal finds its expiry key even if `window_days` changed since.
    fn entry_with_expiry(&mut self, id: u64) -> Result<Option<(Entry, i64)>, DedupError> {
        let Some(bytes) = self.entries.get(id).or_io(self.path)? else { return Ok(None) };
        let bytes = bytes.value();
        let day: [u8; 8] = bytes.get(..8).and_then(|b| b.try_into().ok()).ok_or_else(|| DedupError::Io(format!("{}: corrupt entry {id}", self.path.display())))?;
        Ok(Some((Entry::decode(&bytes[8..])?, i64::from_le_bytes(day))))
    }
}

impl Lookup for RedbTables<'_> {
    fn exact(&mut self, hash: &[u8; 32]) -> Result<Option<Entry>, DedupError> {
        let id = self.exact.get(&hash[..16]).or_io(self.path)?.map(|g| g.value());
        match id {
            Some(id) => self.entry(id),
            None => Ok(None),
        }
    }

    fn postings(&mut self, anchor: u64) -> Result<Vec<u64>, DedupError> {
        self.anchors.get(anchor).or_io(self.path)?.map(|v| v.map(|g| g.value()).or_io(self.path)).collect()
    }

    fn entry(&mut self, id: u64) -> Result<Option<Entry>, DedupError> {
        Ok(self.entry_with_expiry(id)?.map(|(e, _)| e))
    }
}

impl Tables for RedbTables<'_> {
    fn insert(&mut self, entry: &Entry, expiry_day: i64) -> Result<u64, DedupError> {
        let id = self.meta.get("next_id").or_io(self.path)?.map(|g| g.value()).unwrap_or(0);
        self.meta.insert("next_id", id + 1).or_io(self.path)?;
        let mut value = expiry_day.to_le_bytes().to_vec();
        value.extend_from_slice(&entry.encode());
        self.entries.insert(id, value.as_slice()).or_io(self.path)?;
        self.exact.insert(&entry.fp.exact[..16], id).or_io(self.path)?;
        let mut indexed = 0;
        for a in &entry.fp.anchors {
            if self.anchors.get(*a).or_io(self.path)?.len() < POSTING_CAP as u64 {
                self.anchors.insert(*a, id).or_io(self.path)?;
                indexed += 1;
                if indexed == INDEXED_ANCHORS {
                    break;
                }
            }
        }
        self.articles.insert(entry.article_id.as_str(), id).or_io(self.path)?;
        self.expiry.insert((expiry_day, id), ()).or_io(self.path)?;
        Ok(id)
    }

    fn remove(&mut self, id: u64) -> Result<(), DedupError> {
        let Some((entry, expiry_day)) = self.entry_with_expiry(id)? else { return Ok(()) };
        self.entries.remove(id).or_io(self.path)?;
        let key = &entry.fp.exact[..16];
        if self.exact.get(key).or_io(self.path)?.map(|g| g.value()) == Some(id) {
            self.exact.remove(key).or_io(self.path)?;
        }
        for a in &entry.fp.anchors {
            self.anchors.remove(*a, id).or_io(self.path)?;
        }
        self.articles.remove(entry.article_id.as_str(), id).or_io(self.path)?;
        self.expiry.remove((expiry_day, id)).or_io(self.path)?;
        Ok(())
    }

    fn expired(&mut self, day: i64, limit: usize) -> Result<Vec<u64>, DedupError> {
        let range = self.expiry.range((i64::MIN, 0)..(day, 0)).or_io(self.path)?;
        range.take(limit).map(|r| r.map(|(k, _)| k.value().1).or_io(self.path)).collect()
    }

    fn ids_of(&mut self, article_id: &str) -> Result<Vec<u64>, DedupError> {
        self.articles.get(article_id).or_io(self.path)?.map(|v| v.map(|g| g.value()).or_io(self.path)).collect()
    }
}

impl DedupStore for EmbeddedStore {
    fn check_and_insert(&self, fp: &Fingerprint, key: &DedupKey<'_>) -> Result<Verdict, DedupError> {
        let inner = &*self.inner;
        let now = (inner.clock)();
        inner.write(false, |t| index::check_and_insert_in(t, &inner.matcher, fp, key, now))
    }

    fn forget(&self, article_id: &str) -> Result<(), DedupError> {
        self.inner.write(true, |t| index::forget_in(t, article_id))
    }

    fn len(&self) -> Result<u64, DedupError> {
        let path = &self.inner.path;
        {
            // Readers see commits only: commit the open batch first.
            let mut batch = lock(&self.inner.batch);
            if batch.tx.is_some() {
                self.inner.commit(&mut batch, false)?;
            }
        }
        let tx = self.inner.db.begin_read().or_io(path)?;
        let table = tx.open_table(ENTRIES).or_io(path)?;
        table.len().or_io(path)
    }

    fn backend(&self) -> &'static str {
        "embedded"
    }

    fn flush(&self) -> Result<(), DedupError> {
        let mut batch = lock(&self.inner.batch);
        self.inner.commit(&mut batch, true)
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "dedup store: final sync failed; the last inserts may be lost");
        }
    }
}
