//! The papers a resident is identified by. A mainland citizen's ID card, a
//! Hong Kong, Macao or Taiwan resident's residence permit and a foreigner's
//! permanent residence ID share GB 11643's shape and say the holder's birth
//! date and sex; a passport or travel permit says neither, so those come
//! with the document. Which document goes with which nationality is here;
//! which population type goes with which document is `writes::residence`'s.

use chrono::NaiveDate;
use entities::resident::{DocumentType, Sex};

use crate::domain::id_number::{IdNumber, IdSex};
use crate::error::{ApiError, ApiResult};

pub const CHINA: &str = "CHN";

/// ISO 3166-1 alpha-3, sorted for binary search.
const ISO_3166_ALPHA_3: [&str; 249] = [
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF",
    "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
    "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF",
    "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV",
    "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
    "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM",
    "GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD",
    "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN",
    "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ",
    "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE",
    "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX",
    "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL",
    "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK",
    "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP",
    "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR",
    "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL",
    "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY",
    "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF",
    "ZMB", "ZWE",
];

/// A nationality as ISO 3166-1 alpha-3, upper-cased.
pub fn nationality(field: &str, raw: &str) -> ApiResult<String> {
    let code = raw.trim().to_ascii_uppercase();
    if ISO_3166_ALPHA_3.binary_search(&code.as_str()).is_ok() {
        Ok(code)
    } else {
        Err(ApiError::bad_input(
            field,
            "not an ISO 3166-1 alpha-3 country code (CHN, USA, KOR …)",
        ))
    }
}

/// What a caller says about a person's papers.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub kind: DocumentType,
    pub number: &'a str,
    /// Left out for documents only Chinese citizens hold.
    pub nationality: Option<&'a str>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
}

/// A person's papers, checked, with what they say about the holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub kind: DocumentType,
    pub number: String,
    pub nationality: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
}

/// Whether the document's number says its holder's birth date and sex.
pub fn carries_identity(kind: DocumentType) -> bool {
    matches!(
        kind,
        DocumentType::ResidentIdCard
            | DocumentType::HmtResidencePermit
            | DocumentType::ForeignPermanentId
    )
}

/// Checks a claim; errors name the input field at fault.
pub fn identify(claim: Claim<'_>, today: NaiveDate) -> ApiResult<Identity> {
    let nationality = document_nationality(claim.kind, claim.nationality)?;
    let (number, sex, birth_date) = if carries_identity(claim.kind) {
        let id = IdNumber::parse(claim.number)
            .map_err(|err| ApiError::bad_input("idNumber", err.to_string()))?;
        refuse_other_kind(claim.kind, id.as_str())?;
        let sex = match id.sex() {
            IdSex::Male => Sex::Male,
            IdSex::Female => Sex::Female,
        };
        if claim.sex.is_some_and(|given| given != sex) {
            return Err(ApiError::bad_input(
                "sex",
                "does not match the ID number (its 17th digit gives the sex)",
            ));
        }
        if claim
            .birth_date
            .is_some_and(|given| given != id.birth_date())
        {
            return Err(ApiError::bad_input(
                "birthDate",
                format!(
                    "does not match the ID number, which says {}",
                    id.birth_date()
                ),
            ));
        }
        (id.as_str().to_owned(), sex, id.birth_date())
    } else {
        let number = printed_number(claim.kind, claim.number)?;
        let sex = claim.sex.ok_or_else(|| {
            ApiError::required("sex", "required with a document that does not give it")
        })?;
        let birth_date = claim.birth_date.ok_or_else(|| {
            ApiError::required(
                "birthDate",
                "required with a document that does not give it",
            )
        })?;
        (number, sex, birth_date)
    };
    if birth_date > today {
        let field = if carries_identity(claim.kind) {
            "idNumber"
        } else {
            "birthDate"
        };
        return Err(ApiError::bad_input(
            field,
            "the birth date is in the future",
        ));
    }
    Ok(Identity {
        kind: claim.kind,
        number,
        nationality,
        sex,
        birth_date,
    })
}

/// The nationality a document goes with: Chinese citizens' documents are
/// Chinese whatever was sent, foreigners' must name a country.
fn document_nationality(kind: DocumentType, given: Option<&str>) -> ApiResult<String> {
    let given = given
        .map(|raw| nationality("nationality", raw))
        .transpose()?;
    match kind {
        DocumentType::ResidentIdCard
        | DocumentType::HmtResidencePermit
        | DocumentType::HkMacaoTravelPermit
        | DocumentType::TaiwanTravelPermit => match given {
            Some(code) if code != CHINA => Err(ApiError::bad_input(
                "nationality",
                "this document is held by Chinese citizens only: CHN",
            )),
            _ => Ok(CHINA.to_owned()),
        },
        DocumentType::ForeignPermanentId => match given {
            None => Err(ApiError::required(
                "nationality",
                "required with a foreigner's document",
            )),
            Some(code) if code == CHINA => Err(ApiError::bad_input(
                "nationality",
                "a permanent residence ID is held by foreigners, not CHN",
            )),
            Some(code) => Ok(code),
        },
        DocumentType::Passport => {
            given.ok_or_else(|| ApiError::required("nationality", "required with a passport"))
        }
    }
}

/// Numbers of GB 11643's shape tell their document apart by their first
/// digits: a number of one kind sent as another is a mistake to name.
fn refuse_other_kind(kind: DocumentType, number: &str) -> ApiResult<()> {
    let hmt = ["810000", "820000", "830000"]
        .iter()
        .any(|prefix| number.starts_with(prefix));
    let foreign = number.starts_with('9');
    let actual = if hmt {
        DocumentType::HmtResidencePermit
    } else if foreign {
        DocumentType::ForeignPermanentId
    } else {
        DocumentType::ResidentIdCard
    };
    if actual == kind {
        return Ok(());
    }
    let name = match actual {
        DocumentType::HmtResidencePermit => "HMT_RESIDENCE_PERMIT",
        DocumentType::ForeignPermanentId => "FOREIGN_PERMANENT_ID",
        _ => "RESIDENT_ID_CARD",
    };
    Err(ApiError::bad_input(
        "documentType",
        format!("this number is of a different document: {name}"),
    ))
}

/// A passport's or travel permit's number as printed: letters and digits,
/// upper-cased, in the shape its kind has.
fn printed_number(kind: DocumentType, raw: &str) -> ApiResult<String> {
    let number: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let ok = match kind {
        // H or M and 8 digits (10 on the older booklets).
        DocumentType::HkMacaoTravelPermit => {
            (number.starts_with('H') || number.starts_with('M'))
                && matches!(number.len(), 9 | 11)
                && digits(&number[1..])
        }
        // 8 digits (10 on the older booklets).
        DocumentType::TaiwanTravelPermit => matches!(number.len(), 8 | 10) && digits(&number),
        _ => (5..=18).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric()),
    };
    if ok {
        Ok(number)
    } else {
        let shape = match kind {
            DocumentType::HkMacaoTravelPermit => "H or M and 8 digits",
            DocumentType::TaiwanTravelPermit => "8 digits",
            _ => "5 to 18 letters and digits",
        };
        Err(ApiError::bad_input(
            "idNumber",
            format!("not a number this document has: {shape}"),
        ))
    }
}

/// A document number to look up, in the form it is stored in: an ID
/// number's `x` upper-cased, a passport's spaces dropped. Any document's
/// number will do, so only what no document has is refused.
pub fn lookup_number(field: &str, raw: &str) -> ApiResult<String> {
    let number = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if (5..=18).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(number)
    } else {
        Err(ApiError::bad_input(
            field,
            "not a document number: 5 to 18 letters and digits",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date")
    }

    fn claim(kind: DocumentType, number: &str) -> Claim<'_> {
        Claim {
            kind,
            number,
            nationality: None,
            sex: None,
            birth_date: None,
        }
    }

    fn field(result: ApiResult<Identity>) -> String {
        match result {
            Err(ApiError::BadUserInput { field, .. }) => field,
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    #[test]
    fn the_country_list_is_sorted_and_complete() {
        assert!(ISO_3166_ALPHA_3.windows(2).all(|pair| pair[0] < pair[1]));
        for code in ["CHN", "USA", "KOR", "JPN", "VNM", "DEU", "ZWE", "ABW"] {
            assert!(nationality("n", code).is_ok(), "{code}");
        }
        assert!(nationality("n", "usa").is_ok());
        assert!(nationality("n", "XXX").is_err());
        assert!(nationality("n", "US").is_err());
    }

    #[test]
    fn an_id_card_gives_sex_and_birth_date_and_is_chinese() {
        let id = identify(
            claim(DocumentType::ResidentIdCard, "11010519491231002X"),
            today(),
        )
        .expect("valid");
        assert_eq!(id.sex, Sex::Female);
        assert_eq!(id.nationality, "CHN");
        let mut foreign = claim(DocumentType::ResidentIdCard, "11010519491231002X");
        foreign.nationality = Some("USA");
        assert_eq!(field(identify(foreign, today())), "nationality");
    }

    #[test]
    fn a_passport_needs_what_it_does_not_say() {
        let mut passport = claim(DocumentType::Passport, " e1234 5678 ");
        assert_eq!(field(identify(passport, today())), "nationality");
        passport.nationality = Some("kor");
        assert_eq!(field(identify(passport, today())), "sex");
        passport.sex = Some(Sex::Male);
        assert_eq!(field(identify(passport, today())), "birthDate");
        passport.birth_date = NaiveDate::from_ymd_opt(1990, 5, 1);
        let id = identify(passport, today()).expect("valid");
        assert_eq!(id.number, "E12345678");
        assert_eq!(id.nationality, "KOR");
        passport.birth_date = NaiveDate::from_ymd_opt(2027, 5, 1);
        assert_eq!(field(identify(passport, today())), "birthDate");
    }

    #[test]
    fn numbers_of_one_document_are_refused_as_another() {
        let permit = IdNumber::compose("810000", today() - chrono::Duration::days(9000), 21);
        assert_eq!(
            field(identify(
                claim(DocumentType::ResidentIdCard, &permit),
                today()
            )),
            "documentType"
        );
        assert!(identify(claim(DocumentType::HmtResidencePermit, &permit), today()).is_ok());
        let foreigner = IdNumber::compose("942840", today() - chrono::Duration::days(9000), 31);
        let mut claimed = claim(DocumentType::ForeignPermanentId, &foreigner);
        assert_eq!(field(identify(claimed, today())), "nationality");
        claimed.nationality = Some("CHN");
        assert_eq!(field(identify(claimed, today())), "nationality");
        claimed.nationality = Some("USA");
        assert!(identify(claimed, today()).is_ok());
    }

    #[test]
    fn travel_permits_have_their_shapes() {
        let mut permit = claim(DocumentType::HkMacaoTravelPermit, "H12345678");
        permit.sex = Some(Sex::Female);
        permit.birth_date = NaiveDate::from_ymd_opt(1980, 1, 2);
        assert!(identify(permit, today()).is_ok());
        permit.number = "X12345678";
        assert_eq!(field(identify(permit, today())), "idNumber");
        permit.kind = DocumentType::TaiwanTravelPermit;
        permit.number = "12345678";
        assert!(identify(permit, today()).is_ok());
        permit.nationality = Some("TWN");
        assert_eq!(field(identify(permit, today())), "nationality");
    }
}
