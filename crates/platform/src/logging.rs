//! Logs of a function in AWS: one JSON object per line (CloudWatch Logs Insights reads the
//! fields), with the fields of the current span (request id, correlation id, function, route,
//! tenant) on every line logged within a request. Level from `AWS_LAMBDA_LOG_LEVEL` or
//! `RUST_LOG`, `info` by default.
//!
//! What is logged is chosen field by field: never a header, a body, a token or a password.

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the JSON format writing to `writer` at `level` as the process's subscriber (once;
/// `false` when one was installed already). The end-to-end suite captures with it too.
pub fn install<W>(level: LevelFilter, writer: W) -> bool
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_max_level(level)
        .with_writer(writer)
        .try_init()
        .is_ok()
}

/// Installs the JSON subscriber on stdout at the Lambda's log level.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| String::from("info"))
        .to_lowercase();
    install(level_of(&level), std::io::stdout);
}

/// A Lambda log level (`TRACE` .. `FATAL`, any case) or `off` as a filter; anything else,
/// the empty string and `RUST_LOG` directives included, is `info`. Matched by name because
/// `LevelFilter`'s own parser reads the empty string as `error` and digits as levels.
fn level_of(level: &str) -> LevelFilter {
    match level.trim() {
        "trace" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "warn" => LevelFilter::WARN,
        "error" | "fatal" => LevelFilter::ERROR,
        "off" => LevelFilter::OFF,
        _ => LevelFilter::INFO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_log_levels_become_filters() {
        assert_eq!(level_of("debug"), LevelFilter::DEBUG);
        assert_eq!(level_of("warn"), LevelFilter::WARN);
        assert_eq!(level_of("fatal"), LevelFilter::ERROR);
        assert_eq!(level_of("podcastflow=debug"), LevelFilter::INFO);
        assert_eq!(level_of(""), LevelFilter::INFO);
        assert_eq!(level_of("0"), LevelFilter::INFO);
        assert_eq!(level_of("trace"), LevelFilter::TRACE);
        assert_eq!(level_of("error"), LevelFilter::ERROR);
        assert_eq!(level_of("off"), LevelFilter::OFF);
    }
}
