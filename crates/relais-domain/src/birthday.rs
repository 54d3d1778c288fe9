use crate::message::{Code, Msg};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A birthday: day and month, the year when known. Written `1815-12-10`, or `--12-10`
/// without a year (the vCard form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Birthday {
    pub day: u8,
    pub month: u8,
    pub year: Option<i16>,
}

impl Birthday {
    pub fn new(day: u32, month: u32, year: Option<i32>) -> Result<Self, Msg> {
        // 2000 is a leap year, so 29 February without a year is accepted.
        let check_year = year.unwrap_or(2000);
        if !(1800..=2100).contains(&check_year) {
            return Err(Msg::new(Code::YearOutOfRange).with("value", check_year));
        }
        NaiveDate::from_ymd_opt(check_year, month, day).ok_or_else(|| {
            Msg::new(Code::InvalidDayMonth).with("value", format!("{day:02}/{month:02}"))
        })?;
        Ok(Birthday {
            day: day as u8,
            month: month as u8,
            year: year.map(|y| y as i16),
        })
    }

    /// Reads ISO (`1815-12-10`), French (`10/12/1815`, `10.12.1815`, `10-12-1815`, `10/12`),
    /// vCard (`18151210`, `--1210`, `--12-10`) forms. A time part is ignored.
    /// `a/b/yyyy` is day/month (French order) unless only month/day makes sense.
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let s = s.trim();
        let s = s.split(['T', ' ']).next().unwrap_or(s);
        let bad = || Msg::new(Code::NotABirthday).with("value", s);
        let nums = |parts: &[&str]| -> Option<Vec<u32>> {
            parts.iter().map(|p| p.parse::<u32>().ok()).collect()
        };
        if let Some(rest) = s.strip_prefix("--") {
            let digits: String = rest.chars().filter(|c| *c != '-').collect();
            // Byte indexes below are character indexes only for ASCII digits ("--1é2" is
            // four bytes long too).
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let (d, m) = digits.split_at_checked(2).ok_or_else(bad)?;
            let n = nums(&[d, m]).ok_or_else(bad)?;
            return Birthday::new(n[1], n[0], None);
        }
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            let (y, md) = s.split_at_checked(4).ok_or_else(bad)?;
            let (m, d) = md.split_at_checked(2).ok_or_else(bad)?;
            let n = nums(&[y, m, d]).ok_or_else(bad)?;
            return Birthday::new(n[2], n[1], Some(n[0] as i32));
        }
        let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
        let n = nums(&parts).ok_or_else(bad)?;
        match (parts.as_slice(), n.as_slice()) {
            ([y, _, _], [year, m, d]) if y.len() == 4 => Birthday::new(*d, *m, Some(*year as i32)),
            ([_, _, y], [a, b, year]) if y.len() == 4 => day_month(*a, *b, Some(*year as i32)),
            ([_, _], [a, b]) => day_month(*a, *b, None),
            _ => Err(bad()),
        }
    }

    /// The date of the birthday in a given year (28 February for 29 February off leap years).
    pub fn in_year(&self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month as u32, self.day as u32)
            .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
            .unwrap_or_default()
    }
}

fn day_month(a: u32, b: u32, year: Option<i32>) -> Result<Birthday, Msg> {
    if b > 12 && a <= 12 {
        Birthday::new(b, a, year)
    } else {
        Birthday::new(a, b, year)
    }
}

impl std::fmt::Display for Birthday {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.year {
            Some(y) => write!(f, "{y:04}-{:02}-{:02}", self.month, self.day),
            None => write!(f, "--{:02}-{:02}", self.month, self.day),
        }
    }
}

impl TryFrom<String> for Birthday {
    type Error = Msg;
    fn try_from(s: String) -> Result<Self, Msg> {
        Birthday::parse(&s)
    }
}

impl From<Birthday> for String {
    fn from(b: Birthday) -> String {
        b.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iso_french_and_vcard_forms() {
        let ada = Birthday {
            day: 10,
            month: 12,
            year: Some(1815),
        };
        for s in [
            "1815-12-10",
            "10/12/1815",
            "10.12.1815",
            "18151210",
            "1815-12-10T00:00:00Z",
        ] {
            assert_eq!(Birthday::parse(s).unwrap(), ada, "{s}");
        }
        let no_year = Birthday {
            day: 10,
            month: 12,
            year: None,
        };
        for s in ["--1210", "--12-10", "10/12"] {
            assert_eq!(Birthday::parse(s).unwrap(), no_year, "{s}");
        }
    }

    #[test]
    fn month_day_order_is_used_only_when_day_month_is_impossible() {
        assert_eq!(
            Birthday::parse("12/25/1990").unwrap().to_string(),
            "1990-12-25"
        );
        assert_eq!(
            Birthday::parse("03/09/1973").unwrap().to_string(),
            "1973-09-03"
        );
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bad in [
            "32/13/2000",
            "2000-02-30",
            "31/04/1990",
            "yesterday",
            "",
            "1/2/3",
        ] {
            assert!(Birthday::parse(bad).is_err(), "{bad}");
        }
        assert!(Birthday::parse("29/02").is_ok());
    }
}

#[cfg(test)]
mod no_panic {
    use super::Birthday;

    /// Any text is read or refused, never a panic: multi-byte characters where digits are
    /// expected included (`--1é2` once cut a character in two).
    #[test]
    fn no_input_panics() {
        for s in [
            "--1é2",
            "--é",
            "--12-1é",
            "1815121é",
            "é/é/é",
            "--",
            "",
            "--12345",
        ] {
            let _ = Birthday::parse(s);
        }
        let alphabet: Vec<char> = "0123456789-/. Té€🙂a".chars().collect();
        let mut seed: u64 = 0xDEAD_BEEF_CAFE_F00D;
        for _ in 0..50_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let s: String = (0..len)
                .map(|i| alphabet[((seed >> (i * 5)) as usize) % alphabet.len()])
                .collect();
            let _ = Birthday::parse(&s);
            let _ = Birthday::parse(&format!("--{s}"));
        }
        assert!(Birthday::parse("--1é2").is_err());
    }
}
