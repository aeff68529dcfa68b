//! `gridgov policy`: the policies and role assignments for the operator at
//! a terminal, who holds the database itself: the same validation, audit,
//! versions and propagation as the API's edits.

use clap::Subcommand;
use gridgov::audit::Actor;
use gridgov::auth::policy_store;
use gridgov::config::DatabaseConfig;
use gridgov::db;
use gridgov::domain::policy_admin::{self, Edit, Proposed, Why, Window};
use gridgov::domain::policy_history;

use crate::{failed, print_lines};

/// A rule as the command line names it.
#[derive(clap::Args, Debug)]
pub struct PolicyArgs {
    /// The role, lower case letters, digits and `_`.
    #[arg(long)]
    role: String,
    /// An object name (resident, case, …) or `*`.
    #[arg(long)]
    object: String,
    /// An action name (read, dispatch, …) or `*`.
    #[arg(long)]
    action: String,
    /// allow or deny.
    #[arg(long, default_value = "allow")]
    effect: String,
}

/// A role assignment as the command line names it.
#[derive(clap::Args, Debug)]
pub struct AssignmentArgs {
    /// `user:NAME` or `dept:CODE`.
    #[arg(long)]
    subject: String,
    /// The role.
    #[arg(long)]
    role: String,
    /// An area or grid code, or `*` for the whole city.
    #[arg(long)]
    area: String,
}

/// When a new rule is in force; RFC 3339 times, e.g. 2026-12-04T18:00:00+08:00.
#[derive(clap::Args, Debug)]
pub struct WindowArgs {
    /// When it takes effect (at once when left out).
    #[arg(long)]
    valid_from: Option<chrono::DateTime<chrono::Utc>>,
    /// When it lapses and is removed, audited (never when left out).
    #[arg(long)]
    valid_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Why a version is made: every one carries its reason.
#[derive(clap::Args, Debug)]
pub struct CommentArgs {
    /// Why (required): the new policy version carries it.
    #[arg(long, short = 'm')]
    comment: String,
}

/// A set of edits, each rule in words.
#[derive(clap::Args, Debug)]
pub struct ChangeArgs {
    /// A policy to add: `ROLE OBJECT ACTION EFFECT`, space separated.
    #[arg(long = "add-policy", value_name = "RULE")]
    add_policies: Vec<String>,
    /// A policy to remove: `ROLE OBJECT ACTION EFFECT`.
    #[arg(long = "remove-policy", value_name = "RULE")]
    remove_policies: Vec<String>,
    /// An assignment to make: `SUBJECT ROLE AREA`.
    #[arg(long = "assign", value_name = "RULE")]
    assign: Vec<String>,
    /// An assignment to take away: `SUBJECT ROLE AREA`.
    #[arg(long = "revoke", value_name = "RULE")]
    revoke: Vec<String>,
    /// A role managers may hand out from a level on: `ROLE LEVEL`
    /// (district, street, community or grid).
    #[arg(long = "delegable", value_name = "RULE")]
    delegable: Vec<String>,
    /// A role managers may no longer hand out: `ROLE LEVEL`.
    #[arg(long = "not-delegable", value_name = "RULE")]
    not_delegable: Vec<String>,
}

impl ChangeArgs {
    /// The edits in the order they are made: removals, then policies, then
    /// assignments; each named by its flag.
    fn edits(&self) -> anyhow::Result<Vec<Proposed>> {
        let mut edits = Vec::new();
        for (flag, texts, what, edit) in [
            ("--revoke", &self.revoke, Words::Assignment, Edit::Remove),
            (
                "--remove-policy",
                &self.remove_policies,
                Words::Policy,
                Edit::Remove,
            ),
            (
                "--not-delegable",
                &self.not_delegable,
                Words::Delegable,
                Edit::Remove,
            ),
            ("--add-policy", &self.add_policies, Words::Policy, Edit::Add),
            ("--delegable", &self.delegable, Words::Delegable, Edit::Add),
            ("--assign", &self.assign, Words::Assignment, Edit::Add),
        ] {
            for text in texts {
                edits.push(Proposed {
                    field: flag.to_owned(),
                    edit,
                    rule: rule_words(text, what)?,
                    window: Window::default(),
                });
            }
        }
        Ok(edits)
    }
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// List the stored policies and role assignments with their ids and
    /// windows, in the order written.
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Add a policy, as a new policy version.
    Add {
        #[command(flatten)]
        rule: PolicyArgs,
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        why: CommentArgs,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Remove a policy, as a new policy version.
    Remove {
        #[command(flatten)]
        rule: PolicyArgs,
        #[command(flatten)]
        why: CommentArgs,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Give a subject a role in an area, for good or for a window, as a new
    /// policy version.
    Assign {
        #[command(flatten)]
        rule: AssignmentArgs,
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        why: CommentArgs,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Take a role in an area away from a subject, as a new policy version.
    Revoke {
        #[command(flatten)]
        rule: AssignmentArgs,
        #[command(flatten)]
        why: CommentArgs,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// What a set of edits would do, without making it: whose access to
    /// what changes, where, and how many rows by district.
    DryRun {
        #[command(flatten)]
        changes: ChangeArgs,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Make a set of edits (the flags of dry-run) as one policy version:
    /// all or none. Exit status 1 when refused.
    Apply {
        #[command(flatten)]
        changes: ChangeArgs,
        #[command(flatten)]
        why: CommentArgs,
        /// The policy version the edits were tried against (dry-run prints
        /// it): refused if the policies moved on since.
        #[arg(long, value_name = "VERSION")]
        at_version: Option<i64>,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// The policy versions, newest first (number, time, kind, who, how
    /// many changes, why); with --number, one version and every rule it
    /// added and removed.
    History {
        /// Show this version and its changes.
        #[arg(long, value_name = "VERSION")]
        number: Option<i64>,
        /// At most this many versions.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Make the rules of an earlier version the rules in force again, as a
    /// new version (the history is kept): rules added since are removed,
    /// rules removed since come back with their windows (unless closed).
    Rollback {
        /// The version to restore.
        #[arg(long)]
        to: i64,
        #[command(flatten)]
        why: CommentArgs,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Why SUBJECT may or may not do ACTION to OBJECT at AREA: the
    /// decision, every role and rule that applies there (allows and denies),
    /// and the SQL condition its lists of OBJECT run with. Exit status 0
    /// when allowed, 3 when not.
    Explain {
        /// `user:NAME` or `dept:CODE`.
        #[arg(long)]
        subject: String,
        /// An object name: resident, case, resident.id_number, …
        #[arg(long)]
        object: String,
        /// An action name: read, write, dispatch, …
        #[arg(long)]
        action: String,
        /// An area or grid code, or `*` for the city itself.
        #[arg(long, default_value = "*")]
        area: String,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

/// A rule named by words (`ROLE OBJECT ACTION EFFECT`, `SUBJECT ROLE AREA`
/// or `ROLE LEVEL`).
fn rule_words(text: &str, kind: Words) -> anyhow::Result<policies::Rule> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let rule = match (kind, words.as_slice()) {
        (Words::Policy, [role, object, action, effect]) => {
            policy_admin::policy_rule([role, object, action, effect])
        }
        (Words::Assignment, [subject, role, area]) => {
            policy_admin::assignment_rule([subject, role, area])
        }
        (Words::Delegable, [role, level]) => policy_admin::delegation_rule([role, level]),
        _ => anyhow::bail!("{text:?} does not name {} (see --help)", kind.name()),
    };
    rule.map_err(failed)
}

/// Which rule a flag's words name.
#[derive(Clone, Copy, Debug)]
enum Words {
    Policy,
    Assignment,
    Delegable,
}

impl Words {
    fn name(self) -> &'static str {
        match self {
            Words::Policy => "a policy (ROLE OBJECT ACTION EFFECT)",
            Words::Assignment => "an assignment (SUBJECT ROLE AREA)",
            Words::Delegable => "a delegable role (ROLE LEVEL)",
        }
    }
}

/// Makes `edits` as the operator, as one version, and says what was done.
async fn operator_apply(
    database: &DatabaseConfig,
    edits: &[Proposed],
    why: Why<'_>,
) -> anyhow::Result<()> {
    let db = db::connect_current(database).await?;
    let actor = Actor::system("cli", &database.seal()?);
    let authorizer = policy_store::authorizer(&db).await?;
    let applied = policy_admin::apply(&db, &authorizer, &actor, edits, why)
        .await
        .map_err(failed)?;
    report(edits, &applied);
    Ok(())
}

/// Prints the rules a version added and removed, with their ids.
fn report(edits: &[Proposed], applied: &policy_admin::Applied) {
    for (edit, (id, _)) in edits.iter().zip(&applied.rules) {
        let (ptype, fields) = edit.rule.to_row();
        let sign = match edit.edit {
            Edit::Add => '+',
            Edit::Remove => '-',
        };
        println!("{sign} {ptype} {id}: {}", fields.join(" ").trim_end());
    }
    println!("policy version {}", applied.version);
    eprintln!("every running replica enforces it within a second");
}

/// One edit of `rule` as the operator, as its own version.
async fn operator_edit(
    database: &DatabaseConfig,
    rule: policies::Rule,
    (edit, window): (Edit, Window),
    why: &CommentArgs,
) -> anyhow::Result<()> {
    let edits = [Proposed {
        field: "rule".to_owned(),
        edit,
        rule,
        window,
    }];
    operator_apply(database, &edits, Why::edit(&why.comment)).await
}

pub async fn run(command: PolicyCommand) -> anyhow::Result<()> {
    let window_of = |window: WindowArgs| Window {
        from: window.valid_from,
        until: window.valid_until,
    };
    let policy_of = |rule: &PolicyArgs| {
        policy_admin::policy_rule([
            rule.role.as_str(),
            rule.object.as_str(),
            rule.action.as_str(),
            rule.effect.as_str(),
        ])
        .map_err(failed)
    };
    let assignment_of = |rule: &AssignmentArgs| {
        policy_admin::assignment_rule([
            rule.subject.as_str(),
            rule.role.as_str(),
            rule.area.as_str(),
        ])
        .map_err(failed)
    };
    match command {
        PolicyCommand::List { database } => {
            let db = db::connect_current(&database).await?;
            let rules = policy_admin::stored_rules(&db).await.map_err(failed)?;
            print_lines(rules.iter().map(|stored| {
                let (ptype, fields) = stored.rule.to_row();
                format!(
                    "{:>6}  {ptype}  {:<60}  from {}  until {}",
                    stored.id,
                    fields.join(" ").trim_end(),
                    when(stored.window.from),
                    when(stored.window.until)
                )
            }))?;
        }
        PolicyCommand::Add {
            rule,
            window,
            why,
            database,
        } => {
            let edit = (Edit::Add, window_of(window));
            operator_edit(&database, policy_of(&rule)?, edit, &why).await?
        }
        PolicyCommand::Remove {
            rule,
            why,
            database,
        } => {
            let edit = (Edit::Remove, Window::default());
            operator_edit(&database, policy_of(&rule)?, edit, &why).await?
        }
        PolicyCommand::Assign {
            rule,
            window,
            why,
            database,
        } => {
            let edit = (Edit::Add, window_of(window));
            operator_edit(&database, assignment_of(&rule)?, edit, &why).await?
        }
        PolicyCommand::Revoke {
            rule,
            why,
            database,
        } => {
            let edit = (Edit::Remove, Window::default());
            operator_edit(&database, assignment_of(&rule)?, edit, &why).await?
        }
        PolicyCommand::Apply {
            changes,
            why,
            at_version,
            database,
        } => {
            let why = Why {
                comment: &why.comment,
                expected_version: at_version,
                rolled_back_to: None,
            };
            operator_apply(&database, &changes.edits()?, why).await?
        }
        PolicyCommand::History {
            number,
            limit,
            database,
        } => {
            let db = db::connect_current(&database).await?;
            history(&db, number, limit).await?
        }
        PolicyCommand::Rollback { to, why, database } => {
            let db = db::connect_current(&database).await?;
            let actor = Actor::system("cli", &database.seal()?);
            let authorizer = policy_store::authorizer(&db).await?;
            let applied = policy_history::rollback_unchecked(
                &db,
                &authorizer,
                &actor,
                (to, None),
                &why.comment,
            )
            .await
            .map_err(failed)?;
            let changes = policy_history::changes_of(&db, applied.version)
                .await
                .map_err(failed)?;
            for change in &changes {
                println!("{}", change_line(change));
            }
            println!(
                "policy version {}: the rules of version {to}",
                applied.version
            );
            eprintln!("every running replica enforces it within a second");
        }
        PolicyCommand::DryRun { changes, database } => {
            let (mut add, mut remove) = (Vec::new(), Vec::new());
            for edit in changes.edits()? {
                match edit.edit {
                    Edit::Add => add.push((edit.field, edit.rule)),
                    Edit::Remove => remove.push((edit.field, edit.rule)),
                }
            }
            let db = db::connect_current(&database).await?;
            let run = gridgov::domain::policy_dry_run::dry_run_on(
                &db,
                gridgov::domain::policy_dry_run::Changes { add, remove },
            )
            .await
            .map_err(failed)?;
            let mut lines = vec![format!(
                "tried against policy version {}: {} subjects would change{}",
                run.version,
                run.subjects,
                if run.rows_truncated {
                    " (rows counted for the first ones only)"
                } else {
                    ""
                }
            )];
            for change in &run.changes {
                lines.push(format!(
                    "{} {} {}: now {} / after {}",
                    change.subject.casbin_name(),
                    change.action,
                    change.object,
                    change.conditions[0],
                    change.conditions[1]
                ));
                for row in change.rows.iter().flatten() {
                    lines.push(format!(
                        "    district {}: +{} / -{} rows",
                        row.district, row.gained, row.lost
                    ));
                }
            }
            print_lines(lines)?;
        }
        PolicyCommand::Explain {
            subject,
            object,
            action,
            area,
            database,
        } => {
            let subject = policies::Subject::parse(&subject)
                .map_err(|err| anyhow::anyhow!("--subject: {err}"))?;
            let db = db::connect_current(&database).await?;
            let authorizer = policy_store::authorizer(&db).await?;
            let principal = policies::Principal {
                subject,
                token: None,
            };
            let explained = gridgov::domain::policy_explain::explain(
                &db,
                &authorizer,
                principal,
                [&object, &action, &area],
            )
            .map_err(failed)?;
            let verdict = if explained.explanation.allowed {
                "allowed"
            } else {
                "not allowed"
            };
            let mut lines = vec![format!(
                "{} {verdict} to {} {} at {} (policy version {})",
                explained.subject.casbin_name(),
                explained.action,
                explained.object,
                explained.domain.as_str(),
                authorizer.version()
            )];
            if explained.explanation.rules.is_empty() {
                lines.push("  no role of the subject applies there".to_owned());
            }
            for (held, rule) in &explained.explanation.rules {
                lines.push(format!(
                    "  {:<5}  role {} held in {}: {} {}",
                    rule.effect.as_str(),
                    held.role,
                    held.domain.as_str(),
                    rule.object.as_str(),
                    rule.action.as_str()
                ));
            }
            lines.push(format!("lists run with: {}", explained.condition));
            print_lines(lines)?;
            if !explained.explanation.allowed {
                std::process::exit(3);
            }
        }
    }
    Ok(())
}

/// A change as the history shows it: `+` added, `-` removed, the rule in
/// its stored words, and its window.
fn change_line(change: &gridgov::auth::policy_history::Change) -> String {
    let sign = match change.op {
        entities::policy_change::ChangeOp::Add => '+',
        entities::policy_change::ChangeOp::Remove => '-',
    };
    format!(
        "  {sign} {}  {:<60}  from {}  until {}",
        change.ptype,
        change.fields.join(" ").trim_end(),
        when(change.valid_from),
        when(change.valid_until)
    )
}

fn when(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or("-".to_owned(), |at| {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    })
}

/// Prints the newest `limit` versions, or one version and its changes.
async fn history(
    db: &sea_orm::DatabaseConnection,
    version: Option<i64>,
    limit: usize,
) -> anyhow::Result<()> {
    let versions = policy_history::all_versions(db).await.map_err(failed)?;
    let line = |shown: &entities::policy_version::Model| {
        format!(
            "{:>6}  {}  {:<8}  {:<16}  {:>5} changes  {}{}",
            shown.number,
            shown.at.format("%Y-%m-%d %H:%M:%S UTC"),
            format!("{:?}", shown.kind).to_lowercase(),
            shown.actor,
            shown.changes,
            shown.comment,
            shown
                .rolled_back_to
                .map_or(String::new(), |to| format!(" (the rules of version {to})"))
        )
    };
    let Some(number) = version else {
        return print_lines(versions.iter().rev().take(limit).map(line));
    };
    let shown = versions
        .iter()
        .find(|shown| shown.number == number)
        .ok_or_else(|| anyhow::anyhow!("the history holds no version {number}"))?;
    let changes = policy_history::changes_of(db, number)
        .await
        .map_err(failed)?;
    print_lines(std::iter::once(line(shown)).chain(changes.iter().map(change_line)))
}
