//! `explainAccess`: why a subject may or may not do something somewhere,
//! with every rule that decided it and the SQL condition its lists run
//! with. For admins about anyone, and for any caller about themselves
//! ("why can't I see this grid?").

use async_graphql::{Context, Object, Result, SimpleObject};
use policies::{Allow, Scope};

use super::ContextExt;
use super::admin::{Effect, RoleSubject, RoleSubjectInput};
use crate::domain::policy_explain::{self, AccessExplained};

/// A rule that applies where the question is asked: a role the subject
/// holds there (or around it) and one of that role's policies about the
/// object and action.
#[derive(SimpleObject)]
pub struct ContributingRule {
    /// The role.
    role: String,
    /// Where the subject holds it: an area or grid code, or `*`.
    held_in: String,
    /// The policy's object (or `*`).
    object: String,
    /// The policy's action (or `*`).
    action: String,
    /// Whether it allows or denies; one deny beats every allow.
    effect: Effect,
}

/// What a scoped token lets through, for a caller who presented one.
#[derive(SimpleObject)]
pub struct TokenVerdict {
    /// Whether the token's scopes name the object and action.
    scopes_allow: bool,
    /// Whether the token's areas cover the place.
    areas_cover: bool,
}

/// Where a list of the object reaches for the subject.
#[derive(SimpleObject)]
pub struct ListScope {
    /// Everywhere (less `except`).
    everywhere: bool,
    /// The areas it reaches, each with everything inside it (less
    /// `except`); empty when `everywhere`, or when it reaches nowhere.
    within: Vec<String>,
    /// Areas carved out by denies.
    except: Vec<String>,
    /// The SQL condition lists of the object run with on the rows' grid
    /// code, for this server's database, values inlined.
    condition: String,
}

impl From<(&Scope, String)> for ListScope {
    fn from((scope, condition): (&Scope, String)) -> ListScope {
        ListScope {
            everywhere: scope.allow == Allow::Everywhere,
            within: match &scope.allow {
                Allow::Within(areas) => areas.iter().map(|area| area.to_string()).collect(),
                Allow::Everywhere | Allow::Nowhere => Vec::new(),
            },
            except: scope.except.iter().map(|area| area.to_string()).collect(),
            condition,
        }
    }
}

/// The decision for one subject, object, action and place, explained.
#[derive(SimpleObject)]
pub struct AccessExplanation {
    /// Whose access.
    subject: RoleSubject,
    /// The object asked about.
    object: String,
    /// The action asked about.
    action: String,
    /// The place: an area or grid code, or `*` for the city itself.
    area: String,
    /// The decision, as every request of this subject gets it.
    allowed: bool,
    /// Every rule that applies there, allows and denies: allowed exactly
    /// when one allows, none denies, and a token (if any) lets it through.
    rules: Vec<ContributingRule>,
    /// For a caller with a scoped token (explaining themselves): what the
    /// token lets through; null otherwise.
    token: Option<TokenVerdict>,
    /// Where a list of the object reaches for the subject.
    scope: ListScope,
}

impl From<AccessExplained> for AccessExplanation {
    fn from(explained: AccessExplained) -> AccessExplanation {
        let scope = ListScope::from((&explained.scope, explained.condition));
        AccessExplanation {
            subject: explained.subject.into(),
            object: explained.object.as_str().to_owned(),
            action: explained.action.as_str().to_owned(),
            area: explained.domain.as_str().to_owned(),
            allowed: explained.explanation.allowed,
            rules: explained
                .explanation
                .rules
                .into_iter()
                .map(|(held, rule)| ContributingRule {
                    role: held.role,
                    held_in: held.domain.as_str().to_owned(),
                    object: rule.object.as_str().to_owned(),
                    action: rule.action.as_str().to_owned(),
                    effect: rule.effect.into(),
                })
                .collect(),
            token: explained
                .explanation
                .token
                .map(|(scopes_allow, areas_cover)| TokenVerdict {
                    scopes_allow,
                    areas_cover,
                }),
            scope,
        }
    }
}

#[derive(Default)]
pub struct ExplainQuery;

#[Object]
impl ExplainQuery {
    /// Why `subject` may or may not do `action` to `object` at `area`: the
    /// decision, every rule and role that contributed (allows and denies),
    /// and the SQL condition a list of that object runs with for them.
    /// About yourself (leave `subject` out) anyone may ask, and the answer
    /// counts your token's limits; about anyone else, admins only
    /// (`FORBIDDEN` otherwise).
    async fn explain_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whose access; yourself when left out.")] subject: Option<
            RoleSubjectInput,
        >,
        #[graphql(desc = "An object name: `resident`, `case`, `resident.id_number`, …")]
        object: String,
        #[graphql(desc = "An action name: `read`, `write`, `dispatch`, …")] action: String,
        #[graphql(
            desc = "An area or grid code, or `*` for the city itself.",
            default = "*"
        )]
        area: String,
    ) -> Result<AccessExplanation> {
        let subject = subject.as_ref().map(RoleSubjectInput::stored_name);
        let explained = policy_explain::explain_access(
            ctx.access()?,
            subject.as_deref(),
            [&object, &action, &area],
        )?;
        Ok(explained.into())
    }
}
