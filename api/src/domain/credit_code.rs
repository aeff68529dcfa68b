//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18
//! characters — the registering authority and kind (91 a company, 92 an
//! individual business 个体工商户), the six-digit division, the nine-character
//! organisation code (GB 11714, with its own check character) and a check
//! character over the first seventeen, mod 31.

/// The code's alphabet: digits and the capitals other than I, O, S, V, Z;
/// a character's value is its place here.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weight of each of the first seventeen places: 3^i mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// The check character of a code's first seventeen characters, if they are
/// all of the alphabet.
pub fn check_character(first: &str) -> Option<char> {
    let bytes = first.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, weight) in bytes.iter().zip(WEIGHTS) {
        sum += value(*c)? * weight;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

/// The check character of a GB 11714 organisation code's first eight
/// characters (digits here).
pub fn organisation_check(first: &str) -> Option<char> {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let bytes = first.as_bytes();
    if bytes.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, weight) in bytes.iter().zip(WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        sum += v * weight;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        digit => char::from_digit(digit, 10)?,
    })
}

/// Whether `code` is a well-formed unified social credit code: eighteen
/// characters of the alphabet whose last is the check of the others, and
/// whose organisation code (places 9–17) carries its own check.
pub fn is_valid(code: &str) -> bool {
    let checks = |part: Option<&str>, check: Option<char>, at: usize| {
        check.is_some_and(|check| part.is_some() && code[at..].starts_with(check))
    };
    code.len() == 18
        && code.is_ascii()
        && checks(code.get(..17), code.get(..17).and_then(check_character), 17)
        && checks(
            code.get(8..16),
            code.get(8..16).and_then(organisation_check),
            16,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_check_and_a_changed_character_does_not() {
        // Codes printed on public business licences.
        for code in ["91350100M000100Y43", "91110108551385082Q"] {
            assert!(is_valid(code), "{code}");
            let mut changed = code.as_bytes().to_vec();
            changed[10] = if changed[10] == b'1' { b'2' } else { b'1' };
            let changed = String::from_utf8(changed).unwrap_or_default();
            assert!(!is_valid(&changed), "{changed}");
        }
        assert!(!is_valid("91420502MA4F00000"));
        // The last character checks, the organisation code's does not.
        assert!(is_valid("91420502MA4F00008Q"));
        assert!(!is_valid("91420502MA4F000013"));
        assert!(!is_valid("91420502MA4F0000I1"));
    }

    #[test]
    fn organisation_codes_check_as_gb_11714_says() {
        // 55138508-2 of 91110108551385082Q.
        assert_eq!(organisation_check("55138508"), Some('2'));
        assert_eq!(organisation_check("M000100Y"), Some('4'));
    }
}
