//! How lists are ordered: every list's `orderBy: {field, direction}`, the
//! column each field sorts by, and the cursor kind that ties a cursor to
//! its list and ordering (a cursor of one ordering is refused by another).

use async_graphql::{Enum, InputObject, InputType};
use entities::{
    api_token, area, audit_log, building, casbin_rule, case, comparison_job, dwelling, finding,
    grid, household, organisation, policy_version, registry_snapshot, resident, task,
    task_assignment, transfer, visit,
};
use sea_orm::Value;

use crate::domain::scoped::Order;

/// Which way a list runs.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default, Debug)]
pub enum SortDirection {
    /// Ascending.
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// A field a list can be ordered by, and the column that holds it.
pub trait OrderField: Copy + std::fmt::Debug {
    type Column: Copy;
    fn column(self) -> Self::Column;
    /// What an empty value sorts as, for a column that may be empty.
    fn when_empty(self) -> Option<Value> {
        None
    }
}

/// How to order a list: by which field, and which way. Ties go by the
/// row's id (or code), so the order is total and paging never skips or
/// repeats a row.
#[derive(InputObject, Clone, Copy)]
#[graphql(concrete(name = "AreaOrder", params(AreaOrderField)))]
#[graphql(concrete(name = "GridOrder", params(GridOrderField)))]
#[graphql(concrete(name = "ResidentOrder", params(ResidentOrderField)))]
#[graphql(concrete(name = "HouseholdOrder", params(HouseholdOrderField)))]
#[graphql(concrete(name = "DwellingOrder", params(DwellingOrderField)))]
#[graphql(concrete(name = "BuildingOrder", params(BuildingOrderField)))]
#[graphql(concrete(name = "OrganisationOrder", params(OrganisationOrderField)))]
#[graphql(concrete(name = "CaseOrder", params(CaseOrderField)))]
#[graphql(concrete(name = "TaskOrder", params(TaskOrderField)))]
#[graphql(concrete(name = "AssignmentOrder", params(AssignmentOrderField)))]
#[graphql(concrete(name = "PolicyOrder", params(PolicyOrderField)))]
#[graphql(concrete(name = "RoleAssignmentOrder", params(RoleAssignmentOrderField)))]
#[graphql(concrete(name = "ApiTokenOrder", params(ApiTokenOrderField)))]
#[graphql(concrete(name = "AuditLogOrder", params(AuditLogOrderField)))]
#[graphql(concrete(name = "TransferOrder", params(TransferOrderField)))]
#[graphql(concrete(name = "VisitOrder", params(VisitOrderField)))]
#[graphql(concrete(name = "RegistrySnapshotOrder", params(RegistrySnapshotOrderField)))]
#[graphql(concrete(name = "ComparisonJobOrder", params(ComparisonJobOrderField)))]
#[graphql(concrete(name = "FindingOrder", params(FindingOrderField)))]
#[graphql(concrete(name = "PolicyVersionOrder", params(PolicyVersionOrderField)))]
pub struct ListOrder<F: InputType + OrderField> {
    /// What to order by.
    pub field: F,
    /// Which way; ascending when left out.
    #[graphql(default)]
    pub direction: SortDirection,
}

impl<F: InputType + OrderField> ListOrder<F> {
    pub const fn asc(field: F) -> Self {
        ListOrder {
            field,
            direction: SortDirection::Asc,
        }
    }

    pub const fn desc(field: F) -> Self {
        ListOrder {
            field,
            direction: SortDirection::Desc,
        }
    }

    /// The ordering for the keyset query, and the cursor kind of `list` in it.
    pub fn resolve(&self, list: &str) -> (Order<F::Column>, String) {
        let descending = self.direction == SortDirection::Desc;
        let direction = if descending { "desc" } else { "asc" };
        let order = Order {
            column: self.field.column(),
            descending,
            when_empty: self.field.when_empty(),
        };
        (order, format!("{list}.{:?}.{direction}", self.field))
    }
}

/// Declares a list's order fields and the column of each.
macro_rules! order_fields {
    ($(#[$doc:meta])* $name:ident: $column:ty { $($(#[$vdoc:meta])* $variant:ident => $col:expr),+ $(,)? }
     $(when_empty($field:ident) $empty:block)?) => {
        $(#[$doc])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl OrderField for $name {
            type Column = $column;
            fn column(self) -> $column {
                match self {
                    $($name::$variant => $col),+
                }
            }
            $(fn when_empty(self) -> Option<Value> {
                let $field = self;
                $empty
            })?
        }
    };
}

order_fields!(
    /// What areas can be ordered by.
    AreaOrderField: area::Column {
        /// The area's code: each area comes just before the areas inside it.
        Code => area::Column::Code,
        /// The area's name.
        Name => area::Column::Name,
    }
);

order_fields!(
    /// What grids can be ordered by.
    GridOrderField: grid::Column {
        /// The grid's code, which keeps the grids of one community together.
        Code => grid::Column::Code,
        /// The grid's name.
        Name => grid::Column::Name,
    }
);

order_fields!(
    /// What residents can be ordered by; ties go by registration order.
    ResidentOrderField: resident::Column {
        /// Grid by grid.
        Grid => resident::Column::GridCode,
        /// By name.
        Name => resident::Column::Name,
        /// By date of birth.
        BirthDate => resident::Column::BirthDate,
        /// Last change; descending gives what changed most recently (what
        /// a sync pulls).
        UpdatedAt => resident::Column::UpdatedAt,
        /// When the residence permit or visa runs out, soonest first when
        /// ascending (with `permitExpiresBefore`, the worker's list of
        /// permits to renew). Residents without one sort after every date.
        PermitExpiresOn => resident::Column::PermitExpiresOn,
    }
    when_empty(field) {
        (field == ResidentOrderField::PermitExpiresOn).then(|| Value::from(last_day()))
    }
);

order_fields!(
    /// What households can be ordered by; ties go by id.
    HouseholdOrderField: household::Column {
        /// Grid by grid.
        Grid => household::Column::GridCode,
        /// The registration number.
        Number => household::Column::Number,
        /// Last change.
        UpdatedAt => household::Column::UpdatedAt,
    }
);

order_fields!(
    /// What dwellings can be ordered by; ties go by id.
    DwellingOrderField: dwelling::Column {
        /// Grid by grid.
        Grid => dwelling::Column::GridCode,
        /// Building by building, in the order the buildings were recorded.
        Building => dwelling::Column::BuildingId,
        /// Last change.
        UpdatedAt => dwelling::Column::UpdatedAt,
    }
);

order_fields!(
    /// What buildings can be ordered by; ties go by id.
    BuildingOrderField: building::Column {
        /// Grid by grid.
        Grid => building::Column::GridCode,
        /// The building's code.
        Code => building::Column::Code,
        /// The building's name.
        Name => building::Column::Name,
    }
);

order_fields!(
    /// What organisations can be ordered by; ties go by id.
    OrganisationOrderField: organisation::Column {
        /// Grid by grid.
        Grid => organisation::Column::GridCode,
        /// The organisation's name.
        Name => organisation::Column::Name,
    }
);

order_fields!(
    /// What cases can be ordered by; ties go by id.
    CaseOrderField: case::Column {
        /// When the case was reported.
        ReportedAt => case::Column::CreatedAt,
        /// The deadline, earliest first when ascending (with `states` of
        /// the open ones, the overdue and nearly due lead; filter by
        /// `light` for one colour). Cases without a deadline (not yet
        /// filed, or closed before one was set) sort after every deadline:
        /// last ascending, first descending.
        Deadline => case::Column::DeadlineAt,
        /// Last change.
        UpdatedAt => case::Column::UpdatedAt,
    }
    when_empty(field) {
        // Later than any deadline a case will have.
        (field == CaseOrderField::Deadline).then(|| Value::from(far_future()))
    }
);

/// Later than any date a record will hold.
fn last_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(chrono::NaiveDate::MAX)
}

fn far_future() -> chrono::DateTime<chrono::Utc> {
    last_day()
        .and_hms_opt(0, 0, 0)
        .map(|time| time.and_utc())
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

order_fields!(
    /// What tasks can be ordered by; ties go by id.
    TaskOrderField: task::Column {
        /// When the task was sent.
        SentAt => task::Column::CreatedAt,
        /// The task's deadline.
        Deadline => task::Column::DeadlineAt,
    }
);

order_fields!(
    /// What assignments can be ordered by; ties go by id.
    AssignmentOrderField: task_assignment::Column {
        /// Area by area (grid codes nest in their areas).
        Area => task_assignment::Column::AreaCode,
        /// Last change: acknowledgement, progress or completion.
        UpdatedAt => task_assignment::Column::UpdatedAt,
    }
);

order_fields!(
    /// What policies can be ordered by.
    PolicyOrderField: casbin_rule::Column {
        /// In the order they were added.
        Id => casbin_rule::Column::Id,
        /// Role by role.
        Role => casbin_rule::Column::V0,
    }
);

order_fields!(
    /// What role assignments can be ordered by.
    RoleAssignmentOrderField: casbin_rule::Column {
        /// In the order they were made.
        Id => casbin_rule::Column::Id,
        /// Subject by subject.
        Subject => casbin_rule::Column::V0,
        /// Role by role.
        Role => casbin_rule::Column::V1,
    }
);

order_fields!(
    /// What API tokens can be ordered by.
    ApiTokenOrderField: api_token::Column {
        /// In the order they were issued.
        Id => api_token::Column::Id,
        /// By name.
        Name => api_token::Column::Name,
        /// By expiry: the soonest to lapse first when ascending.
        ExpiresAt => api_token::Column::ExpiresAt,
    }
);

order_fields!(
    /// What policy versions can be ordered by.
    PolicyVersionOrderField: policy_version::Column {
        /// By number: the order they were made.
        Version => policy_version::Column::Number,
    }
);

order_fields!(
    /// What audit entries can be ordered by.
    AuditLogOrderField: audit_log::Column {
        /// In the order they were written (their `number`).
        Number => audit_log::Column::Id,
    }
);

order_fields!(
    /// What moves between grids can be ordered by.
    TransferOrderField: transfer::Column {
        /// In the order they were recorded.
        RecordedAt => transfer::Column::Id,
        /// By the day they moved.
        MovedOn => transfer::Column::MovedOn,
    }
);

order_fields!(
    /// What visits can be ordered by.
    VisitOrderField: visit::Column {
        /// When the visit was made.
        VisitedAt => visit::Column::VisitedAt,
    }
);

order_fields!(
    /// What registry snapshots can be ordered by.
    RegistrySnapshotOrderField: registry_snapshot::Column {
        /// In the order their imports started (their `number`).
        Number => registry_snapshot::Column::Id,
    }
);

order_fields!(
    /// What comparison jobs can be ordered by.
    ComparisonJobOrderField: comparison_job::Column {
        /// In the order they started (their `number`).
        Number => comparison_job::Column::Id,
    }
);

order_fields!(
    /// What findings can be ordered by.
    FindingOrderField: finding::Column {
        /// In the order they were found (their `number`).
        Number => finding::Column::Id,
        /// By grid, then number.
        Grid => finding::Column::GridCode,
        /// By the last step taken on them.
        UpdatedAt => finding::Column::UpdatedAt,
    }
);

/// The orderings by the lists' own names, as the schema calls them.
pub type AreaOrder = ListOrder<AreaOrderField>;
pub type GridOrder = ListOrder<GridOrderField>;
pub type ResidentOrder = ListOrder<ResidentOrderField>;
pub type HouseholdOrder = ListOrder<HouseholdOrderField>;
pub type DwellingOrder = ListOrder<DwellingOrderField>;
pub type BuildingOrder = ListOrder<BuildingOrderField>;
pub type OrganisationOrder = ListOrder<OrganisationOrderField>;
pub type CaseOrder = ListOrder<CaseOrderField>;
pub type TaskOrder = ListOrder<TaskOrderField>;
pub type AssignmentOrder = ListOrder<AssignmentOrderField>;
pub type PolicyOrder = ListOrder<PolicyOrderField>;
pub type RoleAssignmentOrder = ListOrder<RoleAssignmentOrderField>;
pub type ApiTokenOrder = ListOrder<ApiTokenOrderField>;
pub type AuditLogOrder = ListOrder<AuditLogOrderField>;
pub type TransferOrder = ListOrder<TransferOrderField>;
pub type VisitOrder = ListOrder<VisitOrderField>;
pub type RegistrySnapshotOrder = ListOrder<RegistrySnapshotOrderField>;
pub type ComparisonJobOrder = ListOrder<ComparisonJobOrderField>;
pub type FindingOrder = ListOrder<FindingOrderField>;
pub type PolicyVersionOrder = ListOrder<PolicyVersionOrderField>;
