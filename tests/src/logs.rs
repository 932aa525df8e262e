//! The logs of the whole test process, captured as the JSON lines CloudWatch would get: the
//! first call installs a global subscriber writing into memory (the last [`KEEP`] lines), so a
//! test can follow a request's id through every component, or prove that no secret is logged.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

/// Lines kept (older ones are dropped).
pub const KEEP: usize = 200_000;

/// The captured lines.
#[derive(Debug, Default)]
pub struct Captured {
    lines: Mutex<VecDeque<String>>,
}

impl Captured {
    /// Every line kept so far that contains `needle`.
    pub fn containing(&self, needle: &str) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).iter().filter(|l| l.contains(needle)).cloned().collect()
    }

    /// How many lines are kept.
    pub fn len(&self) -> usize {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing was captured.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Writer(&'static Captured);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let mut lines = self.0.lines.lock().unwrap_or_else(|e| e.into_inner());
        for line in text.lines().filter(|l| !l.is_empty()) {
            if lines.len() >= KEEP {
                lines.pop_front();
            }
            lines.push_back(line.to_owned());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's captured logs, capturing from the first call on (at `info`, JSON, with the
/// current span's fields, as `podcastflow_platform::logging` formats them in Lambda).
pub fn capture() -> &'static Captured {
    static CAPTURED: OnceLock<&'static Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured: &'static Captured = Box::leak(Box::default());
        podcastflow_platform::logging::install(tracing_subscriber::filter::LevelFilter::INFO, move || Writer(captured));
        captured
    })
}
