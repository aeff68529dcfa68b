//! The HTTP face: the router, its middleware, and the probes.

use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::LimitsConfig;
use crate::graphql::{AppState, GridgovSchema, request_data};

pub const GRAPHQL_PATH: &str = "/graphql";

#[derive(Clone)]
struct HttpState {
    schema: GridgovSchema,
    app: AppState,
    graphiql: bool,
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
    };
    Router::new()
        .route(GRAPHQL_PATH, get(graphiql_page).post(graphql))
        .route("/", get(|| async { Redirect::temporary(GRAPHQL_PATH) }))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        // The GraphQL extractor reads the body itself, so the limit must sit
        // on the body, not on axum's extractors.
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(limits.request_timeout_secs),
        ))
        .with_state(state)
}

async fn graphql(State(state): State<HttpState>, request: GraphQLRequest) -> GraphQLResponse {
    let request = request.into_inner().data(request_data(&state.app));
    state.schema.execute(request).await.into()
}

/// GraphiQL for a browser; anything else is told to POST.
async fn graphiql_page(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if state.graphiql && wants_html {
        return Html(GraphiQLSource::build().endpoint(GRAPHQL_PATH).finish()).into_response();
    }
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, "POST")],
        Json(json!({"errors": [{"message": "send GraphQL requests with POST", "extensions": {"code": "BAD_REQUEST"}}]})),
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
        Ok(()) => Json(json!({"status": "ready"})).into_response(),
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
