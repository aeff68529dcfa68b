//! The authorizer against the default policies: tables of who may do what
//! where, with the denied cases written out, and `scope` ⇔ `check` for
//! random callers over a synthetic city.

use policies::{
    Action, Authorizer, DEFAULT_POLICY, Domain, Object, Principal, Rule, Subject, TokenLimits,
    TokenScope,
};

fn assignment(subject: &str, role: &str, domain: &str) -> Rule {
    Rule::from_row("g", [subject, role, domain, "", "", ""]).expect("valid assignment")
}

fn policy(role: &str, object: &str, action: &str, effect: &str) -> Rule {
    Rule::from_row("p", [role, object, action, effect, "", ""]).expect("valid policy")
}

async fn authorizer(extra: Vec<Rule>) -> Authorizer {
    let mut rules = Rule::parse_csv(DEFAULT_POLICY).expect("default policies");
    rules.extend([
        assignment("user:admin", "admin", "*"),
        assignment("user:worker", "grid_worker", "420502003001001"),
        assignment("user:police", "police", "420502003001"),
        assignment("user:street", "area_manager", "420502003"),
        assignment("user:analyst", "analyst", "*"),
        assignment("user:auditor", "auditor", "*"),
        assignment("dept:market-420502", "department", "420502"),
    ]);
    rules.extend(extra);
    Authorizer::new(&rules, 1).await.expect("authorizer loads")
}

fn at(code: &str) -> Domain {
    Domain::parse(code).expect("valid domain")
}

#[tokio::test]
async fn who_may_do_what_where() {
    let authz = authorizer(Vec::new()).await;
    use Action::*;
    use Object::*;
    let table: &[(&str, &str, Object, Action, bool)] = &[
        ("admin", "420506001001001", Resident, Write, true),
        ("admin", "*", Policy, Manage, true),
        ("worker", "420502003001001", Resident, Read, true),
        ("worker", "420502003001001", Resident, Write, true),
        (
            "worker",
            "420502003001001",
            ResidentIdNumber,
            ReadMasked,
            true,
        ),
        ("worker", "420502003001001", ResidentIdNumber, Read, false),
        ("worker", "420502003001010", Resident, Read, false),
        ("worker", "420502003001002", Resident, Read, false),
        ("worker", "420502003001", Resident, Read, false),
        ("worker", "420502003001001", Case, Report, true),
        ("worker", "420502003001001", Case, Dispatch, false),
        ("worker", "*", Policy, Manage, false),
        ("police", "420502003001007", ResidentIdNumber, Read, true),
        ("police", "420502003001007", Resident, SignOff, true),
        ("police", "420502003001007", Resident, Write, false),
        ("police", "420502003002001", Resident, Read, false),
        ("street", "420502003009001", Case, Dispatch, true),
        ("street", "420502003009001", Resident, Read, true),
        ("street", "420502003009001", Resident, Write, false),
        ("street", "420502004001001", Resident, Read, false),
        ("street", "420502003", Statistics, Read, true),
        ("analyst", "420502", Statistics, Read, true),
        ("analyst", "420502003001001", Resident, Read, false),
        ("auditor", "*", AuditLog, Read, true),
        ("auditor", "420502003001001", Resident, Read, false),
        ("nobody", "420502003001001", Area, Read, false),
    ];
    for (user, domain, object, action, expected) in table {
        let allowed = authz.check(&Principal::user(user), &at(domain), *object, *action);
        assert_eq!(allowed, *expected, "{user} {action} {object} at {domain}");
    }
}

#[tokio::test]
async fn an_explicit_deny_beats_an_inherited_allow() {
    let authz = authorizer(vec![
        policy("no_residents", "resident", "*", "deny"),
        assignment("user:street", "no_residents", "420502003001002"),
    ])
    .await;
    let street = Principal::user("street");
    assert!(authz.check(
        &street,
        &at("420502003001001"),
        Object::Resident,
        Action::Read
    ));
    assert!(!authz.check(
        &street,
        &at("420502003001002"),
        Object::Resident,
        Action::Read
    ));
    assert!(!authz.check(
        &street,
        &at("420502003001002"),
        Object::Household,
        Action::Write
    ));
    let scope = authz.scope(&street, Object::Resident, Action::Read);
    assert!(scope.contains("420502003001001"));
    assert!(!scope.contains("420502003001002"));
    // Other objects are unaffected by the deny.
    assert!(authz.check(&street, &at("420502003001002"), Object::Case, Action::Read));
}

#[tokio::test]
async fn text_that_is_not_a_code_never_matches_and_never_panics() {
    let authz = authorizer(Vec::new()).await;
    let worker = Principal::user("worker");
    for text in [
        "西陵区",
        "42050200300100１",
        "420502003001001 ",
        "",
        "*",
        "420502003001001\u{0}",
    ] {
        assert!(
            !authz.check_code(&worker, text, Object::Resident, Action::Read),
            "{text:?}"
        );
    }
    let stranger = Principal::user("网格员");
    assert!(!authz.check(
        &stranger,
        &at("420502003001001"),
        Object::Resident,
        Action::Read
    ));
    assert!(
        authz
            .scope(&stranger, Object::Resident, Action::Read)
            .is_nothing()
    );
}

#[tokio::test]
async fn a_token_is_the_intersection_of_its_subject_scopes_and_areas() {
    let authz = authorizer(Vec::new()).await;
    let token = Principal {
        subject: Subject::Department("market-420502".into()),
        token: Some(TokenLimits {
            token_id: 7,
            scopes: vec![TokenScope::parse("case:read").expect("valid")],
            areas: vec![at("420502003")],
        }),
    };
    assert!(authz.check(&token, &at("420502003001001"), Object::Case, Action::Read));
    // Outside the token's areas, though inside the department's.
    assert!(!authz.check(&token, &at("420502004001001"), Object::Case, Action::Read));
    // The department may handle cases, the token may not.
    assert!(!authz.check(&token, &at("420502003001001"), Object::Case, Action::Handle));
    // The token lists area:read nowhere.
    assert!(!authz.check(&token, &at("420502003001001"), Object::Area, Action::Read));
    let scope = authz.scope(&token, Object::Case, Action::Read);
    assert!(scope.contains("420502003005002"));
    assert!(!scope.contains("420502001001001"));
    assert!(
        authz
            .scope(&token, Object::Case, Action::Handle)
            .is_nothing()
    );
}

#[tokio::test]
async fn reloading_replaces_the_rules() {
    let authz = authorizer(Vec::new()).await;
    let worker = Principal::user("worker");
    assert!(authz.check(
        &worker,
        &at("420502003001001"),
        Object::Resident,
        Action::Read
    ));
    let rules = Rule::parse_csv(DEFAULT_POLICY).expect("default policies");
    authz.reload(&rules, 2).await.expect("reload");
    assert_eq!(authz.version(), 2);
    assert!(!authz.check(
        &worker,
        &at("420502003001001"),
        Object::Resident,
        Action::Read
    ));
}

/// A small deterministic generator for the property test.
struct Draw(u64);

impl Draw {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[tokio::test]
async fn scope_agrees_with_check_for_random_callers_everywhere() {
    // A city of 2 districts x 2 streets x 3 communities x 11 grids, so that
    // grid 001's code is a prefix of grid 010's.
    let mut codes = Vec::new();
    for district in ["420502", "420503"] {
        codes.push(district.to_owned());
        for street in 1..=2 {
            let street = format!("{district}{street:03}");
            codes.push(street.clone());
            for community in 1..=3 {
                let community = format!("{street}{community:03}");
                codes.push(community.clone());
                for grid in 1..=11 {
                    codes.push(format!("{community}{grid:03}"));
                }
            }
        }
    }
    let roles = [
        "grid_worker",
        "police",
        "area_manager",
        "department",
        "analyst",
        "operator",
        "no_cases",
        "no_residents",
        "no_writes",
        "no_dispatch",
    ];
    let mut draw = Draw(20261126);
    for round in 0..40 {
        let mut extra = vec![
            policy("no_cases", "case", "*", "deny"),
            policy("no_residents", "resident", "read", "deny"),
            policy("no_writes", "*", "write", "deny"),
            policy("no_dispatch", "case", "dispatch", "deny"),
        ];
        let subject = format!("user:caller{round}");
        for _ in 0..1 + draw.next(4) {
            let domain = if draw.next(15) == 0 {
                "*".to_owned()
            } else {
                codes[draw.next(codes.len())].clone()
            };
            extra.push(assignment(&subject, roles[draw.next(roles.len())], &domain));
        }
        let authz = authorizer(extra).await;
        let mut principal = Principal::user(&format!("caller{round}"));
        if draw.next(2) == 0 {
            principal.token = Some(TokenLimits {
                token_id: round,
                scopes: vec![
                    TokenScope::parse(
                        [
                            "resident:read",
                            "case:*",
                            "*:read",
                            "resident:write",
                            "case:report",
                            "task:send",
                        ][draw.next(6)],
                    )
                    .expect("valid"),
                ],
                areas: vec![if draw.next(4) == 0 {
                    Domain::City
                } else {
                    at(&codes[draw.next(codes.len())])
                }],
            });
        }
        for (object, action) in [
            (Object::Resident, Action::Read),
            (Object::Case, Action::Read),
            (Object::Case, Action::Dispatch),
            (Object::Area, Action::Read),
            (Object::ResidentIdNumber, Action::Read),
        ] {
            let scope = authz.scope(&principal, object, action);
            for code in &codes {
                assert_eq!(
                    scope.contains(code),
                    authz.check_code(&principal, code, object, action),
                    "round {round}: {principal:?} {action} {object} at {code}; scope {scope:?}"
                );
            }
        }
        // Every other pair (the writes, reports, sends and case moves that
        // `viewerCan…` and `availableTransitions` read off the scopes) at a
        // sample of places.
        let sample: Vec<&String> = (0..20).map(|_| &codes[draw.next(codes.len())]).collect();
        for &object in Object::ALL {
            for &action in Action::ALL {
                let scope = authz.scope(&principal, object, action);
                for code in &sample {
                    assert_eq!(
                        scope.contains(code),
                        authz.check_code(&principal, code, object, action),
                        "round {round}: {principal:?} {action} {object} at {code}; scope {scope:?}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn own_rows_stay_visible_except_under_a_deny_or_beyond_a_token() {
    let mut rules = policies::Rule::parse_csv(policies::DEFAULT_POLICY).expect("default policies");
    for (subject, role, domain) in [
        ("user:sender", "operator", "*"),
        ("user:sender", "no_task", "420502003"),
    ] {
        rules.push(policies::Rule::Assignment(
            policies::RoleAssignment::new(subject, role, domain).expect("assignment"),
        ));
    }
    rules.push(policies::Rule::Policy(
        policies::PolicyRule::new("no_task", "task", "read", "deny").expect("policy"),
    ));
    let authorizer = policies::Authorizer::new(&rules, 1).await.expect("loads");
    let sender = policies::Principal::user("sender");
    let own = authorizer.own_scope(&sender, policies::Object::Task, policies::Action::Read);
    assert!(own.contains("420502001001001"));
    assert!(own.contains("420503"));
    assert!(
        !own.contains("420502003001001"),
        "a deny binds the sender's own tasks too"
    );
    // Other objects are not touched by a deny of tasks.
    let cases = authorizer.own_scope(&sender, policies::Object::Case, policies::Action::Read);
    assert!(cases.contains("420502003001001"));
    // A token narrows its subject's own rows to its scopes and areas.
    let token = policies::Principal {
        subject: policies::Subject::User("sender".into()),
        token: Some(policies::TokenLimits {
            token_id: 1,
            scopes: vec![policies::TokenScope::parse("case:read").expect("scope")],
            areas: vec![policies::Domain::City],
        }),
    };
    assert!(
        authorizer
            .own_scope(&token, policies::Object::Task, policies::Action::Read)
            .is_nothing()
    );
    let token = policies::Principal {
        token: Some(policies::TokenLimits {
            token_id: 1,
            scopes: vec![policies::TokenScope::parse("task:read").expect("scope")],
            areas: vec![policies::Domain::parse("420503").expect("domain")],
        }),
        ..token
    };
    let narrowed = authorizer.own_scope(&token, policies::Object::Task, policies::Action::Read);
    assert!(narrowed.contains("420503001001001"));
    assert!(!narrowed.contains("420502001001001"));
}

/// `explain` names exactly the rules a reader of the policy table would
/// (each role held at the place or around it, with its rules about the
/// object and action), and its decision is theirs: some allow, no deny, a
/// token that lets it through. Random callers, including denies inside a
/// wider allow and tokens narrower than their subject.
#[tokio::test]
async fn explanations_name_the_rules_and_agree_with_the_decision() {
    let codes = [
        "420502",
        "420502003",
        "420502003001",
        "420502003001001",
        "420502003001010",
        "420502003002",
        "420502003002001",
        "420503",
        "420503001001001",
    ];
    let roles = [
        "grid_worker",
        "police",
        "analyst",
        "no_cases",
        "no_residents",
    ];
    let mut draw = Draw(20261203);
    let mut denied_inside_an_allow = 0;
    for round in 0..60 {
        let mut extra = vec![
            policy("no_cases", "case", "*", "deny"),
            policy("no_residents", "resident", "read", "deny"),
        ];
        let subject = format!("user:explained{round}");
        let mut held: Vec<(String, String)> = Vec::new();
        for _ in 0..1 + draw.next(4) {
            let domain = if draw.next(8) == 0 {
                "*"
            } else {
                codes[draw.next(codes.len())]
            };
            let role = roles[draw.next(roles.len())];
            extra.push(assignment(&subject, role, domain));
            held.push((role.to_owned(), domain.to_owned()));
        }
        let policies: Vec<(String, String, String, String)> = Rule::parse_csv(DEFAULT_POLICY)
            .expect("default policies")
            .into_iter()
            .chain(extra.iter().cloned())
            .filter_map(|rule| match rule {
                Rule::Policy(p) => Some((
                    p.role.clone(),
                    p.object.as_str().to_owned(),
                    p.action.as_str().to_owned(),
                    p.effect.as_str().to_owned(),
                )),
                Rule::Assignment(_) => None,
            })
            .collect();
        let authz = authorizer(extra).await;
        let mut principal = Principal::user(&format!("explained{round}"));
        let token = (draw.next(3) == 0).then(|| {
            let scope = ["resident:read", "case:*", "*:read"][draw.next(3)];
            let area = codes[draw.next(codes.len())];
            principal.token = Some(TokenLimits {
                token_id: round,
                scopes: vec![TokenScope::parse(scope).expect("valid")],
                areas: vec![at(area)],
            });
            (scope, area)
        });
        for place in codes {
            for (object, action) in [
                (Object::Resident, Action::Read),
                (Object::Case, Action::Read),
                (Object::Case, Action::Dispatch),
            ] {
                let named = |pattern: &str, name: &str| pattern == "*" || pattern == name;
                let mut expected: Vec<String> = held
                    .iter()
                    .filter(|(_, domain)| domain == "*" || place.starts_with(domain.as_str()))
                    .flat_map(|(role, domain)| {
                        policies
                            .iter()
                            .filter(move |(r, o, a, _)| {
                                r == role && named(o, object.as_str()) && named(a, action.as_str())
                            })
                            .map(move |(_, o, a, e)| format!("{role}@{domain}: {o} {a} {e}"))
                    })
                    .collect();
                expected.sort();
                expected.dedup();
                let token_lets = token.is_none_or(|(scope, area)| {
                    let (o, a) = scope.split_once(':').expect("object:action");
                    named(o, object.as_str())
                        && named(a, action.as_str())
                        && place.starts_with(area)
                });
                let allows = expected.iter().any(|rule| rule.ends_with(" allow"));
                let denies = expected.iter().any(|rule| rule.ends_with(" deny"));
                let explained = authz.explain(&principal, &at(place), object, action);
                // A token that does not let the question through shows none
                // of its subject's rules, and says which limit stopped it.
                if !token_lets {
                    expected.clear();
                }
                assert_eq!(
                    explained.token,
                    token.map(|(scope, area)| {
                        let (o, a) = scope.split_once(':').expect("object:action");
                        (
                            named(o, object.as_str()) && named(a, action.as_str()),
                            place.starts_with(area),
                        )
                    })
                );
                let mut named_rules: Vec<String> = explained
                    .rules
                    .iter()
                    .map(|(held, rule)| {
                        format!(
                            "{}@{}: {} {} {}",
                            held.role,
                            held.domain.as_str(),
                            rule.object.as_str(),
                            rule.action.as_str(),
                            rule.effect.as_str()
                        )
                    })
                    .collect();
                named_rules.sort();
                named_rules.dedup();
                let what = format!("round {round}: {principal:?} {action} {object} at {place}");
                assert_eq!(named_rules, expected, "{what}");
                assert_eq!(explained.allowed, token_lets && allows && !denies, "{what}");
                assert_eq!(
                    explained.allowed,
                    authz.check(&principal, &at(place), object, action),
                    "{what}"
                );
                denied_inside_an_allow += usize::from(allows && denies);
            }
        }
    }
    assert!(
        denied_inside_an_allow > 0,
        "the draws reach a deny inside an allow"
    );
}
