//! What a caller may see of a resident's personal data, decided per row from
//! the request's compiled scopes (never by asking Casbin per row), and how
//! a masked value looks. Letting a value out in full, and recording it, is
//! `Access`'s.

use policies::{Action, Authorizer, Object, Principal, Scope};

/// How one field of one row is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Full,
    Masked,
    Hidden,
}

/// The scopes one request needs to show residents: computed once per request.
#[derive(Debug, Clone)]
pub struct ResidentScopes {
    pub read: Scope,
    id_number_full: Scope,
    id_number_masked: Scope,
    phone_full: Scope,
    phone_masked: Scope,
    pub care_flags: Scope,
}

impl ResidentScopes {
    pub fn of(authorizer: &Authorizer, principal: &Principal) -> ResidentScopes {
        let scope = |object, action| authorizer.scope(principal, object, action);
        ResidentScopes {
            read: scope(Object::Resident, Action::Read),
            id_number_full: scope(Object::ResidentIdNumber, Action::Read),
            id_number_masked: scope(Object::ResidentIdNumber, Action::ReadMasked),
            phone_full: scope(Object::ResidentPhone, Action::Read),
            phone_masked: scope(Object::ResidentPhone, Action::ReadMasked),
            care_flags: scope(Object::ResidentCareFlags, Action::Read),
        }
    }

    pub fn none() -> ResidentScopes {
        ResidentScopes {
            read: Scope::nothing(),
            id_number_full: Scope::nothing(),
            id_number_masked: Scope::nothing(),
            phone_full: Scope::nothing(),
            phone_masked: Scope::nothing(),
            care_flags: Scope::nothing(),
        }
    }

    /// Where the caller sees ID numbers in full: the only place filtering by
    /// one may look, or the filter would confirm numbers it cannot show.
    pub fn id_number_full(&self) -> &Scope {
        &self.id_number_full
    }

    pub fn id_number(&self, grid_code: &str) -> Visibility {
        visibility(&self.id_number_full, &self.id_number_masked, grid_code)
    }

    pub fn phone(&self, grid_code: &str) -> Visibility {
        visibility(&self.phone_full, &self.phone_masked, grid_code)
    }

    pub fn care_flags(&self, grid_code: &str) -> bool {
        self.care_flags.contains(grid_code)
    }
}

/// How a value shows in `grid_code` to a caller who sees such values in
/// full in `full` and masked in `masked`.
pub fn visibility(full: &Scope, masked: &Scope, grid_code: &str) -> Visibility {
    if full.contains(grid_code) {
        Visibility::Full
    } else if masked.contains(grid_code) {
        Visibility::Masked
    } else {
        Visibility::Hidden
    }
}

/// `*****************X`: the check character only.
///
/// The common mask `420502********123X` keeps the address code and the
/// sequence, and hides the birth date — which a caller who sees a masked
/// number also sees beside it, with the sex the sequence's parity gives:
/// the whole number could be rebuilt. Keeping the check character alone
/// leaves some 500 sequences for every plausible address code, of which one
/// in eleven fits: useless to identify anyone, yet enough to tell two
/// records apart at a glance.
///
/// Every document's number masks to the same width, so that a passport's
/// mask does not tell how long its number is.
pub fn mask_id_number(id_number: &str) -> String {
    let last = id_number.chars().last().unwrap_or('*');
    format!("{}{last}", "*".repeat(17))
}

/// `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    mask(phone, 3, 4)
}

fn mask(text: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - keep_start - keep_end;
    chars[..keep_start]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(&chars[chars.len() - keep_end..])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_the_fields_beside_them_do_not_give_away() {
        assert_eq!(mask_id_number("42050219870228123X"), "*****************X");
        assert_eq!(mask_id_number("M12345678"), "*****************8");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("12345"), "*****");
    }
}
