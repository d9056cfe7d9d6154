//! INTERVAL in PostgreSQL's three-field form: months, days and microseconds are kept apart
//! because a month has no fixed number of days and a day no fixed number of seconds (DST).

use serde::{Deserialize, Serialize};

/// An interval value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

impl Interval {
    pub const fn new(months: i32, days: i32, micros: i64) -> Interval {
        Interval { months, days, micros }
    }

    /// The comparison key PostgreSQL uses (30-day months, 24-hour days), as i128 microseconds.
    pub fn comparable_micros(&self) -> i128 {
        self.months as i128 * 30 * MICROS_PER_DAY as i128
            + self.days as i128 * MICROS_PER_DAY as i128
            + self.micros as i128
    }
}
