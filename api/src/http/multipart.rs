//! GraphQL multipart requests (operations, map, files) read as they
//! arrive. The operation and the map come first and are read whole within
//! the body limit; each file is read whole up to
//! [`WHOLE_UP_TO`](crate::graphql::upload::WHOLE_UP_TO) (photos), and a
//! larger one, which must be the last part, is handed to the operation to
//! read as it arrives (a registry's file): nothing is spooled to disk and
//! memory does not grow with the file.

use std::collections::HashMap;
use std::sync::Mutex;

use async_graphql::{BatchRequest, Request, UploadValue};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::domain::cases::photos::MAX_PER_REQUEST;
use crate::graphql::upload::{Streamed, WHOLE_UP_TO};

/// The largest file a request may send as it arrives, in bytes (the
/// household registry of a city of ten million is about 800 MB).
pub const MAX_STREAMED_BYTES: u64 = 1 << 30;

/// A multipart request's operation, its files attached.
pub struct Received {
    pub request: Request,
    /// Whether a file is still arriving as the operation runs.
    pub streamed: bool,
}

/// Reads `body` up to its files' contents; the message of a 400 for a
/// request that is not a GraphQL multipart request within the limits.
pub async fn receive(headers: &HeaderMap, body: Body, max_json: usize) -> Result<Received, String> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| multer::parse_boundary(value).ok())
        .ok_or("multipart/form-data needs a boundary")?;
    let limits = multer::SizeLimit::new()
        .for_field("operations", max_json as u64)
        .for_field("map", max_json as u64);
    let mut parts = multer::Multipart::with_constraints(
        body.into_data_stream(),
        boundary,
        multer::Constraints::new().size_limit(limits),
    );
    let operations = named_part(&mut parts, "operations").await?;
    let mut request = match super::graphql::parse_body(&operations)? {
        BatchRequest::Single(request) => request,
        BatchRequest::Batch(_) => {
            return Err("send files with one operation at a time, not a batch".to_owned());
        }
    };
    let map = named_part(&mut parts, "map").await?;
    let mut map: HashMap<String, Vec<String>> = serde_json::from_slice(&map)
        .map_err(|err| format!("`map` must be an object of lists of variable paths ({err})"))?;
    if map.len() > MAX_PER_REQUEST {
        return Err(format!("at most {MAX_PER_REQUEST} files a request"));
    }
    while let Some(mut field) = parts.next_field().await.map_err(described)? {
        let name = field.name().unwrap_or_default().to_owned();
        let paths = map
            .remove(&name)
            .ok_or_else(|| format!("the part `{name}` is not in `map`"))?;
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let content_type = field.content_type().map(ToString::to_string);
        let mut whole = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(described)? {
            whole.extend_from_slice(&chunk);
            if whole.len() > WHOLE_UP_TO {
                // Too large to hold: the operation reads it as it arrives.
                let places = paths
                    .iter()
                    .filter_map(|path| {
                        attach(&mut request, path, &file_name, &content_type, Bytes::new())
                    })
                    .collect();
                let bytes = arriving(Bytes::from(whole), field, parts);
                let streamed = Streamed {
                    file_name,
                    places,
                    bytes: Mutex::new(Some(bytes)),
                };
                return Ok(Received {
                    request: request.data(streamed),
                    streamed: true,
                });
            }
        }
        let content = Bytes::from(whole);
        for path in &paths {
            attach(
                &mut request,
                path,
                &file_name,
                &content_type,
                content.clone(),
            );
        }
    }
    if let Some(name) = map.keys().next() {
        return Err(format!(
            "`map` names the part `{name}`, which the request does not carry"
        ));
    }
    Ok(Received {
        request,
        streamed: false,
    })
}

/// Puts a file at `path` of the request's variables; its place among the
/// request's files, or `None` for a path that names no variable.
fn attach(
    request: &mut Request,
    path: &str,
    file_name: &str,
    content_type: &Option<String>,
    content: Bytes,
) -> Option<usize> {
    let before = request.uploads.len();
    request.set_upload(
        path,
        UploadValue {
            filename: file_name.to_owned(),
            content_type: content_type.clone(),
            content,
        },
    );
    (request.uploads.len() > before).then_some(before)
}

async fn named_part(parts: &mut multer::Multipart<'static>, name: &str) -> Result<Bytes, String> {
    let field = parts
        .next_field()
        .await
        .map_err(described)?
        .filter(|field| field.name() == Some(name))
        .ok_or_else(|| format!("the multipart request's parts start with `operations`, then `map`; `{name}` is missing"))?;
    field.bytes().await.map_err(described)
}

fn described(err: multer::Error) -> String {
    match err {
        multer::Error::FieldSizeExceeded {
            limit,
            field_name: Some(name),
        } => format!("the part `{name}` may hold at most {limit} bytes"),
        err => format!("not a GraphQL multipart request ({err})"),
    }
}

/// A file too large to hold, as it arrives: `first` (read already), then
/// the rest of `field`, within [`MAX_STREAMED_BYTES`]; no part may follow.
fn arriving(
    first: Bytes,
    field: multer::Field<'static>,
    parts: multer::Multipart<'static>,
) -> BoxStream<'static, std::io::Result<Bytes>> {
    struct Arriving {
        first: Option<Bytes>,
        field: Option<multer::Field<'static>>,
        parts: multer::Multipart<'static>,
        read: u64,
    }
    let start = Arriving {
        read: first.len() as u64,
        first: Some(first),
        field: Some(field),
        parts,
    };
    let failed = |message: String| Some((Err(std::io::Error::other(message)), None));
    futures_util::stream::unfold(Some(start), move |state| async move {
        let mut state = state?;
        if let Some(first) = state.first.take() {
            return Some((Ok(first), Some(state)));
        }
        let field = state.field.as_mut()?;
        match field.chunk().await {
            Ok(Some(chunk)) => {
                state.read += chunk.len() as u64;
                if state.read > MAX_STREAMED_BYTES {
                    return failed(format!(
                        "a file may hold at most {} MiB",
                        MAX_STREAMED_BYTES / 1024 / 1024
                    ));
                }
                Some((Ok(chunk), Some(state)))
            }
            Ok(None) => {
                // The file is whole; the parser may look past it only once
                // the field is let go.
                state.field = None;
                match state.parts.next_field().await {
                    Ok(None) => None,
                    Ok(Some(_)) => failed(format!(
                        "a file over {} MiB must be the request's last part",
                        WHOLE_UP_TO / 1024 / 1024
                    )),
                    Err(err) => failed(described(err)),
                }
            }
            Err(err) => failed(described(err)),
        }
    })
    .boxed()
}
