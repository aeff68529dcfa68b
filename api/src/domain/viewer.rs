//! What the caller may do to a row, for the buttons a screen shows: each
//! answer follows the rule the write itself checks, read off the request's
//! compiled scopes (no Casbin call per row).

use policies::{Action, Object};

use crate::domain::access::Access;
use crate::domain::privacy::Visibility;

/// The kinds of record row a screen offers to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordRow {
    Resident,
    Household,
    Dwelling,
    Building,
    Organisation,
}

impl RecordRow {
    fn object(self) -> Object {
        match self {
            RecordRow::Resident => Object::Resident,
            RecordRow::Household => Object::Household,
            RecordRow::Dwelling => Object::Dwelling,
            RecordRow::Building => Object::Building,
            RecordRow::Organisation => Object::Organisation,
        }
    }
}

/// Whether the caller may change a row of `kind` in `grid` (the update
/// mutations check `write` on it there).
pub fn may_change(access: &Access, kind: RecordRow, grid: &str) -> bool {
    access.may_in(grid, kind.object(), Action::Write)
}

/// Whether the caller may register a resident in `grid`.
pub fn may_register_resident(access: &Access, grid: &str) -> bool {
    may_change(access, RecordRow::Resident, grid)
}

/// Whether the caller may report a case in `grid`.
pub fn may_report_case(access: &Access, grid: &str) -> bool {
    access.may_in(grid, Object::Case, Action::Report)
}

/// Whether the caller may send a task to `grid`: a signed-in user (or an
/// application acting as one) with `task send` there; departments' tokens
/// send none.
pub fn may_send_task(access: &Access, grid: &str) -> bool {
    let is_user = access.caller().is_ok_and(|caller| caller.user_id.is_some());
    is_user && access.may_in(grid, Object::Task, Action::Send)
}

/// Whether a resident's ID number in `grid` shows in full.
pub fn sees_full_id_number(access: &Access, grid: &str) -> bool {
    access.residents().id_number(grid) == Visibility::Full
}

/// Whether a resident's phone in `grid` shows in full.
pub fn sees_full_phone(access: &Access, grid: &str) -> bool {
    access.residents().phone(grid) == Visibility::Full
}

/// Whether residents' care flags in `grid` show.
pub fn sees_care_flags(access: &Access, grid: &str) -> bool {
    access.residents().care_flags(grid)
}
