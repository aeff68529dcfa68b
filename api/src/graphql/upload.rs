//! Files of a GraphQL multipart request. A small file (a photo) is read
//! whole before the operation runs; a larger one, which must be the
//! request's last part, is read by the operation as it arrives (a
//! registry's file), so a file of any size is neither held whole nor
//! written to disk, where raw ID numbers must never land.

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use async_graphql::{Context, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::error::{ApiError, ApiResult};

/// Where the multipart reader puts a file in a request's variables.
pub const FILE_MARKER: &str = "#__graphql_file__:";

/// The largest file read whole before the operation runs (a phone's photo
/// fits); a larger one is read as it arrives.
pub const WHOLE_UP_TO: usize = 5 * 1024 * 1024;

/// How long a file being read may send nothing before the read fails: a
/// sender that stalls must not hold a thread for the whole upload timeout.
const IDLE_AT_MOST: Duration = Duration::from_secs(30);

/// A file of a GraphQL multipart request. async-graphql's own `Upload`
/// panics on a forged marker (a bad number, or one naming no file), on
/// any transport, graphql-ws included; this one refuses it.
#[derive(Debug, Clone, Copy)]
pub struct Upload(usize);

/// A file of a GraphQL multipart request (operations, map, files).
#[Scalar(
    name = "Upload",
    specified_by_url = "https://github.com/jaydenseric/graphql-multipart-request-spec"
)]
impl ScalarType for Upload {
    fn parse(value: Value) -> InputValueResult<Self> {
        if let Value::String(text) = &value
            && let Some(n) = text
                .strip_prefix(FILE_MARKER)
                .and_then(|n| n.parse::<usize>().ok())
        {
            return Ok(Upload(n));
        }
        Err(InputValueError::expected_type(value))
    }

    fn to_value(&self) -> Value {
        Value::Null
    }
}

/// The request's file too large to be read whole: its name, the places
/// of the request's files it holds, and its bytes as they arrive (taken
/// once).
pub struct Streamed {
    pub file_name: String,
    pub places: Vec<usize>,
    pub bytes: Mutex<Option<BoxStream<'static, std::io::Result<Bytes>>>>,
}

/// A file's name and its bytes, to be read once on a blocking thread.
pub struct FileReader {
    pub file_name: String,
    pub bytes: Box<dyn Read + Send>,
}

impl Upload {
    fn streamed<'a>(self, ctx: &'a Context<'_>) -> Option<&'a Streamed> {
        ctx.data_opt::<Streamed>()
            .filter(|streamed| streamed.places.contains(&self.0))
    }

    /// The file's bytes, if the request holds such a file; refused for one
    /// too large to be read whole (`field` names it).
    pub fn bytes(self, ctx: &Context<'_>, field: &str) -> ApiResult<Option<Vec<u8>>> {
        if self.streamed(ctx).is_some() {
            return Err(ApiError::bad_input(
                field,
                format!("at most {} MiB a file", WHOLE_UP_TO / 1024 / 1024),
            ));
        }
        Ok(ctx
            .query_env
            .uploads
            .get(self.0)
            .map(|file| file.content.to_vec()))
    }

    /// The file, to be read once as it arrives, if the request holds such
    /// a file (`field` names it in a refusal).
    pub fn reader(self, ctx: &Context<'_>, field: &str) -> ApiResult<Option<FileReader>> {
        if let Some(streamed) = self.streamed(ctx) {
            let bytes = streamed
                .bytes
                .lock()
                .map_err(|_| ApiError::Internal(anyhow::anyhow!("an upload's lock was poisoned")))?
                .take()
                .ok_or_else(|| ApiError::bad_input(field, "a large file can be read only once"))?;
            return Ok(Some(FileReader {
                file_name: streamed.file_name.clone(),
                bytes: Box::new(Arriving {
                    bytes,
                    current: Bytes::new(),
                    runtime: tokio::runtime::Handle::current(),
                }),
            }));
        }
        Ok(ctx.query_env.uploads.get(self.0).map(|file| FileReader {
            file_name: file.filename.clone(),
            bytes: Box::new(std::io::Cursor::new(file.content.clone())),
        }))
    }
}

/// A file's bytes as they arrive, read on a blocking thread (never on the
/// runtime's own, where waiting for the network would stall it).
struct Arriving {
    bytes: BoxStream<'static, std::io::Result<Bytes>>,
    current: Bytes,
    runtime: tokio::runtime::Handle,
}

impl Read for Arriving {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            let next = self
                .runtime
                .block_on(tokio::time::timeout(IDLE_AT_MOST, self.bytes.next()));
            match next {
                Ok(Some(chunk)) => self.current = chunk?,
                Ok(None) => return Ok(0),
                Err(_) => {
                    return Err(std::io::Error::other(format!(
                        "nothing arrived for {} s",
                        IDLE_AT_MOST.as_secs()
                    )));
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
