//! Where an escalated case went, and when: each escalation (提级) raises a
//! case one level above its grid's community, to the street, the district,
//! then the city's command centre.

use sea_orm_migration::prelude::*;

use crate::columns::{enumeration_null, time_null};
use crate::m20261126_000003_cases::Cases;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Escalation {
    EscalatedTo,
    EscalatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            enumeration_null(Escalation::EscalatedTo),
            time_null(Escalation::EscalatedAt),
        ] {
            manager
                .alter_table(Table::alter().table(Cases::Table).add_column(column).take())
                .await?;
        }
        // Cases escalated before escalations had a level went one step up,
        // at their last escalation.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE cases SET escalated_to = 'street', escalated_at = \
                 (SELECT MAX(s.at) FROM case_steps s WHERE s.case_id = cases.id \
                 AND s.action = 'escalate') WHERE escalated",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Escalation::EscalatedAt, Escalation::EscalatedTo] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
