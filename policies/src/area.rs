//! Area codes and how they nest.
//!
//! A city is split into districts (6 digits, GB/T 2260), streets (9),
//! communities (12, the national statistical code) and grids (15: the
//! community code plus a 3-digit sequence). A code's prefix of a level's width
//! is its ancestor at that level. "Is X inside A" therefore means "X starts with
//! A **and** A has a level's width": a raw prefix of any other length never
//! matches, so a 14-digit string can never reach ten grids at once.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The administrative levels, outermost first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    District,
    Street,
    Community,
    Grid,
}

impl AreaLevel {
    pub const ALL: [AreaLevel; 4] = [
        AreaLevel::District,
        AreaLevel::Street,
        AreaLevel::Community,
        AreaLevel::Grid,
    ];

    /// The number of digits of a code at this level.
    pub const fn width(self) -> usize {
        match self {
            AreaLevel::District => 6,
            AreaLevel::Street => 9,
            AreaLevel::Community => 12,
            AreaLevel::Grid => 15,
        }
    }

    pub fn from_width(width: usize) -> Option<AreaLevel> {
        AreaLevel::ALL
            .into_iter()
            .find(|level| level.width() == width)
    }

    /// The level directly inside this one, if any.
    pub fn child(self) -> Option<AreaLevel> {
        match self {
            AreaLevel::District => Some(AreaLevel::Street),
            AreaLevel::Street => Some(AreaLevel::Community),
            AreaLevel::Community => Some(AreaLevel::Grid),
            AreaLevel::Grid => None,
        }
    }

    /// The level directly around this one, if any.
    pub fn parent(self) -> Option<AreaLevel> {
        match self {
            AreaLevel::District => None,
            AreaLevel::Street => Some(AreaLevel::District),
            AreaLevel::Community => Some(AreaLevel::Street),
            AreaLevel::Grid => Some(AreaLevel::Community),
        }
    }

    /// The name stored in the database and used in policies.
    pub const fn as_str(self) -> &'static str {
        match self {
            AreaLevel::District => "district",
            AreaLevel::Street => "street",
            AreaLevel::Community => "community",
            AreaLevel::Grid => "grid",
        }
    }
}

impl fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AreaCodeError {
    #[error("an area code has only the digits 0-9")]
    NotDigits,
    #[error("an area code has 6, 9, 12 or 15 digits, not {0}")]
    BadWidth(usize),
}

/// A valid area code: ASCII digits of exactly one level's width.
///
/// Constructed only through [`AreaCode::parse`], so every value in hand is
/// known to be well formed and byte slicing on it is safe.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    pub fn parse(raw: &str) -> Result<AreaCode, AreaCodeError> {
        // Checked before the width so that multi-byte text is refused as
        // "not digits" rather than measured in bytes.
        if !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AreaCodeError::NotDigits);
        }
        match AreaLevel::from_width(raw.len()) {
            Some(_) => Ok(AreaCode(raw.to_owned())),
            None => Err(AreaCodeError::BadWidth(raw.len())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> AreaLevel {
        // parse() admits only the four widths.
        AreaLevel::from_width(self.0.len()).unwrap_or(AreaLevel::Grid)
    }

    /// The enclosing area one level up, or `None` for a district.
    pub fn parent(&self) -> Option<AreaCode> {
        self.level()
            .parent()
            .map(|level| AreaCode(self.0[..level.width()].to_owned()))
    }

    /// This area's ancestor at `level`, or itself at its own level; `None`
    /// when `level` is finer than this code.
    pub fn at_level(&self, level: AreaLevel) -> Option<AreaCode> {
        (level <= self.level()).then(|| AreaCode(self.0[..level.width()].to_owned()))
    }

    /// Whether `other` is this area or lies inside it.
    pub fn contains(&self, other: &AreaCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Whether a raw code column value (any text) lies inside this area.
    /// Never panics, whatever the input.
    pub fn contains_raw(&self, raw: &str) -> bool {
        AreaCode::parse(raw).is_ok_and(|code| self.contains(&code))
    }

    /// The half-open range of codes, of any finer level, that lie inside this
    /// area: `start <= code < end` is one range scan on an indexed column.
    pub fn range(&self) -> CodeRange {
        CodeRange {
            start: self.0.clone(),
            end: increment_digits(&self.0),
        }
    }
}

/// `start <= code < end`; `end` is `None` when the area is the last one
/// possible (all nines), and then only the lower bound applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRange {
    pub start: String,
    pub end: Option<String>,
}

/// The next code of the same width, as text: "420502009" → "420502010".
fn increment_digits(code: &str) -> Option<String> {
    let mut digits = code.as_bytes().to_vec();
    for digit in digits.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return String::from_utf8(digits).ok();
        }
    }
    None
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AreaCode {
    type Error = AreaCodeError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        AreaCode::parse(&raw)
    }
}

impl From<AreaCode> for String {
    fn from(code: AreaCode) -> String {
        code.0
    }
}

impl std::str::FromStr for AreaCode {
    type Err = AreaCodeError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        AreaCode::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> AreaCode {
        AreaCode::parse(raw).expect("valid code in test")
    }

    #[test]
    fn widths_name_the_levels() {
        assert_eq!(code("420502").level(), AreaLevel::District);
        assert_eq!(code("420502003").level(), AreaLevel::Street);
        assert_eq!(code("420502003001").level(), AreaLevel::Community);
        assert_eq!(code("420502003001001").level(), AreaLevel::Grid);
    }

    #[test]
    fn other_widths_and_non_digits_are_refused() {
        assert_eq!(
            AreaCode::parse("42050200300101"),
            Err(AreaCodeError::BadWidth(14))
        );
        assert_eq!(AreaCode::parse(""), Err(AreaCodeError::BadWidth(0)));
        assert_eq!(AreaCode::parse("42050２"), Err(AreaCodeError::NotDigits));
        assert_eq!(AreaCode::parse("西陵区网格"), Err(AreaCodeError::NotDigits));
        assert_eq!(AreaCode::parse("420502 "), Err(AreaCodeError::NotDigits));
    }

    #[test]
    fn containment_is_on_level_boundaries() {
        let grid_1 = code("420502003001001");
        let grid_10 = code("420502003001010");
        assert!(code("420502003001").contains(&grid_10));
        assert!(code("420502").contains(&grid_1));
        assert!(grid_1.contains(&grid_1));
        assert!(!grid_1.contains(&grid_10));
        assert!(!code("420503").contains(&grid_1));
        assert!(!grid_1.contains(&code("420502003001")));
        // A 14-digit "scope" is not a code at all, so it cannot widen to ten grids.
        assert!(AreaCode::parse("42050200300101").is_err());
        assert!(!grid_1.contains_raw("西陵区"));
        assert!(!code("420502").contains_raw("4205020030010"));
    }

    #[test]
    fn ranges_cover_exactly_the_area() {
        let street = code("420502009");
        let range = street.range();
        assert_eq!(range.start, "420502009");
        assert_eq!(range.end.as_deref(), Some("420502010"));
        let inside = "420502009123456";
        let outside = "420502010000001";
        assert!(inside >= range.start.as_str() && inside < range.end.as_deref().unwrap_or(""));
        assert!(outside >= range.end.as_deref().unwrap_or(""));
        assert_eq!(code("999999").range().end, None);
    }

    #[test]
    fn parents_and_levels() {
        let grid = code("420502003001010");
        assert_eq!(grid.parent(), Some(code("420502003001")));
        assert_eq!(grid.at_level(AreaLevel::District), Some(code("420502")));
        assert_eq!(code("420502").parent(), None);
        assert_eq!(code("420502").at_level(AreaLevel::Grid), None);
    }
}
