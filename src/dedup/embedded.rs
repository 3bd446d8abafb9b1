//! Embedded persistent store (the default): the shared index in one redb
//! file under `dedup.path`. Each check-and-insert is one write transaction,
//! so a crash leaves the last committed state; commits are fsynced at most
//! every [`SYNC_INTERVAL`] (group commit) and on [`DedupStore::flush`] / drop,
//! which keeps throughput far above one fsync per article.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redb::{
    Database, Durability, MultimapTable, MultimapTableDefinition, ReadableDatabase, ReadableMultimapTable, ReadableTable,
    ReadableTableMetadata, Table,
    TableDefinition, WriteTransaction,
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

/// Longest time an acknowledged insert may stay only in memory.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(100);
/// redb page cache; the index lives on disk, the cache keeps the hot upper
/// B-tree levels so lookups stay fast without growing the RSS.
const CACHE_BYTES: usize = 256 << 20;
pub const FILE_NAME: &str = "dedup.redb";

pub struct EmbeddedStore {
    db: Database,
    path: PathBuf,
    matcher: Matcher,
    clock: Clock,
    last_sync: Mutex<Instant>,
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
        let store = EmbeddedStore { db, path, matcher, clock, last_sync: Mutex::new(Instant::now()) };
        // Create the tables up front so read-only calls (len) find them.
        store.write(true, |_| Ok(()))?;
        Ok(store)
    }

    pub fn file(&self) -> &Path {
        &self.path
    }

    fn write<T>(&self, force_sync: bool, step: impl FnOnce(&mut RedbTables<'_>) -> Result<T, DedupError>) -> Result<T, DedupError> {
        let mut last_sync = lock(&self.last_sync);
        let mut tx: WriteTransaction = self.db.begin_write().or_io(&self.path)?;
        let sync = force_sync || last_sync.elapsed() >= SYNC_INTERVAL;
        tx.set_durability(if sync { Durability::Immediate } else { Durability::None }).or_io(&self.path)?;
        let out = {
            let mut tables = RedbTables {
                entries: tx.open_table(ENTRIES).or_io(&self.path)?,
                exact: tx.open_table(EXACT).or_io(&self.path)?,
                anchors: tx.open_multimap_table(ANCHORS).or_io(&self.path)?,
                articles: tx.open_multimap_table(ARTICLES).or_io(&self.path)?,
                expiry: tx.open_table(EXPIRY).or_io(&self.path)?,
                meta: tx.open_table(META).or_io(&self.path)?,
                path: &self.path,
            };
            step(&mut tables)?
        };
        tx.commit().or_io(&self.path)?;
        if sync {
            *last_sync = Instant::now();
        }
        Ok(out)
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
        let now = (self.clock)();
        self.write(false, |t| index::check_and_insert_in(t, &self.matcher, fp, key, now))
    }

    fn forget(&self, article_id: &str) -> Result<(), DedupError> {
        self.write(true, |t| index::forget_in(t, article_id))
    }

    fn len(&self) -> Result<u64, DedupError> {
        let tx = self.db.begin_read().or_io(&self.path)?;
        let table = tx.open_table(ENTRIES).or_io(&self.path)?;
        table.len().or_io(&self.path)
    }

    fn backend(&self) -> &'static str {
        "embedded"
    }

    fn flush(&self) -> Result<(), DedupError> {
        self.write(true, |_| Ok(()))
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "dedup store: final sync failed; the last inserts may be lost");
        }
    }
}
