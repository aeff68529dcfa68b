//! What policies may name: objects, actions, effects and role names.
//! An edit naming anything else is refused before it reaches the table.

use std::fmt;

macro_rules! names {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names! {
    /// What a permission is about.
    Object {
        Area => "area",
        Resident => "resident",
        ResidentIdNumber => "resident.id_number",
        ResidentPhone => "resident.phone",
        ResidentCareFlags => "resident.care_flags",
        Household => "household",
        Dwelling => "dwelling",
        Building => "building",
        Organisation => "organisation",
        Case => "case",
        CaseReporterPhone => "case.reporter_phone",
        Task => "task",
        Visit => "visit",
        Statistics => "statistics",
        AuditLog => "audit_log",
        RegistryHousehold => "registry.household",
        RegistryDeaths => "registry.deaths",
        RegistryPensions => "registry.pensions",
        RegistryWanted => "registry.wanted",
        RegistryLicences => "registry.licences",
        RegistryFoodPermits => "registry.food_permits",
        FindingHousehold => "finding.household",
        FindingDeaths => "finding.deaths",
        FindingPensions => "finding.pensions",
        FindingWanted => "finding.wanted",
        FindingLicences => "finding.licences",
        FindingFoodPermits => "finding.food_permits",
        Policy => "policy",
        Token => "token",
        User => "user",
    }
}

names! {
    /// What may be done to an object.
    Action {
        Read => "read",
        ReadMasked => "read_masked",
        Write => "write",
        SignOff => "sign_off",
        Return => "return",
        Report => "report",
        Verify => "verify",
        File => "file",
        Dispatch => "dispatch",
        Handle => "handle",
        Check => "check",
        Close => "close",
        Evaluate => "evaluate",
        Supervise => "supervise",
        Send => "send",
        Respond => "respond",
        Manage => "manage",
        Delegate => "delegate",
    }
}

names! {
    /// Whether a matching rule grants or forbids.
    Effect {
        Allow => "allow",
        Deny => "deny",
    }
}

/// The wildcard a policy may use for its object or action.
pub const ANY: &str = "*";

/// A role name: 2 to 40 characters of a-z, 0-9 and `_`, starting with a letter.
pub fn is_role_name(text: &str) -> bool {
    (2..=40).contains(&text.len())
        && text.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The matcher function behind `nameMatch`: `*` matches anything, `x.*`
/// matches `x.` and whatever follows, anything else only itself. Unlike
/// Casbin's `keyMatch` it never slices, so no input can make it panic.
pub fn name_match(value: &str, pattern: &str) -> bool {
    if pattern == ANY {
        return true;
    }
    match pattern.strip_suffix('*') {
        Some(prefix) if prefix.ends_with('.') => value.starts_with(prefix),
        _ => value == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for object in Object::ALL {
            assert_eq!(Object::parse(object.as_str()), Some(*object));
        }
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(*action));
        }
        assert_eq!(Object::parse("Resident"), None);
        assert_eq!(Effect::parse("maybe"), None);
    }

    #[test]
    fn role_names_are_plain() {
        assert!(is_role_name("grid_worker"));
        assert!(!is_role_name("Grid"));
        assert!(!is_role_name("a"));
        assert!(!is_role_name("网格员"));
        assert!(!is_role_name("worker, admin"));
        assert!(!is_role_name("_x"));
    }

    #[test]
    fn name_match_is_exact_or_wildcard_and_safe_on_any_text() {
        assert!(name_match("resident", "*"));
        assert!(name_match("resident.phone", "resident.*"));
        assert!(!name_match("resident", "resident.*"));
        assert!(!name_match("residents", "resident"));
        assert!(name_match("case", "case"));
        // Multi-byte text on either side neither matches nor panics.
        assert!(!name_match("居民资料信息", "res*"));
        assert!(!name_match("居民资料信息", "居.*"));
        assert!(name_match("居民.资料", "居民.*"));
        assert!(!name_match("r", "居民资料信息*"));
    }
}
