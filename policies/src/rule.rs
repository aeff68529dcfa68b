//! Rules as the authorizer reads them: policies (what a role may do) and
//! role assignments (who holds a role, where), parsed strictly from the
//! six-field rows of the `casbin_rule` table.

use std::fmt;

use crate::area::{AreaCode, AreaLevel};
use crate::catalogue::{ANY, Action, Effect, Object, is_role_name};

/// Where a role is held: the whole city, or one area and all inside it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Domain {
    City,
    Area(AreaCode),
}

impl Domain {
    pub fn parse(text: &str) -> Result<Domain, RuleError> {
        if text == ANY {
            return Ok(Domain::City);
        }
        AreaCode::parse(text)
            .map(Domain::Area)
            .map_err(|_| RuleError::BadDomain(text.to_owned()))
    }

    /// The text Casbin sees: `*` or the code.
    pub fn as_str(&self) -> &str {
        match self {
            Domain::City => ANY,
            Domain::Area(code) => code.as_str(),
        }
    }

    /// Whether `self` is `other` or lies around it.
    pub fn contains(&self, other: &Domain) -> bool {
        match (self, other) {
            (Domain::City, _) => true,
            (Domain::Area(_), Domain::City) => false,
            (Domain::Area(outer), Domain::Area(inner)) => outer.contains(inner),
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who holds roles: a user account or a department (for its scoped tokens).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    User(String),
    Department(String),
}

impl Subject {
    pub fn parse(text: &str) -> Result<Subject, RuleError> {
        let bad = || RuleError::BadSubject(text.to_owned());
        if let Some(name) = text.strip_prefix("user:") {
            let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
            return (!name.is_empty() && name.len() <= 64 && name.bytes().all(plain))
                .then(|| Subject::User(name.to_owned()))
                .ok_or_else(bad);
        }
        if let Some(code) = text.strip_prefix("dept:") {
            let plain = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
            return (!code.is_empty() && code.len() <= 32 && code.bytes().all(plain))
                .then(|| Subject::Department(code.to_owned()))
                .ok_or_else(bad);
        }
        Err(bad())
    }

    /// The text Casbin sees: `user:NAME` or `dept:CODE`.
    pub fn casbin_name(&self) -> String {
        match self {
            Subject::User(name) => format!("user:{name}"),
            Subject::Department(code) => format!("dept:{code}"),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.casbin_name())
    }
}

/// One named thing or all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pattern<T> {
    Any,
    Exactly(T),
}

impl<T: Copy + PartialEq> Pattern<T> {
    pub fn matches(&self, value: T) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exactly(expected) => *expected == value,
        }
    }
}

impl Pattern<Object> {
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        if text == ANY {
            return Ok(Pattern::Any);
        }
        Object::parse(text)
            .map(Pattern::Exactly)
            .ok_or_else(|| RuleError::UnknownObject(text.to_owned()))
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Pattern::Any => ANY,
            Pattern::Exactly(object) => object.as_str(),
        }
    }
}

impl Pattern<Action> {
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        if text == ANY {
            return Ok(Pattern::Any);
        }
        Action::parse(text)
            .map(Pattern::Exactly)
            .ok_or_else(|| RuleError::UnknownAction(text.to_owned()))
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Pattern::Any => ANY,
            Pattern::Exactly(action) => action.as_str(),
        }
    }
}

/// What a role may (or may not) do, wherever it is held.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyRule {
    pub role: String,
    pub object: Pattern<Object>,
    pub action: Pattern<Action>,
    pub effect: Effect,
}

/// A subject holding a role in a domain.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleAssignment {
    pub subject: Subject,
    pub role: String,
    pub domain: Domain,
}

/// A role an admin lets managers hand out: whoever may `delegate` the
/// `policy` throughout an area of `level` or a wider one may assign the
/// role inside that area, never beyond their own rights there.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Delegation {
    pub role: String,
    pub level: AreaLevel,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    Policy(PolicyRule),
    Assignment(RoleAssignment),
    Delegation(Delegation),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error(
        "unknown rule type {0:?}: a rule is a policy (p), a role assignment (g) or a delegable role (d)"
    )]
    UnknownType(String),
    #[error("unknown object {0:?}")]
    UnknownObject(String),
    #[error("unknown action {0:?}")]
    UnknownAction(String),
    #[error("unknown effect {0:?}: allow or deny")]
    UnknownEffect(String),
    #[error("{0:?} is not a role name (a-z, 0-9 and _, 2 to 40 characters)")]
    BadRole(String),
    #[error("{0:?} is not a subject (user:NAME or dept:CODE)")]
    BadSubject(String),
    #[error("{0:?} is not a domain (* or a 6, 9, 12 or 15-digit area code)")]
    BadDomain(String),
    #[error("{0:?} is not a level (district, street, community or grid)")]
    BadLevel(String),
    #[error("field v{0} must be empty for this rule type")]
    StrayField(usize),
}

impl PolicyRule {
    pub fn new(
        role: &str,
        object: &str,
        action: &str,
        effect: &str,
    ) -> Result<PolicyRule, RuleError> {
        if !is_role_name(role) {
            return Err(RuleError::BadRole(role.to_owned()));
        }
        Ok(PolicyRule {
            role: role.to_owned(),
            object: Pattern::<Object>::parse(object)?,
            action: Pattern::<Action>::parse(action)?,
            effect: Effect::parse(effect)
                .ok_or_else(|| RuleError::UnknownEffect(effect.to_owned()))?,
        })
    }

    pub fn fields(&self) -> Vec<String> {
        vec![
            self.role.clone(),
            self.object.as_str().to_owned(),
            self.action.as_str().to_owned(),
            self.effect.as_str().to_owned(),
        ]
    }
}

impl RoleAssignment {
    pub fn new(subject: &str, role: &str, domain: &str) -> Result<RoleAssignment, RuleError> {
        if !is_role_name(role) {
            return Err(RuleError::BadRole(role.to_owned()));
        }
        Ok(RoleAssignment {
            subject: Subject::parse(subject)?,
            role: role.to_owned(),
            domain: Domain::parse(domain)?,
        })
    }

    pub fn fields(&self) -> Vec<String> {
        vec![
            self.subject.casbin_name(),
            self.role.clone(),
            self.domain.as_str().to_owned(),
        ]
    }
}

impl Delegation {
    pub fn new(role: &str, level: &str) -> Result<Delegation, RuleError> {
        if !is_role_name(role) {
            return Err(RuleError::BadRole(role.to_owned()));
        }
        let level = AreaLevel::ALL
            .into_iter()
            .find(|known| known.as_str() == level)
            .ok_or_else(|| RuleError::BadLevel(level.to_owned()))?;
        Ok(Delegation {
            role: role.to_owned(),
            level,
        })
    }

    pub fn fields(&self) -> Vec<String> {
        vec![self.role.clone(), self.level.as_str().to_owned()]
    }
}

impl Rule {
    /// Reads a `casbin_rule` row; every field beyond the rule's own must be empty.
    pub fn from_row(ptype: &str, fields: [&str; 6]) -> Result<Rule, RuleError> {
        let (used, rule) = match ptype {
            "p" => (
                4,
                Rule::Policy(PolicyRule::new(fields[0], fields[1], fields[2], fields[3])?),
            ),
            "g" => (
                3,
                Rule::Assignment(RoleAssignment::new(fields[0], fields[1], fields[2])?),
            ),
            "d" => (2, Rule::Delegation(Delegation::new(fields[0], fields[1])?)),
            other => return Err(RuleError::UnknownType(other.to_owned())),
        };
        if let Some(stray) = (used..6).find(|&index| !fields[index].is_empty()) {
            return Err(RuleError::StrayField(stray));
        }
        Ok(rule)
    }

    /// The rule as a `casbin_rule` row: its type and six fields.
    pub fn to_row(&self) -> (&'static str, [String; 6]) {
        let (ptype, fields) = match self {
            Rule::Policy(policy) => ("p", policy.fields()),
            Rule::Assignment(assignment) => ("g", assignment.fields()),
            Rule::Delegation(delegation) => ("d", delegation.fields()),
        };
        let mut row: [String; 6] = Default::default();
        for (slot, field) in row.iter_mut().zip(fields) {
            *slot = field;
        }
        (ptype, row)
    }

    /// Parses the default policy file: `p, role, object, action, effect` and
    /// `d, role, level` lines, `#` comments and blank lines.
    pub fn parse_csv(text: &str) -> Result<Vec<Rule>, (usize, RuleError)> {
        let mut rules = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split(',').map(str::trim).collect();
            let mut fields = [""; 6];
            for (slot, part) in fields.iter_mut().zip(parts.iter().skip(1)) {
                *slot = part;
            }
            if parts.len() > 7 {
                return Err((index + 1, RuleError::StrayField(6)));
            }
            rules.push(Rule::from_row(parts[0], fields).map_err(|err| (index + 1, err))?);
        }
        Ok(rules)
    }
}

/// The default policies shipped in `policies/default-policy.csv`.
pub const DEFAULT_POLICY: &str = include_str!("../default-policy.csv");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_strictly() {
        let rule = Rule::from_row(
            "g",
            [
                "user:worker-1",
                "grid_worker",
                "420502003001001",
                "",
                "",
                "",
            ],
        );
        assert!(matches!(rule, Ok(Rule::Assignment(_))));
        assert_eq!(
            Rule::from_row(
                "g",
                [
                    "user:worker-1",
                    "grid_worker",
                    "420502003001001",
                    "x",
                    "",
                    ""
                ]
            ),
            Err(RuleError::StrayField(3))
        );
        assert_eq!(
            Rule::from_row("p", ["admin", "*", "*", "maybe", "", ""]),
            Err(RuleError::UnknownEffect("maybe".into()))
        );
        assert!(matches!(
            Rule::from_row("g", ["user:x", "grid_worker", "42050200300101", "", "", ""]),
            Err(RuleError::BadDomain(_))
        ));
        assert!(matches!(
            Rule::from_row("g", ["user:x,admin", "grid_worker", "*", "", "", ""]),
            Err(RuleError::BadSubject(_))
        ));
        assert!(matches!(
            Rule::from_row("g", ["user:网格员", "grid_worker", "*", "", "", ""]),
            Err(RuleError::BadSubject(_))
        ));
        assert!(matches!(
            Rule::from_row("g2", ["a", "b", "c", "", "", ""]),
            Err(RuleError::UnknownType(_))
        ));
        assert!(matches!(
            Rule::from_row("p", ["grid_worker", "residents", "read", "allow", "", ""]),
            Err(RuleError::UnknownObject(_))
        ));
    }

    #[test]
    fn rows_round_trip() {
        let rule = Rule::from_row(
            "p",
            ["police", "resident.id_number", "read", "allow", "", ""],
        )
        .expect("valid rule");
        let (ptype, row) = rule.to_row();
        let fields: [&str; 6] = std::array::from_fn(|i| row[i].as_str());
        assert_eq!(Rule::from_row(ptype, fields), Ok(rule));
    }

    #[test]
    fn the_default_policy_file_is_valid() {
        let rules = Rule::parse_csv(DEFAULT_POLICY).expect("default policies parse");
        assert!(rules.len() > 40);
        // Policies and delegable roles only: assignments live in the
        // database, never in the shipped file.
        assert!(
            rules
                .iter()
                .all(|rule| matches!(rule, Rule::Policy(_) | Rule::Delegation(_)))
        );
        assert!(rules.iter().any(|rule| matches!(
            rule,
            Rule::Delegation(Delegation { role, level: AreaLevel::Community }) if role == "grid_assistant"
        )));
    }

    #[test]
    fn delegable_roles_parse_strictly() {
        let rule = Rule::from_row("d", ["grid_assistant", "street", "", "", "", ""]);
        assert!(matches!(rule, Ok(Rule::Delegation(_))));
        assert_eq!(
            Rule::from_row("d", ["grid_assistant", "town", "", "", "", ""]),
            Err(RuleError::BadLevel("town".to_owned()))
        );
        assert_eq!(
            Rule::from_row("d", ["grid_assistant", "grid", "x", "", "", ""]),
            Err(RuleError::StrayField(2))
        );
    }

    #[test]
    fn domains_nest() {
        let district = Domain::parse("420502").expect("valid");
        let grid = Domain::parse("420502003001001").expect("valid");
        assert!(Domain::City.contains(&grid));
        assert!(district.contains(&grid));
        assert!(!grid.contains(&district));
        assert!(!grid.contains(&Domain::City));
    }
}
