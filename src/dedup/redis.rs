//! Redis store, shared by the replicas of one consumer group.
//!
//! The lookup (exact key, anchor postings, candidate records) is read and
//! judged here with the same [`Matcher`] as the other stores; the insert is
//! a Lua script that runs only if nothing that could match was inserted
//! since the read (optimistic concurrency on a global sequence: ids grow).
//! On a conflict the lookup runs again, so two replicas racing on one story
//! keep exactly one.
//!
//! Layout, compact so that 10 M articles fit in a few GB: a Redis key costs
//! ~70 bytes of its own, so small things share keys as fields of hashes
//! (listpack-encoded while small: ~10 bytes a field). Under prefix P, with
//! generation G = insertion time / window:
//! - `P:seq` id counter;
//! - `P:e:ID/64` hash, field ID%64 → record ([`Entry::encode`]);
//! - `P:x:G:B` hash, B = 18 bits of the content hash, field = the hash key
//!   (16 bytes) → id;
//! - `P:b:G:B` hash, B = 22 bits of a hash of the anchor, field = the
//!   anchor (8 bytes) → ids, comma-separated (one id is stored as an
//!   integer);
//! - `P:art:G:B` hash, B = 18 bits of a hash of the article id, field =
//!   article id → ids (for `forget`);
//! - `P:n:DAY` count of the entries expiring that day (for `len`);
//! - `P:recent` hash, field ID%4096 → the keys that insert ID stored
//!   (for the race check of [`INSERT_LUA`]).
//!
//! Lookups read generations G and G−1, which hold every entry inserted
//! within the last window. A generation's keys expire when the next
//! generation ends, as lookups stop reading them then; record hashes at the
//! latest expiry among their records. Memory is bounded by at most two
//! windows of traffic. (An article whose
//! time lies more than a window ahead of its arrival stays stored until it
//! expires but is found only while its generation is read.) Postings are
//! capped at [`POSTING_CAP`] over both generations.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use redis::{Connection, Script};
use xxhash_rust::xxh3::xxh3_64;

use super::fingerprint::INDEXED_ANCHORS;
use super::index::{Decision, Entry, Lookup, Matcher, DAY_SECONDS, EXACT_KEY_BYTES, POSTING_CAP};
use super::{lock, Clock, DedupError, DedupKey, DedupStore, Fingerprint, Verdict};
use crate::config::DedupConfig;

/// Lookups repeated after losing a race before giving up (as Unavailable,
/// so the failure policy applies).
const MAX_CONFLICTS: usize = 8;
/// Idle connections kept for reuse.
const POOL_SIZE: usize = 8;
/// Records per record hash.
const RECORDS_PER_KEY: u64 = 64;
/// Inserts remembered for the race check (see [`INSERT_LUA`]): far more
/// than replicas can make between one's read and its insert.
const RECENT: u64 = 4096;
/// Bucket bits: at 10 M articles a generation's buckets hold ~40 fields,
/// well inside Redis' listpack limit (hash-max-listpack-entries, 128 by
/// default); below it a field costs ~10 bytes instead of ~70.
const ANCHOR_BUCKET_BITS: u32 = 22;
const EXACT_BUCKET_BITS: u32 = 18;
const ARTICLE_BUCKET_BITS: u32 = 18;

/// Shared Lua helpers on comma-separated id lists, and extending a key's
/// expiry to at least `exp`.
const LUA_HELPERS: &str = r"
local function newer(v, seen)
  if not v then return false end
  for x in string.gmatch(v, '[^,]+') do
    if tonumber(x) > seen then return true end
  end
  return false
end
local function without(v, id)
  local out = {}
  for x in string.gmatch(v, '[^,]+') do
    if x ~= id then out[#out + 1] = x end
  end
  return table.concat(out, ',')
end
local function extend(k, exp)
  if redis.call('EXPIRETIME', k) < exp then redis.call('EXPIREAT', k, exp) end
end
local function append(k, f, id, exp)
  local v = redis.call('HGET', k, f)
  if v then redis.call('HSET', k, f, v .. ',' .. id) else redis.call('HSET', k, f, id) end
  redis.call('EXPIREAT', k, exp)
end
local function remove(k, f, id)
  local v = redis.call('HGET', k, f)
  if not v then return end
  local rest = without(v, id)
  if rest == '' then redis.call('HDEL', k, f) else redis.call('HSET', k, f, rest) end
end
";

/// KEYS: seq, exact (cur, prev), article (cur), count, recent, then for
/// each of the fingerprint's anchors its bucket (cur, prev). ARGV: seen
/// seq, record, the record's expire-at, record key prefix, exact field,
/// article field, number of anchors, the generation's expire-at, the anchor
/// fields, then the 1-based indexes of the anchors to index (chosen from
/// the read, under the cap).
///
/// The race check asks whether an insert since the read (ids seen+1..cur)
/// stored this content hash or one of these anchors. Those inserts are
/// looked up in `recent` (the last [`RECENT`] inserts' keys, by id), a few
/// reads instead of re-reading every field of the lookup; the full re-read
/// remains for when they are no longer all there.
const INSERT_LUA: &str = r"
local seen = tonumber(ARGV[1])
local exp = tonumber(ARGV[3])
local n = tonumber(ARGV[7])
local gen_exp = tonumber(ARGV[8])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local function reread()
  if newer(redis.call('HGET', KEYS[2], ARGV[5]), seen) or newer(redis.call('HGET', KEYS[3], ARGV[5]), seen) then return true end
  for i = 1, n do
    local f = ARGV[8 + i]
    if newer(redis.call('HGET', KEYS[5 + 2 * i], f), seen) or newer(redis.call('HGET', KEYS[6 + 2 * i], f), seen) then return true end
  end
  return false
end
local function clashes()
  if cur - seen > RECENT then return reread() end
  local mine = {[ARGV[5]] = true}
  for i = 1, n do mine[ARGV[8 + i]] = true end
  for id = seen + 1, cur do
    local v = redis.call('HGET', KEYS[6], id % RECENT)
    local c = v and string.find(v, ':', 1, true)
    if not c or tonumber(string.sub(v, 1, c - 1)) ~= id then return reread() end
    if mine[string.sub(v, c + 1, c + 16)] then return true end
    for k = c + 17, #v, 8 do
      if mine[string.sub(v, k, k + 7)] then return true end
    end
  end
  return false
end
if cur ~= seen and clashes() then return -1 end
local id = redis.call('INCR', KEYS[1])
local rk = ARGV[4] .. math.floor(id / 64)
redis.call('HSET', rk, id % 64, ARGV[2])
extend(rk, exp)
redis.call('HSET', KEYS[2], ARGV[5], id)
redis.call('EXPIREAT', KEYS[2], gen_exp)
append(KEYS[4], ARGV[6], id, gen_exp)
redis.call('INCR', KEYS[5])
redis.call('EXPIREAT', KEYS[5], exp + 86400)
local keys = {id, ':', ARGV[5]}
for j = 9 + n, #ARGV do
  local i = tonumber(ARGV[j])
  append(KEYS[5 + 2 * i], ARGV[8 + i], id, gen_exp)
  keys[#keys + 1] = ARGV[8 + i]
end
redis.call('HSET', KEYS[6], id % RECENT, table.concat(keys))
redis.call('EXPIREAT', KEYS[6], exp)
return id
";

/// KEYS: record hash, exact (cur, prev), article (cur, prev), count, then
/// per stored anchor its bucket (cur, prev). ARGV: id, record field, exact
/// field, article field, the anchor fields.
const FORGET_LUA: &str = r"
local id = ARGV[1]
if redis.call('HDEL', KEYS[1], ARGV[2]) == 1 then
  for i = 2, 3 do
    if redis.call('HGET', KEYS[i], ARGV[3]) == id then redis.call('HDEL', KEYS[i], ARGV[3]) end
  end
  remove(KEYS[4], ARGV[4], id)
  remove(KEYS[5], ARGV[4], id)
  if tonumber(redis.call('GET', KEYS[6]) or '0') > 0 then redis.call('DECR', KEYS[6]) end
  for i = 5, #ARGV do
    remove(KEYS[2 * i - 3], ARGV[i], id)
    remove(KEYS[2 * i - 2], ARGV[i], id)
  end
end
return 1
";

pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    matcher: Matcher,
    clock: Clock,
    pool: Mutex<Vec<Connection>>,
    insert: Script,
    forget: Script,
}

fn unavailable(e: redis::RedisError) -> DedupError {
    DedupError::Unavailable(format!("redis: {e}"))
}

fn parse_ids(v: Option<Vec<u8>>) -> Vec<u64> {
    let Some(v) = v else { return Vec::new() };
    v.split(|b| *b == b',').filter_map(|x| std::str::from_utf8(x).ok()?.parse().ok()).collect()
}

impl RedisStore {
    /// Connects once, so a wrong URL or a dead server shows at startup.
    pub fn open(config: &DedupConfig, matcher: Matcher, clock: Clock) -> Result<Self, DedupError> {
        let client = redis::Client::open(config.redis_url.as_str())
            .map_err(|e| DedupError::Config(format!("dedup.redis_url {:?}: {e}", config.redis_url)))?;
        let store = RedisStore {
            client,
            prefix: config.redis_key_prefix.clone(),
            timeout: Duration::from_millis(config.redis_timeout_ms.max(1)),
            matcher,
            clock,
            pool: Mutex::new(Vec::new()),
            insert: Script::new(&format!("local RECENT = {RECENT}\n{LUA_HELPERS}{INSERT_LUA}")),
            forget: Script::new(&format!("{LUA_HELPERS}{FORGET_LUA}")),
        };
        let con = store.connect()?;
        store.give_back(con);
        Ok(store)
    }

    fn connect(&self) -> Result<Connection, DedupError> {
        if let Some(con) = lock(&self.pool).pop() {
            return Ok(con);
        }
        let con = self.client.get_connection_with_timeout(self.timeout).map_err(unavailable)?;
        con.set_read_timeout(Some(self.timeout)).map_err(unavailable)?;
        con.set_write_timeout(Some(self.timeout)).map_err(unavailable)?;
        Ok(con)
    }

    fn give_back(&self, con: Connection) {
        let mut pool = lock(&self.pool);
        if pool.len() < POOL_SIZE {
            pool.push(con);
        }
    }

    /// Run `f` on a pooled connection; a connection that failed is dropped.
    fn with_con<T>(&self, f: impl FnOnce(&mut Connection) -> redis::RedisResult<T>) -> Result<T, DedupError> {
        let mut con = self.connect()?;
        let out = f(&mut con).map_err(unavailable)?;
        self.give_back(con);
        Ok(out)
    }

    fn key(&self, kind: &str, rest: impl std::fmt::Display) -> String {
        format!("{}:{kind}:{rest}", self.prefix)
    }

    fn generation(&self, now: i64) -> i64 {
        now.div_euclid(self.matcher.window_secs.max(1))
    }

    /// When the keys of generation `gen` may go: lookups read it until the
    /// end of the next one, and no longer.
    fn generation_expiry(&self, gen: i64) -> i64 {
        gen.saturating_add(2).saturating_mul(self.matcher.window_secs.max(1))
    }

    /// The bucket keys of the current and the previous generation.
    fn pair(&self, kind: &str, bucket: u64, gen: i64) -> [String; 2] {
        [self.key(kind, format_args!("{gen}:{bucket:x}")), self.key(kind, format_args!("{}:{bucket:x}", gen - 1))]
    }

    fn exact_keys(&self, exact: &[u8; 32], gen: i64) -> [String; 2] {
        let head: [u8; 8] = exact[..8].try_into().unwrap_or_default();
        self.pair("x", u64::from_be_bytes(head) >> (64 - EXACT_BUCKET_BITS), gen)
    }

    /// Anchors are an article's smallest shingle hashes, so their top bits
    /// are mostly zero: bucketed by those, a few thousand buckets took all
    /// anchors, outgrew the listpack encoding and cost ~1.7 KB per article.
    /// Buckets go by a hash of the anchor instead (kind `b`: the layout of
    /// kind `a` is not read, and expires by itself).
    fn anchor_keys(&self, anchor: u64, gen: i64) -> [String; 2] {
        self.pair("b", xxh3_64(&anchor.to_be_bytes()) >> (64 - ANCHOR_BUCKET_BITS), gen)
    }

    fn article_keys(&self, article_id: &str, gen: i64) -> [String; 2] {
        self.pair("art", xxh3_64(article_id.as_bytes()) >> (64 - ARTICLE_BUCKET_BITS), gen)
    }

    fn record_key(&self, id: u64) -> (String, u64) {
        (self.key("e", id / RECORDS_PER_KEY), id % RECORDS_PER_KEY)
    }

    fn count_key(&self, day: i64) -> String {
        self.key("n", day)
    }

    fn attempt(&self, con: &mut Connection, fp: &Fingerprint, key: &DedupKey<'_>, now: i64) -> redis::RedisResult<Option<Verdict>> {
        let gen = self.generation(now);
        let exact_field = &fp.exact[..EXACT_KEY_BYTES];
        let exact_keys = self.exact_keys(&fp.exact, gen);
        let anchor_keys: Vec<[String; 2]> = fp.anchors.iter().map(|a| self.anchor_keys(*a, gen)).collect();
        let mut pipe = redis::pipe();
        pipe.get(self.key("seq", ""));
        for k in &exact_keys {
            pipe.hget(k, exact_field);
        }
        for (a, keys) in fp.anchors.iter().zip(&anchor_keys) {
            for k in keys {
                pipe.hget(k, &a.to_be_bytes()[..]);
            }
        }
        let mut values: Vec<Option<Vec<u8>>> = pipe.query(con)?;
        if values.len() != 3 + 2 * fp.anchors.len() {
            return Err(redis::RedisError::from((redis::ErrorKind::Client, "unexpected pipeline reply length")));
        }
        let mut values = values.drain(..);
        let seen: u64 = parse_ids(values.next().flatten()).first().copied().unwrap_or(0);
        let exact = {
            let cur = parse_ids(values.next().flatten());
            let prev = parse_ids(values.next().flatten());
            cur.first().or(prev.first()).copied()
        };
        let mut postings = HashMap::with_capacity(fp.anchors.len());
        for a in &fp.anchors {
            let mut ids = parse_ids(values.next().flatten());
            ids.extend(parse_ids(values.next().flatten()));
            postings.insert(*a, ids);
        }
        // The anchors to index: the first ones under the cap, as read.
        let indexed: Vec<usize> = fp
            .anchors
            .iter()
            .enumerate()
            .filter(|(_, a)| postings.get(a).is_none_or(|ids| ids.len() < POSTING_CAP))
            .map(|(i, _)| i)
            .take(INDEXED_ANCHORS)
            .collect();
        let mut snapshot = Snapshot { store: self, con, exact, postings, error: None };
        let decision = self.matcher.decide(&mut snapshot, fp, key, now);
        if let Some(e) = snapshot.error.take() {
            return Err(e);
        }
        let decision = decision.map_err(|e| redis::RedisError::from((redis::ErrorKind::Client, "dedup record", e.to_string())))?;
        if decision != Decision::Insert {
            return Ok(Some(decision.verdict()));
        }
        let mut entry = self.matcher.entry(fp, key, now);
        entry.fp.anchors = indexed.iter().map(|i| fp.anchors[*i]).collect();
        let expire_at = entry.stamp_unix.saturating_add(self.matcher.window_secs);
        let mut inv = self.insert.prepare_invoke();
        inv.key(self.key("seq", ""))
            .key(&exact_keys[0])
            .key(&exact_keys[1])
            .key(&self.article_keys(key.article_id, gen)[0])
            .key(self.count_key(expire_at.div_euclid(DAY_SECONDS)))
            .key(self.key("recent", ""));
        for keys in &anchor_keys {
            inv.key(&keys[0]).key(&keys[1]);
        }
        inv.arg(seen)
            .arg(entry.encode())
            .arg(expire_at)
            .arg(self.key("e", ""))
            .arg(exact_field)
            .arg(key.article_id)
            .arg(fp.anchors.len())
            .arg(self.generation_expiry(gen));
        for a in &fp.anchors {
            inv.arg(&a.to_be_bytes()[..]);
        }
        for i in &indexed {
            inv.arg(i + 1);
        }
        let id: i64 = inv.invoke(con)?;
        Ok((id >= 0).then_some(Verdict::Unique))
    }
}

/// The lookup's view of Redis: exact key and postings read in one
/// pipeline, candidate records fetched as the matcher asks for them.
struct Snapshot<'a> {
    store: &'a RedisStore,
    con: &'a mut Connection,
    exact: Option<u64>,
    postings: HashMap<u64, Vec<u64>>,
    /// A Redis failure while fetching a record: the attempt fails with it.
    error: Option<redis::RedisError>,
}

impl Lookup for Snapshot<'_> {
    fn exact(&mut self, _hash: &[u8; 32]) -> Result<Option<Entry>, DedupError> {
        match self.exact {
            Some(id) => self.entry(id),
            None => Ok(None),
        }
    }

    fn postings(&mut self, anchor: u64) -> Result<Vec<u64>, DedupError> {
        Ok(self.postings.get(&anchor).cloned().unwrap_or_default())
    }

    fn entry(&mut self, id: u64) -> Result<Option<Entry>, DedupError> {
        let (key, field) = self.store.record_key(id);
        let got: redis::RedisResult<Option<Vec<u8>>> = redis::cmd("HGET").arg(key).arg(field).query(self.con);
        match got {
            Ok(Some(bytes)) => Entry::decode(&bytes).map(Some),
            Ok(None) => Ok(None),
            Err(e) => {
                let message = e.to_string();
                self.error = Some(e);
                Err(DedupError::Unavailable(message))
            }
        }
    }
}

impl DedupStore for RedisStore {
    fn check_and_insert(&self, fp: &Fingerprint, key: &DedupKey<'_>) -> Result<Verdict, DedupError> {
        let now = (self.clock)();
        for _ in 0..MAX_CONFLICTS {
            if let Some(v) = self.with_con(|con| self.attempt(con, fp, key, now))? {
                return Ok(v);
            }
        }
        Err(DedupError::Unavailable(format!("redis: still racing other writers after {MAX_CONFLICTS} tries")))
    }

    fn forget(&self, article_id: &str) -> Result<(), DedupError> {
        let gen = self.generation((self.clock)());
        let article_keys = self.article_keys(article_id, gen);
        self.with_con(|con| {
            let mut ids = Vec::new();
            for k in &article_keys {
                ids.extend(parse_ids(redis::cmd("HGET").arg(k).arg(article_id).query(con)?));
            }
            for id in ids {
                let (record_key, field) = self.record_key(id);
                let Some(bytes): Option<Vec<u8>> = redis::cmd("HGET").arg(&record_key).arg(field).query(con)? else { continue };
                let Ok(entry) = Entry::decode(&bytes) else { continue };
                let expire_at = entry.stamp_unix.saturating_add(self.matcher.window_secs);
                let exact_keys = self.exact_keys(&entry.fp.exact, gen);
                let mut inv = self.forget.prepare_invoke();
                inv.key(&record_key)
                    .key(&exact_keys[0])
                    .key(&exact_keys[1])
                    .key(&article_keys[0])
                    .key(&article_keys[1])
                    .key(self.count_key(expire_at.div_euclid(DAY_SECONDS)));
                for a in &entry.fp.anchors {
                    let [cur, prev] = self.anchor_keys(*a, gen);
                    inv.key(cur).key(prev);
                }
                inv.arg(id).arg(field).arg(&entry.fp.exact[..EXACT_KEY_BYTES]).arg(article_id);
                for a in &entry.fp.anchors {
                    inv.arg(&a.to_be_bytes()[..]);
                }
                let _: i64 = inv.invoke(con)?;
            }
            Ok(())
        })
    }

    fn len(&self) -> Result<u64, DedupError> {
        let today = (self.clock)().div_euclid(DAY_SECONDS);
        let days = self.matcher.window_secs / DAY_SECONDS + 1;
        let keys: Vec<String> = (today..=today + days).map(|d| self.count_key(d)).collect();
        let counts: Vec<Option<u64>> = self.with_con(|con| redis::cmd("MGET").arg(&keys).query(con))?;
        Ok(counts.into_iter().flatten().sum())
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}
