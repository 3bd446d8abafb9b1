//! Redis store, shared by the replicas of one consumer group.
//!
//! The lookup (exact key, anchor postings, candidate records) is read and
//! judged here with the same [`Matcher`] as the other stores; the insert is
//! a Lua script that runs only if nothing that could match was inserted
//! since the read (optimistic concurrency on a global sequence: ids grow,
//! postings are scored by id). On a conflict the lookup runs again, so two
//! replicas racing on one story keep exactly one. Every key carries a TTL
//! of the window, so Redis memory is bounded by the window's traffic.
//!
//! Keys under `dedup.redis_key_prefix` (P): `P:seq` (id counter), `P:e:ID`
//! (record), `P:x:HASH` (exact content hash → id), `P:a:ANCHOR` (sorted set
//! of ids), `P:art:ARTICLE` (ids of an article, for `forget`), `P:n:DAY`
//! (entries expiring that day, for `len`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use redis::{Connection, Script};

use super::fingerprint::INDEXED_ANCHORS;
use super::index::{Decision, Entry, Lookup, Matcher, DAY_SECONDS, POSTING_CAP};
use super::{lock, Clock, DedupError, DedupKey, DedupStore, Fingerprint, Verdict};
use crate::config::DedupConfig;

/// Lookups repeated after losing a race before giving up (as Unavailable,
/// so the failure policy applies).
const MAX_CONFLICTS: usize = 8;
/// Idle connections kept for reuse.
const POOL_SIZE: usize = 8;

const INSERT_LUA: &str = r"
local seen = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur ~= seen then
  if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
  for i = 5, #KEYS do
    if #redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. seen, '+inf', 'LIMIT', 0, 1) > 0 then return -1 end
  end
end
local id = redis.call('INCR', KEYS[1])
local exp = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
redis.call('SET', ARGV[5] .. id, ARGV[2], 'EXAT', exp)
redis.call('SET', KEYS[2], id, 'EXAT', exp)
redis.call('SADD', KEYS[3], id)
redis.call('EXPIREAT', KEYS[3], exp)
redis.call('INCR', KEYS[4])
redis.call('EXPIREAT', KEYS[4], exp + 86400)
local indexed = 0
local wanted = tonumber(ARGV[6])
for i = 5, #KEYS do
  if indexed < wanted and redis.call('ZCARD', KEYS[i]) < cap then
    redis.call('ZADD', KEYS[i], id, id)
    redis.call('EXPIREAT', KEYS[i], exp)
    indexed = indexed + 1
  end
end
return id
";

const FORGET_LUA: &str = r"
local id = ARGV[1]
if redis.call('DEL', KEYS[1]) == 1 then
  if redis.call('GET', KEYS[2]) == id then redis.call('DEL', KEYS[2]) end
  redis.call('SREM', KEYS[3], id)
  if tonumber(redis.call('GET', KEYS[4]) or '0') > 0 then redis.call('DECR', KEYS[4]) end
  for i = 5, #KEYS do redis.call('ZREM', KEYS[i], id) end
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
            insert: Script::new(INSERT_LUA),
            forget: Script::new(FORGET_LUA),
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

    fn exact_key(&self, exact: &[u8; 32]) -> String {
        self.key("x", hex::encode(&exact[..16]))
    }

    fn anchor_key(&self, anchor: u64) -> String {
        self.key("a", format!("{anchor:016x}"))
    }

    fn count_key(&self, day: i64) -> String {
        self.key("n", day)
    }

    fn attempt(&self, con: &mut Connection, fp: &Fingerprint, key: &DedupKey<'_>, now: i64) -> redis::RedisResult<Option<Verdict>> {
        let mut pipe = redis::pipe();
        pipe.get(self.key("seq", "")).get(self.exact_key(&fp.exact));
        for a in &fp.anchors {
            pipe.zrange(self.anchor_key(*a), 0, -1);
        }
        let (seq, exact, postings): (Option<u64>, Option<u64>, Vec<Vec<u64>>) = {
            let mut values: Vec<redis::Value> = pipe.query(con)?;
            if values.len() != 2 + fp.anchors.len() {
                return Err(redis::RedisError::from((redis::ErrorKind::Client, "unexpected pipeline reply length")));
            }
            let rest = values.split_off(2);
            let mut head = values.into_iter();
            let seq = redis::from_redis_value(head.next().unwrap_or(redis::Value::Nil))?;
            let exact = redis::from_redis_value(head.next().unwrap_or(redis::Value::Nil))?;
            let postings = rest.into_iter().map(redis::from_redis_value).collect::<Result<_, _>>()?;
            (seq, exact, postings)
        };
        let seen = seq.unwrap_or(0);
        let mut snapshot = Snapshot { store: self, con, exact, postings: fp.anchors.iter().copied().zip(postings).collect(), error: None };
        let decision = self.matcher.decide(&mut snapshot, fp, key, now);
        if let Some(e) = snapshot.error.take() {
            return Err(e);
        }
        let decision = decision.map_err(|e| redis::RedisError::from((redis::ErrorKind::Client, "dedup record", e.to_string())))?;
        if decision != Decision::Insert {
            return Ok(Some(decision.verdict()));
        }
        let entry = self.matcher.entry(fp, key, now);
        let expire_at = entry.stamp_unix.saturating_add(self.matcher.window_secs);
        let mut inv = self.insert.prepare_invoke();
        inv.key(self.key("seq", ""))
            .key(self.exact_key(&fp.exact))
            .key(self.key("art", key.article_id))
            .key(self.count_key(expire_at.div_euclid(DAY_SECONDS)));
        for a in &fp.anchors {
            inv.key(self.anchor_key(*a));
        }
        inv.arg(seen).arg(entry.encode()).arg(expire_at).arg(POSTING_CAP).arg(self.key("e", "")).arg(INDEXED_ANCHORS);
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
        let got: redis::RedisResult<Option<Vec<u8>>> = redis::cmd("GET").arg(self.store.key("e", id)).query(self.con);
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
        self.with_con(|con| {
            let ids: Vec<u64> = redis::cmd("SMEMBERS").arg(self.key("art", article_id)).query(con)?;
            for id in ids {
                let Some(bytes): Option<Vec<u8>> = redis::cmd("GET").arg(self.key("e", id)).query(con)? else { continue };
                let Ok(entry) = Entry::decode(&bytes) else { continue };
                let expire_at = entry.stamp_unix.saturating_add(self.matcher.window_secs);
                let mut inv = self.forget.prepare_invoke();
                inv.key(self.key("e", id))
                    .key(self.exact_key(&entry.fp.exact))
                    .key(self.key("art", article_id))
                    .key(self.count_key(expire_at.div_euclid(DAY_SECONDS)));
                for a in &entry.fp.anchors {
                    inv.key(self.anchor_key(*a));
                }
                inv.arg(id);
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
