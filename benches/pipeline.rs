//! Per-stage costs over the bundled captures' packets: decode, flow table, DNS parse,
//! EVE flow serialization. Run with `cargo bench --bench pipeline`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use botsense::decode::{decode_packet, dns, DecodeCounters, LinkType, PacketMeta};
use botsense::flow::{FlowConfig, FlowTable, Record};
use botsense::output::eve::{write_flow, EveOptions};
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

criterion_group!(benches, bench);
criterion_main!(benches);
