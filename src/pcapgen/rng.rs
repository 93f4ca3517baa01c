//! A tiny deterministic PRNG (SplitMix64) and a stable hash to seed it.
//!
//! Not for anything secret: it exists so that a scenario's "random" ports, payloads and
//! names are the same on every machine and every run. Seed it per scenario with
//! [`Rng::for_scenario`], so adding a scenario never changes another one's bytes.

/// SplitMix64 (Steele, Lea, Flood 2014): one `u64` of state, full period, good enough
/// statistics for test traffic, and trivially reproducible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub const fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// A generator seeded from a scenario's name.
    pub fn for_scenario(name: &str) -> Self {
        Rng::new(hash64(name.as_bytes()))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.state)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    pub fn next_u16(&mut self) -> u16 {
        (self.next_u64() >> 48) as u16
    }

    /// A value in `0..n` (0 when `n` is 0). Multiply-shift: the bias is below 2^-32 for
    /// the small ranges test traffic uses.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A value in `lo..hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo))
    }

    /// True with probability `p` (clamped to 0..=1).
    pub fn chance(&mut self, p: f64) -> bool {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < p
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            for (d, s) in chunk.iter_mut().zip(bytes) {
                *d = s;
            }
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.fill(&mut v);
        v
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = self.below(items.len() as u64);
        items.get(usize::try_from(i).ok()?)
    }

    /// A client port from Linux's default ephemeral range (32768..60999).
    pub fn ephemeral_port(&mut self) -> u16 {
        u16::try_from(self.range(32_768, 61_000)).unwrap_or(40_000)
    }

    /// `len` random lower-case letters and digits, the shape of a DGA label.
    pub fn label(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| {
                let i = self.below(ALPHABET.len() as u64) as usize;
                char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
            })
            .collect()
    }
}

/// The SplitMix64 finalizer: a bijective mix of 64 bits.
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a over `bytes`, then mixed: a stable hash for seeds and derived values (ISNs,
/// MAC addresses). Unlike std's hashers it never changes between Rust releases.
pub fn hash64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix64(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_sequence() {
        let mut a = Rng::for_scenario("beacon");
        let mut b = Rng::for_scenario("beacon");
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::for_scenario("dga").next_u64(), xs[0]);
    }

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 0 (reference implementation).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(r.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = Rng::new(7);
        for _ in 0..10_000 {
            assert!(r.below(10) < 10);
            let v = r.range(5, 8);
            assert!((5..8).contains(&v));
            let p = r.ephemeral_port();
            assert!((32_768..61_000).contains(&p));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.range(9, 3), 9);
        assert_eq!(r.bytes(13).len(), 13);
        assert!(r.label(20).bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
