//! Arbitrary bytes as a DNS message (UDP, and TCP with its length prefix); every name the
//! parser returns is rendered as EVE renders it, which must be printable ASCII and survive
//! a JSON round trip unchanged.
#![no_main]

use botsense::decode::dns::{parse_message, tcp_message, DnsLimits, DnsName, RData};
use libfuzzer_sys::fuzz_target;

fn check_name(name: &DnsName) {
    let shown = name.display();
    assert!(
        shown.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "not printable ASCII: {shown:?}"
    );
    let json = serde_json::to_string(&shown).unwrap();
    let back: String = serde_json::from_str(&json).unwrap();
    assert_eq!(back, shown);
    // Names are bounded by the parser: 255 bytes on the wire, each `.` or `\` inside a
    // label kept escaped (two bytes).
    assert!(
        name.as_bytes().len() <= 2 * 255,
        "{} bytes",
        name.as_bytes().len()
    );
}

fuzz_target!(|data: &[u8]| {
    let limits = DnsLimits::default();
    for buf in [Some(data), tcp_message(data)].into_iter().flatten() {
        let Ok(msg) = parse_message(buf, &limits) else {
            continue;
        };
        assert!(msg.questions.len() <= limits.max_questions);
        assert!(msg.answers.len() <= limits.max_answers);
        for q in &msg.questions {
            check_name(&q.name);
        }
        for a in &msg.answers {
            check_name(&a.name);
            match &a.data {
                RData::Name(n) | RData::Mx { exchange: n, .. } => check_name(n),
                _ => {}
            }
        }
    }
});
