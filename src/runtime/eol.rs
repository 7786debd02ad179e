//! When each Python minor version reaches its end of life, and what the buildpack does about it:
//! a version past its end of life builds with a warning for a year, then is refused.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar month, which is as precise as the published end-of-life dates are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct YearMonth {
    pub(crate) year: u32,
    pub(crate) month: u32,
}

impl YearMonth {
    const fn new(year: u32, month: u32) -> Self {
        Self { year, month }
    }

    const fn plus_months(self, months: u32) -> Self {
        let index = self.year * 12 + (self.month - 1) + months;
        Self {
            year: index / 12,
            month: index % 12 + 1,
        }
    }
}

impl std::str::FromStr for YearMonth {
    type Err = ();

    /// `YYYY-MM`, or a `YYYY-MM-DD` date (the day is not needed).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().split('-');
        let year = parts.next().filter(|y| y.len() == 4).ok_or(())?;
        let month = parts.next().filter(|m| m.len() == 2).ok_or(())?;
        let day = parts.next();
        if parts.next().is_some() || day.is_some_and(|d| d.len() != 2 || d.parse::<u32>().is_err())
        {
            return Err(());
        }
        let year: u32 = year.parse().map_err(|_| ())?;
        let month: u32 = month.parse().map_err(|_| ())?;
        if (1..=12).contains(&month) && year >= 1970 {
            Ok(Self { year, month })
        } else {
            Err(())
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.year, self.month)
    }
}

/// End-of-life months from https://devguide.python.org/versions/ (PEP 373 and the release PEPs
/// of each 3.x). The one place to update when a new minor version is scheduled.
const END_OF_LIFE: [((u16, u16), YearMonth); 17] = [
    ((2, 7), YearMonth::new(2020, 1)),
    ((3, 0), YearMonth::new(2009, 6)),
    ((3, 1), YearMonth::new(2012, 4)),
    ((3, 2), YearMonth::new(2016, 2)),
    ((3, 3), YearMonth::new(2017, 9)),
    ((3, 4), YearMonth::new(2019, 3)),
    ((3, 5), YearMonth::new(2020, 9)),
    ((3, 6), YearMonth::new(2021, 12)),
    ((3, 7), YearMonth::new(2023, 6)),
    ((3, 8), YearMonth::new(2024, 10)),
    ((3, 9), YearMonth::new(2025, 10)),
    ((3, 10), YearMonth::new(2026, 10)),
    ((3, 11), YearMonth::new(2027, 10)),
    ((3, 12), YearMonth::new(2028, 10)),
    ((3, 13), YearMonth::new(2029, 10)),
    ((3, 14), YearMonth::new(2030, 10)),
    ((3, 15), YearMonth::new(2031, 10)),
];

/// How long a version past its end of life still builds (with a warning).
pub(crate) const GRACE_MONTHS: u32 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EolStatus {
    /// Still gets security fixes (or its end of life is not known yet: newer than the table).
    Supported,
    /// Past its end of life: builds, with a warning.
    EndOfLife {
        eol: YearMonth,
        refused_from: YearMonth,
    },
    /// Long past its end of life: refused. `None` for versions older than any in the table.
    Unsupported { eol: Option<YearMonth> },
}

/// The status of `major.minor` in the month `today`.
pub(crate) fn status((major, minor): (u16, u16), today: YearMonth) -> EolStatus {
    match END_OF_LIFE
        .iter()
        .find(|(version, _)| *version == (major, minor))
    {
        Some(&(_, eol)) => {
            let refused_from = eol.plus_months(GRACE_MONTHS);
            if today < eol {
                EolStatus::Supported
            } else if today < refused_from {
                EolStatus::EndOfLife { eol, refused_from }
            } else {
                EolStatus::Unsupported { eol: Some(eol) }
            }
        }
        // Python 1, 2.0-2.6 and anything else older than the table.
        None if (major, minor) < (3, 0) => EolStatus::Unsupported { eol: None },
        None => EolStatus::Supported,
    }
}

/// The current month (UTC) from the system clock.
pub(crate) fn this_month() -> YearMonth {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |duration| duration.as_secs());
    civil_from_days(seconds / 86_400)
}

/// Year and month of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> YearMonth {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    YearMonth {
        year: u32::try_from(year).unwrap_or(u32::MAX),
        month: u32::try_from(month).unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python_version::PythonVariant;
    use crate::runtime::manifest::RuntimeManifest;

    const TODAY: YearMonth = YearMonth::new(2026, 11);

    #[test]
    fn a_month_is_read_from_a_month_or_a_date() {
        assert_eq!("2026-12".parse(), Ok(YearMonth::new(2026, 12)));
        assert_eq!(" 2029-01-31".parse(), Ok(YearMonth::new(2029, 1)));
        for invalid in [
            "2026",
            "2026-13",
            "26-01",
            "2026-1",
            "2026-01-1",
            "Dec 2026",
        ] {
            assert_eq!(invalid.parse::<YearMonth>(), Err(()), "{invalid}");
        }
    }

    #[test]
    fn versions_past_end_of_life_warn_for_a_year_then_are_refused() {
        assert_eq!(status((3, 13), TODAY), EolStatus::Supported);
        assert_eq!(status((3, 11), TODAY), EolStatus::Supported);
        assert_eq!(
            status((3, 10), TODAY),
            EolStatus::EndOfLife {
                eol: YearMonth::new(2026, 10),
                refused_from: YearMonth::new(2027, 10)
            }
        );
        assert_eq!(
            status((3, 9), TODAY),
            EolStatus::Unsupported {
                eol: Some(YearMonth::new(2025, 10))
            }
        );
        assert_eq!(
            status((3, 9), YearMonth::new(2026, 9)),
            EolStatus::EndOfLife {
                eol: YearMonth::new(2025, 10),
                refused_from: YearMonth::new(2026, 10)
            }
        );
        assert_eq!(
            status((2, 7), TODAY),
            EolStatus::Unsupported {
                eol: Some(YearMonth::new(2020, 1))
            }
        );
        assert_eq!(status((2, 6), TODAY), EolStatus::Unsupported { eol: None });
        // Newer than the table: nothing known, so supported.
        assert_eq!(status((3, 16), TODAY), EolStatus::Supported);
    }

    #[test]
    fn the_end_of_life_month_itself_is_past_end_of_life() {
        assert_eq!(
            status((3, 10), YearMonth::new(2026, 9)),
            EolStatus::Supported
        );
        assert!(matches!(
            status((3, 10), YearMonth::new(2026, 10)),
            EolStatus::EndOfLife { .. }
        ));
    }

    #[test]
    fn every_stable_minor_of_the_builtin_manifest_has_an_end_of_life_date() {
        let manifest = RuntimeManifest::builtin();
        for entry in manifest.entries() {
            if entry.version.is_stable() && entry.variant == PythonVariant::Default {
                let minor = entry.version.minor_version();
                assert!(
                    END_OF_LIFE.iter().any(|(version, _)| *version == minor),
                    "no end-of-life date for {minor:?}"
                );
            }
        }
    }

    #[test]
    fn months_add_across_years() {
        assert_eq!(
            YearMonth::new(2026, 10).plus_months(12),
            YearMonth::new(2027, 10)
        );
        assert_eq!(
            YearMonth::new(2026, 12).plus_months(1),
            YearMonth::new(2027, 1)
        );
        assert_eq!(YearMonth::new(2026, 1).to_string(), "2026-01");
    }

    #[test]
    fn civil_dates_from_day_counts() {
        assert_eq!(civil_from_days(0), YearMonth::new(1970, 1));
        // 2026-11-24 is day 20_781, 2026-10-31 day 20_757.
        assert_eq!(civil_from_days(20_781), YearMonth::new(2026, 11));
        assert_eq!(civil_from_days(20_757), YearMonth::new(2026, 10));
        // 2024-02-29.
        assert_eq!(civil_from_days(19_782), YearMonth::new(2024, 2));
        assert_eq!(civil_from_days(19_783), YearMonth::new(2024, 3));
    }
}
