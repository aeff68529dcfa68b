//! The demo city's departments and accounts: every kind of user, named so
//! that the README can list them by pattern. Only the demo seed creates them.

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use chrono::{DateTime, Utc};
use entities::user::UserKind;
use entities::{department, user};
use sea_orm::ActiveValue::Set;
use serde_json::json;

use policies::{RoleAssignment, Rule};

use super::geography::{CityMap, DISTRICTS};
use super::names;
use super::rng::Rng;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "gridgov-demo";

/// The departments every district has: code stem, name suffix, duties.
pub const DEPARTMENT_KINDS: &[(&str, &str, &[&str])] = &[
    (
        "police",
        "公安分局",
        &["comprehensive_governance", "emergency"],
    ),
    ("market", "市场监督管理局", &["food_safety"]),
    // 人民调解: disputes go to mediation, not to the police.
    ("justice", "司法局", &["dispute_mediation"]),
    ("hrss", "人力资源和社会保障局", &["labour_social_security"]),
    ("civil-affairs", "民政局", &["civil_affairs"]),
    ("health", "卫生健康局", &["family_planning"]),
    (
        "urban-management",
        "城市管理执法局",
        &[
            "urban_management",
            "city_appearance",
            "landscaping",
            "advertising",
            "construction",
            "street_order",
        ],
    ),
    ("food-safety", "食品安全办公室", &["food_safety"]),
    // The owners and keepers of the city's parts (部件).
    (
        "housing",
        "住房和城乡建设局",
        &["public_utilities", "housing_land"],
    ),
    ("transport", "交通运输局", &["road_traffic"]),
];

/// The record a department's duty needs beyond its cases, as a role it and
/// its officer hold in its jurisdiction (see `default-policy.csv`): the
/// businesses and their licences for market supervision and food safety,
/// people and households for civil affairs, buildings and dwellings for
/// housing, pensions paid after a death for human resources and social
/// security. Every other department sees its cases only.
const CONTEXT_ROLES: &[(&str, &str)] = &[
    ("market", "market_supervision"),
    ("food-safety", "market_supervision"),
    ("civil-affairs", "social_assistance"),
    ("housing", "housing_safety"),
    ("hrss", "social_security"),
];

/// What every street's own office (街道办事处) answers for: the cases its
/// area handles itself (属地): changes to the population record, the
/// neighbourhood's own facilities and the everyday nuisances of GB/T 30428's
/// extension events (楼道堆物, 宠物扰民).
pub const STREET_OFFICE_DUTIES: &[&str] = &["information_collection", "local_affairs"];

pub struct Accounts {
    pub departments: Vec<department::ActiveModel>,
    pub users: Vec<user::ActiveModel>,
    /// Who holds which role where: the demo city's `g` rules.
    pub assignments: Vec<Rule>,
    /// Department id by (area code, duty): a district's departments, and
    /// each street's office.
    pub department_for_duty: HashMap<(String, String), i64>,
    /// The officer of each department.
    pub officer_of_department: HashMap<i64, i64>,
    pub worker_of_grid: HashMap<String, i64>,
    pub admin_id: i64,
    pub operator_id: i64,
    /// Every account's display name, kept when the rows are written.
    display_names: HashMap<i64, String>,
}

impl Accounts {
    /// An account's display name, as its steps on a case's timeline show it.
    pub fn display_name(&self, id: i64) -> Option<String> {
        self.display_names.get(&id).cloned()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the demo password: {0}")]
pub struct HashError(String);

/// Hashes the demo password once: every demo account shares the hash (and a
/// salt drawn from the seed), which is acceptable only because they share
/// the published password anyway.
fn demo_password_hash(rng: &mut Rng) -> Result<String, HashError> {
    let salt_bytes: Vec<u8> = (0..16).map(|_| rng.below(256) as u8).collect();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|err| HashError(err.to_string()))?;
    Argon2::default()
        .hash_password(DEMO_PASSWORD.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| HashError(err.to_string()))
}

pub fn accounts(rng: &mut Rng, map: &CityMap, now: DateTime<Utc>) -> Result<Accounts, HashError> {
    let hash = demo_password_hash(rng)?;
    let mut departments = Vec::new();
    let mut department_for_duty = HashMap::new();
    let mut context_role = HashMap::new();
    for district in DISTRICTS {
        for (stem, suffix, duties) in DEPARTMENT_KINDS {
            let id = departments.len() as i64 + 1;
            if let Some((_, role)) = CONTEXT_ROLES.iter().find(|(kind, _)| kind == stem) {
                context_role.insert(format!("{stem}-{}", district.code), *role);
            }
            departments.push(department::ActiveModel {
                id: Set(id),
                code: Set(format!("{stem}-{}", district.code)),
                name: Set(format!("{}{suffix}", district.name)),
                duties: Set(json!(duties)),
                jurisdiction_code: Set(district.code.to_owned()),
                version: Set(1),
                created_at: Set(now),
            });
            for duty in *duties {
                // The first department listed for a duty is the one cases go to.
                department_for_duty
                    .entry((district.code.to_owned(), (*duty).to_owned()))
                    .or_insert(id);
            }
        }
    }

    use entities::area::AreaLevel;
    for street in map
        .areas
        .iter()
        .filter(|area| area.level == AreaLevel::Street)
    {
        let id = departments.len() as i64 + 1;
        departments.push(department::ActiveModel {
            id: Set(id),
            code: Set(format!("street-office-{}", street.code)),
            name: Set(format!("{}办事处", street.name)),
            duties: Set(json!(STREET_OFFICE_DUTIES)),
            jurisdiction_code: Set(street.code.clone()),
            version: Set(1),
            created_at: Set(now),
        });
        for duty in STREET_OFFICE_DUTIES {
            department_for_duty.insert((street.code.clone(), (*duty).to_owned()), id);
        }
    }

    let mut users = Vec::new();
    let mut assignments = Vec::new();
    let mut grant = |subject: String, role: &str, domain: &str| {
        if let Ok(assignment) = RoleAssignment::new(&subject, role, domain) {
            assignments.push(Rule::Assignment(assignment));
        }
    };
    for department in &departments {
        if let (sea_orm::ActiveValue::Set(code), sea_orm::ActiveValue::Set(area)) =
            (&department.code, &department.jurisdiction_code)
        {
            grant(format!("dept:{code}"), "department", area);
            if let Some(role) = context_role.get(code) {
                grant(format!("dept:{code}"), role, area);
            }
        }
    }
    let mut add = |rng: &mut Rng,
                   username: String,
                   display_name: Option<String>,
                   kind: UserKind,
                   area_code: Option<String>,
                   department_id: Option<i64>| {
        let id = users.len() as i64 + 1;
        let male = rng.chance(0.55);
        users.push(user::ActiveModel {
            id: Set(id),
            username: Set(username),
            password_hash: Set(hash.clone()),
            display_name: Set(display_name.unwrap_or_else(|| names::person(rng, male))),
            kind: Set(kind),
            department_id: Set(department_id),
            area_code: Set(area_code),
            phone: Set(Some(names::mobile(rng))),
            active: Set(true),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        id
    };

    let admin_id = add(
        rng,
        "admin".into(),
        Some("系统管理员".into()),
        UserKind::Admin,
        None,
        None,
    );
    let operator_id = add(
        rng,
        "operator".into(),
        Some("指挥中心调度员".into()),
        UserKind::Operator,
        None,
        None,
    );
    add(
        rng,
        "auditor".into(),
        Some("审计员".into()),
        UserKind::Auditor,
        None,
        None,
    );
    add(
        rng,
        "analyst".into(),
        Some("数据分析员".into()),
        UserKind::Analyst,
        None,
        None,
    );
    for role in ["admin", "operator", "auditor", "analyst"] {
        grant(format!("user:{role}"), role, "*");
    }

    for area in &map.areas {
        let stem = match area.level {
            AreaLevel::District => "district",
            AreaLevel::Street => "street",
            AreaLevel::Community => "community",
        };
        add(
            rng,
            format!("{stem}-{}", area.code),
            None,
            UserKind::Manager,
            Some(area.code.clone()),
            None,
        );
        grant(
            format!("user:{stem}-{}", area.code),
            "area_manager",
            &area.code,
        );
        if area.level == AreaLevel::Community {
            add(
                rng,
                format!("police-{}", area.code),
                None,
                UserKind::Police,
                Some(area.code.clone()),
                None,
            );
            grant(format!("user:police-{}", area.code), "police", &area.code);
        }
    }
    let mut worker_of_grid = HashMap::new();
    for grid in &map.grids {
        let id = add(
            rng,
            format!("worker-{}", grid.code),
            None,
            UserKind::GridWorker,
            Some(grid.code.clone()),
            None,
        );
        grant(
            format!("user:worker-{}", grid.code),
            "grid_worker",
            &grid.code,
        );
        worker_of_grid.insert(grid.code.clone(), id);
    }
    let mut officer_of_department = HashMap::new();
    for department in &departments {
        let (
            sea_orm::ActiveValue::Set(id),
            sea_orm::ActiveValue::Set(code),
            sea_orm::ActiveValue::Set(area),
        ) = (
            &department.id,
            &department.code,
            &department.jurisdiction_code,
        )
        else {
            continue;
        };
        let officer = add(
            rng,
            format!("officer-{code}"),
            None,
            UserKind::DepartmentOfficer,
            Some(area.clone()),
            Some(*id),
        );
        grant(format!("user:officer-{code}"), "department_officer", area);
        if let Some(role) = context_role.get(code) {
            grant(format!("user:officer-{code}"), role, area);
        }
        officer_of_department.insert(*id, officer);
    }
    // Each district's supervisor (纪检监察) reads the audit log of its
    // district.
    for district in DISTRICTS {
        add(
            rng,
            format!("supervisor-{}", district.code),
            Some(format!("{}纪检监察员", district.name)),
            UserKind::Auditor,
            Some(district.code.to_owned()),
            None,
        );
        grant(
            format!("user:supervisor-{}", district.code),
            "supervisor",
            district.code,
        );
    }

    let display_names = users
        .iter()
        .filter_map(|user| match (&user.id, &user.display_name) {
            (sea_orm::ActiveValue::Set(id), sea_orm::ActiveValue::Set(name)) => {
                Some((*id, name.clone()))
            }
            _ => None,
        })
        .collect();
    Ok(Accounts {
        display_names,
        departments,
        users,
        assignments,
        department_for_duty,
        officer_of_department,
        worker_of_grid,
        admin_id,
        operator_id,
    })
}
