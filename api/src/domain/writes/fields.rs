//! Checks on the free-text and numeric fields of an input, each failure
//! naming its field.

use crate::error::{ApiError, ApiResult};

/// Trimmed text of 1..=`max` characters with no control characters.
pub fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::bad_input(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ApiError::bad_input(
            field,
            format!("at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// Like [`text`], but an empty value means "none".
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => text(field, value, max).map(Some),
    }
}

/// A mainland mobile number (11 digits from `1`) or a landline with its
/// area code (`0717-6221234`); spaces and dashes are dropped except the one
/// after a landline's area code.
pub fn phone(field: &str, value: &str) -> ApiResult<String> {
    let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let bad = || {
        ApiError::bad_input(
            field,
            "not a phone number: 11 digits starting with 1, or a landline such as 0717-6221234",
        )
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if digits.len() == 11 && digits.starts_with('1') {
        return Ok(digits);
    }
    if digits.starts_with('0') && (10..=12).contains(&digits.len()) {
        // Area codes are 3 digits for the largest cities (010, 02x) and 4
        // elsewhere.
        let area_len = if digits.starts_with("01") || digits.starts_with("02") {
            3
        } else {
            4
        };
        return Ok(format!("{}-{}", &digits[..area_len], &digits[area_len..]));
    }
    Err(bad())
}

pub fn optional_phone(field: &str, value: Option<&str>) -> ApiResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => phone(field, value).map(Some),
    }
}

/// A whole number in `min..=max`.
pub fn bounded(field: &str, value: i32, min: i32, max: i32) -> ApiResult<i32> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::bad_input(
            field,
            format!("must be between {min} and {max}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_or_refused() {
        assert_eq!(
            phone("phone", "138 1234 5678").ok().as_deref(),
            Some("13812345678")
        );
        assert_eq!(
            phone("phone", "07176221234").ok().as_deref(),
            Some("0717-6221234")
        );
        assert_eq!(
            phone("phone", "010-12345678").ok().as_deref(),
            Some("010-12345678")
        );
        assert!(phone("phone", "12345").is_err());
        assert!(phone("phone", "1381234567a").is_err());
        assert!(phone("phone", "23812345678").is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("name", "  王芳 ", 4).ok().as_deref(), Some("王芳"));
        assert!(text("name", "   ", 4).is_err());
        assert!(text("name", "王芳王芳王", 4).is_err());
        assert!(text("name", "a\u{0}b", 4).is_err());
        assert_eq!(optional_text("note", Some(" "), 4).ok(), Some(None));
    }
}
