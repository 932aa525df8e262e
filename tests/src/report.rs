//! Where the benchmarks leave their tables: `<target dir>/benchmarks/<name>.md`, which
//! `scripts/bench.sh` gathers into one report.

use std::path::PathBuf;

/// The benchmarks' output directory (`$CARGO_TARGET_DIR/benchmarks`, else the workspace's
/// `target/benchmarks`).
pub fn dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR").trim_end_matches("/tests")).join("target"));
    target.join("benchmarks")
}

/// Prints `table` and writes it to `<dir>/<name>.md`; the path written, or why not.
pub fn write(name: &str, table: &str) -> Result<PathBuf, std::io::Error> {
    println!("\n{table}");
    let dir = dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.md"));
    std::fs::write(&path, table)?;
    Ok(path)
}

/// The value at percentile `p` (0-100) of sorted `values`, nearest rank.
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
