//! Warm handler cost of the representative routes (`podcastflow_tests::workload`), in process on
//! the embedded store: CPU time per request (criterion, measuring the process's CPU time, so the
//! store's blocking threads and argon2 count), wall time, heap allocations and bytes allocated
//! per request (a counting global allocator), and the table calls each request made against the
//! documented minimum.
//!
//!     cargo bench -p podcastflow-tests --bench handlers
//!
//! Prints one table and writes it to target/benchmarks/handlers.md (criterion's own reports go
//! to target/criterion). The organization holds 100 campaigns; the writes commit durably to the
//! embedded store, so their wall time is mostly the disk's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::Criterion;
use podcastflow_tests::report;
use podcastflow_tests::workload::{Route, Workload};

/// Counts every allocation of the process (all threads) on the way to the system allocator.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed unchanged to the system allocator; the counters are atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn count(size: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
}

/// CPU time of the whole process so far.
fn process_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write; the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// What the measured requests of one route added up to.
#[derive(Default)]
struct Totals {
    requests: u64,
    cpu: Duration,
    wall: Duration,
    allocations: u64,
    bytes: u64,
    calls: Option<(u32, u32)>,
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let workload = rt.block_on(Workload::new(100));
    let totals: RefCell<BTreeMap<usize, Totals>> = RefCell::default();
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("handlers");
    for (i, route) in Route::ALL.into_iter().enumerate() {
        // A sign-in costs tens of milliseconds of argon2: fewer samples, same confidence.
        group.sample_size(if route == Route::Login { 20 } else { 100 });
        group.bench_function(route.name(), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (workload, totals) = (&workload, &totals);
                async move {
                    let (cpu, wall) = (process_cpu(), Instant::now());
                    let (allocations, bytes) = (ALLOCATIONS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed));
                    let mut calls = None;
                    for _ in 0..iters {
                        let served = workload.serve(route).await;
                        assert_eq!(served.status, 200, "{}", route.name());
                        let these = (served.calls.calls, served.calls.retries);
                        assert!(calls.is_none_or(|c| c == these), "{}: calls vary", route.name());
                        calls = Some(these);
                    }
                    let spent = process_cpu() - cpu;
                    let mut all = totals.borrow_mut();
                    let t = all.entry(i).or_default();
                    t.requests += iters;
                    t.cpu += spent;
                    t.wall += wall.elapsed();
                    t.allocations += ALLOCATIONS.load(Ordering::Relaxed) - allocations;
                    t.bytes += BYTES.load(Ordering::Relaxed) - bytes;
                    t.calls = calls;
                    spent
                }
            })
        });
    }
    group.finish();
    c.final_summary();

    let mut table = String::from(
        "Warm handler cost, in process on the embedded store (means over every request served, warm-up included)\n\n\
         | route | requests | CPU µs/request | wall µs/request | allocations/request | KiB allocated/request | table calls | documented minimum |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut notes = String::new();
    for (i, route) in Route::ALL.into_iter().enumerate() {
        let all = totals.borrow();
        let Some(t) = all.get(&i).filter(|t| t.requests > 0) else { continue };
        let per = |d: Duration| d.as_secs_f64() * 1e6 / t.requests as f64;
        let (calls, retries) = t.calls.unwrap_or_default();
        table.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.0} | {:.1} | {calls}{} | {} |\n",
            route.name(),
            t.requests,
            per(t.cpu),
            per(t.wall),
            t.allocations as f64 / t.requests as f64,
            t.bytes as f64 / 1024.0 / t.requests as f64,
            if retries > 0 { format!(" (+{retries} retries)") } else { String::new() },
            route.minimum_calls(),
        ));
        if calls != route.minimum_calls() {
            notes.push_str(&format!(
                "\n**{} made {calls} table calls; the documented minimum is {}.**\n",
                route.name(),
                route.minimum_calls()
            ));
        }
    }
    table.push_str(&notes);
    match report::write("handlers", &table) {
        Ok(path) => println!("written to {}", path.display()),
        Err(e) => eprintln!("could not write the table: {e}"),
    }
}
