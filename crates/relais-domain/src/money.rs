//! Money: an amount in minor units (cents) of an ISO 4217 currency, with that currency's
//! exponent (2 for the euro, 0 for the yen, 3 for the Tunisian dinar). Arithmetic is exact
//! (integers, checked for overflow); a product or a percentage is rounded once, half away
//! from zero, to the currency's minor unit: the rule for each line of a quote or an invoice
//! (the totals are then sums of rounded lines). Percentages (VAT, discounts) are in basis
//! points: 20 % is 2000, 5.5 % is 550, 2.1 % is 210.
use crate::message::{Code, Msg};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code, three capital letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// The currencies Relais knows the exponent of; any other code is refused rather than
/// guessed. The euro first: the default.
const CURRENCIES: &[(&str, u8)] = &[
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("NZD", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("RON", 2),
    ("BGN", 2),
    ("TRY", 2),
    ("CNY", 2),
    ("HKD", 2),
    ("SGD", 2),
    ("INR", 2),
    ("BRL", 2),
    ("MXN", 2),
    ("ZAR", 2),
    ("MAD", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("AED", 2),
    ("SAR", 2),
    ("ILS", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("ISK", 0),
    ("CLP", 0),
    ("VND", 0),
    ("XOF", 0),
    ("XAF", 0),
    ("XPF", 0),
    ("TND", 3),
    ("KWD", 3),
    ("BHD", 3),
    ("JOD", 3),
    ("OMR", 3),
    ("LYD", 3),
];

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");

    /// A known ISO 4217 code, in any case.
    pub fn parse(s: &str) -> Result<Currency, Msg> {
        let code = s.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .and_then(|(c, _)| c.as_bytes().try_into().ok())
            .map(Currency)
            .ok_or_else(|| Msg::new(Code::NotACurrency).with("value", s.trim()))
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("EUR")
    }

    /// Digits after the decimal separator: 2 for EUR.
    pub fn exponent(&self) -> u32 {
        CURRENCIES
            .iter()
            .find(|(c, _)| c.as_bytes() == self.0)
            .map_or(2, |(_, e)| u32::from(*e))
    }

    fn scale(&self) -> i64 {
        10i64.pow(self.exponent())
    }

    /// The sign the currency is written with, when it has one everyone knows.
    fn symbol(&self) -> Option<&'static str> {
        match self.code() {
            "EUR" => Some("€"),
            "USD" => Some("$"),
            "GBP" => Some("£"),
            "JPY" => Some("¥"),
            _ => None,
        }
    }

    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .filter_map(|(c, _)| c.as_bytes().try_into().ok().map(Currency))
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::EUR
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// In the currency's minor unit: cents for the euro.
    pub minor: i64,
    pub currency: Currency,
}

/// What money arithmetic can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amounts in {0} and {1} can't be added")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is too large")]
    Overflow,
}

/// How a language writes numbers: the decimal separator and the grouping of thousands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// "1 234,50 €"
    Fr,
    /// "€1,234.50"
    En,
}

/// Rounds `n / d` half away from zero (`d` > 0).
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    /// Euros, from cents.
    pub fn eur(cents: i64) -> Money {
        Money::new(cents, Currency::EUR)
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        self.minor
            .checked_add(other.minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.checked_add(Money::new(
            other.minor.checked_neg().ok_or(MoneyError::Overflow)?,
            other.currency,
        ))
    }

    /// The sum of amounts of one currency; zero of `currency` when there are none.
    pub fn sum(
        currency: Currency,
        amounts: impl IntoIterator<Item = Money>,
    ) -> Result<Money, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Money::zero(currency), Money::checked_add)
    }

    /// `self × numerator / denominator`, rounded half away from zero to the minor unit: a
    /// quantity with decimals (2.5 = 25/10), a share. `denominator` must be positive.
    pub fn times_ratio(self, numerator: i64, denominator: i64) -> Result<Money, MoneyError> {
        if denominator <= 0 {
            return Err(MoneyError::Overflow);
        }
        let exact = i128::from(self.minor) * i128::from(numerator);
        i64::try_from(div_round(exact, i128::from(denominator)))
            .map(|m| Money::new(m, self.currency))
            .map_err(|_| MoneyError::Overflow)
    }

    /// `basis_points` / 10,000 of the amount, rounded: VAT at 20 % is `percent(2000)`.
    pub fn percent(self, basis_points: i64) -> Result<Money, MoneyError> {
        self.times_ratio(basis_points, 10_000)
    }

    /// Reads an amount as people type it: "1 234,50 €", "1,234.50", "€1,234.50",
    /// "1234.5 EUR", "EUR 12", "-12,30". A currency written in the text wins over
    /// `currency`; the locale decides what a lone separator means ("1,234" is 1.234 in
    /// French, 1234 in English); with both "," and "." the last one is the decimal
    /// separator. More decimals than the currency has are refused, not rounded away.
    pub fn parse(s: &str, currency: Currency, locale: Locale) -> Result<Money, Msg> {
        let bad = || Msg::new(Code::NotAnAmount).with("value", s.trim());
        let mut text = s.trim().to_string();
        let mut currency = currency;
        for c in Currency::all() {
            for mark in [Some(c.code()), c.symbol()].into_iter().flatten() {
                // ASCII case folding keeps every byte where it was: the index found in
                // `upper` is an index of `text`.
                let upper = text.to_ascii_uppercase();
                if let Some(at) = upper.find(&mark.to_ascii_uppercase()) {
                    currency = c;
                    text.replace_range(at..at + mark.len(), " ");
                }
            }
        }
        let compact: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’' | '_'))
            .collect();
        let (negative, digits) = match compact
            .strip_prefix('-')
            .or_else(|| compact.strip_prefix('−'))
        {
            Some(rest) => (true, rest.to_string()),
            None => (
                false,
                compact.strip_prefix('+').unwrap_or(&compact).to_string(),
            ),
        };
        if digits.is_empty()
            || !digits
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        {
            return Err(bad());
        }
        let decimal = decimal_separator(&digits, locale);
        let (units, fraction) = match decimal {
            Some(sep) => match digits.rsplit_once(sep) {
                Some((u, f)) => (u.to_string(), f.to_string()),
                None => (digits.clone(), String::new()),
            },
            None => (digits.clone(), String::new()),
        };
        if fraction.contains([',', '.']) || !thousands(&units, decimal) {
            return Err(bad());
        }
        let units: String = units.chars().filter(char::is_ascii_digit).collect();
        if units.is_empty() && fraction.is_empty() {
            return Err(bad());
        }
        let exp = currency.exponent() as usize;
        if fraction.len() > exp {
            return Err(Msg::new(Code::TooManyDecimals)
                .with("value", s.trim())
                .with("digits", exp)
                .with("currency", currency));
        }
        let units: i64 = if units.is_empty() {
            0
        } else {
            units.parse().map_err(|_| bad())?
        };
        let fraction: i64 = format!("{fraction:0<exp$}").parse().unwrap_or(0);
        let minor = units
            .checked_mul(currency.scale())
            .and_then(|m| m.checked_add(fraction))
            .ok_or_else(|| Msg::new(Code::AmountTooLarge).with("value", s.trim()))?;
        Ok(Money::new(if negative { -minor } else { minor }, currency))
    }

    /// As the locale writes money: "1 234,50 €" (narrow spaces between thousands, a
    /// non-breaking one before the sign) or "€1,234.50"; a currency without a known sign by
    /// its code ("10,00 CHF", "10.00 CHF").
    pub fn format(&self, locale: Locale) -> String {
        let exp = self.currency.exponent() as usize;
        let scale = self.currency.scale().unsigned_abs();
        let abs = self.minor.unsigned_abs();
        let (group, point) = match locale {
            Locale::Fr => ('\u{202f}', ','),
            Locale::En => (',', '.'),
        };
        let mut number = grouped(abs / scale, group);
        if exp > 0 {
            number.push(point);
            number.push_str(&format!("{:0exp$}", abs % scale));
        }
        let minus = if self.minor < 0 { "-" } else { "" };
        match (locale, self.currency.symbol()) {
            (Locale::Fr, sign) => {
                format!(
                    "{minus}{number}\u{a0}{}",
                    sign.unwrap_or(self.currency.code())
                )
            }
            (Locale::En, Some(sign)) => format!("{minus}{sign}{number}"),
            (Locale::En, None) => format!("{minus}{number} {}", self.currency.code()),
        }
    }

    /// The amount in major units as a plain decimal: "1234.50", for JSON and CSV.
    pub fn decimal(&self) -> String {
        let exp = self.currency.exponent() as usize;
        let scale = self.currency.scale().unsigned_abs();
        let abs = self.minor.unsigned_abs();
        let minus = if self.minor < 0 { "-" } else { "" };
        if exp == 0 {
            return format!("{minus}{abs}");
        }
        format!("{minus}{}.{:0exp$}", abs / scale, abs % scale)
    }
}

/// Which of "," and "." separates the decimals, if any: the last when both appear; a
/// repeated one groups thousands; a lone one is the locale's.
fn decimal_separator(digits: &str, locale: Locale) -> Option<char> {
    let commas = digits.matches(',').count();
    let dots = digits.matches('.').count();
    match (commas, dots) {
        (0, 0) => None,
        (_, 0) if commas > 1 => None,
        (0, _) if dots > 1 => None,
        (_, 0) => match locale {
            Locale::Fr => Some(','),
            Locale::En if digits.rsplit(',').next().is_some_and(|f| f.len() == 3) => None,
            Locale::En => Some(','),
        },
        (0, _) => match locale {
            Locale::En => Some('.'),
            Locale::Fr if digits.rsplit('.').next().is_some_and(|f| f.len() == 3) => None,
            Locale::Fr => Some('.'),
        },
        _ => {
            let last_comma = digits.rfind(',');
            let last_dot = digits.rfind('.');
            if last_comma > last_dot {
                Some(',')
            } else {
                Some('.')
            }
        }
    }
}

/// Whether the whole part groups its thousands properly: one kind of separator (not the
/// decimal one), then groups of exactly three digits ("1.234.567", "12,345").
fn thousands(units: &str, decimal: Option<char>) -> bool {
    let seps: Vec<char> = units.chars().filter(|c| matches!(c, ',' | '.')).collect();
    let Some(&sep) = seps.first() else {
        return true;
    };
    if Some(sep) == decimal || seps.iter().any(|c| *c != sep) {
        return false;
    }
    let mut groups = units.split(sep);
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3)
}

fn grouped(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(s: &str, l: Locale) -> Result<i64, String> {
        Money::parse(s, Currency::EUR, l)
            .map(|m| m.minor)
            .map_err(|m| m.to_string())
    }

    #[test]
    fn amounts_read_as_people_type_them() {
        use Locale::*;
        assert_eq!(eur("1 234,50 €", Fr), Ok(123_450));
        assert_eq!(eur("1\u{202f}234,50\u{a0}€", Fr), Ok(123_450));
        assert_eq!(eur("1.234,50", Fr), Ok(123_450));
        assert_eq!(eur("1,234.50", En), Ok(123_450));
        assert_eq!(eur("€1,234.50", En), Ok(123_450));
        assert_eq!(eur("1234.5 EUR", En), Ok(123_450));
        assert_eq!(eur("1234,5", Fr), Ok(123_450));
        assert_eq!(eur("EUR 12", En), Ok(1_200));
        assert_eq!(eur("-12,30 €", Fr), Ok(-1_230));
        assert_eq!(eur("1,234", En), Ok(123_400), "English groups thousands");
        assert_eq!(
            eur("1,234", Fr),
            Err("'1,234' has more than 2 decimals, the smallest unit of EUR".into())
        );
        assert_eq!(
            eur("1.234", Fr),
            Ok(123_400),
            "a French dot groups thousands"
        );
        assert_eq!(eur(",5", Fr), Ok(50));
        assert_eq!(eur("1 000 000", Fr), Ok(100_000_000));
        let yen = Money::parse("¥1,500", Currency::EUR, En).unwrap();
        assert_eq!((yen.minor, yen.currency.code()), (1_500, "JPY"));
        let dinar = Money::parse("12,345 TND", Currency::EUR, Fr).unwrap();
        assert_eq!((dinar.minor, dinar.currency.code()), (12_345, "TND"));
        assert_eq!(
            Money::parse("10 chf", Currency::EUR, Fr)
                .unwrap()
                .currency
                .code(),
            "CHF"
        );
        for bad in [
            "",
            "€",
            "abc",
            "12,34,56.7.8",
            "1.2.3,4,5",
            "12 €€ 3x",
            "--5",
            "1e5",
        ] {
            assert!(eur(bad, Fr).is_err() || eur(bad, En).is_err(), "{bad}");
        }
        assert!(eur("99999999999999999999", En).is_err());
        assert!(Currency::parse("XYZ").is_err());
    }

    #[test]
    fn amounts_are_written_in_the_readers_language() {
        assert_eq!(
            Money::eur(123_456).format(Locale::Fr),
            "1\u{202f}234,56\u{a0}€"
        );
        assert_eq!(Money::eur(123_456).format(Locale::En), "€1,234.56");
        assert_eq!(Money::eur(-5).format(Locale::En), "-€0.05");
        assert_eq!(Money::eur(-250).format(Locale::Fr), "-2,50\u{a0}€");
        let chf = Money::new(1000, Currency::parse("CHF").unwrap());
        assert_eq!(chf.format(Locale::En), "10.00 CHF");
        assert_eq!(chf.format(Locale::Fr), "10,00\u{a0}CHF");
        let yen = Money::new(1500, Currency::parse("jpy").unwrap());
        assert_eq!(yen.format(Locale::En), "¥1,500");
        assert_eq!(Money::eur(-123_450).decimal(), "-1234.50");
    }

    #[test]
    fn arithmetic_is_exact_and_rounds_half_away_from_zero() {
        let price = Money::eur(1_999); // 19.99 €
        assert_eq!(price.percent(2000).unwrap().minor, 400); // 3.998 → 4.00
        assert_eq!(price.percent(550).unwrap().minor, 110); // 1.09945 → 1.10
        assert_eq!(Money::eur(5).percent(1000).unwrap().minor, 1); // 0.5 cent → 1
        assert_eq!(Money::eur(-5).percent(1000).unwrap().minor, -1); // away from zero
        assert_eq!(Money::eur(1_000).times_ratio(25, 10).unwrap().minor, 2_500); // × 2.5
        assert_eq!(Money::eur(1).times_ratio(1, 3).unwrap().minor, 0);
        assert_eq!(Money::eur(2).times_ratio(1, 3).unwrap().minor, 1);
        let usd = Money::new(1, Currency::parse("USD").unwrap());
        assert!(matches!(
            Money::eur(1).checked_add(usd),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(
            Money::eur(i64::MAX).checked_add(Money::eur(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::eur(i64::MAX).times_ratio(2, 1),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::sum(Currency::EUR, [Money::eur(1), Money::eur(2)]).unwrap(),
            Money::eur(3)
        );
        let json = serde_json::to_value(Money::eur(150)).unwrap();
        assert_eq!(json, serde_json::json!({"minor": 150, "currency": "EUR"}));
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, Money::eur(150));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn currency() -> impl Strategy<Value = Currency> {
        let all: Vec<Currency> = Currency::all().collect();
        proptest::sample::select(all)
    }

    fn locale() -> impl Strategy<Value = Locale> {
        prop_oneof![Just(Locale::Fr), Just(Locale::En)]
    }

    proptest! {
        /// What is written reads back as the same amount, in both languages and every
        /// currency.
        #[test]
        fn written_amounts_read_back(minor in -1_000_000_000_000i64..1_000_000_000_000, c in currency(), l in locale()) {
            let m = Money::new(minor, c);
            prop_assert_eq!(Money::parse(&m.format(l), Currency::EUR, l), Ok(m));
            prop_assert_eq!(Money::parse(&m.decimal(), c, Locale::En), Ok(m));
        }

        /// No text panics the reader.
        #[test]
        fn no_text_panics(s in "\\PC{0,30}", l in locale()) {
            let _ = Money::parse(&s, Currency::EUR, l);
        }

        /// A ratio is the exact product rounded half away from zero: never more than half
        /// a minor unit off.
        #[test]
        fn ratios_are_off_by_at_most_half_a_unit(minor in -1_000_000_000i64..1_000_000_000, n in -100_000i64..100_000, d in 1i64..100_000) {
            let got = Money::eur(minor).times_ratio(n, d).unwrap().minor;
            let exact = minor as f64 * n as f64 / d as f64;
            prop_assert!((got as f64 - exact).abs() <= 0.5 + 1e-6 * exact.abs().max(1.0));
        }

        /// Adding then subtracting gives back the amount.
        #[test]
        fn adding_and_subtracting_cancel(a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000) {
            let sum = Money::eur(a).checked_add(Money::eur(b)).unwrap();
            prop_assert_eq!(sum.checked_sub(Money::eur(b)).unwrap(), Money::eur(a));
        }
    }
}
