//! Case categories with time limits, the working calendar, and the demo
//! city's cases (in every state, with their timelines) and tasks.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::case::{CaseSource, CaseState, Supervision, Urgency};
use entities::case_time_limit::TimeUnit;
use entities::task::{TaskKind, TaskPriority};
use entities::task_assignment::{AssignmentState, TargetKind};
use entities::{
    calendar_day, case, case_category, case_step, case_time_limit, task, task_assignment,
    task_feedback,
};
use sea_orm::ActiveValue::Set;
use serde_json::json;

use super::accounts::Accounts;
use super::geography::GridRow;
use super::names;
use super::rng::Rng;
use crate::domain::calendar::{Counting, WorkingCalendar};
use policies::AreaLevel;

/// Top classes: the seven duties of a grid worker and the urban-management
/// classes of GB/T 30428, each with subcategories (code, name, normal limit).
/// A time limit: an amount of working time, or of clock hours.
type Limit = (i32, TimeUnit);
/// A subcategory: code, name, and its limit at normal urgency.
type Subcategory = (&'static str, &'static str, Limit);
/// A top class: code, name, duty, subcategories.
type TopClass = (
    &'static str,
    &'static str,
    &'static str,
    &'static [Subcategory],
);

const CATEGORIES: &[TopClass] = &[
    (
        "D01",
        "信息采集",
        "information_collection",
        &[
            ("D0101", "人口信息变更", (5, TimeUnit::WorkingDays)),
            ("D0102", "房屋信息变更", (5, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "D02",
        "综治维稳",
        "comprehensive_governance",
        &[
            ("D0202", "治安隐患", (2, TimeUnit::WorkingDays)),
            ("D0203", "安全隐患", (16, TimeUnit::WorkingHours)),
        ],
    ),
    (
        "D08",
        "矛盾纠纷",
        "dispute_mediation",
        &[
            ("D0801", "邻里纠纷", (3, TimeUnit::WorkingDays)),
            ("D0802", "家庭婚姻纠纷", (5, TimeUnit::WorkingDays)),
            ("D0803", "物业纠纷", (5, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "D03",
        "劳动保障",
        "labour_social_security",
        &[
            ("D0301", "拖欠工资", (5, TimeUnit::WorkingDays)),
            ("D0302", "就业援助", (10, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "D04",
        "民政服务",
        "civil_affairs",
        &[
            ("D0401", "困难救助", (5, TimeUnit::WorkingDays)),
            ("D0402", "养老服务", (5, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "D05",
        "计生卫健",
        "family_planning",
        &[
            ("D0501", "计生服务", (5, TimeUnit::WorkingDays)),
            ("D0502", "公共卫生", (2, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "D06",
        "城市管理",
        "urban_management",
        &[
            ("D0601", "占道经营", (8, TimeUnit::WorkingHours)),
            ("D0602", "违章搭建", (5, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "D07",
        "食品安全",
        "food_safety",
        &[
            ("D0701", "无证经营", (3, TimeUnit::WorkingDays)),
            ("D0702", "过期变质食品", (8, TimeUnit::WorkingHours)),
        ],
    ),
    (
        "U01",
        "市容环境",
        "city_appearance",
        &[
            ("U0101", "暴露垃圾", (4, TimeUnit::WorkingHours)),
            ("U0102", "道路破损", (3, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "U02",
        "宣传广告",
        "advertising",
        &[("U0201", "违规广告", (2, TimeUnit::WorkingDays))],
    ),
    (
        "U03",
        "施工管理",
        "construction",
        &[("U0301", "施工扰民", (8, TimeUnit::WorkingHours))],
    ),
    (
        "U04",
        "突发事件",
        "emergency",
        &[
            ("U0401", "管道泄漏", (4, TimeUnit::Hours)),
            ("U0402", "火情", (1, TimeUnit::Hours)),
        ],
    ),
    (
        "U05",
        "街面秩序",
        "street_order",
        &[("U0501", "乱停乱放", (4, TimeUnit::WorkingHours))],
    ),
];

/// Holidays and make-up working days of the demo calendar (the shape of
/// China's 2026 schedule).
const CALENDAR: &[(&str, bool, &str)] = &[
    ("2026-01-01", false, "元旦"),
    ("2026-01-02", false, "元旦"),
    ("2026-02-16", false, "春节"),
    ("2026-02-17", false, "春节"),
    ("2026-02-18", false, "春节"),
    ("2026-02-19", false, "春节"),
    ("2026-02-20", false, "春节"),
    ("2026-02-23", false, "春节"),
    ("2026-02-14", true, "春节调休"),
    ("2026-02-28", true, "春节调休"),
    ("2026-04-06", false, "清明节"),
    ("2026-05-01", false, "劳动节"),
    ("2026-05-04", false, "劳动节"),
    ("2026-05-05", false, "劳动节"),
    ("2026-05-09", true, "劳动节调休"),
    ("2026-06-19", false, "端午节"),
    ("2026-09-25", false, "中秋节"),
    ("2026-10-01", false, "国庆节"),
    ("2026-10-02", false, "国庆节"),
    ("2026-10-05", false, "国庆节"),
    ("2026-10-06", false, "国庆节"),
    ("2026-10-07", false, "国庆节"),
    ("2026-09-20", true, "国庆节调休"),
    ("2026-10-10", true, "国庆节调休"),
    ("2027-01-01", false, "元旦"),
];

/// A subcategory's code and duty, and its limit at each urgency.
struct SubcategoryLimits {
    code: String,
    duty: String,
    by_urgency: HashMap<Urgency, Limit>,
}

pub struct Catalogue {
    pub categories: Vec<case_category::ActiveModel>,
    pub limits: Vec<case_time_limit::ActiveModel>,
    pub calendar_days: Vec<calendar_day::ActiveModel>,
    pub calendar: WorkingCalendar,
    subcategories: Vec<SubcategoryLimits>,
}

pub fn catalogue() -> Catalogue {
    let mut categories = Vec::new();
    let mut limits = Vec::new();
    let mut subcategories = Vec::new();
    for (code, name, duty, subs) in CATEGORIES {
        categories.push(case_category::ActiveModel {
            code: Set((*code).to_owned()),
            parent_code: Set(None),
            name: Set((*name).to_owned()),
            duty: Set((*duty).to_owned()),
        });
        for (sub_code, sub_name, (amount, unit)) in *subs {
            categories.push(case_category::ActiveModel {
                code: Set((*sub_code).to_owned()),
                parent_code: Set(Some((*code).to_owned())),
                name: Set((*sub_name).to_owned()),
                duty: Set((*duty).to_owned()),
            });
            // Urgent cases get half the time, critical ones a quarter, in
            // hours: working hours, or the clock's for an emergency.
            let (hours, hourly) = match unit {
                TimeUnit::WorkingHours => (*amount, TimeUnit::WorkingHours),
                TimeUnit::WorkingDays => (amount * 9, TimeUnit::WorkingHours),
                TimeUnit::Hours => (*amount, TimeUnit::Hours),
            };
            let by_urgency = HashMap::from([
                (Urgency::Normal, (*amount, *unit)),
                (Urgency::Urgent, ((hours / 2).max(1), hourly)),
                (Urgency::Critical, ((hours / 4).max(1), hourly)),
            ]);
            for (urgency, (amount, unit)) in &by_urgency {
                limits.push(case_time_limit::ActiveModel {
                    category_code: Set((*sub_code).to_owned()),
                    urgency: Set(*urgency),
                    amount: Set(*amount),
                    unit: Set(*unit),
                });
            }
            subcategories.push(SubcategoryLimits {
                code: (*sub_code).to_owned(),
                duty: (*duty).to_owned(),
                by_urgency,
            });
        }
    }
    let days: Vec<(NaiveDate, bool, &str)> = CALENDAR
        .iter()
        .filter_map(|(day, working, note)| {
            NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .ok()
                .map(|day| (day, *working, *note))
        })
        .collect();
    let calendar = WorkingCalendar::new(days.iter().map(|(day, working, _)| (*day, *working)));
    let calendar_days = days
        .into_iter()
        .map(|(day, working, note)| calendar_day::ActiveModel {
            day: Set(day),
            working: Set(working),
            note: Set(note.to_owned()),
        })
        .collect();
    Catalogue {
        categories,
        limits,
        calendar_days,
        calendar,
        subcategories,
    }
}

#[derive(Default)]
pub struct CaseRows {
    pub cases: Vec<case::ActiveModel>,
    pub steps: Vec<case_step::ActiveModel>,
}

#[derive(Default)]
pub struct CaseIds {
    pub case: i64,
    pub step: i64,
}

/// The actions that lead from nothing to `state`, in order.
fn path_to(state: CaseState, rng: &mut Rng) -> Vec<(&'static str, CaseState)> {
    use CaseState::*;
    let mut path = vec![("report", Reported)];
    let verified = [("verify", Verified)];
    let filed = [
        ("file", Filed),
        ("dispatch", Dispatched),
        ("accept", InProgress),
    ];
    match state {
        Reported => {}
        Void => path.push(("void", Void)),
        Verified => path.extend(verified),
        Filed => path.extend(verified.into_iter().chain([("file", Filed)])),
        Dispatched => path.extend(verified.into_iter().chain(filed[..2].iter().copied())),
        InProgress => path.extend(verified.into_iter().chain(filed)),
        Suspended => path.extend(
            verified
                .into_iter()
                .chain(filed)
                .chain([("suspend", Suspended)]),
        ),
        Handled | Checked | Closed | Evaluated => {
            if state == Closed && rng.chance(0.15) {
                path.extend([("resolve_on_spot", Checked), ("close", Closed)]);
                return path;
            }
            path.extend(
                verified
                    .into_iter()
                    .chain(filed)
                    .chain([("handle", Handled)]),
            );
            if rng.chance(0.06) {
                path.extend([
                    ("check_failed", Dispatched),
                    ("accept", InProgress),
                    ("handle", Handled),
                ]);
            }
            if state != Handled {
                path.push(("check_passed", Checked));
            }
            if matches!(state, Closed | Evaluated) {
                path.push(("close", Closed));
            }
            if state == Evaluated {
                path.push(("evaluate", Evaluated));
            }
        }
    }
    path
}

const CASE_STATES: &[(CaseState, f64)] = &[
    (CaseState::Reported, 6.0),
    (CaseState::Verified, 4.0),
    (CaseState::Void, 3.0),
    (CaseState::Filed, 4.0),
    (CaseState::Dispatched, 6.0),
    (CaseState::InProgress, 12.0),
    (CaseState::Suspended, 2.0),
    (CaseState::Handled, 6.0),
    (CaseState::Checked, 4.0),
    (CaseState::Closed, 18.0),
    (CaseState::Evaluated, 35.0),
];

const PROBLEMS: &[&str] = &[
    "楼道堆放杂物",
    "邻里噪音纠纷",
    "下水道堵塞",
    "路灯不亮",
    "占道摆摊",
    "小区违建",
    "暴露垃圾未清运",
    "无证经营餐饮",
    "燃气管道异味",
    "共享单车乱停",
    "独居老人需要帮扶",
    "工地夜间施工",
];

#[allow(clippy::too_many_arguments)]
pub fn cases_for_grid(
    rng: &mut Rng,
    grid: &GridRow,
    count: u32,
    catalogue: &Catalogue,
    accounts: &Accounts,
    now: DateTime<Utc>,
    ids: &mut CaseIds,
    rows: &mut CaseRows,
) {
    let worker = accounts.worker_of_grid.get(&grid.code).copied();
    let state_weights: Vec<f64> = CASE_STATES.iter().map(|(_, w)| *w).collect();
    for _ in 0..count {
        let state = CASE_STATES[rng.weighted(&state_weights)].0;
        let subcategory = rng.pick(&catalogue.subcategories);
        let urgency =
            [Urgency::Normal, Urgency::Urgent, Urgency::Critical][rng.weighted(&[80.0, 17.0, 3.0])];
        // The street's own office (属地) where it answers, else the district's.
        let street = grid
            .code
            .get(..AreaLevel::Street.width())
            .unwrap_or_default();
        let department = [street, grid.district_code]
            .iter()
            .find_map(|area| {
                accounts
                    .department_for_duty
                    .get(&((*area).to_owned(), subcategory.duty.clone()))
            })
            .copied();
        let officer = department.and_then(|d| accounts.officer_of_department.get(&d).copied());
        let citizen = rng.chance(0.25);
        let created_at = now - Duration::minutes(rng.between(60, 45 * 24 * 60));
        let case_id = {
            ids.case += 1;
            ids.case
        };

        let mut at = created_at;
        let mut filed_at = None;
        let mut deadline_at = None;
        let mut yellow_at = None;
        let mut suspended_at = None;
        let mut closed_at = None;
        let mut rework_count = 0;
        let mut reached_department = false;
        let path = path_to(state, rng);
        for (index, (action, to_state)) in path.iter().enumerate() {
            if index > 0 {
                at += Duration::minutes(rng.between(20, 26 * 60));
                at = at.min(now - Duration::minutes(1));
            }
            let (actor, actor_name, actor_department) = match *action {
                "report" if citizen => (None, "市民".to_owned(), None),
                "report" | "verify" | "void" | "check_passed" | "check_failed"
                | "resolve_on_spot" => (worker, "网格员".to_owned(), None),
                "accept" | "handle" | "suspend" => (officer, "部门经办人".to_owned(), department),
                "evaluate" => (None, "市民".to_owned(), None),
                _ => (
                    Some(accounts.operator_id),
                    "指挥中心调度员".to_owned(),
                    None,
                ),
            };
            match *action {
                "file" => {
                    filed_at = Some(at);
                    let (amount, unit) = subcategory
                        .by_urgency
                        .get(&urgency)
                        .copied()
                        .unwrap_or((5, TimeUnit::WorkingDays));
                    let deadline = catalogue.calendar.add(at, amount, unit);
                    deadline_at = Some(deadline);
                    yellow_at = Some(catalogue.calendar.share_counted(
                        Counting::of(unit),
                        at,
                        deadline,
                        80,
                    ));
                }
                "suspend" => suspended_at = Some(at),
                "dispatch" => reached_department = true,
                "check_failed" => rework_count += 1,
                "close" => closed_at = Some(at),
                _ => {}
            }
            ids.step += 1;
            rows.steps.push(case_step::ActiveModel {
                id: Set(ids.step),
                case_id: Set(case_id),
                action: Set((*action).to_owned()),
                from_state: Set(index.checked_sub(1).map(|previous| path[previous].1)),
                to_state: Set(*to_state),
                actor_user_id: Set(actor),
                actor_token_id: Set(None),
                actor_name: Set(actor_name),
                department_id: Set(actor_department),
                note: Set(None),
                evidence: Set(if *action == "handle" {
                    json!([format!(
                        "https://evidence.example/cases/{case_id}/after.jpg"
                    )])
                } else {
                    json!([])
                }),
                at: Set(at),
            });
        }
        let problem = rng.pick(PROBLEMS);
        let filed = filed_at.is_some();
        rows.cases.push(case::ActiveModel {
            id: Set(case_id),
            number: Set(format!("AJ{}{case_id:07}", created_at.format("%Y%m%d"))),
            title: Set(format!("{}{}", grid.name, problem)),
            description: Set(format!("巡查发现：{problem}，请及时处置。")),
            state: Set(state),
            source: Set(if citizen {
                CaseSource::Citizen
            } else {
                CaseSource::GridWorker
            }),
            category_code: Set(filed.then(|| subcategory.code.clone())),
            urgency: Set(urgency),
            grid_code: Set(grid.code.clone()),
            location: Set(grid.name.clone()),
            longitude: Set(None),
            latitude: Set(None),
            reporter_id: Set(if citizen { None } else { worker }),
            reporter_name: Set(citizen.then(|| names::person(rng, true))),
            reporter_phone: Set(citizen.then(|| names::mobile(rng))),
            department_id: Set(if reached_department { department } else { None }),
            filed_at: Set(filed_at),
            deadline_at: Set(deadline_at),
            yellow_at: Set(yellow_at),
            pending_request: Set(None),
            requested_deadline_at: Set(None),
            suspended_at: Set(suspended_at),
            closed_at: Set(closed_at),
            rework_count: Set(rework_count),
            extension_count: Set(0),
            escalated: Set(false),
            escalated_to: Set(None),
            escalated_at: Set(None),
            supervision: Set(Supervision::None),
            urgent_mark: Set(urgency == Urgency::Critical),
            satisfaction: Set((state == CaseState::Evaluated).then(|| rng.between(3, 5) as i32)),
            version: Set(1),
            created_at: Set(created_at),
            updated_at: Set(at),
        });
    }
}

#[derive(Default)]
pub struct TaskRows {
    pub tasks: Vec<task::ActiveModel>,
    pub assignments: Vec<task_assignment::ActiveModel>,
    pub feedback: Vec<task_feedback::ActiveModel>,
}

/// A city-wide voter-registration campaign with a target per grid, visits
/// to elderly people living alone in some grids, and a food-safety
/// inspection sent to the market-supervision departments.
pub fn tasks(
    rng: &mut Rng,
    grids: &[(&GridRow, u32)],
    accounts: &Accounts,
    departments: &[(i64, String, String)],
    now: DateTime<Utc>,
) -> TaskRows {
    let mut rows = TaskRows::default();
    let task = |rows: &mut TaskRows,
                title: &str,
                body: &str,
                kind,
                priority,
                area: Option<String>,
                deadline,
                target| {
        let id = rows.tasks.len() as i64 + 1;
        rows.tasks.push(task::ActiveModel {
            id: Set(id),
            title: Set(title.to_owned()),
            body: Set(body.to_owned()),
            kind: Set(kind),
            priority: Set(priority),
            area_code: Set(area),
            created_by: Set(accounts.operator_id),
            deadline_at: Set(deadline),
            target_per_grid: Set(target),
            cancelled: Set(false),
            version: Set(1),
            created_at: Set(now - Duration::days(3)),
            updated_at: Set(now - Duration::days(3)),
        });
        id
    };

    let campaign = task(
        &mut rows,
        "选民登记",
        "全市开展选民登记，两日内完成本网格18周岁以上居民登记。",
        TaskKind::Campaign,
        TaskPriority::High,
        None,
        now + Duration::days(1),
        None,
    );
    for (grid, residents) in grids {
        let target = (*residents as f64 * 0.8).round() as i32;
        let progress = (target as f64 * rng.unit()).round() as i32;
        let worker = accounts.worker_of_grid.get(&grid.code).copied();
        assign(
            rng,
            &mut rows,
            campaign,
            TargetKind::Grid,
            grid.code.clone(),
            worker,
            None,
            Some(target),
            progress,
            now,
        );
    }

    let visits = task(
        &mut rows,
        "走访独居老人",
        "入户走访辖区独居老人，了解冬季取暖和用药情况并反馈。",
        TaskKind::Instruction,
        TaskPriority::Normal,
        None,
        now - Duration::hours(6),
        None,
    );
    for (grid, _) in grids.iter().step_by(20) {
        let worker = accounts.worker_of_grid.get(&grid.code).copied();
        let progress = if rng.chance(0.5) { 1 } else { 0 };
        assign(
            rng,
            &mut rows,
            visits,
            TargetKind::Worker,
            grid.code.clone(),
            worker,
            None,
            Some(1),
            progress,
            now,
        );
    }

    let inspection = task(
        &mut rows,
        "食品安全专项检查",
        "对辖区餐饮单位开展证照专项检查，重点核查无证和证照过期单位。",
        TaskKind::Instruction,
        TaskPriority::High,
        None,
        now + Duration::days(7),
        None,
    );
    for (department_id, _, area) in departments
        .iter()
        .filter(|(_, code, _)| code.starts_with("market-"))
    {
        let officer = accounts.officer_of_department.get(department_id).copied();
        assign(
            rng,
            &mut rows,
            inspection,
            TargetKind::Department,
            area.clone(),
            officer,
            Some(*department_id),
            None,
            0,
            now,
        );
    }
    rows
}

#[allow(clippy::too_many_arguments)]
fn assign(
    rng: &mut Rng,
    rows: &mut TaskRows,
    task_id: i64,
    target_kind: TargetKind,
    area_code: String,
    assignee: Option<i64>,
    department: Option<i64>,
    target: Option<i32>,
    progress: i32,
    now: DateTime<Utc>,
) {
    let id = rows.assignments.len() as i64 + 1;
    let complete = target.is_some_and(|target| progress >= target && target > 0);
    let state = if complete {
        AssignmentState::Completed
    } else if progress > 0 {
        AssignmentState::InProgress
    } else if rng.chance(0.5) {
        AssignmentState::Acknowledged
    } else {
        AssignmentState::Pending
    };
    let acknowledged = state != AssignmentState::Pending;
    rows.assignments.push(task_assignment::ActiveModel {
        id: Set(id),
        task_id: Set(task_id),
        target_kind: Set(target_kind),
        area_code: Set(area_code),
        assignee_user_id: Set(assignee),
        department_id: Set(department),
        state: Set(state),
        target: Set(target),
        progress: Set(progress),
        acknowledged_at: Set(acknowledged.then(|| now - Duration::hours(rng.between(20, 60)))),
        completed_at: Set(complete.then(|| now - Duration::hours(rng.between(1, 19)))),
        version: Set(1),
        updated_at: Set(now - Duration::hours(1)),
    });
    if progress > 0 {
        rows.feedback.push(task_feedback::ActiveModel {
            id: Set(rows.feedback.len() as i64 + 1),
            assignment_id: Set(id),
            author_user_id: Set(assignee),
            author_name: Set("网格员".to_owned()),
            note: Set(format!("已完成{progress}")),
            progress: Set(Some(progress)),
            at: Set(now - Duration::hours(1)),
        });
    }
}
