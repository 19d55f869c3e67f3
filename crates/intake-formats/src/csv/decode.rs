//! Bytes in, chunks of UTF-8 text out.
//!
//! UTF-8 input is validated a whole chunk at a time and handed on without copying (the chunk's
//! `Vec<u8>` becomes the `String`); validating each record separately would cost about half
//! the parse time again. A character cut by the chunk end is carried over to the next chunk.
//! Any other encoding goes through an `encoding_rs` decoder without replacement, so a byte
//! that is not valid in the encoding is an error with its file offset, never a silent U+FFFD.

use std::io::{self, Chain, Cursor, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding};

/// How many input bytes are read at a time.
pub(crate) const CHUNK: usize = 256 * 1024;

/// Why the next chunk of text could not be had.
#[derive(Debug)]
pub(crate) enum SourceError {
    /// Reading failed.
    Io(io::Error),
    /// More than `max_bytes` bytes.
    TooLarge,
    /// The byte at this file offset is not valid in the encoding; the text before it has been
    /// handed out.
    Invalid { byte_offset: u64 },
}

impl From<io::Error> for SourceError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

enum Kind {
    Utf8 {
        /// The bytes of a character cut by the end of the previous chunk.
        carry: [u8; 4],
        carry_len: usize,
    },
    Other {
        decoder: Decoder,
        raw: Vec<u8>,
        /// How much of `raw` the decoder has consumed.
        raw_pos: usize,
        /// The file offset of `raw[0]`.
        raw_offset: u64,
        /// The decoder has seen the end of the input and must not be called again.
        finished: bool,
    },
}

/// The input of a reader as chunks of text; see the module documentation.
pub(crate) struct TextSource<R> {
    input: Chain<Cursor<Vec<u8>>, R>,
    /// Bytes taken from the input so far, counted from the start of the file.
    bytes_read: u64,
    max_bytes: u64,
    eof: bool,
    kind: Kind,
    text: String,
    /// An invalid byte follows the current text.
    pending_invalid: Option<u64>,
}

impl<R: Read> TextSource<R> {
    /// A source reading `sample` (the bytes already read, of which the first `skip` are a
    /// byte-order mark to drop) and then `rest`, as `encoding`.
    pub(crate) fn new(
        sample: Vec<u8>,
        skip: usize,
        rest: R,
        encoding: &'static Encoding,
        max_bytes: u64,
    ) -> Self {
        let mut cursor = Cursor::new(sample);
        cursor.set_position(skip as u64);
        let kind = if encoding == encoding_rs::UTF_8 {
            Kind::Utf8 {
                carry: [0; 4],
                carry_len: 0,
            }
        } else {
            Kind::Other {
                decoder: encoding.new_decoder_without_bom_handling(),
                raw: Vec::with_capacity(CHUNK),
                raw_pos: 0,
                raw_offset: skip as u64,
                finished: false,
            }
        };
        let text_capacity = match kind {
            Kind::Utf8 { .. } => CHUNK + 4,
            // A byte of a legacy encoding may become three bytes of UTF-8.
            Kind::Other { .. } => 3 * CHUNK + 16,
        };
        Self {
            input: cursor.chain(rest),
            bytes_read: skip as u64,
            max_bytes,
            eof: false,
            kind,
            text: String::with_capacity(text_capacity),
            pending_invalid: None,
        }
    }

    /// The size limit in bytes.
    pub(crate) fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The current chunk of text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Replaces the current chunk by the next one; `Ok(false)` at the end of the input. The
    /// new chunk may be empty.
    pub(crate) fn refill(&mut self) -> Result<bool, SourceError> {
        if let Some(byte_offset) = self.pending_invalid.take() {
            return Err(SourceError::Invalid { byte_offset });
        }
        match self.kind {
            Kind::Utf8 { .. } => self.refill_utf8(),
            Kind::Other { .. } => self.refill_other(),
        }
    }

    /// Reads up to `want` bytes onto the end of `buf`; notes the end of the input and checks
    /// the size limit.
    fn read_into(&mut self, buf: &mut Vec<u8>, want: usize) -> Result<(), SourceError> {
        let n = read_full(&mut self.input, buf, want)?;
        if n < want {
            self.eof = true;
        }
        self.bytes_read += n as u64;
        if self.bytes_read > self.max_bytes {
            return Err(SourceError::TooLarge);
        }
        Ok(())
    }

    fn refill_utf8(&mut self) -> Result<bool, SourceError> {
        let Kind::Utf8 { carry, carry_len } = &mut self.kind else {
            return Ok(false);
        };
        let carried = std::mem::take(carry_len);
        let carried_bytes = *carry;
        let mut buf = std::mem::take(&mut self.text).into_bytes();
        buf.clear();
        buf.extend_from_slice(&carried_bytes[..carried]);
        let start_offset = self.bytes_read - carried as u64;
        if !self.eof {
            self.read_into(&mut buf, CHUNK)?;
        }
        if buf.is_empty() {
            self.text = String::from_utf8(buf).unwrap_or_default();
            return Ok(false);
        }
        let cut = if self.eof {
            buf.len()
        } else {
            complete_prefix_len(&buf)
        };
        if let Kind::Utf8 { carry, carry_len } = &mut self.kind {
            let tail = &buf[cut..];
            carry[..tail.len()].copy_from_slice(tail);
            *carry_len = tail.len();
        }
        buf.truncate(cut);
        match String::from_utf8(buf) {
            Ok(text) => self.text = text,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let mut bytes = e.into_bytes();
                bytes.truncate(valid);
                // The bytes before `valid_up_to` are valid UTF-8, so this keeps them all.
                self.text = String::from_utf8(bytes).unwrap_or_default();
                self.pending_invalid = Some(start_offset + valid as u64);
            }
        }
        Ok(true)
    }

    fn refill_other(&mut self) -> Result<bool, SourceError> {
        self.text.clear();
        loop {
            let needs_input = match &self.kind {
                Kind::Other {
                    raw,
                    raw_pos,
                    finished,
                    ..
                } => {
                    if *finished {
                        return Ok(false);
                    }
                    *raw_pos == raw.len() && !self.eof
                }
                Kind::Utf8 { .. } => return Ok(false),
            };
            if needs_input {
                let mut buf = match &mut self.kind {
                    Kind::Other { raw, .. } => std::mem::take(raw),
                    Kind::Utf8 { .. } => return Ok(false),
                };
                buf.clear();
                let offset = self.bytes_read;
                let read = self.read_into(&mut buf, CHUNK);
                if let Kind::Other {
                    raw,
                    raw_pos,
                    raw_offset,
                    ..
                } = &mut self.kind
                {
                    *raw = buf;
                    *raw_pos = 0;
                    *raw_offset = offset;
                }
                read?;
            }
            let last = self.eof;
            let Kind::Other {
                decoder,
                raw,
                raw_pos,
                raw_offset,
                finished,
            } = &mut self.kind
            else {
                return Ok(false);
            };
            let (result, read) = decoder.decode_to_string_without_replacement(
                &raw[*raw_pos..],
                &mut self.text,
                last,
            );
            *raw_pos += read;
            match result {
                DecoderResult::InputEmpty => {
                    if last {
                        *finished = true;
                    }
                    if !self.text.is_empty() {
                        return Ok(true);
                    }
                    if last {
                        return Ok(false);
                    }
                }
                DecoderResult::OutputFull => return Ok(true),
                DecoderResult::Malformed(bad, after) => {
                    let end = *raw_offset + *raw_pos as u64;
                    let byte_offset = end.saturating_sub(u64::from(bad) + u64::from(after));
                    self.pending_invalid = Some(byte_offset);
                    return Ok(true);
                }
            }
        }
    }
}

/// The length of the longest prefix of `buf` that does not end inside a UTF-8 character
/// (whether the bytes are valid is for `from_utf8` to say).
pub(crate) fn complete_prefix_len(buf: &[u8]) -> usize {
    // The last lead byte within the final 4 bytes, if any.
    let first = buf.len().saturating_sub(4);
    for i in (first..buf.len()).rev() {
        let b = buf[i];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte
        }
        let needed = match b {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1, // never valid; let validation report it
        };
        return if i + needed > buf.len() { i } else { buf.len() };
    }
    buf.len()
}

/// Reads up to `want` bytes onto the end of `buf`, fewer only at the end of the input.
pub(crate) fn read_full(
    input: &mut impl Read,
    buf: &mut Vec<u8>,
    want: usize,
) -> io::Result<usize> {
    let start = buf.len();
    buf.resize(start + want, 0);
    let mut filled = 0;
    while filled < want {
        match input.read(&mut buf[start + filled..]) {
            Ok(0) => break,
            // `min` guards against a reader that claims more than it was given room for.
            Ok(n) => filled = (filled + n).min(want),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(start + filled);
                return Err(e);
            }
        }
    }
    buf.truncate(start + filled);
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(bytes: &[u8], encoding: &'static Encoding) -> (String, Option<u64>) {
        let mut source = TextSource::new(Vec::new(), 0, bytes, encoding, u64::MAX);
        let mut text = String::new();
        loop {
            match source.refill() {
                Ok(true) => text.push_str(source.text()),
                Ok(false) => return (text, None),
                Err(SourceError::Invalid { byte_offset }) => return (text, Some(byte_offset)),
                Err(e) => panic!("{e:?}"),
            }
        }
    }

    #[test]
    fn complete_prefix() {
        assert_eq!(complete_prefix_len(b"abc"), 3);
        assert_eq!(complete_prefix_len("aé".as_bytes()), 3);
        assert_eq!(complete_prefix_len(&"aé".as_bytes()[..2]), 1);
        assert_eq!(complete_prefix_len(&"a😀".as_bytes()[..4]), 1);
        assert_eq!(complete_prefix_len("a😀".as_bytes()), 5);
        assert_eq!(complete_prefix_len(b""), 0);
    }

    #[test]
    fn utf8_across_chunks() {
        // Every 4-byte character straddles a chunk end somewhere in here.
        let text: String = "😀é,".repeat(CHUNK / 3);
        assert_eq!(
            chunks(text.as_bytes(), encoding_rs::UTF_8),
            (text.clone(), None)
        );
    }

    #[test]
    fn invalid_utf8_offset() {
        let mut bytes = "é".repeat(CHUNK).into_bytes();
        bytes.insert(CHUNK + 7, 0xFF);
        let (text, offset) = chunks(&bytes, encoding_rs::UTF_8);
        assert_eq!(offset, Some(CHUNK as u64 + 6));
        assert_eq!(text.len(), CHUNK + 6);
    }

    #[test]
    fn truncated_utf8_at_end() {
        let (text, offset) = chunks(&"aé".as_bytes()[..2], encoding_rs::UTF_8);
        assert_eq!((text.as_str(), offset), ("a", Some(1)));
    }

    #[test]
    fn utf16_offsets() {
        // "ab" then an unpaired low surrogate.
        let bytes = [b'a', 0, b'b', 0, 0x00, 0xDC, b'c', 0];
        let (text, offset) = chunks(&bytes, encoding_rs::UTF_16LE);
        assert_eq!((text.as_str(), offset), ("ab", Some(4)));
    }

    #[test]
    fn windows_1252_never_fails() {
        let bytes: Vec<u8> = (0..=255).collect();
        let (text, offset) = chunks(&bytes, encoding_rs::WINDOWS_1252);
        assert_eq!(offset, None);
        assert_eq!(text.chars().count(), 256);
    }

    #[test]
    fn size_limit() {
        let mut source = TextSource::new(Vec::new(), 0, &b"abcdef"[..], encoding_rs::UTF_8, 5);
        assert!(matches!(source.refill(), Err(SourceError::TooLarge)));
    }
}
