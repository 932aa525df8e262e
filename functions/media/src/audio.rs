//! A host read's length, measured on the server from the uploaded file, never taken from the
//! client: the container is probed with symphonia (MP3, M4A/MP4, WAV) and its length read from
//! its headers (frame count and sample rate), or, for an MP3 without a Xing/Info header, from
//! the sum of its frames' lengths. Nothing is decoded to samples.

use std::io::Cursor;

use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use thiserror::Error;

/// Why a file could not be measured.
#[derive(Debug, Error, PartialEq)]
pub enum AudioError {
    /// Not a container of the kinds accepted, or a broken one.
    #[error("the file is not audio this service can read ({0})")]
    Undecodable(String),
    /// A container without an audio track.
    #[error("the file has no audio track")]
    NoTrack,
    /// A track whose length cannot be known.
    #[error("the file does not say how long it is")]
    NoLength,
}

/// The extension symphonia's probe is hinted with, by content type.
fn extension_of(content_type: &str) -> Option<&'static str> {
    match content_type {
        "audio/mpeg" => Some("mp3"),
        "audio/mp4" | "audio/x-m4a" | "audio/aac" => Some("m4a"),
        "audio/wav" | "audio/x-wav" => Some("wav"),
        _ => None,
    }
}

/// The length in seconds of the audio file `bytes` of `content_type`.
pub fn measure(bytes: Vec<u8>, content_type: &str) -> Result<f64, AudioError> {
    let mut hint = Hint::new();
    if let Some(ext) = extension_of(content_type) {
        hint.with_extension(ext);
    }
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes)), MediaSourceStreamOptions::default());
    let probed = symphonia::default::get_probe()
        .format(&hint, source, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|e| AudioError::Undecodable(e.to_string()))?;
    let mut format = probed.format;
    let track =
        format.tracks().iter().find(|t| t.codec_params.sample_rate.is_some()).cloned().ok_or(AudioError::NoTrack)?;
    let params = &track.codec_params;
    let seconds_of = |frames: u64| -> Option<f64> {
        if let Some(tb) = params.time_base {
            let t = tb.calc_time(frames);
            return Some(t.seconds as f64 + t.frac);
        }
        params.sample_rate.filter(|r| *r > 0).map(|r| frames as f64 / f64::from(r))
    };
    if let Some(frames) = params.n_frames.filter(|n| *n > 0) {
        return seconds_of(frames).ok_or(AudioError::NoLength);
    }
    // No count in the headers (an MP3 without a Xing header): add up its packets' lengths.
    let mut frames: u64 = 0;
    loop {
        match format.next_packet() {
            Ok(p) if p.track_id() == track.id => frames += p.dur,
            Ok(_) => {}
            Err(symphonia::core::errors::Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(symphonia::core::errors::Error::ResetRequired) => break,
            Err(e) => return Err(AudioError::Undecodable(e.to_string())),
        }
    }
    if frames == 0 {
        return Err(AudioError::NoLength);
    }
    seconds_of(frames).ok_or(AudioError::NoLength)
}

/// Sample files made here (for tests and the local demo): a WAV of silence and an MP3 of silent
/// frames, of a chosen length.
#[cfg(any(test, feature = "sample-audio"))]
pub mod samples {
    /// A 16-bit mono PCM WAV of `seconds` of silence at `rate` samples per second.
    pub fn wav(seconds: u32, rate: u32) -> Vec<u8> {
        let data = seconds * rate * 2;
        let mut out = Vec::with_capacity(44 + data as usize);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // PCM
        out.extend_from_slice(&1u16.to_le_bytes()); // mono
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * 2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data.to_le_bytes());
        out.resize(44 + data as usize, 0);
        out
    }

    /// An MPEG-1 Layer III file of `frames` silent frames (128 kbit/s, 44.1 kHz, no padding):
    /// 1152 samples each, so `frames * 1152 / 44100` seconds.
    pub fn mp3(frames: u32) -> Vec<u8> {
        // Sync, MPEG-1, layer III, no CRC; 128 kbit/s, 44.1 kHz, no padding; mono.
        const HEADER: [u8; 4] = [0xFF, 0xFB, 0x90, 0xC4];
        const FRAME: usize = 144 * 128_000 / 44_100;
        let mut out = Vec::with_capacity(FRAME * frames as usize);
        for _ in 0..frames {
            out.extend_from_slice(&HEADER);
            out.resize(out.len() + FRAME - HEADER.len(), 0);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wav_is_measured_from_its_header() {
        let secs = measure(samples::wav(42, 8000), "audio/wav").unwrap();
        assert!((secs - 42.0).abs() < 1e-6, "{secs}");
    }

    #[test]
    fn an_mp3_without_a_header_count_is_measured_by_its_frames() {
        // 1,000 frames of 1,152 samples at 44.1 kHz: 26.122 s.
        let secs = measure(samples::mp3(1000), "audio/mpeg").unwrap();
        assert!((secs - 1000.0 * 1152.0 / 44100.0).abs() < 0.05, "{secs}");
    }

    #[test]
    fn what_is_not_audio_is_refused() {
        assert!(matches!(measure(b"not audio at all".to_vec(), "audio/mpeg"), Err(AudioError::Undecodable(_))));
        assert!(matches!(measure(Vec::new(), "audio/wav"), Err(AudioError::Undecodable(_))));
        let mut truncated = samples::wav(1, 8000);
        truncated.truncate(20);
        assert!(measure(truncated, "audio/x-wav").is_err());
    }
}
