//! The README's access rule, written again from its words and nothing
//! else, so that tests can take their expected answers from it instead of
//! from the authorizer they test:
//!
//! > A subject holds a role in an area, and the role's permissions apply
//! > there and in every area inside it, matched on level boundaries only.
//! > Deny by default; an explicit deny beats any allow. A token's rights are
//! > its subject's policies narrowed to its scopes and areas.
//!
//! The rules themselves are read from the `casbin_rule` table as data (the
//! database copy is what runs); only their meaning is restated here.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// Area code widths: district, street, community, grid.
const LEVEL_WIDTHS: [usize; 4] = [6, 9, 12, 15];

/// Whether a row placed at `code` lies in `area` (`*` is the whole city).
/// `None` is a row of the whole city (a city-wide task): inside `*` only.
pub fn inside(code: Option<&str>, area: &str) -> bool {
    if area == "*" {
        return true;
    }
    match code {
        None => false,
        Some(code) => {
            LEVEL_WIDTHS.contains(&area.len()) && code.len() >= area.len() && code.starts_with(area)
        }
    }
}

fn name_matches(value: &str, pattern: &str) -> bool {
    pattern == "*" || value == pattern
}

#[derive(Debug, Clone)]
struct Policy {
    role: String,
    object: String,
    action: String,
    allow: bool,
}

#[derive(Debug, Clone)]
struct Assignment {
    subject: String,
    role: String,
    area: String,
}

/// The policies and role assignments in force, as the README reads them.
#[derive(Debug, Clone)]
pub struct Rules {
    policies: Vec<Policy>,
    assignments: Vec<Assignment>,
}

/// A scoped token's limits: `object:action` scopes and areas.
#[derive(Debug, Clone)]
pub struct TokenLimits {
    pub scopes: Vec<(String, String)>,
    pub areas: Vec<String>,
}

impl TokenLimits {
    pub fn new(scopes: &[&str], areas: &[&str]) -> TokenLimits {
        TokenLimits {
            scopes: scopes
                .iter()
                .map(|scope| {
                    let (object, action) = scope.split_once(':').expect("object:action");
                    (object.to_owned(), action.to_owned())
                })
                .collect(),
            areas: areas.iter().map(|area| (*area).to_owned()).collect(),
        }
    }

    fn allows(&self, object: &str, action: &str) -> bool {
        self.scopes
            .iter()
            .any(|(o, a)| name_matches(object, o) && name_matches(action, a))
    }

    /// Whether the token itself lets `action` on `object` at `code` through.
    pub fn lets(&self, object: &str, action: &str, code: Option<&str>) -> bool {
        self.allows(object, action) && self.covers(code)
    }

    fn covers(&self, code: Option<&str>) -> bool {
        self.areas.iter().any(|area| inside(code, area))
    }
}

/// A caller as the rule sees it: a subject (`user:NAME`, `dept:CODE`),
/// perhaps narrowed by a token.
#[derive(Debug, Clone)]
pub struct Who {
    pub subject: String,
    pub token: Option<TokenLimits>,
}

impl Rules {
    /// Every valid rule of the `casbin_rule` table. Rows the server would
    /// refuse (an unknown effect, stray fields) grant nothing.
    pub async fn load(db: &DatabaseConnection) -> Rules {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT ptype, v0, v1, v2, v3, v4, v5, valid_from, valid_until FROM casbin_rule"
                    .to_owned(),
            ))
            .await
            .expect("rules");
        let mut rules = Rules {
            policies: Vec::new(),
            assignments: Vec::new(),
        };
        let now = chrono::Utc::now();
        for row in rows {
            // A rule with a window is in force only inside it.
            let at = |name: &str| {
                row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", name)
                    .expect("a time or nothing")
            };
            if at("valid_from").is_some_and(|from| from > now)
                || at("valid_until").is_some_and(|until| until <= now)
            {
                continue;
            }
            let field = |name: &str| row.try_get::<String>("", name).unwrap_or_default();
            let (ptype, v) = (
                field("ptype"),
                [
                    field("v0"),
                    field("v1"),
                    field("v2"),
                    field("v3"),
                    field("v4"),
                    field("v5"),
                ],
            );
            match ptype.as_str() {
                "p" if v[4].is_empty() && v[5].is_empty() => {
                    let allow = match v[3].as_str() {
                        "allow" => true,
                        "deny" => false,
                        _ => continue,
                    };
                    rules.policies.push(Policy {
                        role: v[0].clone(),
                        object: v[1].clone(),
                        action: v[2].clone(),
                        allow,
                    });
                }
                "g" if v[3].is_empty() && v[4].is_empty() && v[5].is_empty() => {
                    rules.assignments.push(Assignment {
                        subject: v[0].clone(),
                        role: v[1].clone(),
                        area: v[2].clone(),
                    });
                }
                _ => {}
            }
        }
        rules
    }

    /// These rules with `subject` holding `role` in `area` too.
    pub fn with_assignment(&self, subject: &str, role: &str, area: &str) -> Rules {
        let mut rules = self.clone();
        rules.assignments.push(Assignment {
            subject: subject.to_owned(),
            role: role.to_owned(),
            area: area.to_owned(),
        });
        rules
    }

    /// These rules without `subject` holding `role` in `area`.
    pub fn without_assignment(&self, subject: &str, role: &str, area: &str) -> Rules {
        let mut rules = self.clone();
        rules
            .assignments
            .retain(|a| !(a.subject == subject && a.role == role && a.area == area));
        rules
    }

    /// These rules with one more policy.
    pub fn with_policy(&self, role: &str, object: &str, action: &str, allow: bool) -> Rules {
        let mut rules = self.clone();
        rules.policies.push(Policy {
            role: role.to_owned(),
            object: object.to_owned(),
            action: action.to_owned(),
            allow,
        });
        rules
    }

    /// The objects and actions `role` grants, among `catalogue`: an allow
    /// of the role matches and no deny of it does.
    pub fn grants(&self, role: &str, catalogue: &[(&str, &str)]) -> Vec<(String, String)> {
        let says = |object: &str, action: &str, allow: bool| {
            self.policies.iter().any(|policy| {
                policy.role == role
                    && policy.allow == allow
                    && name_matches(object, &policy.object)
                    && name_matches(action, &policy.action)
            })
        };
        catalogue
            .iter()
            .filter(|(object, action)| says(object, action, true) && !says(object, action, false))
            .map(|(object, action)| ((*object).to_owned(), (*action).to_owned()))
            .collect()
    }

    /// Where `subject` holds roles (`*` for the city).
    pub fn places_of(&self, subject: &str) -> Vec<String> {
        let mut places: Vec<String> = self
            .assignments
            .iter()
            .filter(|assignment| assignment.subject == subject)
            .map(|assignment| assignment.area.clone())
            .collect();
        places.sort();
        places.dedup();
        places
    }

    /// The rules of `subject` that bind at `code` for `object`/`action`,
    /// each as `role@area: object action allow|deny`, sorted.
    pub fn binding(
        &self,
        subject: &str,
        code: Option<&str>,
        object: &str,
        action: &str,
    ) -> Vec<String> {
        let mut binding = Vec::new();
        for assignment in &self.assignments {
            if assignment.subject != subject || !inside(code, &assignment.area) {
                continue;
            }
            for policy in &self.policies {
                if policy.role == assignment.role
                    && name_matches(object, &policy.object)
                    && name_matches(action, &policy.action)
                {
                    binding.push(format!(
                        "{}@{}: {} {} {}",
                        assignment.role,
                        assignment.area,
                        policy.object,
                        policy.action,
                        if policy.allow { "allow" } else { "deny" }
                    ));
                }
            }
        }
        binding.sort();
        binding.dedup();
        binding
    }

    /// The effects of the rules of `subject` that bind at `code` for
    /// `object`/`action`: (some allow, some deny).
    fn effects(
        &self,
        subject: &str,
        code: Option<&str>,
        object: &str,
        action: &str,
    ) -> (bool, bool) {
        let binding = self.binding(subject, code, object, action);
        (
            binding.iter().any(|rule| rule.ends_with(" allow")),
            binding.iter().any(|rule| rule.ends_with(" deny")),
        )
    }

    /// May `who` do `action` to an `object` placed at `code`?
    pub fn allows(&self, who: &Who, code: Option<&str>, object: &str, action: &str) -> bool {
        if let Some(token) = &who.token
            && !(token.allows(object, action) && token.covers(code))
        {
            return false;
        }
        let (allow, deny) = self.effects(&who.subject, code, object, action);
        allow && !deny
    }

    /// Does a row that is `who`'s own (a task it sent, an assignment
    /// addressed to it) stay visible at `code`? Yes, unless an explicit
    /// deny binds there or a token does not reach it.
    pub fn own_stays(&self, who: &Who, code: Option<&str>, object: &str, action: &str) -> bool {
        if let Some(token) = &who.token
            && !(token.allows(object, action) && token.covers(code))
        {
            return false;
        }
        !self.effects(&who.subject, code, object, action).1
    }
}
