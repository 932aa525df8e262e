//! A log file's lines from the chunks S3 streams, gunzipped on the way when the file is gzip
//! (CloudFront's are; several gzip members one after another are one file), so a file of any size
//! is read in memory the size of a chunk and its lines.

use std::io::{BufWriter, Write};

use flate2::Compression;
use flate2::write::{GzEncoder, MultiGzDecoder};

/// Bytes of lines gathered before they are compressed.
const GZIP_BLOCK: usize = 256 * 1024;

/// A gzip writer for lines written a few bytes at a time (JSON Lines through serde), into `out`.
///
/// The lines reach the encoder in blocks: flate2 zeroes its output buffer's spare capacity on
/// every write, which for lines written field by field took a fifth of the ingest's CPU.
pub fn gzip_writer(out: Vec<u8>, level: Compression) -> BufWriter<GzEncoder<Vec<u8>>> {
    BufWriter::with_capacity(GZIP_BLOCK, GzEncoder::new(out, level))
}

/// The gzip bytes of a [`gzip_writer`], its trailer written.
pub fn gzip_finish(w: BufWriter<GzEncoder<Vec<u8>>>) -> std::io::Result<Vec<u8>> {
    w.into_inner().map_err(|e| e.into_error())?.finish()
}

/// Why the bytes could not be read as lines.
#[derive(Debug, thiserror::Error)]
#[error("not readable: {0}")]
pub struct Unreadable(String);

/// Turns chunks of a (possibly gzip) file into lines.
pub struct Lines {
    gzip: Option<MultiGzDecoder<Vec<u8>>>,
    started: bool,
    pending: Vec<u8>,
}

impl Default for Lines {
    fn default() -> Self {
        Self::new()
    }
}

impl Lines {
    /// A reader that has seen nothing yet.
    pub fn new() -> Self {
        Self { gzip: None, started: false, pending: Vec::new() }
    }

    /// Takes the next chunk; the complete lines it finished, without their line ends (lines that
    /// are not UTF-8 are read lossily, and then fail to parse as requests).
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<String>, Unreadable> {
        if !self.started && !chunk.is_empty() {
            self.started = true;
            if chunk.starts_with(&[0x1f, 0x8b]) {
                self.gzip = Some(MultiGzDecoder::new(Vec::new()));
            }
        }
        match &mut self.gzip {
            Some(d) => {
                d.write_all(chunk).map_err(|e| Unreadable(e.to_string()))?;
                let out = std::mem::take(d.get_mut());
                self.pending.extend_from_slice(&out);
            }
            None => self.pending.extend_from_slice(chunk),
        }
        Ok(self.complete())
    }

    /// Ends the file: the last line, if it had no line end.
    pub fn finish(&mut self) -> Result<Vec<String>, Unreadable> {
        if let Some(d) = &mut self.gzip {
            d.try_finish().map_err(|e| Unreadable(e.to_string()))?;
            let out = std::mem::take(d.get_mut());
            self.pending.extend_from_slice(&out);
        }
        let mut lines = self.complete();
        if !self.pending.is_empty() {
            lines.push(String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned());
        }
        Ok(lines)
    }

    fn complete(&mut self) -> Vec<String> {
        let Some(last) = self.pending.iter().rposition(|b| *b == b'\n') else { return Vec::new() };
        let done: Vec<u8> = self.pending.drain(..=last).collect();
        done[..last]
            .split(|b| *b == b'\n')
            .map(|l| String::from_utf8_lossy(l).trim_end_matches('\r').to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<String> {
        let mut l = Lines::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(l.push(c).unwrap());
        }
        out.extend(l.finish().unwrap());
        out
    }

    #[test]
    fn plain_lines_split_across_chunks_come_out_whole() {
        assert_eq!(all(&[b"a\r\nb", b"c\n", b"d"]), ["a", "bc", "d"]);
        assert_eq!(all(&[b"a\n\nb\n"]), ["a", "", "b"]);
        assert!(all(&[]).is_empty());
    }

    #[test]
    fn gzip_and_concatenated_gzip_members_are_read() {
        let gz = |s: &str| {
            let mut e = GzEncoder::new(Vec::new(), Compression::default());
            e.write_all(s.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let mut both = gz("one\ntw");
        both.extend(gz("o\nthree\n"));
        let (a, b) = both.split_at(7);
        assert_eq!(all(&[a, b]), ["one", "two", "three"]);
        let mut l = Lines::new();
        l.push(&[0x1f, 0x8b, 0, 1, 2, 3]).ok();
        assert!(l.finish().is_err(), "a broken gzip file is unreadable, not empty");
    }
}
