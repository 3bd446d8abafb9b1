//! The embedded store's in-memory answer to "might this index key exist?".
//!
//! Why: a check reads ~34 index keys (the content hash, 32 anchors, the
//! article id) and nearly all of them are absent — most anchors of a new
//! story are new. In the LSM tree even an absent key costs a memtable
//! skiplist search plus a filter probe per level, 5–7 µs; this Bloom filter
//! answers "absent" in a few cache misses, so only keys that probably exist
//! reach the tree. It is a superset of the keys in the tree: inserts are
//! added, removals are not (a stale "maybe" costs one tree read, nothing
//! else), and it is rebuilt from the tree when it has taken in more keys
//! than it was sized for (on an endless stream with a window, about every
//! half a window of inserts) and on open.

use fastbloom::BloomFilter;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// False-positive rate the filter is sized for: 1 % of absent keys still
/// cost a tree read; ~9.6 bits a key.
const FALSE_POSITIVE_RATE: f64 = 0.01;
/// Smallest filter: 1 M keys (~1.2 MB), so small stores do not rebuild
/// every few hundred inserts.
const MIN_KEYS: u64 = 1 << 20;
/// Room for growth when sizing, as a multiple of the keys the tree holds.
const HEADROOM: f64 = 1.5;
const SEED: u128 = 0x7a68_616f_7368_616e_675f_6b65_7973_0001;

pub struct KeyFilter {
    bloom: BloomFilter,
    capacity: u64,
    keys: u64,
}

/// The filter's hash of an index key; `space` keeps equal bytes in
/// different keyspaces apart.
pub fn key_hash(space: u8, key: &[u8]) -> u64 {
    xxh3_64_with_seed(key, u64::from(space))
}

impl KeyFilter {
    /// A filter with room for `expected` keys plus headroom.
    pub fn sized_for(expected: u64) -> Self {
        let capacity = ((expected as f64 * HEADROOM) as u64).max(MIN_KEYS);
        let items = usize::try_from(capacity).unwrap_or(usize::MAX);
        let bloom = BloomFilter::with_false_pos(FALSE_POSITIVE_RATE).seed(&SEED).expected_items(items);
        KeyFilter { bloom, capacity, keys: 0 }
    }

    pub fn may_contain(&self, hash: u64) -> bool {
        self.bloom.contains_hash(hash)
    }

    pub fn insert(&mut self, hash: u64) {
        self.bloom.insert_hash(hash);
        self.keys += 1;
    }

    /// More keys went in than it was sized for: its false-positive rate is
    /// climbing, time to rebuild from the tree.
    pub fn is_full(&self) -> bool {
        self.keys > self.capacity
    }

    pub fn bytes(&self) -> usize {
        self.bloom.num_bits() / 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_forgets_a_key_and_rarely_invents_one() {
        let mut f = KeyFilter::sized_for(100_000);
        let keys: Vec<u64> = (0..100_000u64).map(|i| key_hash(2, &i.to_be_bytes())).collect();
        keys.iter().for_each(|h| f.insert(*h));
        assert!(keys.iter().all(|h| f.may_contain(*h)));
        let invented = (100_000..200_000u64).filter(|i| f.may_contain(key_hash(2, &i.to_be_bytes()))).count();
        assert!(invented < 2_000, "{invented} false positives in 100 000");
    }

    #[test]
    fn the_keyspace_is_part_of_the_key() {
        assert_ne!(key_hash(1, b"abc"), key_hash(2, b"abc"));
    }

    #[test]
    fn fills_up_past_its_capacity() {
        let mut f = KeyFilter::sized_for(0);
        assert!(!f.is_full());
        (0..=MIN_KEYS).for_each(|i| f.insert(i));
        assert!(f.is_full());
    }
}
