//! What a case is about and who its parties are, as the API shows them:
//! each subject as the record object itself (only where you may read it,
//! exactly as `node` would show it), each party with its phone by the
//! policy of the phones a case carries.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, Union};
use entities::case_party;
use entities::visit::VisitSubject as StoredSubject;

use super::ContextExt;
use super::loaders::load_one;
use super::record::{
    Building, Dwelling, Household, Organisation, Resident, building, dwelling, household,
    organisation,
};
use super::relay::{NodeKind, key_of};
use super::subjects::subject_of;
use crate::domain::cases::links::{Links, Party};
use crate::error::ApiResult;

/// Something of the record a case is about.
#[derive(Union)]
pub enum CaseSubject {
    Resident(Resident),
    Household(Household),
    Dwelling(Dwelling),
    Building(Building),
    Organisation(Organisation),
}

/// The subjects of one case, each as the caller may read it; those out of
/// their sight are left out.
pub async fn subjects(ctx: &Context<'_>, case_id: i64) -> Result<Vec<CaseSubject>> {
    let loaders = ctx.loaders()?;
    let links = loaders
        .case_subjects()
        .load_one(case_id)
        .await?
        .unwrap_or_default();
    // Loaded together, so that each kind is one batch.
    let shown = futures_util::future::try_join_all(links.into_iter().map(|link| async move {
        let id = Some(link.subject_id);
        Ok::<_, async_graphql::Error>(match link.subject_kind {
            StoredSubject::Resident => load_one(loaders.residents(), id)
                .await?
                .map(|row| CaseSubject::Resident(Resident(row))),
            StoredSubject::Household => household(loaders, id).await?.map(CaseSubject::Household),
            StoredSubject::Dwelling => dwelling(loaders, id).await?.map(CaseSubject::Dwelling),
            StoredSubject::Building => building(loaders, id).await?.map(CaseSubject::Building),
            StoredSubject::Organisation => organisation(loaders, id)
                .await?
                .map(CaseSubject::Organisation),
        })
    }))
    .await?;
    Ok(shown.into_iter().flatten().collect())
}

/// A side of a dispute.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case_party::PartySide")]
pub enum PartySide {
    /// 申请人: who brought the dispute.
    Applicant,
    /// 被申请人: who it is brought against.
    Respondent,
    /// Anyone else involved: a witness, a landlord.
    Other,
}

/// A party to the dispute a case is about (当事人).
pub struct CaseParty(pub case_party::Model);

/// A party to the dispute a case is about (当事人).
#[Object]
impl CaseParty {
    /// Their side.
    async fn side(&self) -> PartySide {
        self.0.side.into()
    }

    /// Their name as the case records it.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A phone to reach them on, shown like the reporter's phone: full,
    /// masked or null.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(ctx.access()?.party_phone(&self.0))
    }

    /// The resident they are, where the record holds them and you may read
    /// them.
    async fn resident(&self, ctx: &Context<'_>) -> Result<Option<Resident>> {
        Ok(load_one(ctx.loaders()?.residents(), self.0.resident_id)
            .await?
            .map(Resident))
    }
}

/// The parties of one case, in the order named.
pub async fn parties(ctx: &Context<'_>, case_id: i64) -> Result<Vec<CaseParty>> {
    Ok(ctx
        .loaders()?
        .case_parties()
        .load_one(case_id)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(CaseParty)
        .collect())
}

/// A party to a dispute, as named when reporting or describing a case.
#[derive(InputObject)]
pub struct CasePartyInput {
    /// Their side.
    side: PartySide,
    /// Their name (at most 64 characters); may be left out for a resident
    /// of the record, whose name is taken.
    name: Option<String>,
    /// A phone to reach them on.
    phone: Option<String>,
    /// The resident they are, where the record holds them.
    resident_id: Option<ID>,
}

/// What `about` and `parties` of an input name.
pub fn links_of(about: Option<Vec<ID>>, parties: Option<Vec<CasePartyInput>>) -> ApiResult<Links> {
    Ok(Links {
        about: about
            .unwrap_or_default()
            .iter()
            .map(|id| subject_of("about", id))
            .collect::<ApiResult<_>>()?,
        parties: parties
            .unwrap_or_default()
            .into_iter()
            .map(|party| {
                Ok(Party {
                    side: party.side.into(),
                    name: party.name,
                    phone: party.phone,
                    resident_id: party
                        .resident_id
                        .map(|id| key_of("parties.residentId", &id, NodeKind::Resident))
                        .transpose()?,
                })
            })
            .collect::<ApiResult<_>>()?,
    })
}
