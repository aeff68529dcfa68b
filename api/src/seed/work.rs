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

/// Top classes: the seven duties of a grid worker, and the parts (部件) and
/// events (事件) of GB/T 30428.2, each with subcategories (code, name,
/// normal limit).
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
    // The grid's own classes: the seven duties of a grid worker, with the
    // social-governance classes (矛盾纠纷, 安全隐患, 特殊人群, 民生服务)
    // filed under the duty that answers for them.
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
            ("D0204", "特殊人群异常", (2, TimeUnit::WorkingDays)),
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
            ("D0403", "残疾人帮扶", (5, TimeUnit::WorkingDays)),
            ("D0404", "留守儿童关爱", (5, TimeUnit::WorkingDays)),
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
    // GB/T 30428.2 parts (部件): the city's furniture, each answered for by
    // the department that owns or keeps it.
    (
        "B01",
        "公用设施",
        "public_utilities",
        &[
            ("B0101", "上水井盖", (16, TimeUnit::WorkingHours)),
            ("B0102", "污水井盖", (16, TimeUnit::WorkingHours)),
            ("B0103", "雨水箅子", (16, TimeUnit::WorkingHours)),
            ("B0104", "路灯", (3, TimeUnit::WorkingDays)),
            ("B0105", "消防栓", (2, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "B02",
        "道路交通",
        "road_traffic",
        &[
            ("B0201", "交通信号灯", (8, TimeUnit::WorkingHours)),
            ("B0202", "交通护栏", (3, TimeUnit::WorkingDays)),
            ("B0203", "公交站亭", (3, TimeUnit::WorkingDays)),
            ("B0204", "道路指示牌", (3, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "B03",
        "市容环境设施",
        "city_appearance",
        &[
            ("B0301", "公共厕所", (2, TimeUnit::WorkingDays)),
            ("B0302", "垃圾箱", (2, TimeUnit::WorkingDays)),
            ("B0303", "果皮箱", (2, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "B04",
        "园林绿化",
        "landscaping",
        &[
            ("B0401", "行道树", (3, TimeUnit::WorkingDays)),
            ("B0402", "绿地护栏", (3, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "B05",
        "房屋土地",
        "housing_land",
        &[
            ("B0501", "危险房屋", (2, TimeUnit::WorkingDays)),
            ("B0502", "外墙脱落", (16, TimeUnit::WorkingHours)),
        ],
    ),
    (
        "B06",
        "其他设施",
        "local_affairs",
        &[
            ("B0601", "健身设施", (5, TimeUnit::WorkingDays)),
            ("B0602", "公共座椅", (5, TimeUnit::WorkingDays)),
        ],
    ),
    // GB/T 30428.2 events (事件).
    (
        "U01",
        "市容环境",
        "city_appearance",
        &[
            ("U0101", "暴露垃圾", (4, TimeUnit::WorkingHours)),
            ("U0102", "道路破损", (3, TimeUnit::WorkingDays)),
            ("U0103", "积存垃圾渣土", (8, TimeUnit::WorkingHours)),
            ("U0104", "道路不洁", (4, TimeUnit::WorkingHours)),
            ("U0105", "焚烧垃圾树叶", (4, TimeUnit::WorkingHours)),
        ],
    ),
    (
        "U02",
        "宣传广告",
        "advertising",
        &[
            ("U0201", "违规广告", (2, TimeUnit::WorkingDays)),
            ("U0202", "非法小广告", (8, TimeUnit::WorkingHours)),
            ("U0203", "占道广告牌", (2, TimeUnit::WorkingDays)),
        ],
    ),
    (
        "U03",
        "施工管理",
        "construction",
        &[
            ("U0301", "施工扰民", (8, TimeUnit::WorkingHours)),
            ("U0302", "施工废弃料", (2, TimeUnit::WorkingDays)),
            ("U0303", "道路遗撒", (8, TimeUnit::WorkingHours)),
        ],
    ),
    (
        "U04",
        "突发事件",
        "emergency",
        &[
            ("U0401", "管道泄漏", (4, TimeUnit::Hours)),
            ("U0402", "火情", (1, TimeUnit::Hours)),
            ("U0403", "路面塌陷", (4, TimeUnit::Hours)),
            ("U0404", "道路积水", (4, TimeUnit::Hours)),
        ],
    ),
    (
        "U05",
        "街面秩序",
        "street_order",
        &[
            ("U0501", "乱停乱放", (4, TimeUnit::WorkingHours)),
            ("U0502", "无照游商", (8, TimeUnit::WorkingHours)),
            ("U0503", "店外经营", (8, TimeUnit::WorkingHours)),
        ],
    ),
    (
        "U06",
        "扩展事件",
        "local_affairs",
        &[
            ("U0601", "楼道堆物", (2, TimeUnit::WorkingDays)),
            ("U0602", "宠物扰民", (3, TimeUnit::WorkingDays)),
            ("U0603", "违规饲养家禽", (3, TimeUnit::WorkingDays)),
        ],
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
    name: String,
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
                name: (*sub_name).to_owned(),
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

/// The actions that lead from nothing to `state`, in order: now and then
/// sent back as not the department's, extended, reworked.
fn path_to(state: CaseState, rng: &mut Rng) -> Vec<(&'static str, CaseState)> {
    use CaseState::*;
    let mut path = vec![("report", Reported)];
    match state {
        Reported => return path,
        Void => {
            path.push(("void", Void));
            return path;
        }
        Closed if rng.chance(0.15) => {
            path.extend([("resolve_on_spot", Checked), ("close", Closed)]);
            return path;
        }
        _ => {}
    }
    path.push(("verify", Verified));
    if state == Verified {
        return path;
    }
    path.push(("file", Filed));
    if state == Filed {
        return path;
    }
    path.push(("dispatch", Dispatched));
    if rng.chance(0.08) {
        path.extend([("send_back", Filed), ("dispatch", Dispatched)]);
    }
    if state == Dispatched {
        return path;
    }
    path.push(("accept", InProgress));
    if rng.chance(0.1) {
        path.extend([("request_extension", InProgress), ("extend", InProgress)]);
    }
    if state == InProgress {
        return path;
    }
    if state == Suspended {
        path.extend([("request_suspension", InProgress), ("suspend", Suspended)]);
        return path;
    }
    path.push(("handle", Handled));
    if rng.chance(0.06) {
        path.extend([
            ("check_failed", Dispatched),
            ("accept", InProgress),
            ("handle", Handled),
        ]);
    }
    if state == Handled {
        return path;
    }
    path.push(("check_passed", Checked));
    if state == Checked {
        return path;
    }
    path.push(("close", Closed));
    if state == Evaluated {
        path.push(("evaluate", Evaluated));
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

/// How a case's time passes: office hours of working days, or for an
/// emergency filed as one, the clock.
struct CaseTime<'a> {
    calendar: &'a WorkingCalendar,
    counting: Counting,
}

impl CaseTime<'_> {
    fn after(&self, at: DateTime<Utc>, time: Duration) -> DateTime<Utc> {
        match self.counting {
            Counting::WorkingTime => self.calendar.add_working_time(at, time),
            Counting::RoundTheClock => at + time,
        }
    }

    fn before(&self, at: DateTime<Utc>, time: Duration) -> DateTime<Utc> {
        match self.counting {
            Counting::WorkingTime => self.calendar.sub_working_time(at, time),
            Counting::RoundTheClock => at - time,
        }
    }

    fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        match self.counting {
            Counting::WorkingTime => self.calendar.working_time_between(from, to),
            Counting::RoundTheClock => (to - from).max(Duration::zero()),
        }
    }
}

fn minutes(rng: &mut Rng, low: i64, high: i64) -> Duration {
    Duration::minutes(rng.between(low, high))
}

/// Where the light of an open case should stand now: the share of its
/// limit used, in percent (over 100: overdue). Most open cases are on time.
fn share_used(rng: &mut Rng) -> i64 {
    match rng.weighted(&[70.0, 15.0, 15.0]) {
        0 => rng.between(5, 79),
        1 => rng.between(80, 99),
        _ => rng.between(105, 250),
    }
}

/// When each step of `path` was taken, in order, none later than `now`.
/// `filing` is the index of the `file` step; the case's clock (`time`)
/// runs `limit` from there.
fn step_times(
    rng: &mut Rng,
    path: &[(&'static str, CaseState)],
    time: &CaseTime<'_>,
    limit: Duration,
    open: bool,
    now: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    // The last moment the case's clock counts before now: office hours
    // for the office's steps.
    let latest = time.before(now, Duration::minutes(1));
    let filing = path.iter().position(|(action, _)| *action == "file");
    // The moment the rest hangs on: the filing, or the report of a case
    // never filed.
    let (anchor_index, anchor) = match filing {
        Some(index) if open => (
            index,
            time.before(now, limit * share_used(rng) as i32 / 100),
        ),
        // Finished: filed long enough ago for the whole loop to have run.
        Some(index) => (
            index,
            time.before(now, limit * 2 + minutes(rng, 2 * 540, 30 * 540)),
        ),
        None => (0, time.before(now, minutes(rng, 30, 15 * 540))),
    };
    let mut times = vec![anchor; path.len()];
    for index in (0..anchor_index).rev() {
        times[index] = time.before(times[index + 1], minutes(rng, 15, 300));
    }
    let after = path.len() - anchor_index - 1;
    if open && filing.is_some() {
        // Spread over the time since filing.
        let span = time.between(anchor, latest).num_minutes().max(after as i64);
        let mut cuts: Vec<i64> = (0..after).map(|_| rng.between(1, span)).collect();
        cuts.sort_unstable();
        for (offset, cut) in cuts.into_iter().enumerate() {
            times[anchor_index + 1 + offset] = time.after(anchor, Duration::minutes(cut));
        }
    } else {
        for index in anchor_index + 1..path.len() {
            times[index] = match path[index].0 {
                // Handled within the limit, now and then late.
                "handle" if filing.is_some() => {
                    let share = if rng.chance(0.1) {
                        rng.between(105, 160)
                    } else {
                        rng.between(20, 95)
                    };
                    time.after(anchor, limit * share as i32 / 100)
                        .max(time.after(times[index - 1], minutes(rng, 10, 60)))
                }
                _ => time.after(times[index - 1], minutes(rng, 15, 300)),
            };
        }
    }
    // Never in the future, never out of order.
    let mut previous = times[0].min(latest);
    for at in &mut times {
        *at = (*at).min(latest).max(previous);
        previous = *at;
    }
    times
}

/// Who took a step, by account: (user, name, department).
type Actor = (Option<i64>, String, Option<i64>);

/// A note for the steps that need one.
fn note_for(action: &str) -> Option<&'static str> {
    Some(match action {
        "void" => "现场核查不属实。",
        "send_back" => "派遣材料不全，请补充现场情况后重新派遣。",
        "request_extension" => "需协调产权单位共同处置，申请延期。",
        "request_suspension" => "待司法程序结果，申请挂起。",
        "resolve_on_spot" => "网格员现场协调解决。",
        "check_failed" => "现场核查问题仍未解决，退回重办。",
        "supervise" => "超期未办结，予以督办。",
        _ => return None,
    })
}

/// A place in the grid: a point inside its outline (with a margin from its
/// edges), and an address.
fn place_in(rng: &mut Rng, grid: &GridRow) -> (String, Option<(f64, f64)>) {
    let corners: Vec<(f64, f64)> = grid.boundary["coordinates"][0]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|point| Some((point[0].as_f64()?, point[1].as_f64()?)))
        .collect();
    let range = |pick: fn(&(f64, f64)) -> f64| {
        let low = corners.iter().map(pick).fold(f64::INFINITY, f64::min);
        let high = corners.iter().map(pick).fold(f64::NEG_INFINITY, f64::max);
        (low, high)
    };
    let ((west, east), (south, north)) = (range(|p| p.0), range(|p| p.1));
    let point = (west < east && south < north).then(|| {
        let inside = |low: f64, high: f64, rng: &mut Rng| {
            let margin = (high - low) * 0.1;
            let x = low + margin + (high - low - 2.0 * margin) * rng.unit();
            (x * 1e6).round() / 1e6
        };
        (inside(west, east, rng), inside(south, north, rng))
    });
    let address = format!("{}{}号", names::road(rng), rng.between(1, 300));
    (address, point)
}

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
    let named = |id: Option<i64>| id.and_then(|id| accounts.display_name(id));
    let operator: Actor = (
        Some(accounts.operator_id),
        accounts
            .display_name(accounts.operator_id)
            .unwrap_or_default(),
        None,
    );
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
        let source = [
            CaseSource::GridWorker,
            CaseSource::Citizen,
            CaseSource::Hotline,
        ][rng.weighted(&[68.0, 20.0, 12.0])];
        let from_public = source != CaseSource::GridWorker;
        let male = rng.chance(0.5);
        let reporter_name = from_public.then(|| names::person(rng, male));
        let case_id = {
            ids.case += 1;
            ids.case
        };
        let (amount, unit) = subcategory
            .by_urgency
            .get(&urgency)
            .copied()
            .unwrap_or((5, TimeUnit::WorkingDays));
        let path = path_to(state, rng);
        let filed = path.iter().any(|(action, _)| *action == "file");
        // A case runs on the clock only once filed as an emergency.
        let counting = if filed {
            Counting::of(unit)
        } else {
            Counting::WorkingTime
        };
        let time = CaseTime {
            calendar: &catalogue.calendar,
            counting,
        };
        let limit = time.between(now, catalogue.calendar.add(now, amount, unit));
        let open = crate::domain::cases::machine::OPEN.contains(&state);
        let times = step_times(rng, &path, &time, limit, open, now);

        let mut filed_at = None;
        let mut deadline_at = None;
        let mut yellow_at = None;
        let mut suspended_at = None;
        let mut closed_at = None;
        let mut rework_count = 0;
        let mut extension_count = 0;
        let mut reached_department = false;
        let mut steps = Vec::with_capacity(path.len() + 1);
        for (index, ((action, to_state), at)) in path.iter().zip(&times).enumerate() {
            let at = *at;
            let actor: Actor = match *action {
                "report" => match source {
                    CaseSource::Citizen => (None, reporter_name.clone().unwrap_or_default(), None),
                    CaseSource::Hotline => operator.clone(),
                    _ => (worker, named(worker).unwrap_or_default(), None),
                },
                "verify" | "void" | "check_passed" | "check_failed" | "resolve_on_spot" => {
                    (worker, named(worker).unwrap_or_default(), None)
                }
                "accept" | "handle" | "send_back" | "request_extension" | "request_suspension" => {
                    (officer, named(officer).unwrap_or_default(), department)
                }
                "evaluate" if source == CaseSource::Citizen => {
                    (None, reporter_name.clone().unwrap_or_default(), None)
                }
                _ => operator.clone(),
            };
            match *action {
                "file" => {
                    filed_at = Some(at);
                    let deadline = catalogue.calendar.add(at, amount, unit);
                    deadline_at = Some(deadline);
                    yellow_at = Some(catalogue.calendar.share_counted(counting, at, deadline, 80));
                }
                "extend" => {
                    if let (Some(from), Some(deadline)) = (filed_at, deadline_at) {
                        let later = catalogue.calendar.add(deadline, amount, unit);
                        deadline_at = Some(later);
                        yellow_at =
                            Some(catalogue.calendar.share_counted(counting, from, later, 80));
                        extension_count += 1;
                    }
                }
                "suspend" => suspended_at = Some(at),
                "dispatch" => reached_department = true,
                "send_back" => reached_department = false,
                "check_failed" => rework_count += 1,
                "close" => closed_at = Some(at),
                _ => {}
            }
            steps.push((
                *action,
                index.checked_sub(1).map(|previous| path[previous].1),
                *to_state,
                actor,
                at,
            ));
        }
        // An open case past its deadline is often put under supervision.
        let mut supervision = Supervision::None;
        let last = times.last().copied().unwrap_or(now);
        let overdue =
            deadline_at.is_some_and(|deadline| suspended_at.unwrap_or(now) >= deadline && open);
        if overdue && rng.chance(0.4) {
            supervision = if rng.chance(0.3) {
                Supervision::RedCard
            } else {
                Supervision::YellowCard
            };
            let at = time
                .after(last, minutes(rng, 10, 120))
                .min(time.before(now, Duration::minutes(1)))
                .max(last);
            steps.push(("supervise", Some(state), state, operator.clone(), at));
        }
        let updated_at = steps.last().map_or(now, |step| step.4);
        for (action, from_state, to_state, (actor, actor_name, actor_department), at) in steps {
            ids.step += 1;
            rows.steps.push(case_step::ActiveModel {
                id: Set(ids.step),
                case_id: Set(case_id),
                action: Set(action.to_owned()),
                from_state: Set(from_state),
                to_state: Set(to_state),
                actor_user_id: Set(actor),
                actor_token_id: Set(None),
                actor_name: Set(actor_name),
                department_id: Set(actor_department),
                note: Set(note_for(action).map(str::to_owned)),
                evidence: Set(if matches!(action, "handle" | "resolve_on_spot") {
                    json!([format!(
                        "https://evidence.example/cases/{case_id}/after.jpg"
                    )])
                } else {
                    json!([])
                }),
                at: Set(at),
            });
        }
        let (address, point) = place_in(rng, grid);
        let what = &subcategory.name;
        let description = match source {
            CaseSource::Citizen => format!("市民反映：{address}附近{what}，请核实处置。"),
            CaseSource::Hotline => format!("12345热线转办：{address}附近{what}，请核实处置。"),
            _ => format!("网格员巡查发现：{address}附近{what}，请及时处置。"),
        };
        let created_at = times.first().copied().unwrap_or(now);
        rows.cases.push(case::ActiveModel {
            id: Set(case_id),
            number: Set(format!("AJ{}{case_id:07}", created_at.format("%Y%m%d"))),
            title: Set(format!("{address}{what}")),
            description: Set(description),
            state: Set(state),
            source: Set(source),
            category_code: Set(filed.then(|| subcategory.code.clone())),
            urgency: Set(urgency),
            grid_code: Set(grid.code.clone()),
            location: Set(format!("{address}附近")),
            longitude: Set(point.map(|p| p.0)),
            latitude: Set(point.map(|p| p.1)),
            // Whoever typed it in: the worker, the operator for the hotline.
            reporter_id: Set(match source {
                CaseSource::Citizen => None,
                CaseSource::Hotline => Some(accounts.operator_id),
                _ => worker,
            }),
            reporter_name: Set(reporter_name),
            reporter_phone: Set(from_public.then(|| names::mobile(rng))),
            department_id: Set(if reached_department { department } else { None }),
            filed_at: Set(filed_at),
            deadline_at: Set(deadline_at),
            yellow_at: Set(yellow_at),
            pending_request: Set(None),
            requested_deadline_at: Set(None),
            suspended_at: Set(suspended_at),
            closed_at: Set(closed_at),
            rework_count: Set(rework_count),
            extension_count: Set(extension_count),
            escalated: Set(false),
            escalated_to: Set(None),
            escalated_at: Set(None),
            supervision: Set(supervision),
            urgent_mark: Set(urgency == Urgency::Critical),
            satisfaction: Set((state == CaseState::Evaluated)
                .then(|| [1, 2, 3, 4, 5][rng.weighted(&[3.0, 5.0, 12.0, 30.0, 50.0])])),
            version: Set(1),
            created_at: Set(created_at),
            updated_at: Set(updated_at),
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
