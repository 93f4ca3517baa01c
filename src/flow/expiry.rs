//! The flow table's expiry queue: a binary min-heap of [`Due`] entries ordered by
//! deadline alone.
//!
//! Each entry names a slot of the table and the serial number of the flow that was in
//! it when the entry was pushed. Nothing is ever removed from the middle: a flow that
//! ends leaves its entries behind, and the table drops an entry whose slot no longer
//! holds that serial when it reaches the top. Entries are self-contained, so sifting
//! reads only this array (no flow record, no key, no back-pointer to update), and a
//! flow ending costs nothing here.
//!
//! Left-behind entries are bounded: [`ExpiryQueue::compact`] keeps the valid ones (the
//! earliest per slot) and rebuilds the heap, which the table does once the queue holds
//! more than twice its live flows.

use crate::time::Timestamp;

/// A flow that may be due at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Due {
    pub at: Timestamp,
    pub slot: u32,
    pub serial: u32,
}

#[derive(Debug, Default)]
pub(super) struct ExpiryQueue {
    heap: Vec<Due>,
}

impl ExpiryQueue {
    /// Reserves `n` entries (address space only until they are used).
    pub fn with_capacity(n: usize) -> Self {
        ExpiryQueue {
            heap: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn peek(&self) -> Option<Due> {
        self.heap.first().copied()
    }

    pub fn push(&mut self, d: Due) {
        self.heap.push(d);
        self.sift_up(self.heap.len() - 1);
    }

    pub fn pop(&mut self) -> Option<Due> {
        let last = self.heap.pop()?;
        let Some(top) = self.heap.first_mut() else {
            return Some(last);
        };
        let top = std::mem::replace(top, last);
        self.sift_down(0);
        Some(top)
    }

    pub fn clear(&mut self) {
        self.heap.clear();
    }

    /// Keeps the entries `valid` accepts, one per slot (its earliest), and rebuilds the
    /// heap. Dropping a later entry of a live flow changes nothing: the earliest one
    /// comes up first and either ends the flow or is pushed again at its real deadline.
    pub fn compact(&mut self, valid: impl Fn(&Due) -> bool) {
        self.heap.retain(|d| valid(d));
        self.heap.sort_unstable_by_key(|d| (d.slot, d.at));
        self.heap.dedup_by_key(|d| d.slot);
        for pos in (0..self.heap.len() / 2).rev() {
            self.sift_down(pos);
        }
    }

    fn at(&self, pos: usize) -> Option<Timestamp> {
        self.heap.get(pos).map(|d| d.at)
    }

    fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.at(pos) >= self.at(parent) {
                break;
            }
            self.heap.swap(pos, parent);
            pos = parent;
        }
    }

    fn sift_down(&mut self, mut pos: usize) {
        let n = self.heap.len();
        loop {
            let left = 2 * pos + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.at(right) < self.at(left) {
                right
            } else {
                left
            };
            if self.at(child) >= self.at(pos) {
                break;
            }
            self.heap.swap(pos, child);
            pos = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn due(at: u64, slot: u32) -> Due {
        Due {
            at: Timestamp::from_micros(at),
            slot,
            serial: 0,
        }
    }

    proptest! {
        /// Pops come out in deadline order, whatever the pushes and pops in between.
        #[test]
        fn pops_come_out_in_deadline_order(ops in proptest::collection::vec(
            prop_oneof![(0u64..50).prop_map(Some), Just(None)], 0..200,
        )) {
            let mut q = ExpiryQueue::default();
            let mut model: Vec<u64> = Vec::new();
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Some(at) => {
                        q.push(due(at, i as u32));
                        model.push(at);
                    }
                    None => {
                        model.sort_unstable();
                        let want = (!model.is_empty()).then(|| model.remove(0));
                        prop_assert_eq!(q.pop().map(|d| d.at.as_micros()), want);
                    }
                }
            }
            prop_assert_eq!(q.len(), model.len());
        }

        /// Compaction keeps the earliest valid entry of each slot and a valid heap.
        #[test]
        fn compact_keeps_the_earliest_valid_entry_per_slot(
            entries in proptest::collection::vec((0u64..20, 0u32..8), 0..60),
        ) {
            let mut q = ExpiryQueue::default();
            for &(at, slot) in &entries {
                q.push(due(at, slot));
            }
            q.compact(|d| d.slot % 3 != 0);
            let mut want: Vec<(u64, u32)> = (0..8)
                .filter(|s| s % 3 != 0)
                .filter_map(|s| {
                    entries.iter().filter(|e| e.1 == s).map(|e| e.0).min().map(|at| (at, s))
                })
                .collect();
            want.sort_unstable();
            let mut got = Vec::new();
            while let Some(d) = q.pop() {
                got.push((d.at.as_micros(), d.slot));
            }
            // Equal deadlines may come out in any order.
            let mut sorted = got.clone();
            sorted.sort_unstable();
            prop_assert_eq!(&sorted, &want);
            prop_assert!(got.windows(2).all(|w| w[0].0 <= w[1].0));
        }
    }
}
