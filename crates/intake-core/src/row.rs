//! Row numbers as the user sees them.

use std::fmt;

/// A row number as a spreadsheet shows it: 1-based, the header is row 1.
///
/// Built only by the readers, which count physical records (blank lines included), so that a
/// quoted cell spanning several lines never shifts the numbers of the rows after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct RowNumber(u64);

impl RowNumber {
    /// The row with this 1-based number.
    pub const fn new(n: u64) -> Self {
        Self(n)
    }

    /// The 1-based number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The row below this one.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for RowNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
