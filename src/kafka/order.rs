//! Dedup checks of one partition in offset order.
//!
//! Messages are prepared and extracted concurrently, but which copy of a
//! story is kept must not depend on which thread got there first: a repost
//! a few offsets after its original, both in flight, would otherwise
//! sometimes be kept in the original's place. Each message takes a ticket
//! when it is read (in offset order); its dedup check waits until every
//! earlier ticket of its partition is gone. Tickets go when the check is
//! done or the message ends without one (rejected, failed, abandoned).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use super::offsets::Tp;

/// (offset, sequence): a re-read offset (after a rewind) gets its own place
/// behind an older ticket of the same offset that has not finished yet.
type Place = (i64, u64);

#[derive(Default)]
pub struct DedupOrder {
    parts: Mutex<HashMap<Tp, BTreeMap<Place, Arc<Notify>>>>,
    seq: AtomicU64,
}

/// A message's place in its partition's dedup order; dropping it lets the next one through.
pub struct Ticket {
    order: Arc<DedupOrder>,
    tp: Tp,
    place: Place,
    notify: Arc<Notify>,
}

impl DedupOrder {
    /// Call in the order messages are read.
    pub fn enter(self: &Arc<Self>, topic: &str, partition: i32, offset: i64) -> Ticket {
        let tp = (topic.to_owned(), partition);
        let place = (offset, self.seq.fetch_add(1, Ordering::Relaxed));
        let notify = Arc::new(Notify::new());
        self.lock().entry(tp.clone()).or_default().insert(place, notify.clone());
        Ticket { order: self.clone(), tp, place, notify }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Tp, BTreeMap<Place, Arc<Notify>>>> {
        self.parts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_first(&self, t: &Ticket) -> bool {
        self.lock().get(&t.tp).and_then(|q| q.keys().next()).is_none_or(|first| *first == t.place)
    }
}

impl Ticket {
    /// Resolves once every earlier message of the partition has had its dedup check.
    pub async fn turn(&self) {
        // `notify_one` keeps a permit when nobody waits yet, so a release
        // between the check and the wait is not missed.
        while !self.order.is_first(self) {
            self.notify.notified().await;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut parts = self.order.lock();
        let Some(q) = parts.get_mut(&self.tp) else { return };
        let was_first = q.keys().next() == Some(&self.place);
        q.remove(&self.place);
        if was_first {
            if let Some(next) = q.values().next() {
                next.notify_one();
            }
        }
        if q.is_empty() {
            parts.remove(&self.tp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_later_offset_waits_for_every_earlier_one_of_its_partition_only() {
        let order = Arc::new(DedupOrder::default());
        let a = order.enter("t", 0, 10);
        let b = order.enter("t", 0, 11);
        let other = order.enter("t", 1, 50);
        let c = order.enter("t", 0, 12);
        assert!(tokio::time::timeout(Duration::from_millis(50), other.turn()).await.is_ok(), "other partitions are independent");
        assert!(tokio::time::timeout(Duration::from_millis(50), c.turn()).await.is_err(), "12 waits for 10 and 11");
        let waiter = tokio::spawn(async move {
            c.turn().await;
        });
        drop(b); // finished out of order: 12 still waits for 10
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        a.turn().await;
        drop(a);
        tokio::time::timeout(Duration::from_secs(1), waiter).await.expect("12 goes once 10 and 11 are done").unwrap();
        assert!(order.lock().get(&("t".to_owned(), 0)).is_none(), "empty partitions are forgotten");
    }
}
