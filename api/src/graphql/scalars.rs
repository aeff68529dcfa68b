//! The schema's own scalars: dates, instants and URLs, each named and
//! described for a client, with the standard it follows (files: `upload`).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, Utc};

/// The schema's `Date`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// A calendar day without a time zone, written `YYYY-MM-DD` (RFC 3339's
/// `full-date`), e.g. `2026-12-01`.
#[Scalar(
    name = "Date",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            // chrono alone would take `2026-1-1` and signed years.
            Value::String(text) if is_full_date(text) => {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map(Date)
                    .map_err(|_| InputValueError::custom("a date is written YYYY-MM-DD"))
            }
            Value::String(_) => Err(InputValueError::custom("a date is written YYYY-MM-DD")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// RFC 3339's `full-date` shape: four, two and two digits.
fn is_full_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(at, byte)| match at {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        })
}

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Date {
        Date(day)
    }
}

impl From<Date> for NaiveDate {
    fn from(day: Date) -> NaiveDate {
        day.0
    }
}

/// The schema's `DateTime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An instant, written as an RFC 3339 date-time with its offset, e.g.
/// `2026-12-01T08:30:00Z`; answers are always in UTC.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| DateTime(at.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(
                        "an instant is written as RFC 3339, e.g. 2026-12-01T08:30:00Z",
                    )
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> DateTime {
        DateTime(at)
    }
}

impl From<DateTime> for chrono::DateTime<Utc> {
    fn from(at: DateTime) -> chrono::DateTime<Utc> {
        at.0
    }
}

/// The schema's `URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url(pub String);

/// A URL (WHATWG URL Standard), such as a photo of a case's evidence. Where
/// an input takes one it must be absolute, `http` or `https`; the mutation
/// names the field when it is not.
#[Scalar(name = "URL", specified_by_url = "https://url.spec.whatwg.org/")]
impl ScalarType for Url {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            // Whether it is http(s) and well formed is the domain's rule, so
            // a wrong one is a user error naming its field.
            Value::String(text) => Ok(Url(text)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_instants_read_and_write_their_standard_forms() {
        let day = Date::parse(Value::String("2026-12-01".into())).expect("a date");
        assert_eq!(day.to_value(), Value::String("2026-12-01".into()));
        assert!(Date::parse(Value::String("2026-13-01".into())).is_err());
        assert!(Date::parse(Value::String("2026-1-1".into())).is_err());
        assert!(Date::parse(Value::String("+2026-01-01".into())).is_err());
        let at =
            DateTime::parse(Value::String("2026-12-01T16:30:00+08:00".into())).expect("an instant");
        assert_eq!(at.to_value(), Value::String("2026-12-01T08:30:00Z".into()));
        assert!(DateTime::parse(Value::String("yesterday".into())).is_err());
    }
}
