//! Resident ID numbers (GB 11643-1999) and the foreigners' permanent
//! residence ID of the same shape: 17 digits and an ISO 7064 MOD 11-2 check
//! character. Positions 7-14 are the birth date; the parity of the 17th digit
//! gives the sex.

use chrono::NaiveDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("an ID number has 18 characters")]
    Length,
    #[error("an ID number has digits, and only its last character may be X")]
    Characters,
    #[error("the ID number's birth date is not a real date")]
    BirthDate,
    #[error("the ID number's check character is wrong")]
    CheckDigit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSex {
    Male,
    Female,
}

/// A checked ID number and what it says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    text: String,
    birth_date: NaiveDate,
    sex: IdSex,
}

impl IdNumber {
    /// Checks `raw` (a lower-case `x` is accepted and stored upper-case).
    pub fn parse(raw: &str) -> Result<IdNumber, IdNumberError> {
        let text = raw.trim().to_ascii_uppercase();
        if text.chars().count() != 18 {
            return Err(IdNumberError::Length);
        }
        let bytes = text.as_bytes();
        if bytes.len() != 18
            || !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(IdNumberError::Characters);
        }
        let birth_date = NaiveDate::parse_from_str(&text[6..14], "%Y%m%d")
            .map_err(|_| IdNumberError::BirthDate)?;
        if check_char(&bytes[..17]) != bytes[17] {
            return Err(IdNumberError::CheckDigit);
        }
        let sex = if (bytes[16] - b'0') % 2 == 1 {
            IdSex::Male
        } else {
            IdSex::Female
        };
        Ok(IdNumber {
            text,
            birth_date,
            sex,
        })
    }

    /// Builds a valid number from its parts: a 6-digit address code, a birth
    /// date and a 3-digit sequence (odd for men, even for women).
    pub fn compose(address_code: &str, birth_date: NaiveDate, sequence: u16) -> String {
        let mut body = format!(
            "{address_code:0>6.6}{}{:03}",
            birth_date.format("%Y%m%d"),
            sequence % 1000
        );
        let check = check_char(body.as_bytes()) as char;
        body.push(check);
        body
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    pub fn sex(&self) -> IdSex {
        self.sex
    }
}

/// The ISO 7064 MOD 11-2 check character of the first 17 digits.
fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit.saturating_sub(b'0')) * weight)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date in test")
    }

    #[test]
    fn a_published_example_is_valid() {
        // The worked example of GB 11643-1999's annex.
        let id = IdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(id.birth_date(), date(1949, 12, 31));
        assert_eq!(id.sex(), IdSex::Female);
        let id = IdNumber::parse("440524188001010014").expect("valid");
        assert_eq!(id.sex(), IdSex::Male);
    }

    #[test]
    fn lower_case_x_is_accepted() {
        let id = IdNumber::parse("11010519491231002x").expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn errors_name_what_is_wrong() {
        assert_eq!(
            IdNumber::parse("1101051949123100"),
            Err(IdNumberError::Length)
        );
        assert_eq!(
            IdNumber::parse("1101051949123100X2"),
            Err(IdNumberError::Characters)
        );
        assert_eq!(
            IdNumber::parse("110105194902300029"),
            Err(IdNumberError::BirthDate)
        );
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(IdNumberError::CheckDigit)
        );
        assert_eq!(
            IdNumber::parse("西陵区一二三四五六七八九十一二三四五"),
            Err(IdNumberError::Characters)
        );
    }

    #[test]
    fn composed_numbers_parse_back() {
        for sequence in [0u16, 1, 2, 37, 998, 999] {
            let text = IdNumber::compose("420502", date(1987, 2, 28), sequence);
            let id = IdNumber::parse(&text).expect("composed numbers are valid");
            assert_eq!(id.birth_date(), date(1987, 2, 28));
            let expected = if sequence % 2 == 1 {
                IdSex::Male
            } else {
                IdSex::Female
            };
            assert_eq!(id.sex(), expected);
        }
    }
}
