//! Money as integer minor units with an ISO 4217 currency: no floats anywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An ISO 4217 alphabetic currency code (three upper-case ASCII letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Why a string is not a currency code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("currency must be a three-letter ISO 4217 code such as USD")]
pub struct InvalidCurrency;

impl Currency {
    /// US dollars, the default currency of a new organization.
    pub const USD: Currency = Currency(*b"USD");

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

/// ISO 4217 currencies without minor units.
const NO_MINOR_UNITS: [&str; 16] =
    ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF"];
/// ISO 4217 currencies with three decimals.
const THREE_DECIMALS: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

impl Currency {
    /// How many decimals its minor unit has (ISO 4217): 2 for most, 0 for the yen, 3 for the
    /// dinars; what a document prints, never what amounts are stored in.
    pub fn minor_digits(&self) -> u32 {
        if NO_MINOR_UNITS.contains(&self.as_str()) {
            0
        } else if THREE_DECIMALS.contains(&self.as_str()) {
            3
        } else {
            2
        }
    }
}

impl FromStr for Currency {
    type Err = InvalidCurrency;
    fn from_str(s: &str) -> Result<Self, InvalidCurrency> {
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency([b[0], b[1], b[2]]))
        } else {
            Err(InvalidCurrency)
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An amount of money: `{"amount": <minor units>, "currency": "USD"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Integer minor units (cents for USD).
    pub amount: i64,
    /// ISO 4217 currency.
    pub currency: Currency,
}

/// Why two amounts cannot be combined.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// The currencies differ.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit in 64 bits.
    #[error("amount overflow")]
    Overflow,
}

impl Money {
    /// An amount in minor units of a currency.
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// True when strictly greater than zero.
    pub fn is_positive(&self) -> bool {
        self.amount > 0
    }

    /// Sum of two amounts of the same currency, refusing overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        self.amount
            .checked_add(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(MoneyError::Overflow)
    }
}

/// `USD 1,234.56`: the code, then the amount grouped by thousands with its minor digits.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits();
        let scale = 10u128.pow(digits);
        let magnitude = u128::from(self.amount.unsigned_abs());
        let whole = (magnitude / scale).to_string();
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.amount < 0 { "-" } else { "" };
        match digits {
            0 => write!(f, "{} {sign}{grouped}", self.currency),
            d => write!(f, "{} {sign}{grouped}.{:0width$}", self.currency, magnitude % scale, width = d as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_more_than_nothing_is_positive() {
        assert!(Money::new(1, Currency::USD).is_positive());
        assert!(!Money::new(0, Currency::USD).is_positive());
        assert!(!Money::new(-1, Currency::USD).is_positive());
    }

    #[test]
    fn money_prints_with_its_currencys_decimals_grouped_by_thousands() {
        let m = |amount, code: &str| Money::new(amount, code.parse().unwrap()).to_string();
        assert_eq!(m(123_456_789, "USD"), "USD 1,234,567.89");
        assert_eq!(m(5, "EUR"), "EUR 0.05");
        assert_eq!(m(0, "USD"), "USD 0.00", "no sign on nothing");
        assert_eq!(m(-100_000, "USD"), "USD -1,000.00");
        assert_eq!(m(1_500_000, "JPY"), "JPY 1,500,000");
        assert_eq!(m(1_234, "KWD"), "KWD 1.234");
        assert_eq!(m(999, "JPY"), "JPY 999");
        assert_eq!(m(100_000, "GBP"), "GBP 1,000.00");
        assert_eq!(m(i64::MIN, "USD"), "USD -92,233,720,368,547,758.08");
    }

    #[test]
    fn money_serializes_as_minor_units_and_code() {
        let m = Money::new(12_345, Currency::USD);
        let v = serde_json::to_value(m).unwrap();
        assert_eq!(v, serde_json::json!({"amount": 12345, "currency": "USD"}));
        assert_eq!(serde_json::from_value::<Money>(v).unwrap(), m);
    }

    #[test]
    fn floats_and_bad_codes_are_refused() {
        assert!(serde_json::from_str::<Money>(r#"{"amount": 1.5, "currency": "USD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount": 1, "currency": "usd"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount": 1, "currency": "US"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount": 1, "currency": "USD", "x": 1}"#).is_err());
    }

    #[test]
    fn addition_checks_currency_and_overflow() {
        let eur: Currency = "EUR".parse().unwrap();
        let a = Money::new(100, Currency::USD);
        assert_eq!(a.checked_add(a).unwrap().amount, 200);
        assert_eq!(a.checked_add(Money::new(1, eur)), Err(MoneyError::CurrencyMismatch(Currency::USD, eur)));
        assert_eq!(Money::new(i64::MAX, Currency::USD).checked_add(a), Err(MoneyError::Overflow));
    }
}
