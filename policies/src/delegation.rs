//! Delegated administration: a manager hands out a role inside its own
//! area when an admin made that role delegable to the manager's level, and
//! only when everything the role names (its allows, and its denies, which
//! taking the role away lifts) is the manager's own right throughout that
//! area (a deny inside the area is a hole the role would fill). One
//! decision per request, from the rules in force; no row is read.

use crate::area::AreaLevel;
use crate::authorizer::Authorizer;
use crate::catalogue::{Action, Object};
use crate::principal::Principal;
use crate::rule::{Domain, PolicyRule};
use crate::scope::Allow;

/// Why a manager may not hand out a role at a place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not delegate throughout the place.
    NoRight,
    /// No admin made the role delegable.
    NotDelegable,
    /// The role is delegable by managers of wider areas than the caller
    /// holds the right at.
    AboveLevel(AreaLevel),
    /// Giving or taking the role changes this, which the caller may not do
    /// throughout the place.
    Beyond(Object, Action),
}

/// Every object and action `rules` name, allowed or denied: what giving
/// (or taking away) a role with these rules can change for its holder.
pub fn at_stake(rules: &[PolicyRule]) -> Vec<(Object, Action)> {
    let mut pairs = Vec::new();
    for &object in Object::ALL {
        for &action in Action::ALL {
            if rules
                .iter()
                .any(|rule| rule.object.matches(object) && rule.action.matches(action))
            {
                pairs.push((object, action));
            }
        }
    }
    pairs
}

impl Authorizer {
    /// The first of `pairs` that `principal` may not do throughout every
    /// one of `places` (the place and every area inside it); None when it
    /// may do them all.
    pub fn first_lacking(
        &self,
        principal: &Principal,
        pairs: impl IntoIterator<Item = (Object, Action)>,
        places: &[Domain],
    ) -> Option<(Object, Action, Domain)> {
        pairs.into_iter().find_map(|(object, action)| {
            let own = self.scope(principal, object, action);
            places
                .iter()
                .find(|place| !own.covers(place))
                .map(|place| (object, action, place.clone()))
        })
    }

    /// May `principal` give (or take away) `role` at `domain`? Only if it
    /// may delegate throughout `domain`, holds that right at an area of the
    /// role's delegable level or a wider one around `domain`, and may do
    /// everything the role names throughout `domain` itself. A token
    /// narrows the first and the last as it narrows any scope.
    pub fn may_delegate(
        &self,
        principal: &Principal,
        role: &str,
        domain: &Domain,
    ) -> Result<(), Refusal> {
        let places = std::slice::from_ref(domain);
        let delegate = [(Object::Policy, Action::Delegate)];
        if self.first_lacking(principal, delegate, places).is_some() {
            return Err(Refusal::NoRight);
        }
        let level = self.delegable_level(role).ok_or(Refusal::NotDelegable)?;
        // The level is the manager's standing, which a token does not
        // change: it narrows where the manager acts, checked above.
        let standing = self.scope(
            &Principal {
                subject: principal.subject.clone(),
                token: None,
            },
            Object::Policy,
            Action::Delegate,
        );
        let wide_enough = match &standing.allow {
            Allow::Everywhere => true,
            Allow::Within(areas) => areas
                .iter()
                .any(|area| area.level() <= level && Domain::Area(area.clone()).contains(domain)),
            Allow::Nowhere => false,
        };
        if !wide_enough {
            return Err(Refusal::AboveLevel(level));
        }
        match self.first_lacking(principal, at_stake(&self.rules_of_role(role)), places) {
            Some((object, action, _)) => Err(Refusal::Beyond(object, action)),
            None => Ok(()),
        }
    }
}
