//! Checks made on a zipped workbook (XLSX, ODS) before calamine opens it: every part is
//! inflated once into nothing, counting bytes, so a zip bomb is refused after at most the
//! limit was inflated (in 64 KiB steps: memory stays flat), a part compressed beyond the
//! ratio limit is named, an encrypted part is refused, and an XML part that declares a DTD
//! or entities is refused before any XML parser sees it (S1, S2, S5, S8).
//!
//! Sizes declared in the zip are not trusted: the bytes are counted as they are inflated.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::error::ReadError;
use crate::limits::Limits;

/// Parts larger than this once inflated are checked against the ratio limit; small parts
/// (a sheet of empty styled cells) compress very well and are harmless.
const RATIO_FLOOR: u64 = 1024 * 1024;

/// The names of the parts of a checked workbook.
pub(crate) struct Parts {
    pub(crate) names: Vec<String>,
}

impl Parts {
    pub(crate) fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

/// Opens a zip archive, turning its errors into "damaged workbook".
pub(crate) fn archive(bytes: &[u8]) -> Result<ZipArchive<Cursor<&[u8]>>, ReadError> {
    ZipArchive::new(Cursor::new(bytes)).map_err(|e| ReadError::Damaged {
        detail: format!("it is not a readable zip archive ({e})"),
    })
}

/// Inflates every part once, counting: see the module documentation.
pub(crate) fn check(bytes: &[u8], limits: &Limits) -> Result<Parts, ReadError> {
    let mut zip = archive(bytes)?;
    let mut names = Vec::with_capacity(zip.len().min(4096));
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let damaged = |e: zip::result::ZipError| ReadError::Damaged {
            detail: format!("part {} cannot be read ({e})", i + 1),
        };
        let (name, compressed, encrypted) = {
            let f = zip.by_index_raw(i).map_err(damaged)?;
            let name = f.name().map_err(damaged)?.into_owned();
            (name, f.compressed_size().max(1), f.encrypted())
        };
        if encrypted {
            return Err(ReadError::Encrypted);
        }
        let mut f = zip.by_index(i).map_err(damaged)?;
        let xml = name.ends_with(".xml") || name.ends_with(".rels");
        let shared = name.ends_with("sharedStrings.xml");
        // calamine reserves room for the count the shared strings declare: the strings are
        // counted here, and a count far above the real one refused (S4).
        let mut declared: Option<u64> = None;
        let mut strings: u64 = 0;
        let mut part: u64 = 0;
        // The end of the previous chunk, so that a marker split between chunks is found.
        let mut tail: Vec<u8> = Vec::with_capacity(16);
        loop {
            let n = f.read(&mut buf).map_err(|e| ReadError::Damaged {
                detail: format!("part `{name}` cannot be decompressed ({e})"),
            })?;
            if n == 0 {
                break;
            }
            part += n as u64;
            total += n as u64;
            if total > limits.max_unzipped_bytes {
                return Err(ReadError::Unzipped {
                    part: name,
                    limit: limits.max_unzipped_bytes,
                });
            }
            if part > RATIO_FLOOR && part / compressed > limits.max_zip_ratio {
                // Finish counting within the limits, to name the real ratio.
                let mut rest = part;
                while let Ok(m) = f.read(&mut buf) {
                    if m == 0 || rest > limits.max_unzipped_bytes {
                        break;
                    }
                    rest += m as u64;
                }
                return Err(ReadError::ZipRatio {
                    part: name,
                    ratio: rest / compressed,
                    limit: limits.max_zip_ratio,
                });
            }
            if xml {
                let chunk = &buf[..n];
                let mut joined = std::mem::take(&mut tail);
                let t = joined.len();
                joined.extend_from_slice(&chunk[..n.min(16)]);
                if declares_entities(&joined) || declares_entities(chunk) {
                    return Err(ReadError::XmlEntities { part: name });
                }
                if shared {
                    if declared.is_none() {
                        declared = unique_count(chunk);
                    }
                    // The strings in this chunk, and those that straddle the previous one.
                    let straddling = count_si(&joined)
                        .saturating_sub(count_si(&joined[..t]) + count_si(&joined[t..]));
                    strings += count_si(chunk) + straddling;
                }
                tail.extend_from_slice(&chunk[n.saturating_sub(16)..]);
            }
        }
        if let Some(declared) = declared
            && declared > strings.saturating_mul(2).saturating_add(100_000)
        {
            return Err(ReadError::Damaged {
                detail: format!("part `{name}` declares {declared} strings but holds {strings}"),
            });
        }
        names.push(name);
    }
    Ok(Parts { names })
}

fn declares_entities(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"<!DOCTYPE").is_some()
        || memchr::memmem::find(bytes, b"<!ENTITY").is_some()
}

/// The `uniqueCount` of a shared-strings part, from its start.
fn unique_count(chunk: &[u8]) -> Option<u64> {
    let key = b"uniqueCount=\"";
    let at = memchr::memmem::find(chunk, key)? + key.len();
    let digits: Vec<u8> = chunk[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// How many shared strings start in `bytes`.
fn count_si(bytes: &[u8]) -> u64 {
    (memchr::memmem::find_iter(bytes, b"<si>").count()
        + memchr::memmem::find_iter(bytes, b"<si ").count()) as u64
}
