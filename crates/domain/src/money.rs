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

#[cfg(test)]
mod tests {
    use super::*;

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
