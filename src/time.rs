//! Packet time: the only clock that flow tracking and detection ever see.
//!
//! A [`Timestamp`] is microseconds since the Unix epoch, taken from the capture record
//! header (pcap, pcapng or libpcap's live header). Live mode advances it on an idle link
//! with the wall clock, through the same type, so every decision is a pure function of the
//! timestamps it was given: a day-long capture replays in seconds with the results it
//! would have had live.

use std::fmt;

/// Microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// A span of packet time in microseconds.
pub type Micros = u64;

pub const MICROS_PER_SEC: u64 = 1_000_000;

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);

    /// 9999-12-31T23:59:59.999999Z, the last time EVE's four-digit year can show.
    /// Capture files can claim later ones (a pcapng clock runs to the year 586 524);
    /// they are read as this.
    pub const LATEST: Timestamp = Timestamp(253_402_300_799_999_999);

    pub const fn from_micros(us: u64) -> Self {
        Timestamp(us)
    }

    pub fn from_secs_micros(secs: u64, micros: u32) -> Self {
        Timestamp(
            secs.saturating_mul(MICROS_PER_SEC)
                .saturating_add(u64::from(micros)),
        )
    }

    pub fn from_secs_nanos(secs: u64, nanos: u32) -> Self {
        Self::from_secs_micros(secs, nanos / 1000)
    }

    pub fn from_secs_f64(secs: f64) -> Self {
        if secs.is_finite() && secs > 0.0 {
            Timestamp((secs * MICROS_PER_SEC as f64) as u64)
        } else {
            Timestamp(0)
        }
    }

    /// The wall clock, for live mode's idle ticks only.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self::from_secs_micros(d.as_secs(), d.subsec_micros())
    }

    pub const fn as_micros(self) -> u64 {
        self.0
    }

    pub const fn secs(self) -> u64 {
        self.0 / MICROS_PER_SEC
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    pub fn saturating_add(self, us: Micros) -> Self {
        Timestamp(self.0.saturating_add(us))
    }

    /// Time from `earlier` to `self`, zero when `earlier` is later (captures can step
    /// backwards; nothing downstream may underflow on that).
    pub fn since(self, earlier: Timestamp) -> Micros {
        self.0.saturating_sub(earlier.0)
    }

    /// Suricata's EVE format: `2026-11-22T10:00:00.123456+0000`.
    pub fn eve(self) -> EveTime {
        EveTime(self, "+0000")
    }

    /// RFC 3339 in UTC as syslog (RFC 5424) wants it: `2026-11-22T10:00:00.123456Z`.
    pub fn rfc3339(self) -> EveTime {
        EveTime(self, "Z")
    }
}

/// Display adapter that formats a timestamp as EVE (or syslog) does, without allocating;
/// the second field is the UTC offset as written.
pub struct EveTime(Timestamp, &'static str);

impl EveTime {
    /// The text in a stack buffer: what serializers take with `serialize_str`, which
    /// (unlike `collect_str`) needs no escaping pass over formatter fragments. Times past
    /// [`Timestamp::LATEST`] print as it: EVE readers accept four-digit years only.
    pub fn text(&self) -> EveTimeText {
        let t = self.0.min(Timestamp::LATEST);
        let secs = t.secs();
        let micros = t.0 % MICROS_PER_SEC;
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        let sod = secs % 86_400;
        let mut t = EveTimeText {
            buf: [0; EVE_TIME_MAX],
            len: 0,
        };
        t.digits(y.unsigned_abs(), 4);
        t.push(b'-');
        t.digits(u64::from(m), 2);
        t.push(b'-');
        t.digits(u64::from(d), 2);
        t.push(b'T');
        t.digits(sod / 3600, 2);
        t.push(b':');
        t.digits((sod / 60) % 60, 2);
        t.push(b':');
        t.digits(sod % 60, 2);
        t.push(b'.');
        t.digits(micros, 6);
        for b in self.1.bytes() {
            t.push(b);
        }
        t
    }
}

const EVE_TIME_MAX: usize = 34;

/// A formatted EVE timestamp (ASCII), see [`EveTime::text`].
pub struct EveTimeText {
    buf: [u8; EVE_TIME_MAX],
    len: usize,
}

impl EveTimeText {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    /// `v` as exactly `width` decimal digits (zero-padded; `v` fits by construction).
    fn digits(&mut self, mut v: u64, width: usize) {
        let start = self.len;
        for _ in 0..width {
            self.push(b'0');
        }
        for i in (0..width).rev() {
            if let Some(slot) = self.buf.get_mut(start + i) {
                *slot = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    }

    /// The ASCII bytes, for writers that take bytes (no UTF-8 check).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever pushed.
        std::str::from_utf8(self.buf.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl fmt::Display for EveTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day), after Howard
/// Hinnant's `civil_from_days`; exact for every day a u64 of microseconds can hold.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `format!` makes of `t` (clamped as the text is), with `offset` appended.
    fn formatted(t: Timestamp, offset: &str) -> String {
        let shown = t.min(Timestamp::LATEST);
        let (y, m, d) = civil_from_days((shown.secs() / 86_400) as i64);
        let sod = shown.secs() % 86_400;
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}{offset}",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60,
            shown.0 % MICROS_PER_SEC
        )
    }

    #[test]
    fn eve_text_matches_a_formatter_over_the_whole_range() {
        for secs in [
            0u64,
            59,
            86_399,
            951_782_400,
            4_107_542_399,
            253_402_300_799,
            253_402_300_800,
            u64::MAX / 1_000_000,
        ] {
            for micros in [0u64, 7, 999_999] {
                let t = Timestamp::from_secs_micros(secs, micros as u32);
                assert_eq!(t.eve().to_string(), formatted(t, "+0000"));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn eve_text_matches_a_formatter_anywhere(micros in 0u64..=Timestamp::LATEST.0) {
            let t = Timestamp(micros);
            let text = t.rfc3339().text();
            proptest::prop_assert_eq!(text.as_str(), formatted(t, "Z"));
        }
    }

    #[test]
    fn eve_format_has_microseconds_and_offset() {
        let t = Timestamp::from_secs_micros(1_795_341_600, 123_456);
        assert_eq!(t.eve().to_string(), "2026-11-22T10:00:00.123456+0000");
        assert_eq!(t.rfc3339().to_string(), "2026-11-22T10:00:00.123456Z");
    }

    #[test]
    fn epoch_and_leap_day_format() {
        assert_eq!(
            Timestamp::ZERO.eve().to_string(),
            "1970-01-01T00:00:00.000000+0000"
        );
        // 2024-02-29T23:59:59
        let t = Timestamp::from_secs_micros(1_709_251_199, 7);
        assert_eq!(t.eve().to_string(), "2024-02-29T23:59:59.000007+0000");
    }

    #[test]
    fn times_past_the_year_9999_format_as_its_last_microsecond() {
        // Was: "586524-01-19T08:01:49.551615+0000", which no EVE reader accepts.
        let last = "9999-12-31T23:59:59.999999+0000";
        assert_eq!(Timestamp::LATEST.eve().to_string(), last);
        assert_eq!(Timestamp::from_micros(u64::MAX).eve().to_string(), last);
    }

    #[test]
    fn times_past_2038_format() {
        // 2100-01-01T00:00:00Z
        let t = Timestamp::from_secs_micros(4_102_444_800, 0);
        assert_eq!(t.eve().to_string(), "2100-01-01T00:00:00.000000+0000");
    }

    #[test]
    fn since_never_underflows() {
        let a = Timestamp::from_micros(10);
        let b = Timestamp::from_micros(20);
        assert_eq!(a.since(b), 0);
        assert_eq!(b.since(a), 10);
    }
}
