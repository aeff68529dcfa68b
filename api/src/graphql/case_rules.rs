//! The closed loop's vocabulary (states, sources, urgencies, cards,
//! requests, lights, transitions) and its rules as data: the transitions a
//! case can take, from which states, to which, by whom, and with which
//! inputs — read from the same table (`domain::cases::machine`) that
//! `moveCase` follows, so a form can be built from them.

use async_graphql::resolver_utils::EnumType;
use async_graphql::{Enum, Object, SimpleObject};

use crate::domain::cases::machine::{Need, TRANSITIONS, To, Transition};

/// Where a case stands in the closed loop.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::CaseState")]
pub enum CaseState {
    /// Reported; to be verified.
    Reported,
    /// Verified as real; to be filed.
    Verified,
    /// Not a case (false, duplicate); ended.
    Void,
    /// Filed with a category and urgency; its clock runs; to be dispatched.
    Filed,
    /// Sent to a department; to be accepted.
    Dispatched,
    /// Being handled by the department.
    InProgress,
    /// Paused at the department's request; the clock stops.
    Suspended,
    /// Handled; to be checked on site.
    Handled,
    /// Checked as done; to be closed.
    Checked,
    /// Closed; to be evaluated.
    Closed,
    /// Evaluated by the reporter or the community; ended.
    Evaluated,
}

/// Who reported a case.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::CaseSource")]
pub enum CaseSource {
    /// A grid worker on rounds.
    GridWorker,
    /// A resident, through the worker or an app.
    Citizen,
    /// The city's hotline.
    Hotline,
    /// A department, or its token.
    Department,
    /// Staff of a street, a community or the command centre.
    Staff,
}

/// How urgent a case is; it picks the time limit.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::Urgency")]
pub enum Urgency {
    /// Normal.
    Normal,
    /// Urgent.
    Urgent,
    /// Critical.
    Critical,
}

/// The card a supervisor has shown a case.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::Supervision")]
pub enum Supervision {
    /// No card.
    None,
    /// 黄牌: a warning to the department.
    YellowCard,
    /// 红牌: a serious one.
    RedCard,
}

/// A request a handling department makes of the command centre.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::CaseRequest")]
pub enum CaseRequest {
    /// More time.
    Extension,
    /// A pause of the clock.
    Suspension,
}

/// A case's traffic light: how much of its time limit is used.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::cases::Light")]
pub enum Light {
    /// Under 80% of the time limit.
    Green,
    /// From 80% to 100%.
    Yellow,
    /// Past the deadline.
    Red,
}

/// A step of the closed loop. Who may take each is a Casbin action on
/// `case` in the case's grid: VERIFY (worker), FILE and DISPATCH (command
/// centre), HANDLE (the department dispatched to), CHECK (worker), CLOSE
/// (supervisor), EVALUATE, SUPERVISE.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CaseTransition {
    /// REPORTED → VERIFIED.
    Verify,
    /// REPORTED → VOID (a false report); needs a note.
    Void,
    /// REPORTED/VERIFIED → CHECKED: fixed on the spot, with a note and
    /// evidence; a supervisor's CLOSE approves it.
    ResolveOnSpot,
    /// Any open case: names what it is about or its parties, as found on
    /// site (with `about` or `parties`).
    Describe,
    /// VERIFIED → FILED with a subcategory (and urgency): starts the clock.
    File,
    /// FILED → DISPATCHED to a department answering for the category in the
    /// case's grid.
    Dispatch,
    /// DISPATCHED → IN_PROGRESS, by that department.
    Accept,
    /// DISPATCHED → FILED: "not ours", with a note; counts against dispatch
    /// accuracy.
    SendBack,
    /// IN_PROGRESS, asking for `deadlineAt`; a dispatcher decides.
    RequestExtension,
    /// IN_PROGRESS, asking to stop the clock; a dispatcher decides.
    RequestSuspension,
    /// Grants the pending extension.
    Extend,
    /// Grants the pending suspension: IN_PROGRESS → SUSPENDED.
    Suspend,
    /// Refuses the pending request, with a note.
    RefuseRequest,
    /// SUSPENDED → IN_PROGRESS with the working time that was left.
    Resume,
    /// IN_PROGRESS → HANDLED, with evidence.
    Handle,
    /// HANDLED → DISPATCHED to the same department: rework, with a note.
    CheckFailed,
    /// HANDLED → CHECKED.
    CheckPassed,
    /// CHECKED → CLOSED.
    Close,
    /// CLOSED → EVALUATED with a satisfaction score.
    Evaluate,
    /// Any open case: escalated to the level above, with a note.
    Escalate,
    /// Any open case: a yellow or red card.
    Supervise,
    /// Any open case: marked urgent.
    MarkUrgent,
}

impl CaseTransition {
    /// The transition's row in the table.
    pub(super) fn name(self) -> &'static str {
        match self {
            CaseTransition::Verify => "verify",
            CaseTransition::Void => "void",
            CaseTransition::ResolveOnSpot => "resolve_on_spot",
            CaseTransition::Describe => "describe",
            CaseTransition::File => "file",
            CaseTransition::Dispatch => "dispatch",
            CaseTransition::Accept => "accept",
            CaseTransition::SendBack => "send_back",
            CaseTransition::RequestExtension => "request_extension",
            CaseTransition::RequestSuspension => "request_suspension",
            CaseTransition::Extend => "extend",
            CaseTransition::Suspend => "suspend",
            CaseTransition::RefuseRequest => "refuse_request",
            CaseTransition::Resume => "resume",
            CaseTransition::Handle => "handle",
            CaseTransition::CheckFailed => "check_failed",
            CaseTransition::CheckPassed => "check_passed",
            CaseTransition::Close => "close",
            CaseTransition::Evaluate => "evaluate",
            CaseTransition::Escalate => "escalate",
            CaseTransition::Supervise => "supervise",
            CaseTransition::MarkUrgent => "mark_urgent",
        }
    }
}

impl CaseTransition {
    /// The transition named `name` in the table.
    pub(super) fn named(name: &str) -> Option<CaseTransition> {
        CaseTransition::items()
            .iter()
            .map(|item| item.value)
            .find(|transition| transition.name() == name)
    }
}

/// An input field of `MoveCaseInput` that a transition requires.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CaseMoveField {
    /// `note`: why, or what was done.
    Note,
    /// `evidence`: at least one photo or document URL.
    Evidence,
    /// `categoryCode`: a subcategory (`urgency` defaults to `NORMAL`).
    CategoryCode,
    /// `departmentId`: a department answering for the category in the grid.
    DepartmentId,
    /// `deadlineAt`: the deadline asked for.
    DeadlineAt,
    /// `satisfaction`: 1 to 5.
    Satisfaction,
    /// `card`: a yellow or red card.
    Card,
    /// `about` or `parties`: at least one subject or party.
    AboutOrParties,
}

impl From<Need> for CaseMoveField {
    fn from(need: Need) -> CaseMoveField {
        match need {
            Need::Note => CaseMoveField::Note,
            Need::Evidence => CaseMoveField::Evidence,
            Need::Category => CaseMoveField::CategoryCode,
            Need::Department => CaseMoveField::DepartmentId,
            Need::Deadline => CaseMoveField::DeadlineAt,
            Need::Satisfaction => CaseMoveField::Satisfaction,
            Need::Card => CaseMoveField::Card,
            Need::Links => CaseMoveField::AboutOrParties,
        }
    }
}

/// One row of the closed loop's table.
#[derive(SimpleObject)]
pub struct CaseTransitionRule {
    /// The move.
    transition: CaseTransition,
    /// The states it can be taken from.
    from: Vec<CaseState>,
    /// The state it leads to; null when the case stays where it is (the
    /// step is still recorded).
    to: Option<CaseState>,
    /// The Casbin action on `case`, in the case's grid, that it needs.
    action: String,
    /// The inputs it requires, beside `id`, `version` and `transition`.
    requires: Vec<CaseMoveField>,
    /// Whether only the department the case is dispatched to takes it.
    by_handling_department: bool,
    /// The pending request it answers, if it answers one.
    answers: Option<CaseRequest>,
}

impl CaseTransitionRule {
    /// The rule of a row of the table; every row has its enum value (a
    /// unit test walks them).
    fn of(row: &Transition) -> Option<CaseTransitionRule> {
        Some(CaseTransitionRule {
            transition: CaseTransition::named(row.name)?,
            from: row.from.iter().copied().map(Into::into).collect(),
            to: match row.to {
                To::State(state) => Some(state.into()),
                To::Same => None,
            },
            action: row.action.as_str().to_owned(),
            requires: row.needs.iter().copied().map(Into::into).collect(),
            by_handling_department: row.by_department,
            answers: row.pending.map(Into::into),
        })
    }
}

#[derive(Default)]
pub struct CaseRulesQuery;

#[Object]
impl CaseRulesQuery {
    /// The closed loop's table: every transition, from which states, to
    /// which, the action it needs and the inputs it requires. The same for
    /// every caller; what a caller may do to one case now is its
    /// `availableTransitions`.
    async fn case_transitions(&self) -> Vec<CaseTransitionRule> {
        TRANSITIONS
            .iter()
            .filter_map(CaseTransitionRule::of)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transition_of_the_table_is_in_the_schema_and_back() {
        let names: Vec<&str> = CaseTransition::items()
            .iter()
            .map(|item| item.value.name())
            .collect();
        assert_eq!(names.len(), TRANSITIONS.len());
        for transition in TRANSITIONS {
            assert!(names.contains(&transition.name), "{}", transition.name);
            assert_eq!(
                CaseTransition::named(transition.name).map(CaseTransition::name),
                Some(transition.name)
            );
        }
    }
}
