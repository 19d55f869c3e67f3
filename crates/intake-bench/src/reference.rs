//! The reference measurements that run inside the harness process.
//!
//! [`count_records`] is the bare parse limit of DESIGN.md §9: the `csv` crate with its
//! default settings, counting `byte_records()`. The `csv-count` binary runs the same function
//! as a child process, so that it can be compared with `intake` process against process.

use std::io::Read;

/// Counts the records of a CSV stream, header excluded, exactly as the DESIGN's reference
/// does: `csv::ReaderBuilder::new().from_reader(input)` and `byte_records()`.
pub fn count_records<R: Read>(input: R) -> csv::Result<u64> {
    let mut reader = csv::ReaderBuilder::new().from_reader(input);
    let mut n = 0;
    for record in reader.byte_records() {
        record?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_records_not_lines() {
        let data = "a,b\n1,\"x\ny\"\n2,z\n";
        assert_eq!(count_records(data.as_bytes()).ok(), Some(2));
    }
}
