//! The CSV layout of each registry kind (UTF-8, a header row naming exactly
//! these columns in this order) and how one row of it becomes an entry:
//! every field checked, the ID number replaced by its keyed hash.

use chrono::NaiveDate;
use entities::registry_entry;
use entities::registry_snapshot::RegistryKind;
use entities::resident::Sex;
use sea_orm::ActiveValue::{NotSet, Set};

use super::matching::MatchKey;
use crate::domain::credit_code;
use crate::domain::id_number::IdNumber;

/// The columns of `kind`'s file, in order.
pub fn columns(kind: RegistryKind) -> &'static [&'static str] {
    match kind {
        RegistryKind::Household => &["id_number", "name", "sex", "birth_date", "address"],
        RegistryKind::Deaths => &["id_number", "name", "death_date"],
        RegistryKind::Pensions => &["id_number", "name", "paid_from", "paid_to"],
        RegistryKind::Wanted => &["id_number", "name", "listed_on"],
        RegistryKind::Licences => &["credit_code", "name", "address", "issued_on", "expires_on"],
        RegistryKind::FoodPermits => &[
            "permit_number",
            "credit_code",
            "name",
            "address",
            "expires_on",
        ],
    }
}

/// What is wrong with one field of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub column: String,
    pub reason: String,
}

fn fault(column: &str, reason: impl Into<String>) -> Fault {
    Fault {
        column: column.to_owned(),
        reason: reason.into(),
    }
}

/// One row's fields by column name.
struct Row<'a> {
    names: &'static [&'static str],
    values: &'a csv::StringRecord,
}

impl Row<'_> {
    fn raw(&self, column: &str) -> &str {
        self.names
            .iter()
            .position(|name| *name == column)
            .and_then(|at| self.values.get(at))
            .unwrap_or_default()
            .trim()
    }

    fn text(&self, column: &str, max: usize) -> Result<String, Fault> {
        let value = self.raw(column);
        if value.is_empty() {
            return Err(fault(column, "empty"));
        }
        if value.chars().count() > max {
            return Err(fault(column, format!("longer than {max} characters")));
        }
        if value.chars().any(char::is_control) {
            return Err(fault(column, "holds control characters"));
        }
        Ok(value.to_owned())
    }

    fn date(&self, column: &str) -> Result<NaiveDate, Fault> {
        NaiveDate::parse_from_str(self.raw(column), "%Y-%m-%d")
            .map_err(|_| fault(column, "not a date (YYYY-MM-DD)"))
    }

    /// The keyed hash of a checked ID number; the number itself goes no
    /// further than this.
    fn id_hash(&self, column: &str, key: &MatchKey) -> Result<String, Fault> {
        let number =
            IdNumber::parse(self.raw(column)).map_err(|err| fault(column, err.to_string()))?;
        Ok(key.of(number.as_str()))
    }

    fn sex(&self, column: &str) -> Result<Sex, Fault> {
        match self.raw(column) {
            "1" | "男" => Ok(Sex::Male),
            "2" | "女" => Ok(Sex::Female),
            _ => Err(fault(column, "not a sex (1 or 男, 2 or 女: GB/T 2261.1)")),
        }
    }

    fn credit_code(&self, column: &str) -> Result<String, Fault> {
        let code = self.raw(column).to_ascii_uppercase();
        if credit_code::is_valid(&code) {
            Ok(code)
        } else {
            Err(fault(
                column,
                "not a unified social credit code (18 characters, its check characters right)",
            ))
        }
    }

    /// A food business permit number: `JY` and 14 digits.
    fn permit_number(&self, column: &str) -> Result<String, Fault> {
        let number = self.raw(column).to_ascii_uppercase();
        let digits = number.strip_prefix("JY").unwrap_or_default();
        if digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(number)
        } else {
            Err(fault(
                column,
                "not a food business permit number (JY and 14 digits)",
            ))
        }
    }
}

/// The header's fault, if it is not exactly `kind`'s columns. It names the
/// first column out of place but never echoes what stands there: a file
/// without its header starts with a person's ID number.
pub fn check_header(kind: RegistryKind, header: &csv::StringRecord) -> Option<Fault> {
    let expected = columns(kind);
    let found: Vec<&str> = header
        .iter()
        .map(|name| name.trim().trim_start_matches('\u{feff}'))
        .collect();
    let wrong =
        (0..expected.len().max(found.len())).find(|&at| expected.get(at) != found.get(at))?;
    let reason = match expected.get(wrong) {
        Some(name) => format!("column {} must be {name}", wrong + 1),
        None => format!("the header has {} columns, not more", expected.len()),
    };
    Some(fault(
        "header",
        format!("{reason}: the header is exactly {}", expected.join(",")),
    ))
}

/// The value of a field that checks out; a fault noted otherwise.
fn take<T>(faults: &mut Vec<Fault>, result: Result<T, Fault>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(fault) => {
            faults.push(fault);
            None
        }
    }
}

/// The entry a row of `kind` makes, or the first fault of each field that
/// has one.
pub fn entry(
    kind: RegistryKind,
    values: &csv::StringRecord,
    key: &MatchKey,
) -> Result<registry_entry::ActiveModel, Vec<Fault>> {
    let names = columns(kind);
    if values.len() != names.len() {
        return Err(vec![fault(
            "row",
            format!(
                "{} fields where the header has {}",
                values.len(),
                names.len()
            ),
        )]);
    }
    let row = Row { names, values };
    let mut faults = Vec::new();
    let mut entry = registry_entry::ActiveModel {
        id: NotSet,
        snapshot_id: NotSet,
        line: NotSet,
        id_hash: Set(None),
        code: Set(None),
        name: Set(take(&mut faults, row.text("name", 100)).unwrap_or_default()),
        sex: Set(None),
        birth_date: Set(None),
        from_date: Set(None),
        to_date: Set(None),
        credit_code: Set(None),
        address: Set(None),
    };
    match kind {
        RegistryKind::Household => {
            entry.id_hash = Set(take(&mut faults, row.id_hash("id_number", key)));
            entry.sex = Set(take(&mut faults, row.sex("sex")));
            entry.birth_date = Set(take(&mut faults, row.date("birth_date")));
            entry.address = Set(take(&mut faults, row.text("address", 200)));
        }
        RegistryKind::Deaths => {
            entry.id_hash = Set(take(&mut faults, row.id_hash("id_number", key)));
            entry.from_date = Set(take(&mut faults, row.date("death_date")));
        }
        RegistryKind::Pensions => {
            entry.id_hash = Set(take(&mut faults, row.id_hash("id_number", key)));
            let from = take(&mut faults, row.date("paid_from"));
            let to = take(&mut faults, row.date("paid_to"));
            if let (Some(from), Some(to)) = (from, to)
                && to < from
            {
                take(
                    &mut faults,
                    Err::<(), _>(fault("paid_to", "before paid_from")),
                );
            }
            entry.from_date = Set(from);
            entry.to_date = Set(to);
        }
        RegistryKind::Wanted => {
            entry.id_hash = Set(take(&mut faults, row.id_hash("id_number", key)));
            entry.from_date = Set(take(&mut faults, row.date("listed_on")));
        }
        RegistryKind::Licences => {
            let code = take(&mut faults, row.credit_code("credit_code"));
            entry.code = Set(code.clone());
            entry.credit_code = Set(code);
            entry.address = Set(take(&mut faults, row.text("address", 200)));
            entry.from_date = Set(take(&mut faults, row.date("issued_on")));
            entry.to_date = Set(take(&mut faults, row.date("expires_on")));
        }
        RegistryKind::FoodPermits => {
            entry.code = Set(take(&mut faults, row.permit_number("permit_number")));
            entry.credit_code = Set(take(&mut faults, row.credit_code("credit_code")));
            entry.address = Set(take(&mut faults, row.text("address", 200)));
            entry.to_date = Set(take(&mut faults, row.date("expires_on")));
        }
    }
    if faults.is_empty() {
        Ok(entry)
    } else {
        Err(faults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(fields.to_vec())
    }

    #[test]
    fn a_good_household_row_keeps_the_hash_not_the_number() {
        let key = MatchKey::new(b"0123456789abcdef0123456789abcdef");
        let number = "420502199001011238";
        let entry = entry(
            RegistryKind::Household,
            &record(&[number, "张三", "1", "1990-01-01", "湖北省宜昌市西陵区"]),
            &key,
        )
        .expect("a good row");
        assert_eq!(entry.id_hash, Set(Some(key.of(number))));
        assert_ne!(entry.id_hash, Set(Some(number.to_owned())));
        assert_eq!(entry.sex, Set(Some(Sex::Male)));
    }

    #[test]
    fn a_good_row_of_every_kind_is_an_entry() {
        let key = MatchKey::new(b"0123456789abcdef0123456789abcdef");
        let person = "420502199001011238";
        let rows: [(RegistryKind, &[&str]); 5] = [
            (RegistryKind::Deaths, &[person, "张三", "2026-03-01"]),
            (
                RegistryKind::Pensions,
                &[person, "张三", "2025-01-01", "2026-11-30"],
            ),
            (RegistryKind::Wanted, &[person, "张三", "2026-06-01"]),
            (
                RegistryKind::Licences,
                &[
                    "91110108551385082Q",
                    "宜昌某商贸有限公司",
                    "西陵区",
                    "2020-01-01",
                    "2030-01-01",
                ],
            ),
            (
                RegistryKind::FoodPermits,
                &[
                    "JY14205020000001",
                    "91110108551385082Q",
                    "某餐馆",
                    "西陵区",
                    "2027-01-01",
                ],
            ),
        ];
        for (kind, fields) in rows {
            assert_eq!(fields.len(), columns(kind).len(), "{kind:?}");
            let entry = entry(kind, &record(fields), &key).expect("a good row");
            assert_eq!(
                entry.name,
                Set(fields[1 + usize::from(kind == RegistryKind::FoodPermits)].to_owned())
            );
            let person = matches!(
                kind,
                RegistryKind::Deaths | RegistryKind::Pensions | RegistryKind::Wanted
            );
            assert_eq!(
                entry.id_hash,
                Set(person.then(|| key.of(fields[0]))),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let key = MatchKey::new(b"0123456789abcdef0123456789abcdef");
        let faults = entry(
            RegistryKind::Pensions,
            &record(&["420502199001011235", "", "2025-13-01", "2024-01-01"]),
            &key,
        )
        .expect_err("a bad row");
        let columns: Vec<&str> = faults.iter().map(|f| f.column.as_str()).collect();
        assert_eq!(columns, ["name", "id_number", "paid_from"]);
    }

    #[test]
    fn a_header_must_be_the_layout() {
        assert!(
            check_header(
                RegistryKind::Deaths,
                &record(&["id_number", "name", "death_date"])
            )
            .is_none()
        );
        assert!(
            check_header(
                RegistryKind::Deaths,
                &record(&["\u{feff}id_number", "name", "death_date"])
            )
            .is_none()
        );
        assert!(
            check_header(
                RegistryKind::Deaths,
                &record(&["name", "id_number", "death_date"])
            )
            .is_some()
        );
        // A file without its header: the fault does not echo the person.
        let fault = check_header(
            RegistryKind::Deaths,
            &record(&["420502199001011238", "张三", "2026-01-01"]),
        )
        .expect("a fault");
        assert!(!fault.reason.contains("420502199001011238"), "{fault:?}");
        assert!(
            fault.reason.contains("column 1 must be id_number"),
            "{fault:?}"
        );
    }
}
