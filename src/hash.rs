//! Hash maps and sets for keys that come off the wire (flow tuples, addresses, names).
//!
//! std's default SipHash-1-3 was the largest single cost of a worker (about a fifth of
//! its instructions on the replay benchmark). foldhash is several times faster on short
//! keys and is still seeded per process at random, so a sender cannot precompute
//! colliding keys offline; its collision resistance is weaker than SipHash's, which is
//! acceptable because every table here is bounded by config and evicts.
//!
//! Nothing may depend on iteration order: it differs between runs, as it did with
//! SipHash's random keys.

pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// An empty map with room for `n` entries.
pub fn map_with_capacity<K, V>(n: usize) -> HashMap<K, V> {
    HashMap::with_capacity_and_hasher(n, Default::default())
}
