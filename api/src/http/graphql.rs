//! GraphQL over HTTP, as its specification and the `graphql-http` audit
//! ask: JSON in, `application/json` or `application/graphql-response+json`
//! out as the client accepts, a status that tells a request error from a
//! field error, and a GraphQL-shaped body with a code whatever went wrong.

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request, Variables};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The two answers a client may accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/json`: the legacy type; every GraphQL answer is 200.
    Json,
    /// `application/graphql-response+json`: request errors are 4xx.
    GraphqlResponse,
}

pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::Json => "application/json; charset=utf-8",
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// What the client accepts, in its order of preference: no `Accept` is
/// `application/json`; `*/*` and `application/*` are too; `None` when it
/// names neither type (answered with [`not_acceptable`]).
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
    else {
        return Some(Media::Json);
    };
    if accept.trim().is_empty() {
        return Some(Media::Json);
    }
    let mut ranges: Vec<(f32, usize, Media)> = Vec::new();
    for (order, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';');
        let kind = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|param| param.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let media = match kind.as_str() {
            GRAPHQL_RESPONSE => Media::GraphqlResponse,
            "application/json" | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        if quality > 0.0 {
            ranges.push((quality, order, media));
        }
    }
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.first().map(|(_, _, media)| *media)
}

pub fn not_acceptable() -> Response {
    problem(
        Media::Json,
        StatusCode::NOT_ACCEPTABLE,
        "BAD_REQUEST",
        "this endpoint answers application/json or application/graphql-response+json",
    )
}

/// A body with one error: for what goes wrong before GraphQL runs.
pub fn problem(media: Media, status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
    respond(media, status, &body, None)
}

/// A request that may be sent again after `retry_after` seconds, said in
/// the body's `extensions.retryAfter` and in the `Retry-After` header.
pub fn retry_later(
    media: Media,
    status: StatusCode,
    code: &str,
    message: &str,
    retry_after: u64,
) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code, "retryAfter": retry_after}}]});
    respond(media, status, &body, Some(retry_after))
}

fn respond(
    media: Media,
    status: StatusCode,
    body: &impl Serialize,
    retry_after: Option<u64>,
) -> Response {
    // Only a map with keys that are not text fails to serialise, and no
    // answer holds one; should one, it is an internal error, not a lost one.
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(err) => {
            tracing::error!(error = %err, "an answer that does not serialise");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#
                    .to_owned(),
            )
        }
    };
    let mut response = (status, text).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Whether a POST's body is JSON (`application/json`, any parameters).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("application/json"))
}

/// Whether a POST's body is a GraphQL multipart request (files beside
/// the operations).
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Reads the body; `None` when it is larger than `limit` bytes (answered
/// with [`too_large`]).
pub async fn read_body(body: Body, limit: usize) -> Option<axum::body::Bytes> {
    axum::body::to_bytes(body, limit).await.ok()
}

/// A body that did not arrive within `limit`: 408, as a slow sender is
/// told.
pub fn too_slow(media: Media, limit: std::time::Duration) -> Response {
    problem(
        media,
        StatusCode::REQUEST_TIMEOUT,
        "BAD_REQUEST",
        &format!(
            "the request's body did not arrive within {} s",
            limit.as_secs()
        ),
    )
}

pub fn too_large(media: Media, limit: usize) -> Response {
    problem(
        media,
        StatusCode::PAYLOAD_TOO_LARGE,
        "QUERY_TOO_COMPLEX",
        &format!("a request body may hold at most {limit} bytes"),
    )
}

/// A JSON body as one request or a batch, with a plain message for
/// anything that is not one.
pub fn parse_body(bytes: &[u8]) -> Result<BatchRequest, String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|err| format!("the body is not JSON ({err})"))?;
    match value {
        Value::Object(fields) => Ok(BatchRequest::Single(request_from(fields)?)),
        Value::Array(items) if items.is_empty() => Err("an empty batch".to_owned()),
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::Object(fields) => {
                    request_from(fields).map_err(|err| format!("operation {index}: {err}"))
                }
                _ => Err(format!("operation {index} is not an object")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(BatchRequest::Batch),
        _ => Err(
            r#"the body must be {"query": "…", "variables": {…}} or an array of such objects"#
                .to_owned(),
        ),
    }
}

fn request_from(mut fields: Map<String, Value>) -> Result<Request, String> {
    let query = match fields.remove("query") {
        Some(Value::String(query)) => query,
        Some(_) => return Err("`query` must be a string".to_owned()),
        None => return Err("`query` is missing".to_owned()),
    };
    let mut request = Request::new(query);
    match fields.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err("`operationName` must be a string".to_owned()),
    }
    match fields.remove("variables") {
        None | Some(Value::Null) => {}
        Some(variables @ Value::Object(_)) => {
            request = request.variables(Variables::from_json(variables));
        }
        Some(_) => return Err("`variables` must be a JSON object".to_owned()),
    }
    match fields.remove("extensions") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err("`extensions` must be a JSON object".to_owned()),
    }
    Ok(request)
}

/// A GET's parameters as a request: `query`, `operationName`, and
/// `variables` / `extensions` as JSON text.
pub fn request_from_query(params: &[(String, String)]) -> Result<Request, String> {
    let mut fields = Map::new();
    for (key, value) in params {
        let value = match key.as_str() {
            "query" | "operationName" => Value::String(value.clone()),
            "variables" | "extensions" => {
                serde_json::from_str(value).map_err(|err| format!("`{key}` is not JSON ({err})"))?
            }
            _ => continue,
        };
        fields.insert(key.clone(), value);
    }
    request_from(fields)
}

/// The operation a GET would run, read from the text: GET may only query.
pub fn operation_type(request: &Request) -> Option<OperationType> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    crate::graphql::bounds::selected_operation(&document, request.operation_name.as_deref())
        .map(|operation| operation.ty)
}

fn retry_after_of(error: &async_graphql::ServerError) -> Option<u64> {
    match error.extensions.as_ref()?.get("retryAfter")? {
        async_graphql::Value::Number(seconds) => seconds.as_u64(),
        _ => None,
    }
}

/// A request error: the request never ran (nothing to parse, validate or
/// admit), so there is no `data` at all.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// Every root field failed because the database is away or the caller is
/// over its limits: the request as a whole failed, and says so in its status.
fn failed_whole(response: &async_graphql::Response, code: &str) -> bool {
    let all_null = match &response.data {
        async_graphql::Value::Null => true,
        async_graphql::Value::Object(fields) => fields
            .values()
            .all(|value| *value == async_graphql::Value::Null),
        _ => false,
    };
    all_null
        && !response.errors.is_empty()
        && response
            .errors
            .iter()
            .all(|error| crate::graphql::code_of(error).as_deref() == Some(code))
}

/// One response's status: 503 and 429 for a whole request that could not
/// be served now, 401 for a request without the credentials it needs, and
/// under `application/graphql-response+json` 400 for a request error.
fn status_of(media: Media, response: &async_graphql::Response) -> (StatusCode, Option<u64>) {
    let retry = response.errors.iter().filter_map(retry_after_of).max();
    if failed_whole(response, "UNAVAILABLE") {
        return (StatusCode::SERVICE_UNAVAILABLE, retry.or(Some(1)));
    }
    if failed_whole(response, "RATE_LIMITED") {
        return (StatusCode::TOO_MANY_REQUESTS, retry.or(Some(1)));
    }
    if is_request_error(response) {
        if response
            .errors
            .iter()
            .any(|error| crate::graphql::code_of(error).as_deref() == Some("UNAUTHENTICATED"))
        {
            return (StatusCode::UNAUTHORIZED, None);
        }
        if media == Media::GraphqlResponse {
            return (StatusCode::BAD_REQUEST, None);
        }
    }
    (StatusCode::OK, None)
}

/// An answer as it is written out: straight from the executed response,
/// its fields in the order the query asked for them (no intermediate JSON
/// tree: on a page of 50 rows that copy was a twentieth of the work).
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

/// One response as JSON: no `data` for a request error or a whole failure
/// (the request did not run), `data` otherwise.
fn body_of(response: &async_graphql::Response, status: StatusCode) -> Answer<'_> {
    let shows_data = !is_request_error(response) && status.is_success();
    Answer {
        data: shows_data.then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    }
}

/// The HTTP answer to an executed request or batch. A batch's status is
/// that of its operations when they all agree, 200 otherwise.
pub fn render(media: Media, response: BatchResponse) -> Response {
    match response {
        BatchResponse::Single(response) => {
            let (status, retry_after) = status_of(media, &response);
            respond(media, status, &body_of(&response, status), retry_after)
        }
        BatchResponse::Batch(responses) => {
            let statuses: Vec<_> = responses.iter().map(|r| status_of(media, r)).collect();
            let (status, retry_after) = match statuses.first() {
                Some(first) if statuses.iter().all(|s| s.0 == first.0) => *first,
                _ => (StatusCode::OK, None),
            };
            let bodies: Vec<Answer<'_>> = responses
                .iter()
                .zip(statuses)
                .map(|(response, (own, _))| body_of(response, own))
                .collect();
            respond(media, status, &bodies, retry_after)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn the_accept_header_picks_the_answer() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(negotiate(&accept("application/json")), Some(Media::Json));
        assert_eq!(negotiate(&accept("*/*")), Some(Media::Json));
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Media::Json)
        );
        assert_eq!(negotiate(&accept("text/html")), None);
    }

    #[test]
    fn bodies_that_are_not_requests_are_named() {
        assert!(parse_body(br#"{"query": "{ me { username } }"}"#).is_ok());
        assert!(
            parse_body(b"{")
                .expect_err("refused")
                .starts_with("the body is not JSON")
        );
        assert_eq!(
            parse_body(br#"{"query": "{ a }", "variables": "{}"}"#).expect_err("refused"),
            "`variables` must be a JSON object"
        );
        assert_eq!(
            parse_body(br#"{}"#).expect_err("refused"),
            "`query` is missing"
        );
        assert!(parse_body(b"[]").is_err());
        assert!(parse_body(b"42").is_err());
        let deep = format!(
            "{{\"query\": \"{{a}}\", \"variables\": {{\"v\": {}1{}}}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(
            parse_body(deep.as_bytes()).is_err(),
            "serde_json's recursion limit holds"
        );
    }
}
