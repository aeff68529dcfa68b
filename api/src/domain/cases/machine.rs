//! The closed loop as one table: every transition a case can take, from
//! which states, to which, who may take it (a Casbin action on `case` in the
//! case's grid) and what it needs. The code that moves cases and the tests
//! that walk them both read this table.

use entities::case::{CaseRequest, CaseState};
use policies::Action;

use CaseState::*;

/// Where a transition leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    State(CaseState),
    /// The case stays where it is; the step is still recorded.
    Same,
}

/// What a transition needs in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Note,
    /// At least one evidence URL.
    Evidence,
    /// A subcategory (urgency defaults to normal).
    Category,
    Department,
    /// The deadline an extension asks for.
    Deadline,
    /// A satisfaction score, 1–5.
    Satisfaction,
    /// A yellow or red card.
    Card,
    /// Something the case is about, or a party (at least one of the two).
    Links,
}

/// What a transition does besides changing the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Sets category and urgency, and starts the clock.
    File,
    /// Sets the department.
    Dispatch,
    /// Clears the department: it was the wrong one.
    SendBack,
    Request(CaseRequest),
    /// Grants the pending request of this kind.
    Grant(CaseRequest),
    /// Drops the pending request.
    Refuse,
    /// Restarts the clock where the suspension stopped it.
    Resume,
    /// Back to the same department, counted as rework.
    Rework,
    Close,
    Evaluate,
    Escalate,
    Supervise,
    MarkUrgent,
    /// Names what the case is about, or its parties.
    Describe,
}

pub struct Transition {
    pub name: &'static str,
    pub from: &'static [CaseState],
    pub to: To,
    pub action: Action,
    pub needs: &'static [Need],
    /// Only the department the case is dispatched to (or the command centre
    /// acting for it) may take it.
    pub by_department: bool,
    pub effect: Effect,
    /// What the case's pending request must be for this transition.
    pub pending: Option<CaseRequest>,
}

/// States in which a case is still open: it has a light, and can be
/// escalated, supervised or marked urgent.
pub const OPEN: &[CaseState] = &[
    Reported, Verified, Filed, Dispatched, InProgress, Suspended, Handled, Checked,
];

const fn step(
    name: &'static str,
    from: &'static [CaseState],
    to: To,
    action: Action,
    needs: &'static [Need],
    effect: Effect,
) -> Transition {
    Transition {
        name,
        from,
        to,
        action,
        needs,
        by_department: false,
        effect,
        pending: None,
    }
}

const fn departmental(mut transition: Transition) -> Transition {
    transition.by_department = true;
    transition
}

const fn answering(mut transition: Transition, request: CaseRequest) -> Transition {
    transition.pending = Some(request);
    transition
}

use Action as A;
use CaseRequest::{Extension, Suspension};
use Effect as E;
use Need as N;

/// The closed loop (GB/T 30428): collect → verify → file → dispatch →
/// handle → feed back → check → close → evaluate.
pub const TRANSITIONS: &[Transition] = &[
    step(
        "verify",
        &[Reported],
        To::State(Verified),
        A::Verify,
        &[],
        E::None,
    ),
    step(
        "void",
        &[Reported],
        To::State(Void),
        A::Verify,
        &[N::Note],
        E::None,
    ),
    // Fixed on the spot by the worker; a supervisor's close approves it.
    step(
        "resolve_on_spot",
        &[Reported, Verified],
        To::State(Checked),
        A::Verify,
        &[N::Note, N::Evidence],
        E::None,
    ),
    // What the case is about and who its parties are, found on site.
    step(
        "describe",
        OPEN,
        To::Same,
        A::Verify,
        &[N::Links],
        E::Describe,
    ),
    step(
        "file",
        &[Verified],
        To::State(Filed),
        A::File,
        &[N::Category],
        E::File,
    ),
    step(
        "dispatch",
        &[Filed],
        To::State(Dispatched),
        A::Dispatch,
        &[N::Department],
        E::Dispatch,
    ),
    departmental(step(
        "accept",
        &[Dispatched],
        To::State(InProgress),
        A::Handle,
        &[],
        E::None,
    )),
    departmental(step(
        "send_back",
        &[Dispatched],
        To::State(Filed),
        A::Handle,
        &[N::Note],
        E::SendBack,
    )),
    departmental(step(
        "request_extension",
        &[InProgress],
        To::Same,
        A::Handle,
        &[N::Note, N::Deadline],
        E::Request(Extension),
    )),
    departmental(step(
        "request_suspension",
        &[InProgress],
        To::Same,
        A::Handle,
        &[N::Note],
        E::Request(Suspension),
    )),
    answering(
        step(
            "extend",
            &[InProgress],
            To::Same,
            A::Dispatch,
            &[],
            E::Grant(Extension),
        ),
        Extension,
    ),
    answering(
        step(
            "suspend",
            &[InProgress],
            To::State(Suspended),
            A::Dispatch,
            &[],
            E::Grant(Suspension),
        ),
        Suspension,
    ),
    step(
        "refuse_request",
        &[InProgress],
        To::Same,
        A::Dispatch,
        &[N::Note],
        E::Refuse,
    ),
    step(
        "resume",
        &[Suspended],
        To::State(InProgress),
        A::Dispatch,
        &[],
        E::Resume,
    ),
    departmental(step(
        "handle",
        &[InProgress],
        To::State(Handled),
        A::Handle,
        &[N::Evidence],
        E::None,
    )),
    step(
        "check_failed",
        &[Handled],
        To::State(Dispatched),
        A::Check,
        &[N::Note],
        E::Rework,
    ),
    step(
        "check_passed",
        &[Handled],
        To::State(Checked),
        A::Check,
        &[],
        E::None,
    ),
    step(
        "close",
        &[Checked],
        To::State(Closed),
        A::Close,
        &[],
        E::Close,
    ),
    step(
        "evaluate",
        &[Closed],
        To::State(Evaluated),
        A::Evaluate,
        &[N::Satisfaction],
        E::Evaluate,
    ),
    step(
        "escalate",
        OPEN,
        To::Same,
        A::Supervise,
        &[N::Note],
        E::Escalate,
    ),
    step(
        "supervise",
        OPEN,
        To::Same,
        A::Supervise,
        &[N::Card],
        E::Supervise,
    ),
    step(
        "mark_urgent",
        OPEN,
        To::Same,
        A::Supervise,
        &[],
        E::MarkUrgent,
    ),
];

pub fn transition(name: &str) -> Option<&'static Transition> {
    TRANSITIONS.iter().find(|t| t.name == name)
}

impl Transition {
    pub fn target(&self, from: CaseState) -> CaseState {
        match self.to {
            To::State(state) => state,
            To::Same => from,
        }
    }

    pub fn needs(&self, need: Need) -> bool {
        self.needs.contains(&need)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_every_state_is_reachable() {
        let names: BTreeSet<_> = TRANSITIONS.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), TRANSITIONS.len());
        let mut reached = BTreeSet::from([format!("{Reported:?}")]);
        for transition in TRANSITIONS {
            for from in transition.from {
                reached.insert(format!("{:?}", transition.target(*from)));
            }
        }
        for state in [
            Reported, Verified, Void, Filed, Dispatched, InProgress, Suspended, Handled, Checked,
            Closed, Evaluated,
        ] {
            assert!(reached.contains(&format!("{state:?}")), "{state:?}");
        }
    }

    #[test]
    fn finished_cases_take_no_transition() {
        for transition in TRANSITIONS {
            for finished in [Void, Evaluated] {
                assert!(!transition.from.contains(&finished), "{}", transition.name);
            }
        }
    }
}
