//! The HTTP face: the router, authentication, the probes and metrics. The
//! GraphQL wire format lives in [`graphql`], live connections in
//! [`websocket`].

mod assets;
mod etag;
pub mod graphql;
mod multipart;
mod photos;
mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::BatchRequest;
use async_graphql::parser::types::OperationType;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::json;
use tower_http::timeout::TimeoutLayer;

use self::graphql::{Media, problem};
use crate::admission::{Admission, CallerKey, Ticket};
use crate::auth::api_tokens;
use crate::caller::{Caller, ClientAddress};
use crate::config::LimitsConfig;
use crate::error::{ApiError, ApiResult, UNAVAILABLE_RETRY_SECS};
use crate::graphql::bounds::Bounds;
use crate::graphql::{AppState, GridgovSchema, PHOTO_PATH, attach};

pub const GRAPHQL_PATH: &str = "/graphql";
pub use assets::SCREEN_PATH;

pub(super) struct HttpState {
    schema: GridgovSchema,
    pub(super) app: AppState,
    graphiql: bool,
    max_batch: usize,
    max_body_bytes: usize,
    request_timeout: Duration,
    /// For a request whose file is still arriving as it runs.
    upload_timeout: Duration,
    bounds: Bounds,
    admission: Admission,
}

pub fn router(
    schema: GridgovSchema,
    app: AppState,
    limits: &LimitsConfig,
    graphiql: bool,
    admission: Admission,
) -> Router {
    // Shared, not copied: axum hands each request and middleware a clone
    // of its state, and a copy of the app's state per request was 2% of
    // a one-row request's time.
    let state = Arc::new(HttpState {
        schema,
        app,
        graphiql,
        max_batch: limits.max_batch,
        max_body_bytes: limits.max_body_bytes,
        request_timeout: Duration::from_secs(limits.request_timeout_secs),
        upload_timeout: Duration::from_secs(limits.upload_timeout_secs),
        bounds: limits.bounds(),
        admission,
    });
    // A backstop for every route; GraphQL requests stop earlier, with an
    // answer of their own, and may run longer only while a large file
    // arrives.
    let backstop = |secs: u64| {
        TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(secs + 5),
        )
    };
    let authenticated = middleware::from_fn_with_state(state.clone(), authenticate);
    let graphql = Router::new()
        .route(GRAPHQL_PATH, get(graphql_get).post(graphql_post))
        .route_layer(authenticated.clone())
        .layer(backstop(
            limits.request_timeout_secs.max(limits.upload_timeout_secs),
        ));
    let photos = Router::new()
        .route(&format!("{PHOTO_PATH}/{{number}}"), get(photos::photo))
        .route_layer(authenticated)
        .layer(backstop(limits.request_timeout_secs));
    let public = Router::new()
        .route("/", get(|| async { Redirect::temporary(GRAPHQL_PATH) }))
        .route(
            &format!("{}/{{name}}", assets::ASSETS_PATH),
            get(assets::asset),
        )
        .route(assets::SCREEN_PATH, get(assets::screen_page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(backstop(limits.request_timeout_secs));
    graphql.merge(photos).merge(public).with_state(state)
}

/// Establishes the caller from `Authorization: Bearer …`: an access token
/// (JWT) or a scoped API token (`ggv_…`). No header: an anonymous caller,
/// who can sign in and nothing else. A header that does not check out, for
/// whatever reason, gets the same 401.
async fn authenticate(
    State(state): State<Arc<HttpState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = match request.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let Some(token) = value
                .to_str()
                .ok()
                .and_then(|value| value.strip_prefix("Bearer "))
                .map(str::trim)
            else {
                return invalid_token();
            };
            match identify(&state.app, token).await {
                Ok(Some(caller)) => Some(caller),
                Ok(None) => return invalid_token(),
                Err(ApiError::Unavailable) => {
                    return refused(Media::Json, &ApiError::Unavailable);
                }
                Err(err) => {
                    tracing::error!(error = ?err, "cannot check a token");
                    return problem(
                        Media::Json,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "INTERNAL",
                        "internal error",
                    );
                }
            }
        }
    };
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    let caller = caller.map(|caller| Caller {
        address: address.map(|ip| ip.to_string()),
        ..caller
    });
    let key = match &caller {
        Some(caller) => CallerKey::of(caller),
        None => CallerKey::Address(address),
    };
    request
        .extensions_mut()
        .insert(AuthenticatedCaller(caller, key));
    next.run(request).await
}

#[derive(Clone)]
pub(super) struct AuthenticatedCaller(Option<Caller>, CallerKey);

/// The caller a token names, `None` when it does not check out.
pub async fn identify(app: &AppState, token: &str) -> ApiResult<Option<Caller>> {
    if token.starts_with(api_tokens::PREFIX) {
        return api_tokens::authenticate(&app.db, token).await;
    }
    let Ok(claims) = app.keys.verify(token) else {
        return Ok(None);
    };
    Ok(claims.caller())
}

fn invalid_token() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer error="invalid_token""#),
        )],
        Json(json!({"errors": [{"message": "invalid token", "extensions": {"code": "UNAUTHENTICATED"}}]})),
    )
        .into_response()
}

/// A POST: JSON within the body limit, or a GraphQL multipart request
/// carrying files (photos, registries) from a caller with a token (a form or `text/plain`
/// body never runs, so no cross-site form can send a mutation: a form
/// cannot send the `Authorization` header).
async fn graphql_post(
    State(state): State<Arc<HttpState>>,
    Extension(AuthenticatedCaller(caller, key)): Extension<AuthenticatedCaller>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = graphql::negotiate(&headers) else {
        return graphql::not_acceptable();
    };
    if graphql::is_multipart(&headers) {
        if caller.is_none() {
            return problem(
                media,
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "sign in to send files",
            );
        }
        // Admitted before the body is read: files run to megabytes, and a
        // flood of them must wait (or be refused) before any of it is held.
        let ticket = match state.admission.admit(&key, 1).await {
            Ok(ticket) => ticket,
            Err(refusal) => return refused(media, &refusal),
        };
        // The operation and its photos come within the upload timeout (a
        // grid worker's phone may send six photos slowly); a large file
        // goes on arriving while the operation runs.
        let receiving = multipart::receive(&headers, body, state.max_body_bytes);
        let received = match tokio::time::timeout(state.upload_timeout, receiving).await {
            Ok(Ok(received)) => received,
            Ok(Err(message)) => {
                return problem(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", &message);
            }
            Err(_) => return graphql::too_slow(media, state.upload_timeout),
        };
        let timeout = if received.streamed {
            state.upload_timeout
        } else {
            state.request_timeout
        };
        let address = address_of(caller.as_ref(), &key);
        let request = BatchRequest::Single(received.request);
        return run(&state, caller, address, media, request, ticket, timeout).await;
    }
    if !graphql::is_json(&headers) {
        return problem(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "send GraphQL requests as application/json (or multipart/form-data with files)",
        );
    }
    let reading = graphql::read_body(body, state.max_body_bytes);
    let bytes = match tokio::time::timeout(state.request_timeout, reading).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return graphql::too_large(media, state.max_body_bytes),
        Err(_) => return graphql::too_slow(media, state.request_timeout),
    };
    let batch = match graphql::parse_body(&bytes) {
        Ok(batch) => batch,
        Err(message) => return problem(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", &message),
    };
    execute(&state, caller, key, media, batch).await
}

/// A GET: a graphql-ws connection when it asks to upgrade, GraphiQL for a
/// browser, and otherwise a query (never a mutation) from the URL.
async fn graphql_get(
    State(state): State<Arc<HttpState>>,
    Extension(AuthenticatedCaller(caller, key)): Extension<AuthenticatedCaller>,
    request: Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    if parts.headers.contains_key(header::UPGRADE) {
        return websocket::upgrade(&mut parts, state.schema.clone(), state.app.clone(), caller)
            .await;
    }
    let params = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|Query(params)| params)
        .unwrap_or_default();
    let asks_query = params.iter().any(|(key, _)| key == "query");
    if !asks_query && state.graphiql && wants_html(&parts.headers) {
        return assets::graphiql_page();
    }
    let Some(media) = graphql::negotiate(&parts.headers) else {
        return graphql::not_acceptable();
    };
    let request = match graphql::request_from_query(&params) {
        Ok(request) => request,
        Err(message) => return problem(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", &message),
    };
    if crate::graphql::bounds::scan(&request.query, &state.bounds).is_ok()
        && matches!(
            graphql::operation_type(&request),
            Some(OperationType::Mutation | OperationType::Subscription)
        )
    {
        let mut refused = problem(
            media,
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_REQUEST",
            "mutations are sent with POST",
        );
        refused
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return refused;
    }
    execute(&state, caller, key, media, BatchRequest::Single(request)).await
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Admits a request or batch for `caller`, runs it and answers it.
async fn execute(
    state: &HttpState,
    caller: Option<Caller>,
    key: CallerKey,
    media: Media,
    batch: BatchRequest,
) -> Response {
    let operations = match &batch {
        BatchRequest::Single(_) => 1,
        BatchRequest::Batch(requests) => requests.len(),
    };
    if operations > state.max_batch {
        return problem(
            media,
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            &format!("a batch may hold at most {} operations", state.max_batch),
        );
    }
    // Admitted before anything is built for the request, so that a flood
    // waits (or is refused) holding little.
    let ticket = match state.admission.admit(&key, operations).await {
        Ok(ticket) => ticket,
        Err(refusal) => return refused(media, &refusal),
    };
    let address = address_of(caller.as_ref(), &key);
    run(
        state,
        caller,
        address,
        media,
        batch,
        ticket,
        state.request_timeout,
    )
    .await
}

/// The address a request came from, for the audit rows of a sign-in (its
/// caller is anonymous) as for everyone else's.
fn address_of(caller: Option<&Caller>, key: &CallerKey) -> Option<String> {
    match (caller, key) {
        (Some(caller), _) => caller.address.clone(),
        (None, CallerKey::Address(address)) => address.map(|ip| ip.to_string()),
        (None, _) => None,
    }
}

/// Runs an admitted request or batch (its `_ticket` held until the answer
/// is ready); personal data read in full leaves only with its audit row
/// written.
async fn run(
    state: &HttpState,
    caller: Option<Caller>,
    address: Option<String>,
    media: Media,
    batch: BatchRequest,
    _ticket: Ticket,
    timeout: Duration,
) -> Response {
    let access = state.app.access(caller);
    let prepare = |request: async_graphql::Request| {
        attach(request, &access).data(ClientAddress(address.clone()))
    };
    let batch = match batch {
        BatchRequest::Single(request) => BatchRequest::Single(prepare(request)),
        BatchRequest::Batch(requests) => {
            BatchRequest::Batch(requests.into_iter().map(prepare).collect())
        }
    };
    let Ok(response) = tokio::time::timeout(timeout, state.schema.execute_batch(batch)).await
    else {
        // Over a limit like any other (a retry would take as long): the
        // status of a request that did not complete.
        let status = match media {
            Media::GraphqlResponse => StatusCode::BAD_REQUEST,
            Media::Json => StatusCode::OK,
        };
        return problem(
            media,
            status,
            "QUERY_TOO_COMPLEX",
            &format!(
                "the request ran longer than {} s and was stopped",
                timeout.as_secs()
            ),
        );
    };
    // Personal data read in full leaves only with its audit row written.
    if let Err(err) = access.record_reads().await {
        tracing::error!(error = ?err, "cannot audit unmasked reads; withholding the response");
        return match err {
            ApiError::Unavailable => refused(media, &err),
            _ => problem(
                media,
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            ),
        };
    }
    graphql::render(media, response)
}

/// The answer to a request not admitted: 429 for a caller over its share,
/// 503 for a server with no slot free, both with Retry-After.
pub(super) fn refused(media: Media, refusal: &ApiError) -> Response {
    let status = match refusal {
        ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let retry_after = refusal.retry_after().unwrap_or(UNAVAILABLE_RETRY_SECS);
    graphql::retry_later(
        media,
        status,
        refusal.code(),
        &refusal.message(),
        retry_after,
    )
}

/// Counters for a scraper, in Prometheus's text format.
async fn metrics(State(state): State<Arc<HttpState>>) -> Response {
    let body = state.app.metrics.render(
        &state.app.db,
        state.app.authorizer.version(),
        &state.admission,
        &state.app.audit_batches,
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// The process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// How long `/readyz` waits for the database before it says "not ready":
/// a load balancer must learn of a lost database within a couple of seconds,
/// not after the pool's own timeout.
const READY_WITHIN: Duration = Duration::from_secs(1);

/// The process can serve: its database answers, within a second.
async fn readyz(State(state): State<Arc<HttpState>>) -> Response {
    match tokio::time::timeout(READY_WITHIN, state.app.db.ping()).await {
        Ok(Ok(())) => {
            Json(json!({"status": "ready", "policyVersion": state.app.authorizer.version()}))
                .into_response()
        }
        outcome => {
            let reason = match outcome {
                Ok(Err(err)) => err.to_string(),
                _ => "no answer within a second".to_owned(),
            };
            tracing::warn!(reason, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(
                    header::RETRY_AFTER,
                    HeaderValue::from(UNAVAILABLE_RETRY_SECS),
                )],
                Json(json!({"status": "unavailable", "reason": "database"})),
            )
                .into_response()
        }
    }
}
