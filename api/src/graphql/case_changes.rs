//! Mutations of cases: reporting one, moving it along the closed loop, and
//! the calendar its deadlines count on. Each is one transaction with its
//! audit row, and answers a payload whose `userErrors` say what the user
//! can put right.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::ContextExt;
use super::case_links::{CasePartyInput, links_of};
use super::case_photos::{self, Received};
use super::case_rules::CaseTransition;
use super::case_rules::{CaseSource, Supervision, Urgency};
use super::cases::{CalendarDay, Case};
use super::departments::department_key;
use super::payload::{CaseUserError, payload, settle};
use super::relay::{NodeKind, key_of};
use super::scalars::{Date, DateTime, Url};
use super::upload::Upload;
use crate::domain::cases::clock;
use crate::domain::cases::moves::{self, Move, Report};
use crate::events::Event;

/// A problem found in a grid.
#[derive(InputObject)]
pub struct ReportCaseInput {
    /// A short title, e.g. 占道经营.
    title: String,
    /// What was found.
    description: String,
    /// The grid it is in.
    grid_code: String,
    /// Where in the grid: an address or landmark.
    location: String,
    /// WGS 84 longitude, with `latitude`.
    longitude: Option<f64>,
    /// WGS 84 latitude, with `longitude`.
    latitude: Option<f64>,
    /// Who reported it, when not you (a citizen, the hotline).
    source: Option<CaseSource>,
    /// The citizen who reported it, if any.
    reporter_name: Option<String>,
    /// A phone to call the reporter back on.
    reporter_phone: Option<String>,
    /// Defaults to `NORMAL`.
    urgency: Option<Urgency>,
    /// What it is about: residents, households, dwellings, buildings or
    /// organisations of the grid (global IDs, at most 20) that you may read.
    about: Option<Vec<ID>>,
    /// The parties of a dispute (at most 10).
    parties: Option<Vec<CasePartyInput>>,
    /// Photos taken on site, sent as files of a GraphQL multipart request
    /// (JPEG, PNG or WebP; at most 6, of 5 MiB each).
    photos: Option<Vec<Upload>>,
}

/// One move of a case along the closed loop, as read at `version`; each
/// transition reads the fields its `CaseTransitionRule` requires.
#[derive(InputObject)]
pub struct MoveCaseInput {
    /// The case to move.
    id: ID,
    /// The `version` the move was decided against.
    version: i32,
    /// The move.
    transition: CaseTransition,
    /// Why, or what was done; required by some moves.
    note: Option<String>,
    /// Photos or documents (http or https), at most 20.
    evidence: Option<Vec<Url>>,
    /// For FILE: a subcategory code.
    category_code: Option<String>,
    /// For FILE.
    urgency: Option<Urgency>,
    /// For DISPATCH: a `Department.id`.
    department_id: Option<ID>,
    /// For REQUEST_EXTENSION: the deadline asked for.
    deadline_at: Option<DateTime>,
    /// For EVALUATE: 1–5.
    satisfaction: Option<i32>,
    /// For SUPERVISE.
    card: Option<Supervision>,
    /// For DESCRIBE: more of what the case is about (global IDs of its
    /// grid's record, at most 20 in all).
    about: Option<Vec<ID>>,
    /// For DESCRIBE: more parties (at most 10 in all).
    parties: Option<Vec<CasePartyInput>>,
    /// Photos of the step, sent as files of a GraphQL multipart request
    /// (JPEG, PNG or WebP; at most 6, of 5 MiB each; 30 a case): evidence
    /// as good as a URL where a move needs some.
    photos: Option<Vec<Upload>>,
}

/// A day that breaks the working week, to set or remove.
#[derive(InputObject)]
pub struct SetCalendarDayInput {
    /// The day.
    day: Date,
    /// `false` for a holiday, `true` for a working day, null to remove the
    /// exception.
    working: Option<bool>,
    /// The reason, e.g. 国庆节 (at most 64 characters).
    note: Option<String>,
}

payload!(
    /// The answer of `reportCase`.
    ReportCasePayload {
        /// The case reported, in REPORTED; null when `userErrors` says why not.
        case: Case
    },
    CaseUserError
);
payload!(
    /// The answer of `moveCase`.
    MoveCasePayload {
        /// The case after the move; null when `userErrors` says why not.
        case: Case
    },
    CaseUserError
);

/// The answer of `setCalendarDay`.
#[derive(SimpleObject)]
pub struct SetCalendarDayPayload {
    /// The exception as set; null when it was removed or `userErrors` says
    /// why not.
    calendar_day: Option<CalendarDay>,
    /// What the user can put right; empty when the change was made.
    user_errors: Vec<CaseUserError>,
}

/// Tells every replica's subscribers that `row` changed.
async fn case_changed(ctx: &Context<'_>, row: &entities::case::Model) {
    ctx.state()
        .events
        .publish(Event::CaseChanged {
            case_id: row.id,
            grid_code: row.grid_code.clone(),
        })
        .await;
}

#[derive(Default)]
pub struct CaseChanges;

#[Object]
impl CaseChanges {
    /// Reports a problem in a grid: a new case in REPORTED.
    ///
    /// User errors: `INVALID` (an empty title, coordinates out of range, an
    /// ID of the wrong kind in `about`), `NOT_FOUND` (a grid out of sight,
    /// something in `about` not of the grid or out of sight, a party's
    /// resident out of sight), `REQUIRED` (a party's name, outside the
    /// record).
    async fn report_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The problem found.")] input: ReportCaseInput,
    ) -> Result<ReportCasePayload> {
        let mut received: Vec<Received> = Vec::new();
        let outcome = async {
            received = case_photos::received(ctx, input.photos).await?;
            let report = Report {
                links: links_of(input.about, input.parties)?,
                photos: received.iter().map(|r| r.photo.clone()).collect(),
                title: input.title,
                description: input.description,
                grid_code: input.grid_code,
                location: input.location,
                longitude: input.longitude,
                latitude: input.latitude,
                source: input.source.map(Into::into),
                reporter_name: input.reporter_name,
                reporter_phone: input.reporter_phone,
                urgency: input.urgency.map(Into::into),
            };
            moves::report(ctx.access()?, report).await
        }
        .await;
        if let Ok(row) = &outcome {
            case_photos::keep(ctx, received).await;
            case_changed(ctx, row).await;
        }
        Ok(ReportCasePayload::of(outcome.map(Case))?)
    }

    /// Makes `day` a holiday (`working: false`) or a working day (`working:
    /// true`) for deadlines computed from now on; `working: null` removes the
    /// exception. Needs `case manage` for the whole city.
    ///
    /// User errors: `NOT_FOUND` (removing an exception that is not there),
    /// `INVALID` (a note over 64 characters).
    async fn set_calendar_day(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day and what it is.")] input: SetCalendarDayInput,
    ) -> Result<SetCalendarDayPayload> {
        let outcome = async {
            clock::set_day(
                ctx.access()?,
                input.day.into(),
                input.working,
                input.note.as_deref(),
            )
            .await
        }
        .await;
        let (saved, user_errors) = settle(outcome)?;
        Ok(SetCalendarDayPayload {
            calendar_day: saved.flatten().map(Into::into),
            user_errors,
        })
    }

    /// Moves a case, as read at `version`, along the closed loop. Which
    /// moves the caller may make now is the case's `availableTransitions`.
    ///
    /// User errors: `INVALID_STATE` (a move from the wrong state, or a
    /// request already pending), `CONFLICT` (of two moves of one version,
    /// one wins), `REQUIRED` (a field the move needs: `note`, `evidence`,
    /// `categoryCode`, `departmentId`, `deadlineAt`, `satisfaction`),
    /// `NOT_FOUND` (`id`, a category or department), `INVALID`.
    async fn move_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The case, the version read, the move and what it carries.")]
        input: MoveCaseInput,
    ) -> Result<MoveCasePayload> {
        let mut received: Vec<Received> = Vec::new();
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Case)?;
            received = case_photos::received(ctx, input.photos).await?;
            let step = Move {
                note: input.note,
                evidence: input
                    .evidence
                    .unwrap_or_default()
                    .into_iter()
                    .map(|url| url.0)
                    .collect(),
                category_code: input.category_code,
                urgency: input.urgency.map(Into::into),
                department_id: input
                    .department_id
                    .map(|id| department_key("departmentId", &id))
                    .transpose()?,
                deadline_at: input.deadline_at.map(Into::into),
                satisfaction: input.satisfaction,
                card: input.card.map(Into::into),
                links: links_of(input.about, input.parties)?,
                photos: received.iter().map(|r| r.photo.clone()).collect(),
            };
            moves::take(
                ctx.access()?,
                id,
                input.version,
                input.transition.name(),
                step,
            )
            .await
        }
        .await;
        if let Ok(row) = &outcome {
            case_photos::keep(ctx, received).await;
            case_changed(ctx, row).await;
        }
        Ok(MoveCasePayload::of(outcome.map(Case))?)
    }
}
