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
                Rule::Assignment(_) | Rule::Delegation(_) => None,
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

/// The rule of delegation, written out here from the rule table alone: may
/// `subject` (through `token`) do `action` to `object` at `place`? An allow
/// of a role held at or around the place, no deny of one, and the token's
/// scopes and areas.
struct Table<'a> {
    rules: &'a [Rule],
}

impl Table<'_> {
    fn held(&self, subject: &str) -> Vec<(String, String)> {
        self.rules
            .iter()
            .filter_map(|rule| match rule.to_row() {
                ("g", [s, role, area, ..]) if s == subject => Some((role, area)),
                _ => None,
            })
            .collect()
    }

    fn says(&self, role: &str, object: Object, action: Action, effect: &str) -> bool {
        self.rules.iter().any(|rule| match rule.to_row() {
            ("p", [r, o, a, e, ..]) => {
                r == role
                    && e == effect
                    && (o == "*" || o == object.as_str())
                    && (a == "*" || a == action.as_str())
            }
            _ => false,
        })
    }

    fn may(
        &self,
        subject: &str,
        token: Option<&TokenLimits>,
        (object, action): (Object, Action),
        place: &str,
    ) -> bool {
        let around = |area: &str| area == "*" || place.starts_with(area);
        if let Some(token) = token {
            let scoped = token
                .scopes
                .iter()
                .any(|scope| scope.allows(object, action));
            let inside = token.areas.iter().any(|area| around(area.as_str()));
            if !(scoped && inside) {
                return false;
            }
        }
        let held = self.held(subject);
        let binding = |effect: &str| {
            held.iter()
                .any(|(role, area)| around(area) && self.says(role, object, action, effect))
        };
        binding("allow") && !binding("deny")
    }

    /// What giving or taking a role can change for its holder: every
    /// object and action one of its rules names, allow or deny.
    fn at_stake(&self, role: &str) -> Vec<(Object, Action)> {
        let mut pairs = Vec::new();
        for &object in Object::ALL {
            for &action in Action::ALL {
                if self.says(role, object, action, "allow")
                    || self.says(role, object, action, "deny")
                {
                    pairs.push((object, action));
                }
            }
        }
        pairs
    }

    fn delegable(&self, role: &str) -> Option<usize> {
        self.rules.iter().find_map(|rule| match rule.to_row() {
            ("d", [r, level, ..]) if r == role => Some(match level.as_str() {
                "district" => 6,
                "street" => 9,
                "community" => 12,
                _ => 15,
            }),
            _ => None,
        })
    }
}

/// For random managers (some with a deny inside their area, some calling
/// through a token narrower than themselves) and random attempted grants,
/// `may_delegate` says yes exactly when the table does: the right to
/// delegate throughout the place, held at the role's level or wider, and
/// every right of the role the manager's own throughout the place; and
/// nothing it lets through grants more than the manager holds anywhere in
/// the place.
#[tokio::test]
async fn a_manager_never_hands_out_more_than_it_holds() {
    let mut tree = vec!["420502".to_owned()];
    for street in ["420502001", "420502002"] {
        tree.push(street.to_owned());
        for community in 1..=2 {
            let community = format!("{street}{community:03}");
            tree.push(community.clone());
            for grid in 1..=2 {
                tree.push(format!("{community}{grid:03}"));
            }
        }
    }
    tree.push("420503".to_owned());
    tree.push("420503001".to_owned());
    let roles = [
        "grid_assistant",
        "grid_worker",
        "police",
        "area_manager",
        "analyst",
        "admin",
        "case_restriction",
    ];
    let denied = [
        ("resident", "read"),
        ("case", "report"),
        ("policy", "delegate"),
        ("task", "respond"),
    ];
    let mut draw = Draw(0x5eed_d1e9);
    let (mut granted, mut refused) = (0, 0);
    for round in 0..800 {
        let manager = format!("user:manager{round}");
        let home = tree[draw.next(tree.len() - 4)].clone();
        let mut rules = Rule::parse_csv(DEFAULT_POLICY).expect("default policies");
        rules.push(assignment(&manager, "area_manager", &home));
        // A deny inside the manager's area, on one of the rights at stake.
        if draw.next(3) == 0 {
            let (object, action) = denied[draw.next(denied.len())];
            let inside: Vec<&String> = tree.iter().filter(|code| code.starts_with(&home)).collect();
            rules.push(policy("no_such_right", object, action, "deny"));
            rules.push(assignment(
                &manager,
                "no_such_right",
                inside[draw.next(inside.len())],
            ));
        }
        // Admins sometimes make more roles delegable, at random levels.
        // A role of denies only: taking it away lifts them, so they are at
        // stake like an allow.
        rules.push(policy("case_restriction", "case", "dispatch", "deny"));
        for role in [
            "grid_worker",
            "police",
            "area_manager",
            "admin",
            "case_restriction",
        ] {
            if draw.next(3) == 0 {
                let level = ["district", "street", "community", "grid"][draw.next(4)];
                rules.push(Rule::from_row("d", [role, level, "", "", "", ""]).expect("valid"));
            }
        }
        // Sometimes the manager holds a worker's rights too.
        if draw.next(4) == 0 {
            rules.push(assignment(&manager, "grid_worker", &home));
        }
        let token = (draw.next(3) == 0).then(|| TokenLimits {
            token_id: round,
            scopes: [
                ["policy:delegate", "*:read"],
                ["*:*", "*:*"],
                ["policy:delegate", "case:*"],
            ][draw.next(3)]
            .iter()
            .map(|scope| TokenScope::parse(scope).expect("valid scope"))
            .collect(),
            areas: vec![at(&tree[draw.next(tree.len())])],
        });
        let table = Table { rules: &rules };
        let authz = Authorizer::new(&rules, 1).await.expect("authorizer loads");
        // Mostly the delegable role inside the manager's own area, where
        // the answer turns on the hard cases; the rest anything anywhere.
        let role = if draw.next(2) == 0 {
            "grid_assistant"
        } else {
            roles[draw.next(roles.len())]
        };
        let own: Vec<&String> = tree.iter().filter(|code| code.starts_with(&home)).collect();
        let target = match draw.next(8) {
            0 => "*".to_owned(),
            1 | 2 => tree[draw.next(tree.len())].clone(),
            _ => own[draw.next(own.len())].clone(),
        };
        let places: Vec<&String> = tree
            .iter()
            .filter(|code| target == "*" || code.starts_with(&target))
            .collect();
        let everywhere = |pair: (Object, Action)| {
            (target == "*" || table.may(&manager, token.as_ref(), pair, &target))
                && places
                    .iter()
                    .all(|place| table.may(&manager, token.as_ref(), pair, place))
        };
        let delegate = (Object::Policy, Action::Delegate);
        let standing = table.delegable(role).is_some_and(|width| {
            table.held(&manager).iter().any(|(_, area)| {
                area != "*"
                    && area.len() <= width
                    && target.starts_with(area.as_str())
                    && table.may(&manager, None, delegate, area)
            })
        });
        let expected = target != "*"
            && everywhere(delegate)
            && standing
            && table.at_stake(role).into_iter().all(everywhere);
        let principal = Principal {
            subject: Subject::User(manager.trim_start_matches("user:").to_owned()),
            token: token.clone(),
        };
        let decided = authz.may_delegate(&principal, role, &at(&target));
        assert_eq!(
            decided.is_ok(),
            expected,
            "round {round}: {manager} at {home} hands out {role} at {target} (token {token:?}): {decided:?}"
        );
        if decided.is_ok() {
            granted += 1;
            for pair in table.at_stake(role) {
                assert!(
                    everywhere(pair),
                    "round {round}: {role} changes {pair:?} beyond {manager}"
                );
            }
        } else {
            refused += 1;
        }
    }
    assert!(
        granted > 60 && refused > 200,
        "both outcomes drawn: {granted} granted, {refused} refused"
    );
}
