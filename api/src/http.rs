//! The HTTP face: the router, its middleware, authentication and the probes.

use std::time::Duration;

use async_graphql::BatchRequest;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLBatchRequest, GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::auth::{Caller, api_tokens};
use crate::config::LimitsConfig;
use crate::domain::audit::Actor;
use crate::domain::privacy::UnmaskedReads;
use crate::graphql::{AppState, GridgovSchema, attach, connection_data};

pub const GRAPHQL_PATH: &str = "/graphql";

#[derive(Clone)]
struct HttpState {
    schema: GridgovSchema,
    app: AppState,
    graphiql: bool,
    max_batch: usize,
}

pub fn router(
    schema: GridgovSchema,
    app: AppState,
    limits: &LimitsConfig,
    graphiql: bool,
) -> Router {
    let state = HttpState {
        schema,
        app,
        graphiql,
        max_batch: limits.max_batch,
    };
    Router::new()
        .route(GRAPHQL_PATH, get(graphql_get).post(graphql))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .route("/", get(|| async { Redirect::temporary(GRAPHQL_PATH) }))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        // The GraphQL extractor reads the body itself, so the limit must sit
        // on the body, not on axum's extractors.
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(limits.request_timeout_secs),
        ))
        .with_state(state)
}

/// Establishes the caller from `Authorization: Bearer …`: an access token
/// (JWT) or a scoped API token (`ggv_…`). No header: an anonymous caller,
/// who can sign in and nothing else. A header that does not check out, for
/// whatever reason, gets the same 401.
async fn authenticate(
    State(state): State<HttpState>,
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
                Err(err) => {
                    tracing::error!(error = ?err, "cannot check a token");
                    return internal_error();
                }
            }
        }
    };
    request.extensions_mut().insert(AuthenticatedCaller(caller));
    next.run(request).await
}

#[derive(Clone)]
struct AuthenticatedCaller(Option<Caller>);

pub async fn identify(app: &AppState, token: &str) -> anyhow::Result<Option<Caller>> {
    if token.starts_with(api_tokens::PREFIX) {
        return api_tokens::authenticate(&app.db, token)
            .await
            .map_err(|err| anyhow::anyhow!("{}", err.message()));
    }
    let Ok(claims) = app.keys.verify(token) else {
        return Ok(None);
    };
    let Some(username) = claims.sub.strip_prefix("user:") else {
        return Ok(None);
    };
    Ok(Some(Caller {
        principal: policies::Principal::user(username),
        user_id: Some(claims.uid),
        department_id: None,
        token_id: None,
        name: username.to_owned(),
        expires_at: chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
    }))
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

async fn graphql(
    State(state): State<HttpState>,
    Extension(AuthenticatedCaller(caller)): Extension<AuthenticatedCaller>,
    request: GraphQLBatchRequest,
) -> Response {
    let unmasked = UnmaskedReads::default();
    let actor = caller.as_ref().map(Actor::from);
    let batch = match request.into_inner() {
        BatchRequest::Single(request) => {
            BatchRequest::Single(attach(request, &state.app, caller, &unmasked))
        }
        BatchRequest::Batch(requests) => {
            if requests.len() > state.max_batch {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"errors": [{
                        "message": format!("a batch may hold at most {} operations", state.max_batch),
                        "extensions": {"code": "QUERY_TOO_COMPLEX"}
                    }]})),
                )
                    .into_response();
            }
            BatchRequest::Batch(
                requests
                    .into_iter()
                    .map(|request| attach(request, &state.app, caller.clone(), &unmasked))
                    .collect(),
            )
        }
    };
    let response = state.schema.execute_batch(batch).await;
    // Personal data read in full leaves only with its audit row written.
    if let Some(actor) = &actor
        && let Err(err) = unmasked.record(&state.app.db, actor).await
    {
        tracing::error!(error = ?err, "cannot audit unmasked reads; withholding the response");
        return internal_error();
    }
    GraphQLResponse::from(response).into_response()
}

fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(
            json!({"errors": [{"message": "internal error", "extensions": {"code": "INTERNAL"}}]}),
        ),
    )
        .into_response()
}

/// A GET on the endpoint: a graphql-ws connection when it asks to upgrade,
/// GraphiQL for a browser, and for anything else a hint to POST.
async fn graphql_get(
    State(state): State<HttpState>,
    Extension(AuthenticatedCaller(caller)): Extension<AuthenticatedCaller>,
    request: Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    if !parts.headers.contains_key(header::UPGRADE) {
        return graphiql_page(&state, &parts.headers);
    }
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &()).await {
        Ok(protocol) => protocol,
        Err(err) => return err.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(err) => return err.into_response(),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            let app = state.app.clone();
            GraphQLWebSocket::new(stream, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let caller = match bearer_in(&payload) {
                        Some(token) => identify(&app, &token).await.ok().flatten(),
                        None => caller,
                    };
                    // A live connection outlasts any clock skew the token
                    // check allows for: a token past its expiry opens none.
                    match caller {
                        Some(caller) if caller.expires_at > chrono::Utc::now() => {
                            Ok(connection_data(&app, Some(caller)))
                        }
                        _ => Err(async_graphql::Error::new(
                            "a valid, unexpired token is required",
                        )),
                    }
                })
                .serve()
        })
}

/// The token a graphql-ws `connection_init` carries: `{"Authorization":
/// "Bearer …"}` (any case) or `{"token": "…"}`.
fn bearer_in(payload: &serde_json::Value) -> Option<String> {
    let object = payload.as_object()?;
    object.iter().find_map(|(key, value)| {
        let value = value.as_str()?;
        match key.to_ascii_lowercase().as_str() {
            "authorization" => Some(
                value
                    .strip_prefix("Bearer ")
                    .unwrap_or(value)
                    .trim()
                    .to_owned(),
            ),
            "token" => Some(value.trim().to_owned()),
            _ => None,
        }
    })
}

/// GraphiQL for a browser; anything else is told to POST.
fn graphiql_page(state: &HttpState, headers: &HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if state.graphiql && wants_html {
        return Html(
            GraphiQLSource::build()
                .endpoint(GRAPHQL_PATH)
                .subscription_endpoint(GRAPHQL_PATH)
                .finish(),
        )
        .into_response();
    }
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, "POST")],
        Json(json!({"errors": [{"message": "send GraphQL requests with POST", "extensions": {"code": "BAD_REQUEST"}}]})),
    )
        .into_response()
}

/// Counters for a scraper.
async fn metrics(State(state): State<HttpState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.app.sql.render(),
    )
        .into_response()
}

/// The process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The process can serve: its database answers.
async fn readyz(State(state): State<HttpState>) -> Response {
    match state.app.db.ping().await {
        Ok(()) => Json(json!({"status": "ready", "policyVersion": state.app.authorizer.version()}))
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "reason": "database"})),
            )
                .into_response()
        }
    }
}
