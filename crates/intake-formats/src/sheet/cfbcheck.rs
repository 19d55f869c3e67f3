//! The checks of an XLS file (a compound document holding BIFF records) made before calamine
//! opens it, for what would make calamine allocate without bound:
//!
//! - a sector chain that loops (calamine follows it until the length it was asked for, which
//!   for the directory is unbounded);
//! - a sheet whose DIMENSIONS record declares an extent no XLS sheet can have (more than
//!   65,536 rows or 256 columns, or a last row before the first): calamine reserves a cell for
//!   each position it declares.
//!
//! Every walk here is bounded by the number of sectors in the file; nothing is allocated from a
//! size the file declares beyond what the file holds.

use crate::error::ReadError;

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// Sector numbers from here on are markers (free, FAT, DIFAT, end of chain), not sectors.
const MAXREGSECT: u32 = 0xFFFF_FFFA;
/// Rows and columns an XLS (BIFF8) sheet can have.
const MAX_ROWS: i64 = 65_536;
const MAX_COLUMNS: i64 = 256;

fn damaged(detail: &str) -> ReadError {
    ReadError::Damaged {
        detail: detail.to_string(),
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The compound document's sectors and allocation table.
struct Container<'a> {
    bytes: &'a [u8],
    size: usize,
    fat: Vec<u32>,
    /// Sectors in the file: no chain without a loop is longer.
    sectors: usize,
}

impl Container<'_> {
    /// A sector; the last one may be cut short by the end of the file (calamine reads it so).
    fn sector(&self, id: u32) -> Option<&[u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(self.size)?;
        let end = start.checked_add(self.size)?.min(self.bytes.len());
        self.bytes.get(start..end)
    }

    /// The sectors of a chain, in order; an error when it loops. A chain that runs off the
    /// table or the file ends there (calamine reports that itself).
    fn chain(&self, start: u32) -> Result<Vec<u32>, ReadError> {
        let mut out = Vec::new();
        let mut id = start;
        while id < MAXREGSECT && (id as usize) < self.fat.len() && self.sector(id).is_some() {
            if out.len() > self.sectors {
                return Err(damaged("a chain of sectors of the compound file loops"));
            }
            out.push(id);
            id = self.fat[id as usize];
        }
        Ok(out)
    }

    /// The bytes of a chain, at most `len`.
    fn read(&self, start: u32, len: usize) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        for id in self.chain(start)? {
            if out.len() >= len {
                break;
            }
            if let Some(s) = self.sector(id) {
                out.extend_from_slice(&s[..s.len().min(len - out.len())]);
            }
        }
        Ok(out)
    }
}

/// Checks an XLS file; see the module documentation.
pub(crate) fn check(bytes: &[u8]) -> Result<(), ReadError> {
    let header = bytes
        .get(..512)
        .ok_or_else(|| damaged("the file ends inside its header"))?;
    let size = match u16_at(header, 30) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => return Ok(()), // calamine refuses it
    };
    let sectors = (bytes.len() / size).saturating_sub(1);
    // The allocation table: the sectors the header and the DIFAT chain list.
    let mut fat_sectors: Vec<u32> = (0..109)
        .filter_map(|i| u32_at(header, 76 + 4 * i))
        .filter(|id| *id < MAXREGSECT)
        .collect();
    let mut container = Container {
        bytes,
        size,
        fat: Vec::new(),
        sectors,
    };
    let mut difat = u32_at(header, 68).unwrap_or(ENDOFCHAIN);
    let mut seen = 0usize;
    while difat < MAXREGSECT {
        seen += 1;
        if seen > sectors + 1 {
            return Err(damaged("the compound file's DIFAT chain loops"));
        }
        let Some(s) = container.sector(difat) else {
            break;
        };
        let n = size / 4 - 1;
        fat_sectors.extend(
            (0..n)
                .filter_map(|i| u32_at(s, 4 * i))
                .filter(|id| *id < MAXREGSECT),
        );
        difat = u32_at(s, 4 * n).unwrap_or(ENDOFCHAIN);
    }
    fat_sectors.truncate(sectors + 1);
    let mut fat = Vec::new();
    for id in fat_sectors {
        if let Some(s) = container.sector(id) {
            fat.extend((0..size / 4).filter_map(|i| u32_at(s, 4 * i)));
        }
    }
    container.fat = fat;

    // The directory, then the streams it lists.
    let dir_start = u32_at(header, 48).unwrap_or(ENDOFCHAIN);
    let directory = container.read(dir_start, usize::MAX)?;
    let entries: Vec<&[u8]> = directory.chunks_exact(128).collect();
    let mini_cutoff = u32_at(header, 56).unwrap_or(4096) as usize;
    let mut mini_stream = Vec::new();
    let mut mini_fat: Vec<u32> = Vec::new();
    if let Some(root) = entries.first() {
        let start = u32_at(root, 116).unwrap_or(ENDOFCHAIN);
        let len = u32_at(root, 120).unwrap_or(0) as usize;
        mini_stream = container.read(start, len)?;
        let mini_fat_start = u32_at(header, 60).unwrap_or(ENDOFCHAIN);
        let mini_fat_bytes = container.read(mini_fat_start, usize::MAX)?;
        mini_fat = (0..mini_fat_bytes.len() / 4)
            .filter_map(|i| u32_at(&mini_fat_bytes, 4 * i))
            .collect();
    }
    for entry in entries.iter().skip(1) {
        // Streams only (type 2).
        if entry.get(66) != Some(&2) {
            continue;
        }
        let name_len = (u16_at(entry, 64).unwrap_or(0) as usize).min(64);
        let name: String = char::decode_utf16(
            (0..name_len / 2)
                .filter_map(|i| u16_at(entry, 2 * i))
                .take_while(|c| *c != 0),
        )
        .map(|c| c.unwrap_or('\u{fffd}'))
        .collect();
        let start = u32_at(entry, 116).unwrap_or(ENDOFCHAIN);
        let len = u32_at(entry, 120).unwrap_or(0) as usize;
        let stream = if len < mini_cutoff {
            mini_read(&mini_stream, &mini_fat, start, len)?
        } else {
            container.read(start, len)?
        };
        if name == "Workbook" || name == "Book" {
            dimensions(&stream)?;
        }
    }
    Ok(())
}

/// A stream of the mini stream: 64-byte sectors chained through the mini FAT.
fn mini_read(mini: &[u8], mini_fat: &[u32], start: u32, len: usize) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    let mut id = start;
    let mut seen = 0usize;
    while id < MAXREGSECT && out.len() < len {
        let at = id as usize * 64;
        let Some(s) = mini.get(at..at + 64) else {
            break;
        };
        seen += 1;
        if seen > mini.len() / 64 + 1 {
            return Err(damaged("a chain of the compound file's mini stream loops"));
        }
        out.extend_from_slice(&s[..64.min(len - out.len())]);
        let Some(next) = mini_fat.get(id as usize) else {
            break;
        };
        id = *next;
    }
    Ok(out)
}

/// The DIMENSIONS records of a BIFF stream, read as calamine reads them: an extent no XLS
/// sheet can have is a damaged file.
fn dimensions(stream: &[u8]) -> Result<(), ReadError> {
    let mut at = 0usize;
    while let (Some(typ), Some(len)) = (u16_at(stream, at), u16_at(stream, at + 2)) {
        let data = stream
            .get(at + 4..at + 4 + len as usize)
            .unwrap_or_default();
        if typ == 0x0200 {
            let fields = match data.len() {
                10 => u16_at(data, 0)
                    .zip(u16_at(data, 2))
                    .zip(u16_at(data, 4).zip(u16_at(data, 6)))
                    .map(|((rf, rl), (cf, cl))| {
                        (i64::from(rf), i64::from(rl), i64::from(cf), i64::from(cl))
                    }),
                14 | 16 => u32_at(data, 0)
                    .zip(u32_at(data, 4))
                    .zip(u16_at(data, 8).zip(u16_at(data, 10)))
                    .map(|((rf, rl), (cf, cl))| {
                        (i64::from(rf), i64::from(rl), i64::from(cf), i64::from(cl))
                    }),
                _ => None,
            };
            if let Some((rf, rl, mut cf, cl)) = fields {
                // As calamine: a first column past 255 or after the last counts from 0.
                if cf > 0xFF || cl < cf {
                    cf = 0;
                }
                if rl >= 1 && cl >= 1 {
                    let rows = rl - 1 - rf + 1;
                    let columns = cl - 1 - cf + 1;
                    if !(1..=MAX_ROWS).contains(&rows) || columns > MAX_COLUMNS {
                        return Err(damaged(&format!(
                            "a sheet declares rows {} to {rl} and {cl} columns, which no XLS sheet can hold",
                            rf + 1
                        )));
                    }
                }
            }
        }
        at += 4 + len as usize;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    fn dims(rf: u32, rl: u32, cf: u16, cl: u16) -> Vec<u8> {
        let mut d = rf.to_le_bytes().to_vec();
        d.extend(rl.to_le_bytes());
        d.extend(cf.to_le_bytes());
        d.extend(cl.to_le_bytes());
        d.extend([0, 0]);
        record(0x0200, &d)
    }

    #[test]
    fn possible_extents_pass_and_impossible_ones_are_damaged() {
        assert!(dimensions(&dims(0, 10, 0, 5)).is_ok());
        assert!(dimensions(&dims(0, 65_536, 0, 256)).is_ok());
        // An empty sheet declares nothing.
        assert!(dimensions(&dims(0, 0, 0, 0)).is_ok());
        // The last row before the first: calamine's count wraps.
        let e = dimensions(&dims(100, 10, 0, 5)).expect_err("wraps");
        assert!(e.to_string().contains("no XLS sheet can hold"), "{e}");
        assert!(dimensions(&dims(0, 4_000_000, 0, 5)).is_err());
        assert!(dimensions(&dims(0, 10, 0, 300)).is_err());
        // Records before and after are stepped over.
        let mut s = record(0x0809, &[0; 16]);
        s.extend(dims(100, 10, 0, 5));
        assert!(dimensions(&s).is_err());
    }

    #[test]
    fn a_looping_chain_is_damaged_and_a_short_file_is_left_to_calamine() {
        // A header with 512-byte sectors, one FAT sector (sector 0) whose entry for sector 1
        // points back to itself, and the directory starting at sector 1.
        let mut file = vec![0u8; 512 * 3];
        file[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        file[30..32].copy_from_slice(&9u16.to_le_bytes());
        file[48..52].copy_from_slice(&1u32.to_le_bytes()); // directory at sector 1
        file[60..64].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
        file[68..72].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
        file[76..80].copy_from_slice(&0u32.to_le_bytes()); // FAT in sector 0
        for i in 1..109 {
            file[76 + 4 * i..80 + 4 * i].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        }
        let fat = 512;
        file[fat..fat + 4].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes());
        file[fat + 4..fat + 8].copy_from_slice(&1u32.to_le_bytes()); // 1 -> 1
        let e = check(&file).expect_err("loops");
        assert!(e.to_string().contains("loops"), "{e}");
        // Ending the chain makes it a (empty) directory: no error.
        file[fat + 4..fat + 8].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
        assert!(check(&file).is_ok());
        assert!(check(&file[..100]).is_err());
    }
}

#[cfg(test)]
mod found_by_fuzzing {
    #[test]
    fn the_inputs_fuzzing_found_are_damaged_files() {
        for (name, says) in [
            ("xls-cfb-directory-chain-cycle", "loops"),
            ("xls-dimensions-huge-extent", "no XLS sheet can hold"),
        ] {
            let path = format!(
                "{}/../../fuzz/regressions/sheet_reader/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            let input = fs_err::read(&path).expect("the regression input");
            // The fuzz input's first byte chooses the reading options; the rest is the file.
            let e = super::check(&input[1..]).expect_err(name);
            assert!(
                matches!(e, crate::error::ReadError::Damaged { .. }),
                "{name}: {e}"
            );
            assert!(e.to_string().contains(says), "{name}: {e}");
        }
    }
}
