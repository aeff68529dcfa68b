//! The authorizer: one policy set, two faces.
//!
//! [`Authorizer::check`] asks Casbin whether a caller may do one thing in one
//! place. [`Authorizer::scope`] answers "where may this caller do it", as a
//! [`Scope`] the query layer turns into one SQL condition. The scope is
//! derived from Casbin's own answers at the domains of the caller's role
//! assignments, so the two faces cannot drift apart:
//!
//! * an assignment domain `D` is *allowed* when `check` allows at `D`;
//! * rows inside any allowed domain are visible, except rows inside a domain
//!   that is not allowed but lies inside an allowed one: such a domain can
//!   only fail because an explicit deny covers it.
//!
//! Casbin therefore runs a handful of times per request (once per domain the
//! caller holds a role in, and its results are cached), never once per row.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use casbin::function_map::OperatorFunction;
use casbin::prelude::*;
use casbin::rhai::Dynamic;

use crate::area::{AreaCode, AreaLevel};
use crate::catalogue::{Action, Effect, Object, name_match};
use crate::principal::Principal;
use crate::rule::{Domain, PolicyRule, RoleAssignment, Rule, Subject};
use crate::scope::Scope;

/// The Casbin model, from `policies/model.conf`.
pub const MODEL: &str = include_str!("../model.conf");

/// Enough cached decisions for every (caller, domain, object, action) of a
/// busy city between two policy changes.
const CACHE_CAPACITY: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum AuthorizerError {
    #[error("the Casbin model or rules could not be loaded: {0}")]
    Casbin(#[from] casbin::Error),
}

/// One loaded policy set: the enforcer and the index of who holds what.
struct Snapshot {
    engine: Engine,
    assignments: HashMap<Subject, Vec<RoleAssignment>>,
    /// The rules of each role: its denies bind rows that reach a caller as
    /// their own (a task they sent) rather than through an allow, and all
    /// of them explain a decision.
    rules_of_role: HashMap<String, Vec<PolicyRule>>,
    /// The roles managers may hand out, and the narrowest level of area a
    /// manager must hold the right to delegate at.
    delegable: HashMap<String, AreaLevel>,
    version: i64,
    rule_count: usize,
    cache_capacity: usize,
    /// When a stored rule's window opens or closes next: the rules in
    /// force change then, with no edit.
    stale_after: Option<SystemTime>,
}

/// Shared by every request of a process; reloaded in place when the policy
/// version in the database moves.
pub struct Authorizer {
    current: RwLock<Arc<Snapshot>>,
}

fn name_match_function(value: Dynamic, pattern: Dynamic) -> Dynamic {
    let value = casbin::function_map::dynamic_to_str(&value);
    let pattern = casbin::function_map::dynamic_to_str(&pattern);
    name_match(&value, &pattern).into()
}

/// The Casbin engine: cached in service; plain to measure a decision's cost.
enum Engine {
    Cached(Box<CachedEnforcer>),
    Plain(Box<Enforcer>),
}

/// A request as the model reads it: subject, the area's codes at each level
/// (empty where the level does not apply), object, action.
type Request<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

impl Engine {
    fn enforce(&self, request: Request<'_>) -> casbin::Result<bool> {
        match self {
            Engine::Cached(enforcer) => enforcer.enforce(request),
            Engine::Plain(enforcer) => enforcer.enforce(request),
        }
    }
}

/// Registers gridgov's matcher functions and loads the rules.
async fn configure<E: CoreApi + MgmtApi>(
    enforcer: &mut E,
    policies: Vec<Vec<String>>,
    groupings: Vec<Vec<String>>,
) -> casbin::Result<()> {
    enforcer.add_function("nameMatch", OperatorFunction::Arg2(name_match_function));
    if !policies.is_empty() {
        enforcer.add_policies(policies).await?;
    }
    if !groupings.is_empty() {
        enforcer.add_grouping_policies(groupings).await?;
    }
    Ok(())
}

async fn load(
    rules: &[Rule],
    version: i64,
    cache_capacity: usize,
    stale_after: Option<SystemTime>,
) -> std::result::Result<Snapshot, AuthorizerError> {
    let mut policies = Vec::new();
    let mut groupings = Vec::new();
    let mut assignments: HashMap<Subject, Vec<RoleAssignment>> = HashMap::new();
    let mut rules_of_role: HashMap<String, Vec<PolicyRule>> = HashMap::new();
    let mut delegable = HashMap::new();
    for rule in rules {
        match rule {
            Rule::Policy(policy) => {
                policies.push(policy.fields());
                rules_of_role
                    .entry(policy.role.clone())
                    .or_default()
                    .push(policy.clone());
            }
            Rule::Assignment(assignment) => {
                groupings.push(assignment.fields());
                assignments
                    .entry(assignment.subject.clone())
                    .or_default()
                    .push(assignment.clone());
            }
            // Not Casbin's to decide: read by `may_delegate`.
            Rule::Delegation(delegation) => {
                delegable.insert(delegation.role.clone(), delegation.level);
            }
        }
    }
    let model = DefaultModel::from_str(MODEL).await?;
    let engine = if cache_capacity == 0 {
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await?;
        configure(&mut enforcer, policies, groupings).await?;
        Engine::Plain(Box::new(enforcer))
    } else {
        let mut enforcer = CachedEnforcer::new(model, MemoryAdapter::default()).await?;
        enforcer.set_cache(Box::new(casbin::DefaultCache::new(cache_capacity)));
        configure(&mut enforcer, policies, groupings).await?;
        enforcer.get_mut_cache().clear();
        Engine::Cached(Box::new(enforcer))
    };
    Ok(Snapshot {
        engine,
        assignments,
        rules_of_role,
        delegable,
        version,
        rule_count: rules.len(),
        cache_capacity,
        stale_after,
    })
}

impl Authorizer {
    pub async fn new(
        rules: &[Rule],
        version: i64,
    ) -> std::result::Result<Authorizer, AuthorizerError> {
        Self::with_cache_capacity(rules, version, CACHE_CAPACITY).await
    }

    /// [`Authorizer::new`] with the rules in force now, which stop being the
    /// right ones at `stale_after`.
    pub async fn new_until(
        rules: &[Rule],
        version: i64,
        stale_after: Option<SystemTime>,
    ) -> std::result::Result<Authorizer, AuthorizerError> {
        Ok(Authorizer {
            current: RwLock::new(Arc::new(
                load(rules, version, CACHE_CAPACITY, stale_after).await?,
            )),
        })
    }

    /// With a decision cache of `capacity` entries; 0 uses no decision cache
    /// (for measuring what a decision costs).
    pub async fn with_cache_capacity(
        rules: &[Rule],
        version: i64,
        capacity: usize,
    ) -> std::result::Result<Authorizer, AuthorizerError> {
        Ok(Authorizer {
            current: RwLock::new(Arc::new(load(rules, version, capacity, None).await?)),
        })
    }

    /// Replaces the policy set. Requests in flight finish on the old one.
    pub async fn reload(
        &self,
        rules: &[Rule],
        version: i64,
    ) -> std::result::Result<(), AuthorizerError> {
        self.reload_until(rules, version, None).await
    }

    /// [`Authorizer::reload`] with the rules in force now, which stop being
    /// the right ones at `stale_after` (a window opens or closes).
    pub async fn reload_until(
        &self,
        rules: &[Rule],
        version: i64,
        stale_after: Option<SystemTime>,
    ) -> std::result::Result<(), AuthorizerError> {
        let capacity = self.snapshot().cache_capacity;
        let next = Arc::new(load(rules, version, capacity, stale_after).await?);
        if let Ok(mut current) = self.current.write() {
            *current = next;
        }
        Ok(())
    }

    fn current(&self) -> std::sync::RwLockReadGuard<'_, Arc<Snapshot>> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.current().clone()
    }

    /// The policy version this process enforces. Asked for every value
    /// shown under a policy, so read in place rather than through a new
    /// handle on the snapshot (a count shared by every request).
    pub fn version(&self) -> i64 {
        self.current().version
    }

    pub fn rule_count(&self) -> usize {
        self.snapshot().rule_count
    }

    /// Whether a rule's window has opened or closed since the rules were
    /// loaded, so that they must be loaded again.
    pub fn is_stale(&self, now: SystemTime) -> bool {
        self.snapshot().stale_after.is_some_and(|at| now >= at)
    }

    /// The level of area at which managers may hand `role` out, if an
    /// admin made it delegable.
    pub fn delegable_level(&self, role: &str) -> Option<AreaLevel> {
        self.snapshot().delegable.get(role).copied()
    }

    /// The policies of a role, allows and denies.
    pub fn rules_of_role(&self, role: &str) -> Vec<PolicyRule> {
        self.snapshot()
            .rules_of_role
            .get(role)
            .cloned()
            .unwrap_or_default()
    }

    /// The roles a subject holds, and where.
    pub fn assignments_of(&self, subject: &Subject) -> Vec<RoleAssignment> {
        self.snapshot()
            .assignments
            .get(subject)
            .cloned()
            .unwrap_or_default()
    }

    /// May `principal` do `action` to an `object` placed at `domain`?
    /// Anything that goes wrong while deciding is a no.
    pub fn check(
        &self,
        principal: &Principal,
        domain: &Domain,
        object: Object,
        action: Action,
    ) -> bool {
        if let Some(token) = &principal.token
            && !(token.allows(object, action) && token.covers(domain))
        {
            return false;
        }
        let snapshot = self.snapshot();
        casbin_allows(&snapshot, &principal.subject, domain, object, action)
    }

    /// `check` for a row whose place is stored as a code.
    pub fn check_code(
        &self,
        principal: &Principal,
        code: &str,
        object: Object,
        action: Action,
    ) -> bool {
        match AreaCode::parse(code) {
            Ok(code) => self.check(principal, &Domain::Area(code), object, action),
            Err(_) => false,
        }
    }

    /// Where `principal` may do `action` to `object`.
    pub fn scope(&self, principal: &Principal, object: Object, action: Action) -> Scope {
        if let Some(token) = &principal.token
            && !token.allows(object, action)
        {
            return Scope::nothing();
        }
        let snapshot = self.snapshot();
        let Some(assignments) = snapshot.assignments.get(&principal.subject) else {
            return Scope::nothing();
        };
        let mut domains: Vec<&Domain> = assignments.iter().map(|a| &a.domain).collect();
        domains.sort();
        domains.dedup();
        let (allowed, refused): (Vec<&Domain>, Vec<&Domain>) =
            domains.into_iter().partition(|domain| {
                casbin_allows(&snapshot, &principal.subject, domain, object, action)
            });
        let denied: Vec<Domain> = refused
            .into_iter()
            .filter(|domain| allowed.iter().any(|outer| outer.contains(domain)))
            .cloned()
            .collect();
        let allowed: Vec<Domain> = allowed.into_iter().cloned().collect();
        let scope = Scope::from_domains(&allowed, &denied);
        match &principal.token {
            Some(token) => scope.within(&token.areas),
            None => scope,
        }
    }

    /// Where rows that reach `principal` as its own (a task it sent, an
    /// assignment addressed to it) stay visible: everywhere except where an
    /// explicit deny of `action` on `object` binds it, narrowed like any
    /// scope by a token's scopes and areas. A deny binds every path its
    /// allow would.
    pub fn own_scope(&self, principal: &Principal, object: Object, action: Action) -> Scope {
        if let Some(token) = &principal.token
            && !token.allows(object, action)
        {
            return Scope::nothing();
        }
        let snapshot = self.snapshot();
        let denied: Vec<Domain> = snapshot
            .assignments
            .get(&principal.subject)
            .into_iter()
            .flatten()
            .filter(|assignment| {
                snapshot
                    .rules_of_role
                    .get(&assignment.role)
                    .is_some_and(|rules| {
                        rules.iter().any(|rule| {
                            rule.effect == Effect::Deny
                                && rule.object.matches(object)
                                && rule.action.matches(action)
                        })
                    })
            })
            .map(|assignment| assignment.domain.clone())
            .collect();
        let scope = Scope::from_domains(&[Domain::City], &denied);
        match &principal.token {
            Some(token) => scope.within(&token.areas),
            None => scope,
        }
    }
}

/// Why a decision went the way it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The decision, as [`Authorizer::check`] gives it.
    pub allowed: bool,
    /// Every rule that applies there: a role the subject holds at the place
    /// or around it, with each of that role's rules about the object and
    /// action, allows and denies alike. The subject is allowed exactly when
    /// one of them allows and none denies (and a token lets it through).
    /// None where a token does not let the question through: a token
    /// narrower than its subject does not show the subject's other rights.
    pub rules: Vec<(RoleAssignment, PolicyRule)>,
    /// For a caller with a scoped token: whether its scopes name the object
    /// and action, and whether its areas cover the place.
    pub token: Option<(bool, bool)>,
}

impl Authorizer {
    /// [`Authorizer::check`] with its reasons.
    pub fn explain(
        &self,
        principal: &Principal,
        domain: &Domain,
        object: Object,
        action: Action,
    ) -> Explanation {
        let snapshot = self.snapshot();
        let token = principal
            .token
            .as_ref()
            .map(|token| (token.allows(object, action), token.covers(domain)));
        let shown = token.is_none_or(|(scopes, areas)| scopes && areas);
        let rules = snapshot
            .assignments
            .get(&principal.subject)
            .into_iter()
            .flatten()
            .filter(|assignment| assignment.domain.contains(domain))
            .filter(|_| shown)
            .flat_map(|assignment| {
                snapshot
                    .rules_of_role
                    .get(&assignment.role)
                    .into_iter()
                    .flatten()
                    .filter(|rule| rule.object.matches(object) && rule.action.matches(action))
                    .map(move |rule| (assignment.clone(), rule.clone()))
            })
            .collect();
        Explanation {
            allowed: self.check(principal, domain, object, action),
            rules,
            token,
        }
    }
}

fn casbin_allows(
    snapshot: &Snapshot,
    subject: &Subject,
    domain: &Domain,
    object: Object,
    action: Action,
) -> bool {
    // The city itself is in no area: only roles held city-wide ("*") apply.
    let levels: [String; 4] = match domain {
        Domain::City => Default::default(),
        Domain::Area(code) => {
            AreaLevel::ALL.map(|level| code.at_level(level).map(String::from).unwrap_or_default())
        }
    };
    snapshot
        .engine
        .enforce((
            subject.casbin_name().as_str(),
            &levels[0],
            &levels[1],
            &levels[2],
            &levels[3],
            object.as_str(),
            action.as_str(),
        ))
        .unwrap_or(false)
}
