//! Casbin rules and the version replicas watch, API and refresh tokens, and
//! the append-only audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer, string, string_len};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{
    code_null, enumeration, id, id_ref, id_ref_null, index, json, references, time, time_null,
};
use crate::m20261126_000001_places_and_people::{Departments, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut rule = Table::create();
        rule.table(CasbinRule::Table)
            .col(id(CasbinRule::Id))
            .col(string_len(CasbinRule::Ptype, 8));
        for field in CasbinRule::FIELDS {
            rule.col(string_len(field, 128).default(""));
        }
        manager.create_table(rule.take()).await?;
        let mut unique_rule = Index::create();
        unique_rule
            .name("ux_casbin_rule_all")
            .table(CasbinRule::Table)
            .unique()
            .col(CasbinRule::Ptype);
        for field in CasbinRule::FIELDS {
            unique_rule.col(field);
        }
        manager.create_index(unique_rule.take()).await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyState::Table)
                    .col(integer(PolicyState::Id).primary_key())
                    .col(big_integer(PolicyState::Version))
                    .col(time(PolicyState::UpdatedAt))
                    .take(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(PolicyState::Table)
                    .columns([
                        PolicyState::Id,
                        PolicyState::Version,
                        PolicyState::UpdatedAt,
                    ])
                    .values_panic([1.into(), 0i64.into(), Expr::current_timestamp()])
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(id(ApiTokens::Id))
                    .col(string(ApiTokens::Name))
                    .col(string_len(ApiTokens::Prefix, 16))
                    .col(string_len(ApiTokens::SecretHash, 128).unique_key())
                    .col(enumeration(ApiTokens::SubjectKind))
                    .col(id_ref_null(ApiTokens::DepartmentId))
                    .col(id_ref_null(ApiTokens::UserId))
                    .col(json(ApiTokens::Scopes))
                    .col(json(ApiTokens::Areas))
                    .col(time(ApiTokens::ExpiresAt))
                    .col(time_null(ApiTokens::LastUsedAt))
                    .col(time_null(ApiTokens::RevokedAt))
                    .col(id_ref(ApiTokens::CreatedBy))
                    .col(time(ApiTokens::CreatedAt))
                    .foreign_key(&mut references(
                        ApiTokens::Table,
                        ApiTokens::DepartmentId,
                        Departments::Table,
                        Departments::Id,
                    ))
                    .foreign_key(&mut references(
                        ApiTokens::Table,
                        ApiTokens::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(id(RefreshTokens::Id))
                    .col(id_ref(RefreshTokens::UserId))
                    .col(string_len(RefreshTokens::TokenHash, 128).unique_key())
                    .col(string_len(RefreshTokens::FamilyId, 64))
                    .col(time(RefreshTokens::ExpiresAt))
                    .col(time_null(RefreshTokens::UsedAt))
                    .col(time_null(RefreshTokens::RevokedAt))
                    .col(time(RefreshTokens::CreatedAt))
                    .foreign_key(&mut references(
                        RefreshTokens::Table,
                        RefreshTokens::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(RefreshTokens::Table, &[RefreshTokens::FamilyId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(id(AuditLog::Id))
                    .col(time(AuditLog::At))
                    .col(id_ref_null(AuditLog::ActorUserId))
                    .col(id_ref_null(AuditLog::ActorTokenId))
                    .col(string_len(AuditLog::ActorName, 64))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::ObjectKind, 32))
                    .col(ColumnDef::new(AuditLog::ObjectId).text().null().take())
                    .col(code_null(AuditLog::AreaCode))
                    .col(json(AuditLog::Detail))
                    .col(
                        ColumnDef::new(AuditLog::RequestId)
                            .string_len(64)
                            .null()
                            .take(),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index(AuditLog::Table, &[AuditLog::At]))
            .await?;
        manager
            .create_index(index(
                AuditLog::Table,
                &[AuditLog::ActorUserId, AuditLog::At],
            ))
            .await?;
        manager
            .create_index(index(AuditLog::Table, &[AuditLog::AreaCode]))
            .await?;

        // The audit log is evidence: the database itself refuses to change it.
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                connection
                    .execute_unprepared(
                        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger \
                         LANGUAGE plpgsql AS $$ BEGIN \
                         RAISE EXCEPTION 'audit_log is append-only'; END $$;",
                    )
                    .await?;
                connection
                    .execute_unprepared(
                        "CREATE TRIGGER audit_log_append_only \
                         BEFORE UPDATE OR DELETE ON audit_log \
                         FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();",
                    )
                    .await?;
            }
            _ => {
                for event in ["UPDATE", "DELETE"] {
                    connection
                        .execute_unprepared(&format!(
                            "CREATE TRIGGER audit_log_no_{} BEFORE {event} ON audit_log \
                             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
                            event.to_lowercase()
                        ))
                        .await?;
                }
            }
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CasbinRule {
    Table,
    Id,
    Ptype,
    V0,
    V1,
    V2,
    V3,
    V4,
    V5,
}

impl CasbinRule {
    const FIELDS: [CasbinRule; 6] = [
        CasbinRule::V0,
        CasbinRule::V1,
        CasbinRule::V2,
        CasbinRule::V3,
        CasbinRule::V4,
        CasbinRule::V5,
    ];
}

#[derive(DeriveIden, Clone, Copy)]
pub enum PolicyState {
    Table,
    Id,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ApiTokens {
    Table,
    Id,
    Name,
    Prefix,
    SecretHash,
    SubjectKind,
    DepartmentId,
    UserId,
    Scopes,
    Areas,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum RefreshTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    FamilyId,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum AuditLog {
    Table,
    Id,
    At,
    ActorUserId,
    ActorTokenId,
    ActorName,
    Action,
    ObjectKind,
    ObjectId,
    AreaCode,
    Detail,
    RequestId,
}
