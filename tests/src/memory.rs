//! This process's memory as `/proc/self/status` tells it, for the benchmarks' memory figures.

/// A memory figure of this process from `/proc/self/status` (`VmRSS:`, `VmHWM:`), in MB.
pub fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// The high-water resident set, in MB.
pub fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// The resident set now, in MB.
pub fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// Starts the high-water mark again from the resident set now.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
