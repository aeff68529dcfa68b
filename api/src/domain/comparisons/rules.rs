//! The comparison rules, as one table: what each compares, the finding it
//! makes, who acts on it and how urgent it is. Each rule is a set query
//! (joins on the keyed hash and on codes) that yields the discrepancies of
//! one chunk of grids; `jobs` turns its rows into findings.

use chrono::NaiveDate;
use entities::finding::FindingKind;
use entities::registry_snapshot::RegistryKind;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Resident,
    Organisation,
}

impl Subject {
    /// The findings column naming the subject.
    pub fn column(self) -> &'static str {
        match self {
            Subject::Resident => "resident_id",
            Subject::Organisation => "organisation_id",
        }
    }

    /// The table whose rows are compared (and counted as progress).
    pub fn table(self) -> &'static str {
        match self {
            Subject::Resident => "residents",
            Subject::Organisation => "organisations",
        }
    }
}

/// One row of the rules table.
pub struct Rule {
    pub kind: FindingKind,
    /// The registry whose comparison runs it.
    pub registry: RegistryKind,
    /// Another registry whose current snapshot it also reads.
    pub also: Option<RegistryKind>,
    /// What it compares, in a sentence.
    pub compares: &'static str,
    /// The role that acts on it in the subject's grid.
    pub assignee: &'static str,
    pub urgent: bool,
    pub subject: Subject,
    /// Whether only those granted its finding object may learn it exists
    /// (a wanted person): it never becomes a case (a case is seen by the
    /// grid worker, the command centre, departments), no count shows it
    /// to anyone else, and its audit entries are filed under its object
    /// so that only they read them.
    pub confidential: bool,
    candidates: fn(&Frame) -> String,
}

/// What a rule's query is cut to: the snapshots compared, the chunk of
/// grids and the day expiries are judged on. Every value is an integer, a
/// checked area code or a date, so it is written into the SQL as a literal.
pub struct Frame {
    pub snapshot: i64,
    /// The current snapshot of the rule's `also` registry (0 when the rule
    /// reads none).
    pub also: i64,
    pub start: String,
    pub end: Option<String>,
    pub today: NaiveDate,
}

impl Frame {
    /// `alias.grid_code` inside the chunk.
    pub fn inside(&self, alias: &str) -> String {
        match &self.end {
            Some(end) => format!(
                "{alias}.grid_code >= '{}' AND {alias}.grid_code < '{end}'",
                self.start
            ),
            None => format!("{alias}.grid_code >= '{}'", self.start),
        }
    }

    fn today(&self) -> String {
        format!("'{}'", self.today.format("%Y-%m-%d"))
    }
}

impl Rule {
    /// The query yielding this rule's discrepancies in `frame`'s chunk:
    /// `grid_code, subject_id` and the evidence columns.
    pub fn candidates(&self, frame: &Frame) -> String {
        (self.candidates)(frame)
    }
}

/// The evidence columns a rule fills; the others are typed NULLs, so that
/// PostgreSQL knows their type through a derived table.
#[derive(Default)]
struct Evidence<'a> {
    fields: Option<&'a str>,
    registry_name: Option<&'a str>,
    registry_sex: Option<&'a str>,
    registry_birth_date: Option<&'a str>,
    registry_address: Option<&'a str>,
    from_date: Option<&'a str>,
    to_date: Option<&'a str>,
}

fn select(grid: &str, subject: &str, evidence: Evidence<'_>) -> String {
    let or_null = |value: Option<&str>, ty: &str| {
        value.map_or_else(|| format!("CAST(NULL AS {ty})"), str::to_owned)
    };
    format!(
        "SELECT {grid} AS grid_code, {subject} AS subject_id, {} AS fields, \
         {} AS registry_name, {} AS registry_sex, {} AS registry_birth_date, \
         {} AS registry_address, {} AS from_date, {} AS to_date",
        or_null(evidence.fields, "VARCHAR(100)"),
        or_null(evidence.registry_name, "VARCHAR(100)"),
        or_null(evidence.registry_sex, "VARCHAR(24)"),
        or_null(evidence.registry_birth_date, "DATE"),
        or_null(evidence.registry_address, "VARCHAR(200)"),
        or_null(evidence.from_date, "DATE"),
        or_null(evidence.to_date, "DATE"),
    )
}

/// Residents living here by the record.
const ACTIVE: &str = "r.status = 'active'";

fn not_in_registry(f: &Frame) -> String {
    format!(
        "{} FROM residents r WHERE {ACTIVE} AND {} \
         AND r.population_type = 'registered' AND r.document_type = 'resident_id_card' \
         AND r.id_hash IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM registry_entries e \
             WHERE e.snapshot_id = {} AND e.id_hash = r.id_hash)",
        select("r.grid_code", "r.id", Evidence::default()),
        f.inside("r"),
        f.snapshot
    )
}

fn registry_mismatch(f: &Frame) -> String {
    let fields = "TRIM(CASE WHEN r.name <> e.name THEN 'name ' ELSE '' END \
         || CASE WHEN r.sex <> e.sex THEN 'sex ' ELSE '' END \
         || CASE WHEN r.birth_date <> e.birth_date THEN 'birth_date' ELSE '' END)";
    format!(
        "{} FROM residents r JOIN registry_entries e \
             ON e.snapshot_id = {s} AND e.id_hash = r.id_hash \
         WHERE {ACTIVE} AND {} \
         AND (r.name <> e.name OR r.sex <> e.sex OR r.birth_date <> e.birth_date) \
         AND NOT EXISTS (SELECT 1 FROM registry_entries d \
             WHERE d.snapshot_id = {s} AND d.id_hash = e.id_hash AND d.id <> e.id)",
        select(
            "r.grid_code",
            "r.id",
            Evidence {
                fields: Some(fields),
                registry_name: Some("CASE WHEN r.name <> e.name THEN e.name END"),
                registry_sex: Some("CASE WHEN r.sex <> e.sex THEN e.sex END"),
                registry_birth_date: Some(
                    "CASE WHEN r.birth_date <> e.birth_date THEN e.birth_date END"
                ),
                ..Evidence::default()
            }
        ),
        f.inside("r"),
        s = f.snapshot
    )
}

fn duplicate_id(f: &Frame) -> String {
    format!(
        "{} FROM residents r WHERE {ACTIVE} AND {} AND r.id_hash IN \
         (SELECT e.id_hash FROM registry_entries e WHERE e.snapshot_id = {} \
          GROUP BY e.id_hash HAVING COUNT(*) > 1)",
        select(
            "r.grid_code",
            "r.id",
            Evidence {
                fields: Some("'id_number'"),
                ..Evidence::default()
            }
        ),
        f.inside("r"),
        f.snapshot
    )
}

/// Residents on a person registry (`dated` its first date): the death
/// register, the wanted list.
fn listed(f: &Frame) -> String {
    format!(
        "{} FROM residents r JOIN registry_entries e \
             ON e.snapshot_id = {} AND e.id_hash = r.id_hash \
         WHERE {ACTIVE} AND {} GROUP BY r.grid_code, r.id",
        select(
            "r.grid_code",
            "r.id",
            Evidence {
                from_date: Some("MIN(e.from_date)"),
                ..Evidence::default()
            }
        ),
        f.snapshot,
        f.inside("r"),
    )
}

fn pension_to_dead(f: &Frame) -> String {
    format!(
        "{} FROM residents r JOIN registry_entries p \
             ON p.snapshot_id = {} AND p.id_hash = r.id_hash \
         JOIN registry_entries d ON d.snapshot_id = {} AND d.id_hash = p.id_hash \
         WHERE {} AND p.to_date > d.from_date GROUP BY r.grid_code, r.id",
        select(
            "r.grid_code",
            "r.id",
            Evidence {
                registry_name: Some("MIN(p.name)"),
                from_date: Some("MIN(d.from_date)"),
                to_date: Some("MAX(p.to_date)"),
                ..Evidence::default()
            }
        ),
        f.snapshot,
        f.also,
        f.inside("r"),
    )
}

/// Organisations (of `kind`, if given) with no entry whose `column` is
/// their credit code.
fn unlisted_organisation(f: &Frame, column: &str, kind: Option<&str>) -> String {
    let kind = kind.map_or_else(String::new, |kind| format!("AND o.kind = '{kind}' "));
    format!(
        "{} FROM organisations o WHERE {} {kind}\
         AND (o.licence_number IS NULL OR NOT EXISTS (SELECT 1 FROM registry_entries e \
             WHERE e.snapshot_id = {} AND e.{column} = o.licence_number))",
        select("o.grid_code", "o.id", Evidence::default()),
        f.inside("o"),
        f.snapshot
    )
}

/// Organisations whose every entry (by `column`) expired before today.
fn expired_organisation(f: &Frame, column: &str, kind: Option<&str>) -> String {
    let kind = kind.map_or_else(String::new, |kind| format!("AND o.kind = '{kind}' "));
    format!(
        "{} FROM organisations o JOIN registry_entries e \
             ON e.snapshot_id = {} AND e.{column} = o.licence_number \
         WHERE {} {kind}GROUP BY o.grid_code, o.id HAVING MAX(e.to_date) < {}",
        select(
            "o.grid_code",
            "o.id",
            Evidence {
                registry_name: Some("MIN(e.name)"),
                to_date: Some("MAX(e.to_date)"),
                ..Evidence::default()
            }
        ),
        f.snapshot,
        f.inside("o"),
        f.today()
    )
}

fn no_licence(f: &Frame) -> String {
    unlisted_organisation(f, "code", None)
}

fn licence_expired(f: &Frame) -> String {
    expired_organisation(f, "code", None)
}

fn licence_elsewhere(f: &Frame) -> String {
    format!(
        "{} FROM organisations o JOIN registry_entries e \
             ON e.snapshot_id = {} AND e.code = o.licence_number \
         WHERE {} GROUP BY o.grid_code, o.id \
         HAVING SUM(CASE WHEN e.address = o.address THEN 1 ELSE 0 END) = 0",
        select(
            "o.grid_code",
            "o.id",
            Evidence {
                fields: Some("'address'"),
                registry_address: Some("MIN(e.address)"),
                ..Evidence::default()
            }
        ),
        f.snapshot,
        f.inside("o"),
    )
}

fn no_food_permit(f: &Frame) -> String {
    unlisted_organisation(f, "credit_code", Some("food"))
}

fn food_permit_expired(f: &Frame) -> String {
    expired_organisation(f, "credit_code", Some("food"))
}

/// The rules table.
pub const RULES: &[Rule] = &[
    Rule {
        kind: FindingKind::NotInRegistry,
        registry: RegistryKind::Household,
        also: None,
        compares: "A resident registered here (户籍人口, resident ID card) whom the household \
                   registry does not list: floating population to confirm.",
        assignee: "police",
        urgent: false,
        subject: Subject::Resident,
        confidential: false,
        candidates: not_in_registry,
    },
    Rule {
        kind: FindingKind::RegistryMismatch,
        registry: RegistryKind::Household,
        also: None,
        compares: "A resident whose name, sex or birth date disagrees with the household \
                   registry's entry for the same ID number.",
        assignee: "police",
        urgent: false,
        subject: Subject::Resident,
        confidential: false,
        candidates: registry_mismatch,
    },
    Rule {
        kind: FindingKind::DuplicateId,
        registry: RegistryKind::Household,
        also: None,
        compares: "A resident whose ID number the household registry holds twice (重号).",
        assignee: "police",
        urgent: false,
        subject: Subject::Resident,
        confidential: false,
        candidates: duplicate_id,
    },
    Rule {
        kind: FindingKind::Died,
        registry: RegistryKind::Deaths,
        also: None,
        compares: "A resident living here by the record whom the death register lists.",
        assignee: "grid_worker",
        urgent: false,
        subject: Subject::Resident,
        confidential: false,
        candidates: listed,
    },
    Rule {
        kind: FindingKind::PensionToDead,
        registry: RegistryKind::Pensions,
        also: Some(RegistryKind::Deaths),
        compares: "A pension paid (by the roster) past its holder's death (by the death \
                   register); the holder is placed in their last grid of the record.",
        assignee: "social_security",
        urgent: false,
        subject: Subject::Resident,
        confidential: false,
        candidates: pension_to_dead,
    },
    Rule {
        kind: FindingKind::Wanted,
        registry: RegistryKind::Wanted,
        also: None,
        compares: "A resident living here by the record who is on the wanted list.",
        assignee: "police",
        urgent: true,
        subject: Subject::Resident,
        confidential: true,
        candidates: listed,
    },
    Rule {
        kind: FindingKind::NoLicence,
        registry: RegistryKind::Licences,
        also: None,
        compares: "An organisation with no business licence in the register under its credit \
                   code (or none recorded).",
        assignee: "market_supervision",
        urgent: false,
        subject: Subject::Organisation,
        confidential: false,
        candidates: no_licence,
    },
    Rule {
        kind: FindingKind::LicenceExpired,
        registry: RegistryKind::Licences,
        also: None,
        compares: "An organisation whose business licence expired.",
        assignee: "market_supervision",
        urgent: false,
        subject: Subject::Organisation,
        confidential: false,
        candidates: licence_expired,
    },
    Rule {
        kind: FindingKind::LicenceElsewhere,
        registry: RegistryKind::Licences,
        also: None,
        compares: "An organisation whose business licence is for another address.",
        assignee: "market_supervision",
        urgent: false,
        subject: Subject::Organisation,
        confidential: false,
        candidates: licence_elsewhere,
    },
    Rule {
        kind: FindingKind::NoFoodPermit,
        registry: RegistryKind::FoodPermits,
        also: None,
        compares: "A food business with no food business permit under its credit code.",
        assignee: "market_supervision",
        urgent: false,
        subject: Subject::Organisation,
        confidential: false,
        candidates: no_food_permit,
    },
    Rule {
        kind: FindingKind::FoodPermitExpired,
        registry: RegistryKind::FoodPermits,
        also: None,
        compares: "A food business whose food business permit expired.",
        assignee: "market_supervision",
        urgent: false,
        subject: Subject::Organisation,
        confidential: false,
        candidates: food_permit_expired,
    },
];

/// The rule that makes findings of `kind`: its row in [`RULES`], named by
/// an exhaustive match so that a new kind cannot lack one (and a test
/// checks each row is the kind's).
pub fn rule(kind: FindingKind) -> &'static Rule {
    let row = match kind {
        FindingKind::NotInRegistry => 0,
        FindingKind::RegistryMismatch => 1,
        FindingKind::DuplicateId => 2,
        FindingKind::Died => 3,
        FindingKind::PensionToDead => 4,
        FindingKind::Wanted => 5,
        FindingKind::NoLicence => 6,
        FindingKind::LicenceExpired => 7,
        FindingKind::LicenceElsewhere => 8,
        FindingKind::NoFoodPermit => 9,
        FindingKind::FoodPermitExpired => 10,
    };
    &RULES[row]
}

/// The rules a comparison with `registry` runs.
pub fn of(registry: RegistryKind) -> impl Iterator<Item = &'static Rule> {
    RULES.iter().filter(move |rule| rule.registry == registry)
}

/// What a comparison with `registry` looks at.
pub fn subject_of(registry: RegistryKind) -> Subject {
    match registry {
        RegistryKind::Household
        | RegistryKind::Deaths
        | RegistryKind::Pensions
        | RegistryKind::Wanted => Subject::Resident,
        RegistryKind::Licences | RegistryKind::FoodPermits => Subject::Organisation,
    }
}

/// Whether the findings of `registry` are confidential (see
/// [`Rule::confidential`]).
pub fn confidential(registry: RegistryKind) -> bool {
    of(registry).any(|rule| rule.confidential)
}

/// The other registry a comparison with `registry` also needs.
pub fn also_needs(registry: RegistryKind) -> Option<RegistryKind> {
    of(registry).find_map(|rule| rule.also)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn every_kind_has_exactly_one_rule() {
        for kind in FindingKind::iter() {
            assert_eq!(
                RULES.iter().filter(|rule| rule.kind == kind).count(),
                1,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn a_registry_compares_one_subject() {
        for rule in RULES {
            assert_eq!(subject_of(rule.registry), rule.subject, "{:?}", rule.kind);
        }
    }

    #[test]
    fn each_kind_names_its_own_row() {
        for kind in FindingKind::iter() {
            assert_eq!(rule(kind).kind, kind);
        }
    }

    #[test]
    fn a_frame_writes_only_its_literals() {
        let frame = Frame {
            snapshot: 7,
            also: 8,
            start: "420502001".into(),
            end: Some("420502002".into()),
            today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
        };
        let sql = rule(FindingKind::PensionToDead).candidates(&frame);
        assert!(sql.contains("p.snapshot_id = 7"), "{sql}");
        assert!(sql.contains("d.snapshot_id = 8"), "{sql}");
        assert!(sql.contains("r.grid_code < '420502002'"), "{sql}");
    }
}
