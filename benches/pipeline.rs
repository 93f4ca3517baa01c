//! Per-stage costs: decode, flow table, DNS parse and EVE flow serialization over the
//! bundled captures' packets; then each detector's cost per record and EVE dns/alert
//! serialization over the records of a generated office mix (`pcapgen::bench`).
//! Run with `cargo bench --bench pipeline`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use botsense::config::Config;
use botsense::decode::{decode_packet, dns, DecodeCounters, LinkType, PacketMeta};
use botsense::detect::{DetectContext, DetectorSet};
use botsense::flow::{
    DnsTracker, DnsTrackerConfig, DnsTransaction, FlowConfig, FlowRecord, FlowTable, Record,
};
use botsense::output::eve::{write_alert, write_dns, write_flow, EveOptions};
use botsense::pcapgen::bundled;
use botsense::time::Timestamp;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn frames() -> Vec<(LinkType, Timestamp, Vec<u8>)> {
    let mut out = Vec::new();
    for s in bundled() {
        if s.file.starts_with("bad/") {
            continue;
        }
        for p in s.packets().unwrap() {
            if let Some(link) = LinkType::from_linktype(u32::from(p.link.0)) {
                let ts = Timestamp::from_micros(p.ts.as_micros());
                out.push((link, ts, p.frame));
            }
        }
    }
    out
}

fn metas(frames: &[(LinkType, Timestamp, Vec<u8>)]) -> Vec<PacketMeta> {
    let mut c = DecodeCounters::default();
    frames
        .iter()
        .filter_map(|(l, ts, f)| decode_packet(*l, *ts, f, f.len() as u32, &mut c))
        .collect()
}

fn bench(c: &mut Criterion) {
    let frames = frames();
    let metas = metas(&frames);
    let dns_payloads: Vec<&[u8]> = metas.iter().filter_map(|m| m.dns.as_deref()).collect();

    let mut g = c.benchmark_group("stage");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("decode", |b| {
        let mut counters = DecodeCounters::default();
        b.iter(|| {
            for (l, ts, f) in &frames {
                black_box(decode_packet(*l, *ts, f, f.len() as u32, &mut counters));
            }
        })
    });
    g.throughput(Throughput::Elements(metas.len() as u64));
    g.bench_function("flow_table", |b| {
        let settings = botsense::config::Config::from_raw(Default::default(), Default::default())
            .unwrap()
            .flow;
        b.iter(|| {
            let mut t = FlowTable::new(FlowConfig::for_worker(&settings, 1));
            let mut n = 0u64;
            for m in &metas {
                t.process(m, &mut |_r: Record<'_>| n += 1);
            }
            t.flush(&mut |_r: Record<'_>| n += 1);
            black_box(n)
        })
    });
    g.throughput(Throughput::Elements(dns_payloads.len() as u64));
    g.bench_function("dns_parse", |b| {
        let limits = dns::DnsLimits::default();
        b.iter(|| {
            for p in &dns_payloads {
                let msg = dns::tcp_message(p).unwrap_or(p);
                black_box(dns::parse_message(msg, &limits).ok());
            }
        })
    });
    g.finish();

    let mut records = Vec::new();
    let mut t = FlowTable::new(FlowConfig::for_worker(
        &botsense::config::Config::from_raw(Default::default(), Default::default())
            .unwrap()
            .flow,
        1,
    ));
    for m in &metas {
        t.process(m, &mut |_| {});
    }
    t.flush(&mut |r| {
        if let Record::FlowEnd(f) = r {
            records.push(f.clone());
        }
    });
    let mut g = c.benchmark_group("eve");
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("flow_line", |b| {
        let mut buf = Vec::with_capacity(1024);
        let o = EveOptions::default();
        b.iter(|| {
            for f in &records {
                buf.clear();
                write_flow(&mut buf, f, &o);
                black_box(buf.len());
            }
        })
    });
    g.finish();
}

/// A record the flow layer emitted, owned so it can be replayed into detectors.
enum Owned {
    ConnStart(FlowRecord),
    Handshake(FlowRecord),
    FlowEnd(FlowRecord),
    Dns(DnsTransaction),
}

impl Owned {
    fn of(r: Record<'_>) -> Owned {
        match r {
            Record::ConnStart(f) => Owned::ConnStart(f.clone()),
            Record::Handshake(f) => Owned::Handshake(f.clone()),
            Record::FlowEnd(f) => Owned::FlowEnd(f.clone()),
            Record::Dns(d) => Owned::Dns(d.clone()),
        }
    }

    fn record(&self) -> Record<'_> {
        match self {
            Owned::ConnStart(f) => Record::ConnStart(f),
            Owned::Handshake(f) => Record::Handshake(f),
            Owned::FlowEnd(f) => Record::FlowEnd(f),
            Owned::Dns(d) => Record::Dns(d),
        }
    }
}

/// The records of a 60 000-packet office mix, in the order one worker sees them.
fn mix_records(config: &Config) -> Vec<Owned> {
    let mut flows = FlowTable::new(FlowConfig::for_worker(&config.flow, 1));
    let mut dns = DnsTracker::new(DnsTrackerConfig {
        max_pending: config.dns.max_pending,
        timeout: config.dns.transaction_timeout_s * 1_000_000,
        limits: dns::DnsLimits::default(),
    });
    let mut out = Vec::new();
    for m in common::decoded_mix(60_000) {
        let ts = m.ts;
        flows.expire(ts, &mut |r| out.push(Owned::of(r)));
        let flow = flows.process(&m, &mut |r| out.push(Owned::of(r)));
        dns.on_packet(&m, &flow, &mut |d| out.push(Owned::Dns(d.clone())));
    }
    flows.flush(&mut |r| out.push(Owned::of(r)));
    dns.flush(&mut |d| out.push(Owned::Dns(d.clone())));
    out
}

fn bench_detectors(c: &mut Criterion) {
    let config = Config::from_raw(Default::default(), Default::default()).unwrap();
    let records = mix_records(&config);
    let home = config.home_net.clone();
    let names: Vec<&'static str> = DetectorSet::from_config(&config).names().collect();
    let mut g = c.benchmark_group("detector");
    g.throughput(Throughput::Elements(records.len() as u64));
    for name in names {
        // A set with only this detector enabled.
        let mut text = String::new();
        for other in DetectorSet::from_config(&config)
            .names()
            .filter(|n| *n != name)
        {
            text.push_str(&format!("[detect.{other}]\nenabled = false\n"));
        }
        let raw = botsense::config::RawConfig::from_toml(std::path::Path::new("bench.toml"), &text)
            .unwrap();
        let only = Config::from_raw(raw, Default::default()).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut set = DetectorSet::from_config(&only);
                let mut alerts = Vec::new();
                let mut ctx = DetectContext {
                    home: &home,
                    alerts: &mut alerts,
                };
                for r in &records {
                    set.on_record(&r.record(), &mut ctx);
                }
                black_box(alerts.len())
            })
        });
    }
    g.finish();

    let o = EveOptions::default();
    let dns_records: Vec<&DnsTransaction> = records
        .iter()
        .filter_map(|r| match r {
            Owned::Dns(d) => Some(d),
            _ => None,
        })
        .collect();
    let mut alerts = Vec::new();
    let mut set = DetectorSet::from_config(&config);
    let mut ctx = DetectContext {
        home: &home,
        alerts: &mut alerts,
    };
    for r in &records {
        set.on_record(&r.record(), &mut ctx);
    }
    let mut g = c.benchmark_group("eve");
    g.throughput(Throughput::Elements(dns_records.len() as u64));
    g.bench_function("dns_line", |b| {
        let mut buf = Vec::with_capacity(1024);
        b.iter(|| {
            for d in &dns_records {
                buf.clear();
                write_dns(&mut buf, d, &o);
                black_box(buf.len());
            }
        })
    });
    g.throughput(Throughput::Elements(alerts.len() as u64));
    g.bench_function("alert_line", |b| {
        let mut buf = Vec::with_capacity(4096);
        b.iter(|| {
            for a in &alerts {
                buf.clear();
                write_alert(&mut buf, a, &o);
                black_box(buf.len());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench, bench_detectors);
criterion_main!(benches);
