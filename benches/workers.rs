//! Worker-stage scaling: the packets of a generated office mix, decoded and sharded by
//! host as the capture thread shards them, run through 1, 2, … N workers at once (N =
//! the machine's cores, at most 16), each on its own thread with its own flow table, DNS
//! tracker and detectors, ticking once a second of packet time as `worker-N` does.
//!
//! The end-to-end replay (`scripts/bench-replay.sh`) also has the capture thread, which
//! needs a core of its own; this isolates what adding workers buys. Elements are
//! packets: throughput should grow with the worker count up to the cores.
//! Run with `cargo bench --bench workers`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use botsense::config::Config;
use botsense::decode::{dns, PacketMeta};
use botsense::detect::{DetectContext, DetectorSet};
use botsense::flow::{DnsTracker, DnsTrackerConfig, FlowConfig, FlowTable, Record};
use botsense::runtime::shard;
use botsense::time::{Timestamp, MICROS_PER_SEC};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const PACKETS: u64 = 200_000;

/// One worker's whole run over its share; returns the records and alerts it produced.
fn run_worker(config: &Config, workers: usize, packets: &[&PacketMeta]) -> usize {
    let mut flows = FlowTable::new(FlowConfig::for_worker(&config.flow, workers));
    let mut dns = DnsTracker::new(DnsTrackerConfig {
        max_pending: config.dns.max_pending / workers,
        timeout: config.dns.transaction_timeout_s * MICROS_PER_SEC,
        limits: dns::DnsLimits::default(),
    });
    let mut detectors = DetectorSet::from_config(config);
    let mut alerts = Vec::new();
    let mut ctx = DetectContext {
        home: &config.home_net,
        alerts: &mut alerts,
    };
    let mut records = 0usize;
    let mut last_tick = packets.first().map_or(Timestamp::ZERO, |p| p.ts);
    for p in packets {
        if p.ts.since(last_tick) >= MICROS_PER_SEC {
            last_tick = p.ts;
            dns.expire(p.ts, &mut |d| {
                records += 1;
                detectors.on_record(&Record::Dns(d), &mut ctx);
            });
            flows.expire(p.ts, &mut |r| {
                records += 1;
                detectors.on_record(&r, &mut ctx);
            });
            detectors.on_tick(p.ts, &mut ctx);
        }
        let flow = flows.process(p, &mut |r| {
            records += 1;
            detectors.on_record(&r, &mut ctx);
        });
        if p.dns.is_some() {
            dns.on_packet(p, &flow, &mut |d| {
                records += 1;
                detectors.on_record(&Record::Dns(d), &mut ctx);
            });
        }
    }
    dns.flush(&mut |d| {
        records += 1;
        detectors.on_record(&Record::Dns(d), &mut ctx);
    });
    flows.flush(&mut |r| {
        records += 1;
        detectors.on_record(&r, &mut ctx);
    });
    detectors.finish(last_tick, &mut ctx);
    records + alerts.len()
}

fn bench(c: &mut Criterion) {
    let config = Config::from_raw(Default::default(), Default::default()).unwrap();
    let packets = common::decoded_mix(PACKETS);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
    let mut g = c.benchmark_group("workers");
    g.throughput(Throughput::Elements(packets.len() as u64));
    g.sample_size(10);
    for workers in 1..=cores {
        let mut shards: Vec<Vec<&PacketMeta>> = vec![Vec::new(); workers];
        for p in &packets {
            shards[shard(p, &config.home_net, workers)].push(p);
        }
        g.bench_function(format!("{workers}"), |b| {
            b.iter(|| {
                std::thread::scope(|s| {
                    let handles: Vec<_> = shards
                        .iter()
                        .map(|share| s.spawn(|| run_worker(&config, workers, share)))
                        .collect();
                    black_box(
                        handles
                            .into_iter()
                            .map(|h| h.join().unwrap())
                            .sum::<usize>(),
                    )
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
