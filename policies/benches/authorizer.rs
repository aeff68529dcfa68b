//! What one decision costs: `check` and `scope` with the demo city's policy
//! set (the default policies and one role assignment per account and
//! department, 1,543 rules) and with 20,000 rules (a city fourteen times
//! larger).
//!
//! `cargo bench -p policies --bench authorizer`

use criterion::{Criterion, criterion_group, criterion_main};
use policies::{Action, Authorizer, DEFAULT_POLICY, Domain, Object, Principal, Rule};

/// Default policies plus the assignments of a city with `grids` grids laid
/// out like the demo's: districts of streets of communities of 9-10 grids.
fn city_rules(grids: usize) -> Vec<Rule> {
    let mut rules = Rule::parse_csv(DEFAULT_POLICY).expect("default policies parse");
    let mut grant = |subject: String, role: &str, domain: &str| {
        rules.push(
            Rule::from_row("g", [&subject, role, domain, "", "", ""]).expect("valid assignment"),
        );
    };
    for role in ["admin", "operator", "auditor", "analyst"] {
        grant(format!("user:{role}"), role, "*");
    }
    let mut made = 0;
    'city: for district in 0..99 {
        let district = format!("42{:04}", 502 + district);
        grant(
            format!("user:district-{district}"),
            "area_manager",
            &district,
        );
        for department in [
            "police",
            "market",
            "justice",
            "hrss",
            "civil-affairs",
            "health",
            "urban-management",
            "food-safety",
        ] {
            grant(
                format!("dept:{department}-{district}"),
                "department",
                &district,
            );
            grant(
                format!("user:officer-{department}-{district}"),
                "department_officer",
                &district,
            );
        }
        for street in 1..=5 {
            let street = format!("{district}{street:03}");
            grant(format!("user:street-{street}"), "area_manager", &street);
            for community in 1..=5 {
                let community = format!("{street}{community:03}");
                grant(
                    format!("user:community-{community}"),
                    "area_manager",
                    &community,
                );
                grant(format!("user:police-{community}"), "police", &community);
                for grid in 1..=9 {
                    let grid = format!("{community}{grid:03}");
                    grant(format!("user:worker-{grid}"), "grid_worker", &grid);
                    made += 1;
                    if made == grids {
                        break 'city;
                    }
                }
            }
        }
    }
    rules
}

fn bench_set(c: &mut Criterion, label: &str, rules: &[Rule]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let uncached = runtime
        .block_on(Authorizer::with_cache_capacity(rules, 1, 0))
        .expect("authorizer loads");
    let cached = runtime
        .block_on(Authorizer::new(rules, 1))
        .expect("authorizer loads");
    let worker = Principal::user("worker-420502001001001");
    let street = Principal::user("street-420502001");
    let admin = Principal::user("admin");
    let own_grid = Domain::parse("420502001001001").expect("valid");
    // Uncached checks walk every grid in turn, so that neither the decision
    // cache nor Casbin's role-link cache has seen the question before.
    let grids: Vec<Domain> = rules
        .iter()
        .filter_map(|rule| match rule {
            Rule::Assignment(a) if a.role == "grid_worker" => Some(a.domain.clone()),
            _ => None,
        })
        .collect();
    let mut next = 0usize;
    let mut cycle = move || {
        next = (next + 1) % grids.len();
        grids[next].clone()
    };

    let mut group = c.benchmark_group(format!("authorizer/{label} ({} rules)", rules.len()));
    group.bench_function("check, uncached, grid worker", |b| {
        b.iter_batched(
            &mut cycle,
            |grid| uncached.check(&worker, &grid, Object::Resident, Action::Read),
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("check, uncached, street manager", |b| {
        b.iter_batched(
            &mut cycle,
            |grid| uncached.check(&street, &grid, Object::Resident, Action::Read),
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("check, cached", |b| {
        b.iter(|| cached.check(&worker, &own_grid, Object::Resident, Action::Read))
    });
    group.bench_function("scope, grid worker, no decision cache", |b| {
        b.iter(|| uncached.scope(&worker, Object::Resident, Action::Read))
    });
    group.bench_function("scope, street manager, no decision cache", |b| {
        b.iter(|| uncached.scope(&street, Object::Resident, Action::Read))
    });
    group.bench_function("scope, admin, no decision cache", |b| {
        b.iter(|| uncached.scope(&admin, Object::Resident, Action::Read))
    });
    group.bench_function("scope, grid worker, cached", |b| {
        b.iter(|| cached.scope(&worker, Object::Resident, Action::Read))
    });
    group.sample_size(10);
    group.bench_function("load the whole set", |b| {
        b.iter(|| runtime.block_on(Authorizer::new(rules, 1)).expect("loads"))
    });
    group.finish();
}

fn authorizer(c: &mut Criterion) {
    bench_set(c, "demo city", &city_rules(1_120));
    let mut big = city_rules(16_000);
    big.truncate(20_000);
    bench_set(c, "large city", &big);
}

criterion_group!(benches, authorizer);
criterion_main!(benches);
