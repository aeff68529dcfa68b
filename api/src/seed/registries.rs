//! The demo's outside registries: one CSV file per kind, written beside the
//! demo city from the record as the seed wrote it, with discrepancies
//! planted at the rates the practice found, so that a first comparison has
//! something true to find. Each file is in the layout `gridgov registry
//! import` reads; nothing here knows the comparison rules.
//!
//! Planted, per 600,000 residents (scaled, at least one): 143 pensions
//! still paid after their holder's death and 87 wanted persons living here.
//! The household registry leaves out, misstates or holds twice a few
//! registered residents; the death register also lists a few people the
//! record still has living here; the licence register mirrors the record's
//! licences (so the record's 6.7% unlicensed and 4.58% expired stand), a
//! few at another address; the food permit register follows the food
//! businesses' licences.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate};
use entities::organisation::{self, OrganisationKind};
use entities::registry_snapshot::RegistryKind;
use entities::resident::{self, DocumentType, PopulationType, ResidentStatus, Sex};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::rng::Rng;
use crate::domain::registries::{self, layouts};

/// Residents read from the record at a time.
const PAGE: u64 = 20_000;
/// The day the rosters were drawn up: the end of the census month.
const ROSTER_DAY: (i32, u32, u32) = (2026, 10, 31);

/// Planted discrepancies per 600,000 residents.
const PENSIONS_TO_DEAD_PER_CITY: u64 = 143;
const WANTED_PER_CITY: u64 = 87;
const CITY: u64 = 600_000;

/// The directory under a data directory the demo registries are written to.
pub fn directory(data_dir: &Path) -> PathBuf {
    data_dir.join("registries")
}

/// The file of `kind` in `dir`.
pub fn file(dir: &Path, kind: RegistryKind) -> PathBuf {
    dir.join(format!("{}.csv", registries::name(kind)))
}

/// `per_city` scaled to `residents`, rounded up, at least one.
fn scaled(per_city: u64, residents: u64) -> u64 {
    (per_city * residents).div_ceil(CITY).max(1)
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error("writing {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

/// One registry file being written.
struct Sheet {
    path: PathBuf,
    out: csv::Writer<std::io::BufWriter<std::fs::File>>,
}

impl Sheet {
    fn create(dir: &Path, kind: RegistryKind) -> Result<Sheet, WriteError> {
        let path = file(dir, kind);
        let out = std::fs::File::create(&path)
            .map(std::io::BufWriter::new)
            .map(csv::Writer::from_writer)
            .map_err(|source| failed(&path, source))?;
        let mut sheet = Sheet { path, out };
        sheet.row(layouts::columns(kind))?;
        Ok(sheet)
    }

    fn row<I, T>(&mut self, fields: I) -> Result<(), WriteError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.out
            .write_record(fields)
            .map_err(|err| failed(&self.path, err.into()))
    }

    fn finish(mut self) -> Result<(), WriteError> {
        self.out
            .flush()
            .map_err(|source| failed(&self.path, source))?;
        let inner = self
            .out
            .into_inner()
            .map_err(|err| failed(&self.path, err.into_error()))?;
        inner
            .into_inner()
            .map_err(|err| failed(&self.path, err.into_error()))?
            .sync_all()
            .map_err(|source| failed(&self.path, source))
    }
}

fn failed(path: &Path, source: std::io::Error) -> WriteError {
    WriteError::File {
        path: path.display().to_string(),
        source,
    }
}

fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn sex(value: Sex) -> &'static str {
    match value {
        Sex::Male => "1",
        Sex::Female => "2",
    }
}

/// The fields of a resident the registries are drawn from.
type Person = (
    i64,
    String,
    Option<String>,
    String,
    Sex,
    NaiveDate,
    ResidentStatus,
    Option<NaiveDate>,
    PopulationType,
    DocumentType,
);

async fn people_after(db: &DatabaseConnection, after: i64) -> Result<Vec<Person>, DbErr> {
    resident::Entity::find()
        .select_only()
        .columns([
            resident::Column::Id,
            resident::Column::GridCode,
            resident::Column::IdNumber,
            resident::Column::Name,
            resident::Column::Sex,
            resident::Column::BirthDate,
            resident::Column::Status,
            resident::Column::StatusDate,
            resident::Column::PopulationType,
            resident::Column::DocumentType,
        ])
        .filter(resident::Column::Id.gt(after))
        .filter(resident::Column::DocumentType.eq(DocumentType::ResidentIdCard))
        .filter(resident::Column::IdNumber.is_not_null())
        .order_by_asc(resident::Column::Id)
        .limit(PAGE)
        .into_tuple()
        .all(db)
        .await
}

/// A name the registry spells otherwise: its last character changed.
fn misspelt(name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = if *last == '华' { '明' } else { '华' };
    }
    chars.into_iter().collect()
}

/// `count` distinct positions below `of`, in order.
fn positions(rng: &mut Rng, count: u64, of: u64) -> Vec<u64> {
    let mut chosen = std::collections::BTreeSet::new();
    let count = count.min(of);
    while (chosen.len() as u64) < count {
        chosen.insert(rng.below(of));
    }
    chosen.into_iter().collect()
}

/// Writes every registry file of the demo into `dir` from the record in
/// `db`, deterministically from `seed`.
pub async fn write(db: &DatabaseConnection, dir: &Path, seed: u64) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| failed(dir, source))?;
    let root = Rng::new(seed).fork(77);
    write_people(db, dir, &root).await?;
    write_organisations(db, dir, &root).await
}

async fn write_people(db: &DatabaseConnection, dir: &Path, root: &Rng) -> Result<(), WriteError> {
    let roster_day =
        NaiveDate::from_ymd_opt(ROSTER_DAY.0, ROSTER_DAY.1, ROSTER_DAY.2).unwrap_or(NaiveDate::MIN);
    let residents = totals(db).await?;
    let mut pick = root.fork(1);
    let wanted_at = positions(
        &mut pick,
        scaled(WANTED_PER_CITY, residents.total),
        residents.active,
    );
    let mut wanted_at = wanted_at.into_iter().peekable();

    let mut household = Sheet::create(dir, RegistryKind::Household)?;
    let mut deaths = Sheet::create(dir, RegistryKind::Deaths)?;
    let mut pensions = Sheet::create(dir, RegistryKind::Pensions)?;
    let mut wanted = Sheet::create(dir, RegistryKind::Wanted)?;
    // Dead pensioners: few, kept until all are known, so that exactly the
    // planted number is paid on after death.
    let mut dead_pensioners: Vec<(String, String, NaiveDate, NaiveDate)> = Vec::new();
    let mut rng = root.fork(2);
    let mut active_seen = 0u64;
    let mut after = 0;
    loop {
        let page = people_after(db, after).await?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (_, grid, number, name, sex_of, birth, status, status_date, kind, _) in page {
            let Some(number) = number else { continue };
            let living = status == ResidentStatus::Active;
            let address = format!("湖北省宜昌市 网格{grid}");
            // The household registry: registered residents, those who died
            // struck off; a few left out, misstated or held twice.
            if kind == PopulationType::Registered && status != ResidentStatus::Deceased {
                let birth_text = date(birth);
                match rng.weighted(&[995.0, 2.0, 2.0, 0.5, 0.5]) {
                    1 => {}
                    2 => match rng.below(3) {
                        0 => household.row([
                            number.as_str(),
                            &misspelt(&name),
                            sex(sex_of),
                            &birth_text,
                            &address,
                        ])?,
                        1 => household.row([
                            number.as_str(),
                            &name,
                            sex(sex_of),
                            &date(birth + Duration::days(1)),
                            &address,
                        ])?,
                        _ => household.row([
                            number.as_str(),
                            &name,
                            if sex_of == Sex::Male { "2" } else { "1" },
                            &birth_text,
                            &address,
                        ])?,
                    },
                    3 => {
                        for spelt in [name.clone(), misspelt(&name)] {
                            household.row([
                                number.as_str(),
                                &spelt,
                                sex(sex_of),
                                &birth_text,
                                &address,
                            ])?;
                        }
                    }
                    _ => household.row([
                        number.as_str(),
                        &name,
                        sex(sex_of),
                        &birth_text,
                        &address,
                    ])?,
                }
            }
            // The death register: those the record has as dead, and a few
            // it still has living here.
            let died = match (status, status_date) {
                (ResidentStatus::Deceased, Some(day)) => Some(day),
                (ResidentStatus::Active, _) if rng.chance(0.0002) => {
                    Some(roster_day - Duration::days(rng.between(1, 300)))
                }
                _ => None,
            };
            if let Some(day) = died {
                deaths.row([number.as_str(), &name, &date(day)])?;
            }
            // The pension roster: everyone past 60, paid from their 60th
            // birthday (or 2010), to the roster day or their death.
            let sixty = birth
                .with_year(birth.year() + 60)
                .unwrap_or(birth + Duration::days(21_915));
            let paid_from = sixty.max(NaiveDate::from_ymd_opt(2010, 1, 1).unwrap_or(sixty));
            match died {
                Some(day) if day > paid_from => {
                    dead_pensioners.push((number.clone(), name.clone(), paid_from, day));
                }
                None if paid_from < roster_day => {
                    pensions.row([number.as_str(), &name, &date(paid_from), &date(roster_day)])?;
                }
                _ => {}
            }
            // The wanted list: the planted few living here, and some who
            // moved away (no longer here, so not a finding).
            let listed_on = || date(roster_day - Duration::days(17));
            if living {
                if wanted_at.peek() == Some(&active_seen) {
                    wanted_at.next();
                    wanted.row([number.as_str(), &name, &listed_on()])?;
                }
                active_seen += 1;
            } else if status == ResidentStatus::MovedOut && rng.chance(0.01) {
                wanted.row([number.as_str(), &name, &listed_on()])?;
            }
        }
    }
    let paid_on = positions(
        &mut pick,
        scaled(PENSIONS_TO_DEAD_PER_CITY, residents.total),
        dead_pensioners.len() as u64,
    );
    for (at, (number, name, from, died)) in dead_pensioners.iter().enumerate() {
        let to = if paid_on.contains(&(at as u64)) {
            roster_day
        } else {
            *died
        };
        pensions.row([number.as_str(), name, &date(*from), &date(to)])?;
    }
    for sheet in [household, deaths, pensions, wanted] {
        sheet.finish()?;
    }
    Ok(())
}

/// How many residents the record holds, and how many of those living here
/// have an ID card (the wanted list's candidates).
struct Totals {
    total: u64,
    active: u64,
}

async fn totals(db: &DatabaseConnection) -> Result<Totals, DbErr> {
    let total = resident::Entity::find().count(db).await?;
    let active = resident::Entity::find()
        .filter(resident::Column::DocumentType.eq(DocumentType::ResidentIdCard))
        .filter(resident::Column::IdNumber.is_not_null())
        .filter(resident::Column::Status.eq(ResidentStatus::Active))
        .count(db)
        .await?;
    Ok(Totals { total, active })
}

async fn write_organisations(
    db: &DatabaseConnection,
    dir: &Path,
    root: &Rng,
) -> Result<(), WriteError> {
    let mut licences = Sheet::create(dir, RegistryKind::Licences)?;
    let mut permits = Sheet::create(dir, RegistryKind::FoodPermits)?;
    let mut rng = root.fork(3);
    let mut after = 0;
    loop {
        let page = organisation::Entity::find()
            .filter(organisation::Column::Id.gt(after))
            .order_by_asc(organisation::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for org in page {
            let (Some(code), Some(expires)) = (&org.licence_number, org.licence_expires_on) else {
                continue;
            };
            let issued = expires - Duration::days(5 * 365);
            // A few licences were issued for another address.
            let address = if rng.chance(0.01) {
                format!("{}（原址）", org.address)
            } else {
                org.address.clone()
            };
            licences.row([
                code.as_str(),
                &org.name,
                &address,
                &date(issued),
                &date(expires),
            ])?;
            if org.kind == OrganisationKind::Food {
                permits.row([
                    format!("JY{:014}", 42_050_000_000_000 + org.id).as_str(),
                    code,
                    &org.name,
                    &org.address,
                    &date(expires),
                ])?;
            }
        }
    }
    licences.finish()?;
    permits.finish()
}

/// Imports the demo's registry files from `dir` as the seed, each as its
/// kind's current snapshot, and compares the whole city with each: what a
/// first start shows.
pub async fn import_and_compare(
    db: &DatabaseConnection,
    seal: &crate::audit::Seal,
    key: &crate::domain::registries::matching::MatchKey,
    dir: &Path,
) -> Result<(), crate::error::ApiError> {
    use crate::domain::comparisons::jobs;
    use crate::domain::registries::import::{self, Import, ImportError};
    let actor = crate::audit::Actor::system("seed", seal);
    for kind in registries::KINDS {
        let path = file(dir, kind);
        let file_name = format!("{}.csv", registries::name(kind));
        let source = std::fs::File::open(&path).map_err(|err| {
            crate::error::ApiError::Internal(anyhow::anyhow!(
                "cannot read the demo's registry {}: {err}",
                path.display()
            ))
        })?;
        let imported = import::import(
            db,
            &actor,
            key,
            Import {
                kind,
                source: Box::new(source),
                file_name,
            },
            std::sync::Arc::new(|_| {}),
        )
        .await;
        match imported {
            Ok(_) => {}
            Err(ImportError::Api(err)) => return Err(err),
            Err(ImportError::Refused { faults, count }) => {
                let first = faults
                    .first()
                    .map(|f| format!("line {}, {}: {}", f.line, f.column, f.reason))
                    .unwrap_or_default();
                return Err(crate::error::ApiError::Internal(anyhow::anyhow!(
                    "the demo's {} registry was refused ({count} faults; {first})",
                    registries::name(kind)
                )));
            }
        }
    }
    for kind in registries::KINDS {
        let job = jobs::start(db, &actor, kind, None).await?;
        let job = jobs::run(db, seal, job.id, Box::new(|_, _| {})).await?;
        if job.state != entities::comparison_job::JobState::Finished {
            return Err(crate::error::ApiError::Internal(anyhow::anyhow!(
                "the demo's comparison with {} ended {:?}: {}",
                registries::name(kind),
                job.state,
                job.error.unwrap_or_default()
            )));
        }
    }
    Ok(())
}
