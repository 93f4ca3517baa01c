//! A small JSON object writer for the hot events (flow, dns and alert headers).
//!
//! serde_json escapes every key and every string it writes, and a flow line has about
//! forty keys: on the replay benchmark that escaping pass was a quarter of a worker's
//! instructions. Here keys are `&'static str` literals written as they are, and values
//! that cannot need escaping (numbers, addresses, timestamps, fixed names) skip the
//! escape pass; any other string goes through serde_json, so escaping rules stay
//! serde_json's. The output is byte-identical to serializing the same fields with serde.

use crate::time::{EveTimeText, Timestamp};
use serde::Serialize;
use std::io::Write;
use std::net::IpAddr;

/// An open JSON object on `out`; [`JsonObject::end`] closes it.
pub struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> JsonObject<'a> {
    pub fn begin(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonObject { out, empty: true }
    }

    /// Writes `"key":`. Keys are identifiers chosen in code: never escaped.
    #[inline]
    fn key(&mut self, key: &'static str) {
        debug_assert!(key
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'));
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    #[inline]
    pub fn u64(&mut self, key: &'static str, v: u64) -> &mut Self {
        self.key(key);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self
    }

    pub fn bool(&mut self, key: &'static str, v: bool) -> &mut Self {
        self.key(key);
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        self
    }

    /// A string value from code or from formatting that cannot contain `"`, `\` or a
    /// control character (names, addresses, timestamps, hex digits).
    #[inline]
    pub fn plain_str(&mut self, key: &'static str, v: &str) -> &mut Self {
        debug_assert!(v.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'));
        self.key(key);
        self.out.push(b'"');
        self.out.extend_from_slice(v.as_bytes());
        self.out.push(b'"');
        self
    }

    /// A timestamp in EVE's format.
    #[inline]
    pub fn time(&mut self, key: &'static str, ts: Timestamp) -> &mut Self {
        self.time_text(key, &ts.eve().text())
    }

    /// A timestamp already formatted (one that appears twice in a line).
    #[inline]
    pub fn time_text(&mut self, key: &'static str, text: &EveTimeText) -> &mut Self {
        self.key(key);
        self.out.push(b'"');
        self.out.extend_from_slice(text.as_bytes());
        self.out.push(b'"');
        self
    }

    /// A `Display` value written as a string without escaping; see [`Self::plain_str`].
    pub fn plain_display(&mut self, key: &'static str, v: impl std::fmt::Display) -> &mut Self {
        self.key(key);
        self.out.push(b'"');
        // Writing into a Vec cannot fail.
        let _ = write!(self.out, "{v}");
        self.out.push(b'"');
        self
    }

    /// An address, as `Display` writes it. IPv4 skips the formatting machinery, which
    /// was a tenth of a worker's instructions with flow events on (two per line).
    pub fn ip(&mut self, key: &'static str, ip: IpAddr) -> &mut Self {
        let IpAddr::V4(a) = ip else {
            return self.plain_display(key, ip);
        };
        self.key(key);
        self.out.push(b'"');
        for (i, octet) in a.octets().into_iter().enumerate() {
            if i > 0 {
                self.out.push(b'.');
            }
            if octet >= 100 {
                self.out.push(b'0' + octet / 100);
            }
            if octet >= 10 {
                self.out.push(b'0' + octet / 10 % 10);
            }
            self.out.push(b'0' + octet % 10);
        }
        self.out.push(b'"');
        self
    }

    /// Any value through serde_json.
    pub fn serde<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> &mut Self {
        self.key(key);
        let start = self.out.len();
        if serde_json::to_writer(&mut *self.out, v).is_err() {
            // The types written here have infallible `Serialize` impls; keep the line
            // valid JSON regardless.
            self.out.truncate(start);
            self.out.extend_from_slice(b"null");
        }
        self
    }

    /// A nested object under `key`; close it with [`JsonObject::end`].
    pub fn object(&mut self, key: &'static str) -> JsonObject<'_> {
        self.key(key);
        JsonObject::begin(self.out)
    }

    pub fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn addresses_read_as_display_writes_them(v4: u32, v6: u128) {
            for ip in [IpAddr::from(v4.to_be_bytes()), IpAddr::from(v6.to_be_bytes())] {
                let mut out = Vec::new();
                let mut o = JsonObject::begin(&mut out);
                o.ip("ip", ip);
                o.end();
                proptest::prop_assert_eq!(
                    String::from_utf8(out).unwrap(),
                    format!("{{\"ip\":\"{ip}\"}}")
                );
            }
        }
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let mut out = Vec::new();
        let mut o = JsonObject::begin(&mut out);
        o.u64("a", 18_446_744_073_709_551_615)
            .bool("b", false)
            .plain_str("c", "10.0.0.1")
            .serde("d", "quote\" back\\ nl\n \u{1} é");
        let mut inner = o.object("e");
        inner.u64("x", 0);
        inner.end();
        o.serde("f", &[1u16, 2]);
        o.end();
        let want = serde_json::json!({
            "a": 18_446_744_073_709_551_615u64, "b": false, "c": "10.0.0.1",
            "d": "quote\" back\\ nl\n \u{1} é", "e": {"x": 0}, "f": [1, 2]
        });
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
    }
}
