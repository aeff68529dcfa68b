//! Which facts go with which population type: a registered or floating
//! resident is a mainland citizen on a resident ID card; everyone else
//! (Hong Kong, Macao, Taiwan and other countries) is foreign (境外); 户籍地
//! is asked of the floating population, arrival, reason and permit of the
//! floating and foreign. Checked on the record as it will be after a
//! change, so a registration and a correction obey the same rule.

use chrono::NaiveDate;
use entities::resident::{DocumentType, PopulationType, ResidenceReason};

use crate::domain::documents::CHINA;
use crate::error::{ApiError, ApiResult};

/// The facts of one record that the rule relates.
#[derive(Debug, Clone, Copy)]
pub struct Residence<'a> {
    pub population_type: PopulationType,
    pub document: DocumentType,
    pub nationality: &'a str,
    pub ethnicity: Option<&'a str>,
    pub hukou_place: Option<&'a str>,
    pub arrived_on: Option<NaiveDate>,
    pub reason: Option<ResidenceReason>,
    pub permit_expires_on: Option<NaiveDate>,
    pub birth_date: NaiveDate,
}

pub fn check(residence: &Residence<'_>, today: NaiveDate) -> ApiResult<()> {
    let mainland = residence.document == DocumentType::ResidentIdCard;
    match residence.population_type {
        PopulationType::Registered | PopulationType::Floating if !mainland => {
            return Err(ApiError::bad_input(
                "populationType",
                "REGISTERED and FLOATING residents are mainland citizens on a resident ID \
                 card; people of Hong Kong, Macao, Taiwan and other countries are FOREIGN",
            ));
        }
        PopulationType::Foreign if mainland => {
            return Err(ApiError::bad_input(
                "populationType",
                "a resident ID card holder is REGISTERED or FLOATING; FOREIGN is for other \
                 documents",
            ));
        }
        _ => {}
    }
    match (residence.nationality == CHINA, residence.ethnicity) {
        (true, None) => {
            return Err(ApiError::required(
                "ethnicity",
                "required for a Chinese citizen",
            ));
        }
        (false, Some(_)) => {
            return Err(ApiError::bad_input(
                "ethnicity",
                "recorded for Chinese citizens only",
            ));
        }
        _ => {}
    }
    if residence.hukou_place.is_some() && residence.population_type != PopulationType::Floating {
        return Err(ApiError::bad_input(
            "hukouPlace",
            "only for FLOATING residents: a registered resident's is their household here, \
             and a foreigner has none",
        ));
    }
    let from_elsewhere = matches!(
        residence.population_type,
        PopulationType::Floating | PopulationType::Foreign
    );
    for (field, given) in [
        ("arrivedOn", residence.arrived_on.is_some()),
        ("residenceReason", residence.reason.is_some()),
        ("permitExpiresOn", residence.permit_expires_on.is_some()),
    ] {
        if given && !from_elsewhere {
            return Err(ApiError::bad_input(
                field,
                "only for FLOATING and FOREIGN residents",
            ));
        }
    }
    if let Some(arrived) = residence.arrived_on {
        if arrived > today {
            return Err(ApiError::bad_input(
                "arrivedOn",
                "must not be in the future",
            ));
        }
        if arrived < residence.birth_date {
            return Err(ApiError::bad_input(
                "arrivedOn",
                "must not be before the birth",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn mainland(population_type: PopulationType) -> Residence<'static> {
        Residence {
            population_type,
            document: DocumentType::ResidentIdCard,
            nationality: CHINA,
            ethnicity: Some("汉族"),
            hukou_place: None,
            arrived_on: None,
            reason: None,
            permit_expires_on: None,
            birth_date: day(1990, 1, 1),
        }
    }

    fn refused_on(residence: Residence<'_>) -> String {
        match check(&residence, day(2026, 12, 1)) {
            Err(ApiError::BadUserInput { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn each_type_takes_its_own_facts() {
        let today = day(2026, 12, 1);
        assert!(check(&mainland(PopulationType::Registered), today).is_ok());
        let floating = Residence {
            hukou_place: Some("湖北省宜都市"),
            arrived_on: Some(day(2024, 3, 1)),
            reason: Some(ResidenceReason::Work),
            permit_expires_on: Some(day(2027, 3, 1)),
            ..mainland(PopulationType::Floating)
        };
        assert!(check(&floating, today).is_ok());
        let registered = Residence {
            population_type: PopulationType::Registered,
            ..floating
        };
        assert_eq!(refused_on(registered), "hukouPlace");
        let registered = Residence {
            hukou_place: None,
            ..registered
        };
        assert_eq!(refused_on(registered), "arrivedOn");
        let early = Residence {
            arrived_on: Some(day(1989, 1, 1)),
            ..floating
        };
        assert_eq!(refused_on(early), "arrivedOn");
    }

    #[test]
    fn foreigners_are_foreign_and_have_no_ethnicity() {
        let today = day(2026, 12, 1);
        let foreigner = Residence {
            population_type: PopulationType::Foreign,
            document: DocumentType::Passport,
            nationality: "KOR",
            ethnicity: None,
            permit_expires_on: Some(day(2027, 1, 1)),
            ..mainland(PopulationType::Foreign)
        };
        assert!(check(&foreigner, today).is_ok());
        assert_eq!(
            refused_on(Residence {
                ethnicity: Some("汉族"),
                ..foreigner
            }),
            "ethnicity"
        );
        assert_eq!(
            refused_on(Residence {
                population_type: PopulationType::Floating,
                ..foreigner
            }),
            "populationType"
        );
        assert_eq!(
            refused_on(mainland(PopulationType::Foreign)),
            "populationType"
        );
        let compatriot = Residence {
            document: DocumentType::HkMacaoTravelPermit,
            nationality: CHINA,
            ethnicity: None,
            ..foreigner
        };
        assert!(matches!(
            check(&compatriot, today),
            Err(ApiError::BadUserInput { ref field, .. }) if field == "ethnicity"
        ));
    }
}
