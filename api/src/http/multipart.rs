//! GraphQL multipart requests (operations, map, files) read as they
//! arrive. The operation and the map come first and are read whole within
//! the body limit; each file is read whole up to
//! [`WHOLE_UP_TO`](crate::graphql::upload::WHOLE_UP_TO) (photos), and a
//! larger one, which must be the last part, is handed to the operation to
//! read as it arrives (a registry's file): nothing is spooled to disk and
//! memory does not grow with the file.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::{BatchRequest, Request, UploadValue};
use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::graphql::upload::{Streamed, WHOLE_UP_TO};

/// The largest file a request may send as it arrives, in bytes (the
/// household registry of a city of ten million is about 800 MB).
pub const MAX_STREAMED_BYTES: u64 = 1 << 30;
/// Files one request may carry (each operation has its own, lower, limit:
/// six photos).
const MAX_FILES: usize = 10;
/// Places in the variables the files may go to, all files together.
const MAX_PLACES: usize = 20;
/// What the parser may hold that no part has handed over yet (boundaries,
/// part headers, and what it has read ahead of a slow reader): more is a
/// part header or preamble that never ends.
const PENDING_AT_MOST: u64 = 32 * 1024 * 1024;
/// The longest file name kept.
const FILE_NAME_CHARS: usize = 200;

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
    let handed_over = Arc::new(AtomicU64::new(0));
    let mut parts = multer::Multipart::with_constraints(
        pending_at_most(body, handed_over.clone()),
        boundary,
        multer::Constraints::new().size_limit(limits),
    );
    let operations = named_part(&mut parts, "operations").await?;
    handed_over.fetch_add(operations.len() as u64, Ordering::Relaxed);
    let mut request = match super::graphql::parse_body(&operations)? {
        BatchRequest::Single(request) => request,
        BatchRequest::Batch(_) => {
            return Err("send files with one operation at a time, not a batch".to_owned());
        }
    };
    let map = named_part(&mut parts, "map").await?;
    handed_over.fetch_add(map.len() as u64, Ordering::Relaxed);
    let mut map: HashMap<String, Vec<String>> = serde_json::from_slice(&map)
        .map_err(|err| format!("`map` must be an object of lists of variable paths ({err})"))?;
    if map.len() > MAX_FILES {
        return Err(format!("at most {MAX_FILES} files a request"));
    }
    if map.values().map(Vec::len).sum::<usize>() > MAX_PLACES {
        return Err(format!("`map` may name at most {MAX_PLACES} places"));
    }
    while let Some(mut field) = parts.next_field().await.map_err(described)? {
        let name = field.name().unwrap_or_default().to_owned();
        let paths = map
            .remove(&name)
            .ok_or_else(|| format!("the part `{name}` is not in `map`"))?;
        let file = FileInfo {
            name: field
                .file_name()
                .unwrap_or_default()
                .chars()
                .take(FILE_NAME_CHARS)
                .collect(),
            content_type: field.content_type().map(ToString::to_string),
        };
        let mut whole = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(described)? {
            handed_over.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            whole.extend_from_slice(&chunk);
            if whole.len() > WHOLE_UP_TO {
                // Too large to hold: the operation reads it as it arrives.
                let places = attach(&mut request, &paths, &file, Bytes::new())?;
                if places.is_empty() {
                    return Err(format!("the part `{name}` goes to no variable"));
                }
                let bytes = arriving(Bytes::from(whole), field, parts, handed_over);
                let streamed = Streamed {
                    file_name: file.name,
                    places,
                    bytes: Mutex::new(Some(bytes)),
                };
                return Ok(Received {
                    request: request.data(streamed),
                    streamed: true,
                });
            }
        }
        attach(&mut request, &paths, &file, Bytes::from(whole))?;
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

/// The body, failing once the parser holds more than [`PENDING_AT_MOST`]
/// bytes that no part has handed over.
fn pending_at_most(
    body: Body,
    handed_over: Arc<AtomicU64>,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let mut received = 0u64;
    body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        received += chunk.len() as u64;
        if received.saturating_sub(handed_over.load(Ordering::Relaxed)) > PENDING_AT_MOST {
            return Err(std::io::Error::other(
                "a part's headers (or what comes before the first part) never end",
            ));
        }
        Ok(chunk)
    })
}

/// A part's name and type as its headers give them.
struct FileInfo {
    name: String,
    content_type: Option<String>,
}

/// Puts a file at each of `paths` in the request's variables; its places
/// among the request's files, or why a path names no variable.
fn attach(
    request: &mut Request,
    paths: &[String],
    file: &FileInfo,
    content: Bytes,
) -> Result<Vec<usize>, String> {
    paths
        .iter()
        .map(|path| {
            let before = request.uploads.len();
            request.set_upload(
                path,
                UploadValue {
                    filename: file.name.clone(),
                    content_type: file.content_type.clone(),
                    content: content.clone(),
                },
            );
            (request.uploads.len() > before)
                .then_some(before)
                .ok_or_else(|| {
                    format!("the `map` path `{path}` names no variable of the operation")
                })
        })
        .collect()
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
    handed_over: Arc<AtomicU64>,
) -> BoxStream<'static, std::io::Result<Bytes>> {
    struct Arriving {
        first: Option<Bytes>,
        field: Option<multer::Field<'static>>,
        parts: multer::Multipart<'static>,
        read: u64,
        handed_over: Arc<AtomicU64>,
    }
    let start = Arriving {
        read: first.len() as u64,
        first: Some(first),
        field: Some(field),
        parts,
        handed_over,
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
                state
                    .handed_over
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
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
