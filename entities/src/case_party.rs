use sea_orm::entity::prelude::*;

/// A party to the dispute a case is about (当事人): by name and phone as the
/// case records them, and the resident they are where the record holds
/// them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_parties")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub side: PartySide,
    pub name: String,
    pub phone: Option<String>,
    pub resident_id: Option<i64>,
    /// The case's grid, whose policies decide who reads the phone.
    pub grid_code: String,
    pub created_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PartySide {
    /// 申请人: who brought the dispute.
    #[sea_orm(string_value = "applicant")]
    Applicant,
    /// 被申请人: who it is brought against.
    #[sea_orm(string_value = "respondent")]
    Respondent,
    /// Anyone else involved: a witness, a landlord.
    #[sea_orm(string_value = "other")]
    Other,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
