//! People as the API names them where a task, an assignment or an audit
//! entry points at a user: a username and a name, loaded in one batch per
//! request.

use async_graphql::{Context, Result, SimpleObject};

use super::ContextExt;

/// A user as a task names them.
#[derive(SimpleObject)]
pub struct Person {
    /// The user's username.
    username: String,
    /// The user's name.
    display_name: String,
}

/// The user `id` names, if any.
pub(super) async fn person(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Person>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(ctx
        .loaders()?
        .people()
        .load_one(id)
        .await?
        .map(|row| Person {
            username: row.username,
            display_name: row.display_name,
        }))
}
