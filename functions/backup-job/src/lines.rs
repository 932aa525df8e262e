//! Reading a backup's data object as it streams from S3: checksum, gunzip (every member) and
//! split into lines, holding one chunk's worth at a time.

use std::io::Write;

use flate2::write::MultiGzDecoder;
use podcastflow_objects::Objects;
use sha2::{Digest, Sha256};

use crate::JobError;

/// Collects decompressed bytes and hands out whole lines.
#[derive(Default)]
struct Splitter {
    partial: Vec<u8>,
    lines: Vec<Vec<u8>>,
}

impl Write for Splitter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            self.partial.extend_from_slice(&rest[..i]);
            self.lines.push(std::mem::take(&mut self.partial));
            rest = &rest[i + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The SHA-256 (hex) and size of an object, read through once.
pub async fn checksum(objects: &Objects, key: &str) -> Result<(String, u64), JobError> {
    let mut r = objects.get(key).await?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = r.next().await? {
        hasher.update(&chunk);
        size += chunk.len() as u64;
    }
    Ok((format!("{:x}", hasher.finalize()), size))
}

/// The lines of a gzip JSON Lines object, in order, read as they stream in.
pub struct LineReader {
    reader: podcastflow_objects::Reader,
    decoder: Option<MultiGzDecoder<Splitter>>,
    ready: std::collections::VecDeque<Vec<u8>>,
}

fn not_gzip(e: std::io::Error) -> JobError {
    JobError::Data(format!("the backup file is not valid gzip: {e}"))
}

impl LineReader {
    /// Opens the object.
    pub async fn open(objects: &Objects, key: &str) -> Result<Self, JobError> {
        let reader = objects.get(key).await?;
        Ok(Self { reader, decoder: Some(MultiGzDecoder::new(Splitter::default())), ready: Default::default() })
    }

    /// The next line, `None` at the end.
    pub async fn next_line(&mut self) -> Result<Option<Vec<u8>>, JobError> {
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Ok(Some(line));
            }
            let Some(decoder) = self.decoder.as_mut() else { return Ok(None) };
            match self.reader.next().await? {
                Some(chunk) => {
                    decoder.write_all(&chunk).map_err(not_gzip)?;
                    self.ready.extend(std::mem::take(&mut decoder.get_mut().lines));
                }
                None => {
                    let Some(decoder) = self.decoder.take() else { return Ok(None) };
                    let mut rest = decoder.finish().map_err(not_gzip)?;
                    self.ready.extend(std::mem::take(&mut rest.lines));
                    if !rest.partial.is_empty() {
                        self.ready.push_back(rest.partial);
                    }
                }
            }
        }
    }
}
