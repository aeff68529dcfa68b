//! Who is calling: a subject, and for a scoped token the limits it carries.

use crate::catalogue::{Action, Object};
use crate::rule::{Domain, Pattern, Subject};

/// What a scoped token narrows its subject's rights to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLimits {
    pub token_id: i64,
    /// The objects and actions the token may use.
    pub scopes: Vec<TokenScope>,
    /// The areas it may act in; `Domain::City` lifts the limit.
    pub areas: Vec<Domain>,
}

/// One `object:action` a token may use; either side may be `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenScope {
    pub object: Pattern<Object>,
    pub action: Pattern<Action>,
}

impl TokenScope {
    /// Reads `object:action`, e.g. `case:read` or `case:*`.
    pub fn parse(text: &str) -> Option<TokenScope> {
        let (object, action) = text.split_once(':')?;
        Some(TokenScope {
            object: Pattern::<Object>::parse(object).ok()?,
            action: Pattern::<Action>::parse(action).ok()?,
        })
    }

    pub fn as_string(&self) -> String {
        format!("{}:{}", self.object.as_str(), self.action.as_str())
    }

    pub fn allows(&self, object: Object, action: Action) -> bool {
        self.object.matches(object) && self.action.matches(action)
    }
}

impl TokenLimits {
    pub fn allows(&self, object: Object, action: Action) -> bool {
        self.scopes.iter().any(|scope| scope.allows(object, action))
    }

    pub fn covers(&self, domain: &Domain) -> bool {
        self.areas.iter().any(|area| area.contains(domain))
    }
}

/// The caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub subject: Subject,
    /// Set when the caller presented a scoped API token.
    pub token: Option<TokenLimits>,
}

impl Principal {
    pub fn user(username: &str) -> Principal {
        Principal {
            subject: Subject::User(username.to_owned()),
            token: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_match() {
        let scope = TokenScope::parse("case:read").expect("valid");
        assert!(scope.allows(Object::Case, Action::Read));
        assert!(!scope.allows(Object::Case, Action::Handle));
        let any = TokenScope::parse("case:*").expect("valid");
        assert!(any.allows(Object::Case, Action::Handle));
        assert_eq!(any.as_string(), "case:*");
        assert!(TokenScope::parse("cases:read").is_none());
        assert!(TokenScope::parse("case").is_none());
        assert!(TokenScope::parse("案件:read").is_none());
    }
}
