//! The rows a caller may see, as a set of areas: what lists, counts,
//! relations and per-row masking use instead of asking Casbin per row.

use crate::area::AreaCode;
use crate::rule::Domain;

/// Where rows are visible: inside some `allow` area and inside no `except` area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub allow: Allow,
    /// Areas carved out of `allow` by explicit denies.
    pub except: Vec<AreaCode>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allow {
    Nowhere,
    Everywhere,
    /// These areas and everything inside them; none inside another.
    Within(Vec<AreaCode>),
}

impl Scope {
    pub fn nothing() -> Scope {
        Scope {
            allow: Allow::Nowhere,
            except: Vec::new(),
        }
    }

    pub fn everything() -> Scope {
        Scope {
            allow: Allow::Everywhere,
            except: Vec::new(),
        }
    }

    /// Built from the domains a caller is allowed in and those denied.
    pub fn from_domains(allowed: &[Domain], denied: &[Domain]) -> Scope {
        let allow = if allowed.contains(&Domain::City) {
            Allow::Everywhere
        } else {
            let areas: Vec<AreaCode> = allowed
                .iter()
                .filter_map(|domain| match domain {
                    Domain::Area(code) => Some(code.clone()),
                    Domain::City => None,
                })
                .collect();
            if areas.is_empty() {
                return Scope::nothing();
            }
            Allow::Within(outermost(areas))
        };
        let except = outermost(
            denied
                .iter()
                .filter_map(|domain| match domain {
                    Domain::Area(code) => Some(code.clone()),
                    Domain::City => None,
                })
                .collect(),
        );
        if denied.contains(&Domain::City) {
            return Scope::nothing();
        }
        Scope { allow, except }
    }

    pub fn is_nothing(&self) -> bool {
        self.allow == Allow::Nowhere
    }

    /// Whether a row placed at `code` (any level) is visible. Text that is not
    /// a code is never visible.
    pub fn contains(&self, code: &str) -> bool {
        let Ok(code) = AreaCode::parse(code) else {
            return false;
        };
        self.contains_code(&code)
    }

    /// Whether the scope reaches all of `domain`: the place itself and
    /// every area inside it, with no hole carved out anywhere in it.
    pub fn covers(&self, domain: &Domain) -> bool {
        match domain {
            Domain::City => self.allow == Allow::Everywhere && self.except.is_empty(),
            Domain::Area(code) => {
                self.contains_code(code) && !self.except.iter().any(|hole| code.contains(hole))
            }
        }
    }

    pub fn contains_code(&self, code: &AreaCode) -> bool {
        let allowed = match &self.allow {
            Allow::Nowhere => false,
            Allow::Everywhere => true,
            Allow::Within(areas) => areas.iter().any(|area| area.contains(code)),
        };
        allowed && !self.except.iter().any(|area| area.contains(code))
    }

    /// Narrowed to the areas of a token (`Domain::City` narrows nothing).
    pub fn within(self, limits: &[Domain]) -> Scope {
        if limits.contains(&Domain::City) {
            return self;
        }
        let limit_areas: Vec<AreaCode> = limits
            .iter()
            .filter_map(|domain| match domain {
                Domain::Area(code) => Some(code.clone()),
                Domain::City => None,
            })
            .collect();
        let allow = match self.allow {
            Allow::Nowhere => Allow::Nowhere,
            Allow::Everywhere => Allow::Within(outermost(limit_areas)),
            Allow::Within(areas) => {
                // Two areas overlap only if one holds the other; keep the inner.
                let mut both = Vec::new();
                for area in &areas {
                    for limit in &limit_areas {
                        if area.contains(limit) {
                            both.push(limit.clone());
                        } else if limit.contains(area) {
                            both.push(area.clone());
                        }
                    }
                }
                Allow::Within(outermost(both))
            }
        };
        match allow {
            Allow::Within(areas) if areas.is_empty() => Scope::nothing(),
            allow => Scope {
                allow,
                except: self.except,
            },
        }
    }
}

/// Drops codes inside other codes of the list, and duplicates.
fn outermost(mut codes: Vec<AreaCode>) -> Vec<AreaCode> {
    codes.sort_by_key(|code| (code.as_str().len(), code.clone()));
    let mut kept: Vec<AreaCode> = Vec::new();
    for code in codes {
        if !kept.iter().any(|outer| outer.contains(&code)) {
            kept.push(code);
        }
    }
    kept.sort();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: &str) -> Domain {
        Domain::parse(code).expect("valid domain")
    }

    #[test]
    fn allow_and_except_combine() {
        let scope = Scope::from_domains(&[d("420502003001")], &[d("420502003001002")]);
        assert!(scope.contains("420502003001001"));
        assert!(!scope.contains("420502003001002"));
        assert!(!scope.contains("420502003002001"));
        assert!(!scope.contains("不是代码"));
    }

    #[test]
    fn a_grid_scope_does_not_reach_a_grid_whose_code_it_prefixes() {
        let scope = Scope::from_domains(&[d("420502003001001")], &[]);
        assert!(scope.contains("420502003001001"));
        assert!(!scope.contains("420502003001010"));
        assert!(!scope.contains("42050200300101"));
    }

    #[test]
    fn token_areas_narrow() {
        let everywhere = Scope::from_domains(&[Domain::City], &[]);
        let narrowed = everywhere.within(&[d("420503")]);
        assert!(narrowed.contains("420503001001001"));
        assert!(!narrowed.contains("420502001001001"));
        let street = Scope::from_domains(&[d("420502003")], &[]);
        assert!(street.clone().within(&[d("420503")]).is_nothing());
        let narrowed = street.within(&[d("420502003001001"), d("420502")]);
        assert_eq!(
            narrowed.allow,
            Allow::Within(vec![AreaCode::parse("420502003").expect("valid")])
        );
    }

    #[test]
    fn nested_allows_collapse() {
        let scope =
            Scope::from_domains(&[d("420502003001001"), d("420502003"), d("420502003")], &[]);
        assert_eq!(
            scope.allow,
            Allow::Within(vec![AreaCode::parse("420502003").expect("valid")])
        );
        assert!(Scope::from_domains(&[], &[]).is_nothing());
    }
}
