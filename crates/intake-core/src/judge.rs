//! Whole-column judgement of dates and numbers.
//!
//! `01/03/2024` is the 1st of March day-first and the 3rd of January month-first; `1.234` is
//! a thousand or one point two three four. A column is judged on all its cells, never on the
//! first rows: every non-empty cell is tried under both readings, the counts decide, and the
//! report says how many rows fit each reading and which was chosen. An explicit format given
//! by the user is never second-guessed.

use crate::cell::NumberFormat;
use crate::locale::DateFormat;

/// The two readings of a judged column. The first is the workspace's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readings {
    /// Day-first vs month-first dates.
    Date(DateFormat, DateFormat),
    /// Decimal point vs decimal comma.
    Number(NumberFormat, NumberFormat),
}

impl Readings {
    /// Names of the two readings, for reports.
    pub fn names(&self) -> [String; 2] {
        match self {
            Readings::Date(a, b) => [a, b].map(|f| {
                let order = f
                    .order()
                    .map(|o| format!(" ({})", o.describe()))
                    .unwrap_or_default();
                format!("{f}{order}")
            }),
            Readings::Number(a, b) => [a.describe(), b.describe()],
        }
    }
}

/// Which readings a cell fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Both readings accept the cell and read the same value (`2024-03-01`, `05/05/2024`, `42`).
    Same,
    /// Both readings accept the cell but read different values (`01/03/2024`, `1.234`).
    Both,
    /// Only the first (default) reading.
    First,
    /// Only the second reading.
    Second,
    /// Neither.
    Neither,
}

impl Fit {
    /// From whether each reading accepts the cell.
    pub fn from(first: bool, second: bool) -> Fit {
        match (first, second) {
            (true, true) => Fit::Both,
            (true, false) => Fit::First,
            (false, true) => Fit::Second,
            (false, false) => Fit::Neither,
        }
    }
}

/// Counts of one judged column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cells both readings read alike.
    pub same: u64,
    /// Cells both readings accept with different values.
    pub both: u64,
    /// Cells only the first reading accepts.
    pub first: u64,
    /// Cells only the second reading accepts.
    pub second: u64,
    /// Cells neither accepts.
    pub neither: u64,
}

impl Tally {
    /// Counts one cell.
    pub fn add(&mut self, fit: Fit) {
        match fit {
            Fit::Same => self.same += 1,
            Fit::Both => self.both += 1,
            Fit::First => self.first += 1,
            Fit::Second => self.second += 1,
            Fit::Neither => self.neither += 1,
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, o: &Tally) {
        self.same += o.same;
        self.both += o.both;
        self.first += o.first;
        self.second += o.second;
        self.neither += o.neither;
    }

    /// The reading chosen: the second only when more cells fit only it than fit only the first.
    pub fn choose_second(&self) -> bool {
        self.second > self.first
    }

    /// Whether the report should explain the choice.
    pub fn worth_reporting(&self) -> bool {
        self.second > 0 || (self.both > 0 && self.first == 0)
    }

    /// Why the reading was chosen, in words.
    pub fn reason(&self, names: &[String; 2]) -> String {
        let [a, b] = names;
        if self.choose_second() {
            format!(
                "{} row{} fit only {b} against {} fitting only {a}",
                self.second,
                plural(self.second),
                self.first
            )
        } else if self.first == 0 && self.second == 0 {
            format!(
                "{} row{} can be read both ways and none fits only one; {a} is the workspace default; pass an explicit format to choose the other",
                self.both,
                plural(self.both)
            )
        } else if self.second == 0 {
            format!(
                "{} row{} fit only {a} and none fit only {b}",
                self.first,
                plural(self.first)
            )
        } else {
            format!(
                "{} row{} fit only {a} against {} fitting only {b}; the rows that fit only {b} are reported",
                self.first,
                plural(self.first),
                self.second
            )
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(both: u64, first: u64, second: u64) -> Tally {
        Tally {
            same: 0,
            both,
            first,
            second,
            neither: 0,
        }
    }

    #[test]
    fn the_majority_of_decisive_rows_wins_and_ties_keep_the_default() {
        assert!(!tally(10, 0, 0).choose_second());
        assert!(!tally(0, 5, 5).choose_second());
        assert!(tally(0, 4, 5).choose_second());
        assert!(!tally(100, 3, 1).choose_second());
    }

    #[test]
    fn reasons_read_well() {
        let names = Readings::Date(
            DateFormat::parse("DD/MM/YYYY").unwrap(),
            DateFormat::parse("MM/DD/YYYY").unwrap(),
        )
        .names();
        insta::assert_snapshot!(tally(60, 0, 0).reason(&names), @"60 rows can be read both ways and none fits only one; DD/MM/YYYY (day-first) is the workspace default; pass an explicit format to choose the other");
        insta::assert_snapshot!(tally(60, 2, 120).reason(&names), @"120 rows fit only MM/DD/YYYY (month-first) against 2 fitting only DD/MM/YYYY (day-first)");
        insta::assert_snapshot!(tally(60, 120, 2).reason(&names), @"120 rows fit only DD/MM/YYYY (day-first) against 2 fitting only MM/DD/YYYY (month-first); the rows that fit only MM/DD/YYYY (month-first) are reported");
        assert!(tally(60, 0, 0).worth_reporting());
        assert!(!tally(60, 10, 0).worth_reporting());
        assert!(tally(60, 10, 1).worth_reporting());
    }
}
