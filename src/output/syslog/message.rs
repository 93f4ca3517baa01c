//! RFC 5424 messages whose MSG is an EVE line, and their trimming; no I/O.
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME botsense PROCID MSGID - MSG
//! <172>1 2026-11-22T10:05:00.000042Z sensor1 botsense 4242 alert - {"timestamp":...}
//! ```
//!
//! * PRI is facility × 8 + severity. Alerts map their grade to a syslog severity:
//!   Critical → 2 (crit), High → 3 (err), Medium → 4 (warning), Low → 5 (notice); `flow`,
//!   `dns` and `stats` events are 6 (info).
//! * TIMESTAMP is the event's packet time in UTC with microseconds; MSGID its event type;
//!   no structured data; MSG the EVE line as written to `eve.json`, without a BOM (it is
//!   ASCII: wire bytes are escaped as `\xNN` in EVE).
//! * A message longer than `max_message_bytes` (header included) is trimmed rather than
//!   cut by the receiver: the longest array in the JSON is halved, or the longest string
//!   shortened, until it fits, and `"botsense":{"truncated":true,...}` marks it. A trimmed
//!   MSG is re-serialized, so its keys come out sorted. It is always valid JSON.

use super::{EventType, SyslogEvent};
use crate::detect::Severity;
use serde_json::{Map, Value};
use std::io::Write;

/// Shortest a trimmed string gets (in characters).
const MIN_TRIMMED_STRING: usize = 32;

/// RFC 5424 severity of an event.
pub fn syslog_severity(event_type: EventType, severity: Option<Severity>) -> u8 {
    match (event_type, severity) {
        (EventType::Alert, Some(Severity::Critical)) => 2,
        (EventType::Alert, Some(Severity::High)) => 3,
        (EventType::Alert, Some(Severity::Medium)) => 4,
        (EventType::Alert, Some(Severity::Low) | None) => 5,
        _ => 6,
    }
}

/// What every message of this sensor shares.
#[derive(Clone, Debug)]
pub struct Header {
    pub facility: u8,
    /// Already a valid RFC 5424 HOSTNAME (checked config).
    pub hostname: String,
    pub procid: u32,
    pub max_message_bytes: usize,
}

/// A formatted message.
#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    /// The syslog message (header and MSG), without transport framing.
    pub bytes: Vec<u8>,
    /// The MSG was trimmed to fit.
    pub trimmed: bool,
}

impl Header {
    /// Formats an event; `None` only when not even the minimal trimmed MSG fits, which the
    /// config's minimum `max_message_bytes` rules out, or when the line is not JSON.
    pub fn format(&self, e: &SyslogEvent) -> Option<Message> {
        let mut bytes = Vec::with_capacity(e.line.len() + 96);
        // Writing into a Vec cannot fail.
        let _ = write!(
            bytes,
            "<{}>1 {} {} botsense {} {} - ",
            u16::from(self.facility) * 8 + u16::from(syslog_severity(e.event_type, e.severity)),
            e.ts.rfc3339(),
            self.hostname,
            self.procid,
            e.event_type.name()
        );
        let budget = self.max_message_bytes.checked_sub(bytes.len())?;
        if e.line.len() <= budget {
            bytes.extend_from_slice(&e.line);
            return Some(Message {
                bytes,
                trimmed: false,
            });
        }
        let msg = trim_json(&e.line, budget)?;
        bytes.extend_from_slice(&msg);
        Some(Message {
            bytes,
            trimmed: true,
        })
    }
}

/// RFC 6587 octet counting: `LEN SP MSG`, appended to `out`.
pub fn octet_counted(msg: &[u8], out: &mut Vec<u8>) {
    let _ = write!(out, "{} ", msg.len());
    out.extend_from_slice(msg);
}

/// Shrinks a JSON object until its serialization fits `budget` bytes, marking it
/// `botsense.truncated`. `None` if `line` is not a JSON object or nothing fits.
pub fn trim_json(line: &[u8], budget: usize) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(line).ok()?;
    let obj = v.as_object_mut()?;
    let mark = obj
        .entry("botsense")
        .or_insert_with(|| Value::Object(Map::new()));
    if !mark.is_object() {
        *mark = Value::Object(Map::new());
    }
    if let Some(m) = mark.as_object_mut() {
        m.insert("truncated".into(), Value::Bool(true));
        m.insert("original_bytes".into(), Value::from(line.len()));
    }
    loop {
        let s = serde_json::to_vec(&v).ok()?;
        if s.len() <= budget {
            return Some(s);
        }
        if !shrink_largest(&mut v) {
            break;
        }
    }
    // Nothing left to shrink (a huge number of keys): keep what names the event.
    let mut min = Map::new();
    for k in ["timestamp", "event_type", "src_ip", "dest_ip"] {
        if let Some(x) = v.get(k) {
            min.insert(k.into(), x.clone());
        }
    }
    min.insert(
        "botsense".into(),
        serde_json::json!({"truncated": true, "original_bytes": line.len()}),
    );
    let s = serde_json::to_vec(&Value::Object(min)).ok()?;
    (s.len() <= budget).then_some(s)
}

/// Where the largest shrinkable value sits and how big it is serialized.
struct Candidate {
    path: Vec<PathStep>,
    size: usize,
}

#[derive(Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn serialized_len(v: &Value) -> usize {
    serde_json::to_vec(v).map(|s| s.len()).unwrap_or(0)
}

fn shrinkable(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::String(s) => s.chars().count() > MIN_TRIMMED_STRING,
        _ => false,
    }
}

fn find_largest(v: &Value, path: &mut Vec<PathStep>, best: &mut Option<Candidate>) {
    if shrinkable(v) {
        let size = serialized_len(v);
        if best.as_ref().is_none_or(|b| size > b.size) {
            *best = Some(Candidate {
                path: path.clone(),
                size,
            });
        }
    }
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(PathStep::Index(i));
                find_largest(x, path, best);
                path.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                // The marker and the fields that identify the event stay.
                if path.is_empty() && matches!(k.as_str(), "timestamp" | "event_type") {
                    continue;
                }
                path.push(PathStep::Key(k.clone()));
                find_largest(x, path, best);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Halves the largest array or string; false when nothing can shrink.
fn shrink_largest(v: &mut Value) -> bool {
    let mut best = None;
    find_largest(v, &mut Vec::new(), &mut best);
    let Some(best) = best else {
        return false;
    };
    let mut node = v;
    for step in &best.path {
        let next = match step {
            PathStep::Key(k) => node.get_mut(k.as_str()),
            PathStep::Index(i) => node.get_mut(*i),
        };
        match next {
            Some(n) => node = n,
            None => return false,
        }
    }
    match node {
        Value::Array(a) => a.truncate(a.len() / 2),
        Value::String(s) => {
            let keep = (s.chars().count() / 2).max(MIN_TRIMMED_STRING);
            let cut: String = s.chars().take(keep).collect();
            *s = cut;
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use proptest::prelude::*;

    fn header(max: usize) -> Header {
        Header {
            facility: 21,
            hostname: "sensor1".into(),
            procid: 4242,
            max_message_bytes: max,
        }
    }

    fn event(line: &str, severity: Option<Severity>) -> SyslogEvent {
        SyslogEvent {
            ts: Timestamp::from_secs_micros(1_795_341_900, 42),
            event_type: EventType::Alert,
            severity,
            line: line.as_bytes().to_vec(),
        }
    }

    /// Splits an RFC 5424 message into its header fields and MSG.
    fn fields(m: &[u8]) -> (Vec<String>, Vec<u8>) {
        let mut parts = m.splitn(8, |&b| b == b' ');
        let head: Vec<String> = (0..7)
            .map(|_| String::from_utf8(parts.next().unwrap().to_vec()).unwrap())
            .collect();
        (head, parts.next().unwrap_or_default().to_vec())
    }

    #[test]
    fn a_short_alert_is_the_eve_line_behind_an_rfc5424_header() {
        let line = r#"{"timestamp":"2026-11-22T10:05:00.000042+0000","event_type":"alert"}"#;
        let m = header(8000)
            .format(&event(line, Some(Severity::High)))
            .unwrap();
        assert!(!m.trimmed);
        assert_eq!(
            String::from_utf8(m.bytes).unwrap(),
            format!("<171>1 2026-11-22T10:05:00.000042Z sensor1 botsense 4242 alert - {line}")
        );
    }

    #[test]
    fn severities_map_to_syslog_levels() {
        use EventType::*;
        assert_eq!(syslog_severity(Alert, Some(Severity::Critical)), 2);
        assert_eq!(syslog_severity(Alert, Some(Severity::High)), 3);
        assert_eq!(syslog_severity(Alert, Some(Severity::Medium)), 4);
        assert_eq!(syslog_severity(Alert, Some(Severity::Low)), 5);
        for t in [Flow, Dns, Stats] {
            assert_eq!(syslog_severity(t, None), 6);
        }
    }

    #[test]
    fn octet_counting_prefixes_the_byte_length() {
        let mut out = b"x".to_vec();
        octet_counted("<14>1 é".as_bytes(), &mut out);
        assert_eq!(out, "x8 <14>1 é".as_bytes());
    }

    #[test]
    fn a_long_evidence_list_is_halved_until_it_fits_and_marked() {
        let names: Vec<String> = (0..400)
            .map(|i| format!("name-{i:04}.example.com"))
            .collect();
        let line = serde_json::json!({
            "timestamp": "2026-11-22T10:05:00.000042+0000", "event_type": "alert",
            "alert": {"signature_id": 9_103_001, "signature": "DGA burst"},
            "botsense": {"detector": "dga", "sample_names": names},
        })
        .to_string();
        assert!(line.len() > 8000);
        let m = header(2048)
            .format(&event(&line, Some(Severity::Medium)))
            .unwrap();
        assert!(m.trimmed);
        assert!(m.bytes.len() <= 2048, "{}", m.bytes.len());
        let (_, msg) = fields(&m.bytes);
        let v: Value = serde_json::from_slice(&msg).unwrap();
        assert_eq!(v["botsense"]["truncated"], true);
        assert_eq!(v["botsense"]["original_bytes"], line.len());
        assert_eq!(v["botsense"]["detector"], "dga");
        assert_eq!(v["alert"]["signature_id"], 9_103_001);
        let kept = v["botsense"]["sample_names"].as_array().unwrap();
        assert!(!kept.is_empty() && kept.len() < 400);
        assert_eq!(kept[0], "name-0000.example.com", "the first names are kept");
    }

    #[test]
    fn a_long_string_is_shortened() {
        let long = "x".repeat(20_000);
        let line = format!(r#"{{"event_type":"alert","alert":{{"signature":"{long}"}}}}"#);
        let m = header(1024).format(&event(&line, None)).unwrap();
        assert!(m.trimmed && m.bytes.len() <= 1024);
        let (_, msg) = fields(&m.bytes);
        let v: Value = serde_json::from_slice(&msg).unwrap();
        let sig = v["alert"]["signature"].as_str().unwrap();
        assert!(sig.len() >= MIN_TRIMMED_STRING && sig.len() < 1024);
    }

    #[test]
    fn an_object_of_many_keys_falls_back_to_the_fields_that_name_the_event() {
        let mut o = Map::new();
        o.insert("timestamp".into(), "2026-11-22T10:05:00.000042+0000".into());
        o.insert("event_type".into(), "stats".into());
        for i in 0..2000 {
            o.insert(format!("counter_{i}"), i.into());
        }
        let line = Value::Object(o).to_string();
        let m = header(1024).format(&event(&line, None)).unwrap();
        let (_, msg) = fields(&m.bytes);
        let v: Value = serde_json::from_slice(&msg).unwrap();
        assert_eq!(v["event_type"], "stats");
        assert_eq!(v["botsense"]["truncated"], true);
    }

    #[test]
    fn a_line_that_is_not_json_and_too_long_is_refused() {
        let line = "y".repeat(5000);
        assert_eq!(header(1024).format(&event(&line, None)), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Output safety: whatever bytes a DNS name holds and however long the evidence,
        /// the frame is one valid RFC 5424 message within the limit, its octet count is
        /// its length, and its MSG is JSON equal to the EVE line (or a marked trim of it).
        #[test]
        fn any_wire_name_gives_a_valid_counted_frame_with_json_msg(
            qname in proptest::collection::vec(any::<u8>(), 0..300),
            names in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..200),
            max in 1024usize..9000,
        ) {
            let render = |b: &[u8]| crate::decode::dns::DnsName(b.to_vec()).display();
            let mut evidence = Map::new();
            evidence.insert("domain".into(), render(&qname).into());
            evidence.insert(
                "sample_names".into(),
                Value::Array(names.iter().map(|n| Value::from(render(n))).collect()),
            );
            let alert = crate::detect::Alert {
                ts: Timestamp::from_secs_micros(1_795_341_900, 42),
                detector: "dga",
                signature_id: 9_103_001,
                rev: 1,
                signature: format!("DGA burst {}", render(&qname)),
                category: "A Network Trojan was detected",
                severity: Severity::Critical,
                score: 0.9,
                mitre_technique_ids: &["T1583.005"],
                mitre_tactic_ids: &["TA0011"],
                src: crate::flow::Endpoint { ip: "10.0.0.5".parse().unwrap(), port: 5353 },
                dest: crate::flow::Endpoint { ip: "10.0.0.53".parse().unwrap(), port: 53 },
                proto: crate::decode::Proto::Udp,
                vlan: crate::decode::VlanIds::default(),
                flow_id: None,
                evidence,
            };
            let mut line = Vec::new();
            crate::output::eve::write_alert(&mut line, &alert, &crate::output::eve::EveOptions::default());
            let e = SyslogEvent {
                ts: alert.ts,
                event_type: EventType::Alert,
                severity: Some(alert.severity),
                line: line.clone(),
            };
            let m = header(max).format(&e).unwrap();
            prop_assert!(m.bytes.len() <= max);
            let mut frame = Vec::new();
            octet_counted(&m.bytes, &mut frame);
            let sp = frame.iter().position(|&b| b == b' ').unwrap();
            let count: usize = std::str::from_utf8(&frame[..sp]).unwrap().parse().unwrap();
            prop_assert_eq!(count, frame.len() - sp - 1);
            let (head, msg) = fields(&frame[sp + 1..]);
            prop_assert_eq!(&head[0], "<170>1");
            prop_assert_eq!(&head[3], "botsense");
            prop_assert_eq!(&head[5], "alert");
            prop_assert_eq!(&head[6], "-");
            prop_assert!(!msg.contains(&b'\n'));
            let got: Value = serde_json::from_slice(&msg).unwrap();
            let want: Value = serde_json::from_slice(&line).unwrap();
            if m.trimmed {
                prop_assert_eq!(&got["botsense"]["truncated"], &Value::Bool(true));
                prop_assert_eq!(&got["timestamp"], &want["timestamp"]);
            } else {
                prop_assert_eq!(msg, line);
            }
        }
    }
}
