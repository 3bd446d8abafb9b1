//! High-watermark offset tracking: which offset each partition may commit.
//!
//! Messages of one partition finish out of order (they are processed
//! concurrently). The committable offset of a partition is the lowest offset
//! still outstanding, or one past the highest seen when none is: a commit
//! never moves past a message whose outputs are not all acknowledged. This
//! is the invariant Vector's Kafka source breaks (its issues 24543, 24215).

use std::collections::{BTreeSet, HashMap};

/// A topic-partition.
pub type Tp = (String, i32);

/// The offsets to commit as librdkafka wants them: the next offset to read per partition.
pub fn partition_list<'a>(offsets: impl IntoIterator<Item = (&'a Tp, &'a i64)>) -> rdkafka::error::KafkaResult<rdkafka::TopicPartitionList> {
    let mut tpl = rdkafka::TopicPartitionList::new();
    for ((topic, partition), offset) in offsets {
        tpl.add_partition_offset(topic, *partition, rdkafka::Offset::Offset(*offset))?;
    }
    Ok(tpl)
}

#[derive(Debug, Default)]
struct PartitionState {
    /// Offsets received and not yet finished.
    pending: BTreeSet<i64>,
    /// One past the highest offset received.
    next: Option<i64>,
    /// The offset last handed out for commit.
    committed: Option<i64>,
}

impl PartitionState {
    fn watermark(&self) -> Option<i64> {
        self.pending.first().copied().or(self.next)
    }
}

#[derive(Debug, Default)]
pub struct OffsetTracker {
    parts: HashMap<Tp, PartitionState>,
}

impl OffsetTracker {
    /// A message was received and is now outstanding.
    pub fn track(&mut self, topic: &str, partition: i32, offset: i64) {
        let st = self.parts.entry((topic.to_owned(), partition)).or_default();
        st.pending.insert(offset);
        st.next = Some(st.next.map_or(offset + 1, |n| n.max(offset + 1)));
    }

    /// Every output of the message is acknowledged (or it went to the DLQ).
    /// Unknown partitions (revoked meanwhile) are ignored.
    pub fn done(&mut self, topic: &str, partition: i32, offset: i64) {
        if let Some(st) = self.parts.get_mut(&(topic.to_owned(), partition)) {
            st.pending.remove(&offset);
        }
    }

    /// Offsets to commit now: partitions whose watermark moved since the last
    /// commit. Marks them as committed; call [`Self::commit_failed`] if not.
    pub fn take_committable(&mut self) -> Vec<(Tp, i64)> {
        let mut out = Vec::new();
        for (tp, st) in &mut self.parts {
            if let Some(w) = st.watermark() {
                if st.committed.is_none_or(|c| w > c) {
                    st.committed = Some(w);
                    out.push((tp.clone(), w));
                }
            }
        }
        out.sort();
        out
    }

    /// The same, restricted to some partitions (on revocation).
    pub fn take_committable_for(&mut self, tps: &[Tp]) -> Vec<(Tp, i64)> {
        let mut out = Vec::new();
        for tp in tps {
            if let Some(st) = self.parts.get_mut(tp) {
                if let Some(w) = st.watermark() {
                    if st.committed.is_none_or(|c| w > c) {
                        st.committed = Some(w);
                        out.push((tp.clone(), w));
                    }
                }
            }
        }
        out
    }

    /// A commit did not go through: offer these partitions again next time.
    pub fn commit_failed(&mut self, tp: &Tp) {
        if let Some(st) = self.parts.get_mut(tp) {
            st.committed = None;
        }
    }

    /// Outstanding messages in these partitions (all when `tps` is `None`).
    pub fn pending(&self, tps: Option<&[Tp]>) -> usize {
        match tps {
            None => self.parts.values().map(|s| s.pending.len()).sum(),
            Some(tps) => tps.iter().filter_map(|tp| self.parts.get(tp)).map(|s| s.pending.len()).sum(),
        }
    }

    /// Forget everything (after the final commit on shutdown).
    pub fn clear(&mut self) {
        self.parts.clear();
    }

    /// The partitions left this consumer: forget them.
    pub fn revoke(&mut self, tps: &[Tp]) {
        for tp in tps {
            self.parts.remove(tp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> Tp {
        ("news.raw".to_owned(), p)
    }

    #[test]
    fn commit_stops_below_the_oldest_outstanding_message() {
        let mut t = OffsetTracker::default();
        for o in 10..15 {
            t.track("news.raw", 0, o);
        }
        t.done("news.raw", 0, 11);
        t.done("news.raw", 0, 12);
        assert_eq!(t.take_committable(), vec![(tp(0), 10)]);
        t.done("news.raw", 0, 10);
        assert_eq!(t.take_committable(), vec![(tp(0), 13)]);
        assert_eq!(t.take_committable(), vec![], "nothing moved");
        t.done("news.raw", 0, 14);
        t.done("news.raw", 0, 13);
        assert_eq!(t.take_committable(), vec![(tp(0), 15)]);
    }

    #[test]
    fn vector_24543_a_failed_message_holds_its_partition_back() {
        // Offsets 0..4 arrive; 1 fails (never marked done), the rest succeed.
        let mut t = OffsetTracker::default();
        for o in 0..4 {
            t.track("news.raw", 0, o);
        }
        for o in [0, 2, 3] {
            t.done("news.raw", 0, o);
        }
        assert_eq!(t.take_committable(), vec![(tp(0), 1)], "must not commit past offset 1");
    }

    #[test]
    fn partitions_are_independent_and_gaps_are_fine() {
        let mut t = OffsetTracker::default();
        t.track("news.raw", 0, 5);
        t.track("news.raw", 1, 100);
        t.track("news.raw", 1, 103); // compaction or transaction markers leave gaps
        t.done("news.raw", 1, 103);
        t.done("news.raw", 1, 100);
        assert_eq!(t.take_committable(), vec![(tp(0), 5), (tp(1), 104)]);
        assert_eq!(t.pending(None), 1);
        assert_eq!(t.pending(Some(&[tp(1)])), 0);
    }

    #[test]
    fn failed_commits_are_offered_again_and_revoked_partitions_forgotten() {
        let mut t = OffsetTracker::default();
        t.track("news.raw", 0, 0);
        t.done("news.raw", 0, 0);
        assert_eq!(t.take_committable(), vec![(tp(0), 1)]);
        t.commit_failed(&tp(0));
        assert_eq!(t.take_committable(), vec![(tp(0), 1)]);
        t.revoke(&[tp(0)]);
        t.done("news.raw", 0, 0);
        assert_eq!(t.take_committable(), vec![]);
    }
}
