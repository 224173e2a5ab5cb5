//! Bounded memory for a hostile recording, measured: a peak-tracking global allocator watches a
//! `.zst` that decompresses to one 256 MiB line. The reader must refuse the line at the 32 MiB
//! cap without ever holding the whole line (the issue: a 135 KB file drove `replay` past 3 GiB).
//! One test per binary, so no other test's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use qqbot::record::{Header, RecordReader, RecordWriter, Redaction};

struct Peak;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Peak = Peak;

const MIB: usize = 1024 * 1024;

#[test]
fn a_256_mib_zstd_line_is_refused_at_the_cap_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.ndjson.zst");
    {
        let mut header = Header::new(Utc.timestamp_opt(1_700_000_000, 0).unwrap());
        header.app_id = "102000000".into();
        let mut w = RecordWriter::new(Vec::new(), &header, &Redaction::default()).unwrap();
        w.flush().unwrap();
        let header_line = w.finish().unwrap();
        let file = std::fs::File::create(&path).unwrap();
        let mut enc = zstd::stream::write::Encoder::new(file, 1).unwrap();
        enc.write_all(&header_line).unwrap();
        let zeros = vec![b'0'; MIB];
        for _ in 0..256 {
            enc.write_all(&zeros).unwrap();
        }
        enc.finish().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 256 * 1024, "{size} bytes on disk");

    let baseline = CURRENT.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let mut reader = RecordReader::open(&path).unwrap();
    let err = reader.next_record().unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2 is longer than 32 MiB, the limit for one recording line"
    );
    drop(reader);
    let peak = PEAK.load(Ordering::Relaxed) - baseline;
    // The cap plus buffer growth and the decoder's window: far below the 256 MiB line.
    assert!(peak < 100 * MIB, "peak {} MiB", peak / MIB);
    assert!(
        peak >= 32 * MIB,
        "the line was read up to the cap: {} MiB",
        peak / MIB
    );
}
