//! Replay throughput: `RecordReader` → items → `ndjson::write_line` at max speed, the same on
//! worker threads (`NdjsonReplay`), and the `qqbot --json replay FILE --max-speed` command itself
//! with stdout on /dev/null (on worker threads, and on one with `QQBOT_REPLAY_WORKERS=0`), against
//! a baseline of plain `read_line` + write and against `wc -l` on the same file, in the same run
//! (the commands and `wc -l` alternate, best wall time of 5 each).
//! Also peak RSS for a 200k and a 1M event file, to show memory does not grow with file size.
//!
//! Run with `cargo bench --bench replay`. Optional argument: number of events (default 1000000;
//! 10000 when run as a test through `cargo test --benches`), e.g. `cargo bench --bench replay --
//! 300000` for a shorter run. The frames are the real-shaped corpus of `support/corpus.rs`
//! (guild, group and C2C messages with the platform's `\u0026`-style escapes).

use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use qqbot::gateway::{Dispatch, GatewayItem, ItemKind, ShardId};
use qqbot::output::ndjson;
use qqbot::protocol::Envelope;
use qqbot::record::{
    Header, NdjsonReplay, Piece, RecordReader, RecordWriter, Redaction, Replay, Selection,
};

#[path = "support/corpus.rs"]
mod corpus;
use corpus::frame;
#[path = "support/procstat.rs"]
mod procstat;
use procstat::children_cpu;

fn item(seq: u64, frame: &str) -> GatewayItem {
    let env = Envelope::peek(frame).expect("valid frame");
    let d = env.d.expect("d").get();
    let start = d.as_ptr() as usize - frame.as_ptr() as usize;
    GatewayItem {
        shard: ShardId::ONE,
        received_at: Utc.with_ymd_and_hms(2026, 11, 27, 9, 40, 0).unwrap()
            + chrono::Duration::microseconds(seq as i64 * 997),
        kind: ItemKind::Dispatch(Dispatch::new(
            env.s,
            env.t.as_deref().unwrap_or("").into(),
            env.id.as_deref(),
            Arc::from(frame),
            start..start + d.len(),
        )),
    }
}

fn generate(path: &Path, events: u64) {
    let us = Arc::new(AtomicU64::new(0));
    let clock_us = us.clone();
    let header = Header::new(Utc.with_ymd_and_hms(2026, 11, 27, 9, 40, 0).unwrap());
    let mut w = RecordWriter::create(path, &header, &Redaction::default())
        .expect("create")
        .with_clock(Box::new(move || {
            Duration::from_micros(clock_us.load(Ordering::Relaxed))
        }));
    for seq in 1..=events {
        us.store(seq * 997, Ordering::Relaxed);
        let text = frame(seq);
        w.write_item(&item(seq, &text)).expect("write");
    }
    w.close().expect("close");
}

/// Peak RSS (VmHWM) in KiB.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Reset the peak RSS counter (Linux ≥ 4.0); false when not possible.
fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (ns precision). The machine
/// may be shared, so rates are also reported per CPU-second, which contention affects less.
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

struct Run {
    events: u64,
    elapsed: Duration,
    cpu: Duration,
    hwm_kib: u64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }

    fn cpu_rate(&self) -> f64 {
        self.events as f64 / self.cpu.as_secs_f64().max(1e-9)
    }
}

/// (a) Baseline: `read_line` each line and write it to a null sink.
fn baseline(path: &Path) -> Run {
    reset_hwm();
    let start = Instant::now();
    let cpu = cpu_time();
    let mut reader = BufReader::with_capacity(256 * 1024, File::open(path).expect("open"));
    let mut sink = std::io::sink();
    let mut line = String::with_capacity(4096);
    let mut lines = 0u64;
    loop {
        line.clear();
        if reader.read_line(&mut line).expect("read") == 0 {
            break;
        }
        sink.write_all(black_box(line.as_bytes())).expect("sink");
        lines += 1;
    }
    Run {
        events: lines - 1, // minus the header
        elapsed: start.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
        hwm_kib: vm_hwm_kib(),
    }
}

/// (b) `RecordReader` → items → `ndjson::write_line` → null sink, max speed.
fn replay(path: &Path) -> Run {
    reset_hwm();
    let start = Instant::now();
    let cpu = cpu_time();
    let reader = RecordReader::open(path).expect("open");
    let mut sink = std::io::sink();
    let mut out = String::with_capacity(4096);
    let mut events = 0u64;
    for replayed in Replay::new(reader, Selection::everything()) {
        let replayed = replayed.expect("record");
        out.clear();
        ndjson::write_line(&mut out, &replayed.item);
        sink.write_all(black_box(out.as_bytes())).expect("sink");
        events += 1;
    }
    Run {
        events,
        elapsed: start.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
        hwm_kib: vm_hwm_kib(),
    }
}

/// Reader only (no items, no output): where the time goes.
fn reader_only(path: &Path) -> Run {
    let start = Instant::now();
    let cpu = cpu_time();
    let mut reader = RecordReader::open(path).expect("open");
    let mut events = 0u64;
    while let Some(record) = reader.next_record().expect("record") {
        black_box(&record);
        events += 1;
    }
    Run {
        events,
        elapsed: start.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
        hwm_kib: vm_hwm_kib(),
    }
}

/// `ndjson::write_line` alone, over 1000 prepared items written `events / 1000` times each: the
/// share of (b) spent in the output format rather than in the reader.
fn write_line_only(events: u64) -> Run {
    let items: Vec<GatewayItem> = (1..=1000).map(|seq| item(seq, &frame(seq))).collect();
    let start = Instant::now();
    let cpu = cpu_time();
    let mut sink = std::io::sink();
    let mut out = String::with_capacity(4096);
    let mut written = 0u64;
    for _ in 0..events / 1000 {
        for item in &items {
            out.clear();
            ndjson::write_line(&mut out, black_box(item));
            sink.write_all(black_box(out.as_bytes())).expect("sink");
            written += 1;
        }
    }
    Run {
        events: written,
        elapsed: start.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
        hwm_kib: vm_hwm_kib(),
    }
}

/// `wc -l FILE` with stdout on /dev/null: the floor the issue compares the command with.
fn wc_l(path: &Path, events: u64) -> Run {
    let devnull = File::create("/dev/null").expect("/dev/null");
    let cpu = children_cpu();
    let start = Instant::now();
    let status = std::process::Command::new("wc")
        .arg("-l")
        .arg(path)
        .stdout(devnull)
        .status()
        .expect("run wc");
    let elapsed = start.elapsed();
    assert!(status.success(), "wc -l failed: {status}");
    Run {
        events,
        elapsed,
        cpu: children_cpu().saturating_sub(cpu),
        hwm_kib: 0,
    }
}

/// (b') `NdjsonReplay`: the same replay parsed and formatted on `workers` threads.
fn replay_parallel(path: &Path, workers: usize) -> Run {
    reset_hwm();
    let start = Instant::now();
    let cpu = process_cpu();
    let reader = RecordReader::open(path).expect("open");
    let mut parallel = NdjsonReplay::new(reader, Selection::everything(), workers)
        .unwrap_or_else(|_| panic!("a plain file replays on worker threads"));
    let mut sink = std::io::sink();
    let mut out = String::with_capacity(4096);
    let mut events = 0u64;
    while let Some(piece) = parallel.next_piece() {
        match piece.expect("record") {
            Piece::Lines {
                text, events: n, ..
            } => {
                sink.write_all(black_box(text.as_bytes())).expect("sink");
                events += n;
            }
            Piece::Item(replayed) => {
                out.clear();
                ndjson::write_line(&mut out, &replayed.item);
                sink.write_all(black_box(out.as_bytes())).expect("sink");
                events += 1;
            }
        }
    }
    // Before the workers exit, while their CPU time is still on record.
    let run = Run {
        events,
        elapsed: start.elapsed(),
        cpu: process_cpu().saturating_sub(cpu),
        hwm_kib: vm_hwm_kib(),
    };
    drop(parallel);
    run
}

/// CPU time of the whole process (all threads), from `/proc/self/schedstat`'s sum over
/// `/proc/self/task/*`: the workers' time counts.
fn process_cpu() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .sum()
}

/// (c) The command itself: `qqbot --json replay FILE --max-speed` with stdout on /dev/null;
/// `workers` sets `QQBOT_REPLAY_WORKERS` (`None`: the default, one per CPU).
fn command(path: &Path, events: u64, workers: Option<usize>) -> Run {
    let devnull = File::create("/dev/null").expect("/dev/null");
    let cpu = children_cpu();
    let start = Instant::now();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_qqbot"));
    if let Some(workers) = workers {
        cmd.env("QQBOT_REPLAY_WORKERS", workers.to_string());
    }
    let status = cmd
        .args(["--json", "replay", "--max-speed", "--quiet"])
        .arg(path)
        .stdout(devnull)
        .status()
        .expect("run qqbot");
    let elapsed = start.elapsed();
    assert!(status.success(), "qqbot replay failed: {status}");
    Run {
        events,
        elapsed,
        cpu: children_cpu().saturating_sub(cpu),
        hwm_kib: 0,
    }
}

fn best_of(n: usize, f: impl Fn() -> Run) -> Run {
    let mut best = f();
    for _ in 1..n {
        let run = f();
        if run.cpu < best.cpu {
            best = Run {
                hwm_kib: best.hwm_kib.max(run.hwm_kib),
                ..run
            };
        }
    }
    best
}

fn main() {
    // `cargo bench` passes `--bench`; without it (`cargo test --benches`) run a quick smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let events: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if benching { 1_000_000 } else { 10_000 });
    let small_events = events / 5;
    // QQBOT_BENCH_DIR keeps the generated files there and reuses them (for profiling runs);
    // by default they go to a temporary directory removed at the end.
    let temp = tempfile::tempdir().expect("tempdir");
    let dir =
        std::env::var_os("QQBOT_BENCH_DIR").map_or_else(|| temp.path().to_owned(), Into::into);
    let big = dir.join(format!("big-{events}.ndjson"));
    let small = dir.join(format!("small-{small_events}.ndjson"));
    let zst = dir.join(format!("big-{events}.ndjson.zst"));

    let t = Instant::now();
    for (path, n) in [(&big, events), (&small, small_events), (&zst, events)] {
        if !path.exists() {
            generate(path, n);
        }
    }
    if std::env::var_os("QQBOT_BENCH_PROFILE").is_some() {
        for _ in 0..5 {
            let run = reader_only(&big);
            println!("reader only: {:.0} events/CPU-s", run.cpu_rate());
            let run = replay(&big);
            println!("replay: {:.0} events/CPU-s", run.cpu_rate());
        }
        return;
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let sample: Vec<String> = (1..=1000).map(frame).collect();
    println!(
        "corpus: mean frame {} bytes, {}% of frames with \\u escapes",
        sample.iter().map(String::len).sum::<usize>() / sample.len(),
        sample.iter().filter(|f| f.contains("\\u")).count() / 10
    );
    println!(
        "generated {events} events ({:.0} MB, {:.0} MB as .zst) and {small_events} events ({:.0} MB) in {:.1}s",
        size(&big),
        size(&zst),
        size(&small),
        t.elapsed().as_secs_f64()
    );
    let resets = reset_hwm();
    if !resets {
        println!("note: cannot reset VmHWM here; peak RSS figures are cumulative");
    }

    let base = best_of(3, || baseline(&big));
    let rep = best_of(3, || replay(&big));
    let only = best_of(3, || reader_only(&big));
    let output_only = best_of(3, || write_line_only(events));
    let rep_small = best_of(3, || replay(&small));
    let rep_zst = best_of(1, || replay(&zst));
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .max(2);
    let par = best_of(3, || replay_parallel(&big, workers));
    // Alternating, so that both commands meet the same machine.
    let mut cmd: Option<Run> = None;
    let mut cmd_one: Option<Run> = None;
    let mut wc: Option<Run> = None;
    let keep = |best: &mut Option<Run>, run: Run| {
        if best.as_ref().is_none_or(|b| run.elapsed < b.elapsed) {
            *best = Some(run);
        }
    };
    for _ in 0..5 {
        keep(&mut cmd, command(&big, events, None));
        keep(&mut cmd_one, command(&big, events, Some(0)));
        keep(&mut wc, wc_l(&big, events));
    }
    let (cmd, cmd_one, wc) = (cmd.unwrap(), cmd_one.unwrap(), wc.unwrap());
    assert_eq!(rep.events, events, "every event replayed");
    assert_eq!(base.events, events);

    let show = |label: &str, run: &Run| {
        println!(
            "{label:<44} {:>10.0} events/s wall, {:>10.0} per CPU-second ({:.3}s wall, {:.3}s CPU{})",
            run.rate(),
            run.cpu_rate(),
            run.elapsed.as_secs_f64(),
            run.cpu.as_secs_f64(),
            if run.hwm_kib > 0 {
                format!(", peak RSS {} KiB", run.hwm_kib)
            } else {
                String::new()
            }
        );
    };
    show("(a) baseline read_line → sink", &base);
    show("(b) RecordReader → items → ndjson → sink", &rep);
    println!(
        "    ratio (b)/(a): {:.2} wall, {:.2} CPU",
        rep.rate() / base.rate(),
        rep.cpu_rate() / base.cpu_rate()
    );
    show("    RecordReader alone (no items, no output)", &only);
    show(
        "    ndjson::write_line alone (items in memory)",
        &output_only,
    );
    println!(
        "    {small_events}-event file: {:.0} events/CPU-s, peak RSS {} KiB; {events}-event file: peak RSS {} KiB ({})",
        rep_small.cpu_rate(),
        rep_small.hwm_kib,
        rep.hwm_kib,
        if rep.hwm_kib <= rep_small.hwm_kib + 1024 {
            "flat: memory does not grow with file size"
        } else {
            "GROWS with file size"
        }
    );
    show("(b) on the .zst file", &rep_zst);
    show(
        &format!("(b') NdjsonReplay, {workers} workers → sink"),
        &par,
    );
    show(
        "(c) `qqbot --json replay FILE --max-speed` > /dev/null",
        &cmd,
    );
    show(
        "    the same on one thread (QQBOT_REPLAY_WORKERS=0)",
        &cmd_one,
    );
    println!(
        "    workers vs one thread: {:.2}× the rate, {:.2}× the CPU",
        cmd.rate() / cmd_one.rate(),
        cmd.cpu.as_secs_f64() / cmd_one.cpu.as_secs_f64().max(1e-9)
    );
    println!(
        "    ratio (c)/(a): {:.2} wall, {:.2} CPU (CPU in 10 ms ticks, includes process start)",
        cmd.rate() / base.rate(),
        cmd.cpu_rate() / base.cpu_rate()
    );
    show("    `wc -l FILE` > /dev/null (lines)", &wc);
    println!(
        "    ratio (c)/wc -l: 1/{:.1} wall, 1/{:.1} CPU (target: at least 1/5 in wall time: {})",
        wc.rate() / cmd.rate(),
        wc.cpu_rate() / cmd.cpu_rate(),
        if cmd.rate() * 5.0 >= wc.rate() {
            "met"
        } else {
            "NOT met"
        }
    );
    let verdict = |r: f64| if r >= 1_000_000.0 { "met" } else { "NOT met" };
    println!(
        "target ≥ 1000000 events/s in wall time: (b) {}, (b') {}, (c) {}; per CPU-second (info): (b) {:.0}, (b') {:.0}, (c) {:.0}",
        verdict(rep.rate()),
        verdict(par.rate()),
        verdict(cmd.rate()),
        rep.cpu_rate(),
        par.cpu_rate(),
        cmd.cpu_rate()
    );
}
