//! The flow table's expiry queue: a binary min-heap of [`Due`] entries ordered by
//! deadline, then by the flow's serial number (the order flows were created in).
//!
//! Each entry names a slot of the table and the serial number of the flow that was in
//! it when the entry was pushed. Nothing is ever removed from the middle: a flow that
//! ends leaves its entries behind, and the table drops an entry whose slot no longer
//! holds that serial when it reaches the top. Entries are self-contained, so sifting
//! reads only this array (no flow record, no key, no back-pointer to update), and a
//! flow ending costs nothing here.
//!
//! Left-behind entries are bounded: [`ExpiryQueue::compact`] keeps the current ones and
//! rebuilds the heap in linear time, which the table does once the queue holds more
//! than three entries per live flow (a live flow has at most two).

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
            heap: super::table::reserved(n),
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn peek(&self) -> Option<Due> {
        self.heap.first().copied()
    }

    /// Heap order: deadline, then serial (serials wrap, which only reorders ties).
    fn key(d: &Due) -> (Timestamp, u32) {
        (d.at, d.serial)
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

    /// Keeps the entries `valid` accepts and rebuilds the heap, in linear time.
    pub fn compact(&mut self, valid: impl Fn(&Due) -> bool) {
        self.heap.retain(|d| valid(d));
        for pos in (0..self.heap.len() / 2).rev() {
            self.sift_down(pos);
        }
    }

    fn at(&self, pos: usize) -> Option<(Timestamp, u32)> {
        self.heap.get(pos).map(Self::key)
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
            serial: slot,
        }
    }

    proptest! {
        /// Pops come out in (deadline, serial) order, whatever the pushes and pops in
        /// between.
        #[test]
        fn pops_come_out_in_deadline_then_serial_order(ops in proptest::collection::vec(
            prop_oneof![(0u64..50).prop_map(Some), Just(None)], 0..200,
        )) {
            let mut q = ExpiryQueue::default();
            let mut model: Vec<(u64, u32)> = Vec::new();
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Some(at) => {
                        q.push(due(at, i as u32));
                        model.push((at, i as u32));
                    }
                    None => {
                        model.sort_unstable();
                        let want = (!model.is_empty()).then(|| model.remove(0));
                        prop_assert_eq!(q.pop().map(|d| (d.at.as_micros(), d.serial)), want);
                    }
                }
            }
            prop_assert_eq!(q.len(), model.len());
        }

        /// Compaction keeps exactly the valid entries, and they still pop in order.
        #[test]
        fn compact_keeps_the_valid_entries_in_order(
            entries in proptest::collection::vec(0u64..20, 0..60),
        ) {
            let mut q = ExpiryQueue::default();
            for (i, &at) in entries.iter().enumerate() {
                q.push(due(at, i as u32));
            }
            q.compact(|d| d.slot % 3 != 0);
            let mut want: Vec<(u64, u32)> = entries
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 3 != 0)
                .map(|(i, &at)| (at, i as u32))
                .collect();
            want.sort_unstable();
            let mut got = Vec::new();
            while let Some(d) = q.pop() {
                got.push((d.at.as_micros(), d.slot));
            }
            prop_assert_eq!(got, want);
        }
    }
}
