//! The request pipeline's guard: every document is bounded before work that
//! grows with it, an anonymous caller may only sign in, and every error that
//! leaves carries an `extensions.code` — given here, in one place, for the
//! errors async-graphql makes itself (parse, validation, coercion).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest, NextSubscribe,
    NextValidation,
};
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::AppState;
use super::bounds::{self, Bounds};
use super::documents::{Asked, Documents, Refused};
use crate::admission::{CallerKey, Ticket};
use crate::domain::access::Access;

/// One per operation: its bounds, and what it asked for, for the metrics.
pub struct QueryLimits {
    bounds: Bounds,
    max_complexity: usize,
    /// Documents already parsed and bounded, shared by every operation.
    documents: Arc<Documents>,
    /// The slot an operation over a live connection holds while it runs.
    ticket: Mutex<Option<Ticket>>,
    /// `query:residents` once the document is known, kept as a label only
    /// if it validates (so that made-up field names add no labels).
    operation: Mutex<(Option<String>, bool)>,
    /// The operation as its validation is kept, when it is worth keeping.
    asked: Mutex<Option<Asked>>,
}

impl QueryLimits {
    pub fn new(bounds: Bounds, max_complexity: usize) -> QueryLimits {
        QueryLimits::sharing(bounds, max_complexity, Arc::default())
    }

    fn sharing(bounds: Bounds, max_complexity: usize, documents: Arc<Documents>) -> QueryLimits {
        QueryLimits {
            bounds,
            max_complexity,
            documents,
            ticket: Mutex::new(None),
            operation: Mutex::new((None, false)),
            asked: Mutex::new(None),
        }
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimits::sharing(
            self.bounds,
            self.max_complexity,
            self.documents.clone(),
        ))
    }
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// What a field that scans (statistics, indicators) costs in the
/// complexity limit: a handful per query, not hundreds.
pub const SCAN_COST: usize = 500;
/// What a list without pages (a household's members, a building's
/// dwellings) costs per field selected in it: tens of rows.
pub const LIST_COST: usize = 10;

/// An error with a code.
pub fn coded(message: impl Into<String>, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

pub fn too_complex(message: impl Into<String>) -> ServerError {
    coded(message, "QUERY_TOO_COMPLEX")
}

/// An error's `extensions.code`.
pub fn code_of(error: &ServerError) -> Option<String> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.clone()),
        _ => None,
    }
}

fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}

/// What an anonymous caller may ask for: to sign in (or out), and the
/// type name of the root.
const ANONYMOUS_FIELDS: [&str; 4] = ["login", "refresh", "logout", "__typename"];

/// The request's caller, over HTTP or a live connection; none when
/// anonymous.
fn caller_of(request: &Request, ctx: &ExtensionContext<'_>) -> Option<CallerKey> {
    let key = std::any::TypeId::of::<Arc<Access>>();
    let access = request
        .data
        .get(&key)
        .or_else(|| ctx.session_data.get(&key))
        .and_then(|data| data.downcast_ref::<Arc<Access>>())?;
    access.caller().ok().map(CallerKey::of)
}

/// Gives every error without a code the one that fits, so that no answer
/// leaves without one. Errors that are neither async-graphql's own nor
/// ours are internal: their text stays in the log.
pub fn classify(error: &mut ServerError) {
    if code_of(error).is_some() {
        return;
    }
    let message = error.message.as_str();
    let code = if message.starts_with("The recursion depth") {
        "QUERY_TOO_COMPLEX"
    } else if message.starts_with("Unknown operation named")
        || message.starts_with("Operation name required")
    {
        "BAD_REQUEST"
    } else if message.starts_with("Failed to parse")
        || message.starts_with("Invalid value for argument")
        || (message.starts_with("Variable \"") && !message.contains("is not used"))
        || message.contains("is not a valid")
        || message.starts_with("Expected input type")
        || (message.starts_with("Variable ") && message.ends_with("is not defined."))
    {
        "BAD_USER_INPUT"
    } else if error.path.is_empty() && error.locations.is_empty() {
        tracing::error!(error = %error.message, "an error without a code");
        error.message = "internal error".to_owned();
        "INTERNAL"
    } else if error.path.is_empty() {
        "GRAPHQL_VALIDATION_FAILED"
    } else {
        tracing::error!(error = %error.message, path = ?error.path, "an error without a code");
        error.message = "internal error".to_owned();
        "INTERNAL"
    };
    set_code(error, code);
}

/// A required variable of the operation to run that the request does not
/// give: a request error, before anything runs (async-graphql would only
/// notice it in the middle of execution).
fn missing_variables(
    document: &async_graphql::parser::types::ExecutableDocument,
    request: &Request,
) -> ServerResult<()> {
    let Some(operation) = bounds::selected_operation(document, request.operation_name.as_deref())
    else {
        return Ok(());
    };
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        let given = request
            .variables
            .get(definition.name.node.as_str())
            .is_some_and(|value| *value != async_graphql::Value::Null);
        if !definition.var_type.node.nullable && definition.default_value.is_none() && !given {
            return Err(coded(
                format!(
                    "variable ${} of type {} was not given",
                    definition.name.node, definition.var_type.node
                ),
                "BAD_USER_INPUT",
            ));
        }
    }
    Ok(())
}

impl QueryLimits {
    /// A query or mutation sent over a live connection counts against its
    /// caller's share like one sent over HTTP (which is admitted before it
    /// is parsed); a subscription is the connection's own and is not.
    async fn admit_live(
        &self,
        ctx: &ExtensionContext<'_>,
        document: &async_graphql::parser::types::ExecutableDocument,
        request: &Request,
    ) -> ServerResult<()> {
        let key = std::any::TypeId::of::<Arc<Access>>();
        let over_http = request.data.get(&key).is_some();
        let live = ctx
            .session_data
            .get(&key)
            .and_then(|data| data.downcast_ref::<Arc<Access>>());
        let (Some(access), false) = (live, over_http) else {
            return Ok(());
        };
        let subscribing = bounds::selected_operation(document, request.operation_name.as_deref())
            .is_some_and(|operation| operation.ty == OperationType::Subscription);
        let (Ok(caller), Ok(state), false) = (access.caller(), ctx.data::<AppState>(), subscribing)
        else {
            return Ok(());
        };
        let ticket = state
            .admission
            .admit(&CallerKey::of(caller), 1)
            .await
            .map_err(|err| async_graphql::Error::from(err).into_server_error(Default::default()))?;
        *locked(&self.ticket) = Some(ticket);
        Ok(())
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let mut response = next.run(ctx).await;
        response.errors.iter_mut().for_each(classify);
        if let Ok(state) = ctx.data::<AppState>() {
            let operation = match &*locked(&self.operation) {
                (Some(operation), true) => operation.clone(),
                _ => "-".to_owned(),
            };
            let outcome = response
                .errors
                .first()
                .and_then(code_of)
                .unwrap_or_else(|| "OK".to_owned());
            state
                .metrics
                .observe(&operation, &outcome, started.elapsed());
        }
        response
    }

    /// Each event of a live connection is coded like an answer, and leaves
    /// only with the audit row of what it shows in full.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let access = ctx
            .session_data
            .get(&std::any::TypeId::of::<Arc<Access>>())
            .and_then(|data| data.downcast_ref::<Arc<Access>>())
            .cloned();
        next.run(ctx, stream)
            .then(move |mut response| {
                let access = access.clone();
                async move {
                    response.errors.iter_mut().for_each(classify);
                    if let Some(access) = access
                        && let Err(err) = access.record_reads().await
                    {
                        tracing::error!(error = ?err, "cannot audit a live event's full reads; withholding it");
                        return Response::from_errors(vec![coded("internal error", "INTERNAL")]);
                    }
                    response
                }
            })
            .boxed()
    }

    /// Bounds the text, parses it once, bounds its expansion, and admits an
    /// anonymous caller only to sign in — all before async-graphql's own
    /// walks over the document (some of which follow every fragment spread).
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let caller = caller_of(&request, ctx);
        let parsed = self
            .documents
            .parse(&request.query, &self.bounds, caller.clone())
            .map_err(|refused| match refused {
                Refused::TooBig(message) => too_complex(message),
                Refused::Parse(mut error) => {
                    set_code(&mut error, "GRAPHQL_PARSE_FAILED");
                    error
                }
            })?;
        let document = &parsed.document;
        let roots = &parsed.roots;
        if let Some((kind, names)) = roots.first() {
            let kind = match kind {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            };
            let first = names.first().map_or("-", String::as_str);
            locked(&self.operation).0 = Some(format!("{kind}:{first}"));
        }
        if caller.is_none() {
            for (kind, names) in roots {
                let only_signing_in = names
                    .iter()
                    .all(|name| ANONYMOUS_FIELDS.contains(&name.as_str()))
                    && (*kind == OperationType::Mutation
                        || names.iter().all(|name| name == "__typename"));
                if !only_signing_in {
                    return Err(coded(
                        "sign in first: without a token only login, refresh and logout answer",
                        "UNAUTHENTICATED",
                    ));
                }
            }
        }
        missing_variables(document, &request)?;
        self.admit_live(ctx, document, &request).await?;
        *locked(&self.asked) = caller.and_then(|caller| {
            self.documents.asked(
                &parsed,
                request.operation_name.as_deref(),
                &request.variables,
                caller,
            )
        });
        request.set_parsed_query(document.clone());
        next.run(ctx, request).await
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let asked = locked(&self.asked).take();
        if let Some(result) = asked
            .as_ref()
            .and_then(|asked| self.documents.validated(asked))
        {
            locked(&self.operation).1 = true;
            return Ok(result);
        }
        let result = next.run(ctx).await;
        locked(&self.operation).1 = result.is_ok();
        if let (Some(asked), Ok(result)) = (asked, &result) {
            self.documents.passed(asked, *result);
        }
        result.map_err(|errors| {
            errors
                .into_iter()
                .map(|mut error| {
                    let code = if error.message.contains("too complex") {
                        error.message = format!(
                            "the query costs more than {}: fields times the page sizes they are \
                             under, {} for each statistics or indicators field",
                            self.max_complexity, SCAN_COST
                        );
                        "QUERY_TOO_COMPLEX"
                    } else if error.message.contains("nested too deep") {
                        "QUERY_TOO_COMPLEX"
                    } else if error.message.starts_with("Invalid value for argument")
                        || error.message.starts_with("Failed to parse")
                        || (error.message.starts_with("Variable \"")
                            && !error.message.contains("is not used")
                            && !error.message.contains("is not defined"))
                    {
                        "BAD_USER_INPUT"
                    } else {
                        "GRAPHQL_VALIDATION_FAILED"
                    };
                    set_code(&mut error, code);
                    error
                })
                .collect()
        })
    }
}
