//! The browser pages the binary serves, and everything they load, compiled
//! into it: a city network is often cut off from the internet, so no page
//! may reach for another origin. Libraries are vendored byte for byte from
//! their npm packages (`api/assets/vendor/fetch.sh`, checked in CI), named
//! with their version and kept by browsers for a year; our own files are
//! asked again each time, cheaply, by `ETag`.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::etag;
use super::graphql::{Media, problem};
use crate::auth::secret::hex;

/// Where the assets are served from.
pub const ASSETS_PATH: &str = "/assets";

struct Asset {
    name: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    /// Its name changes whenever its content does.
    versioned: bool,
}

macro_rules! vendored {
    ($name:literal, $content_type:expr, $versioned:expr) => {
        Asset {
            name: $name,
            body: include_bytes!(concat!("../../assets/vendor/", $name)),
            content_type: $content_type,
            versioned: $versioned,
        }
    };
}

macro_rules! ours {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            body: include_bytes!(concat!("../../assets/", $name)),
            content_type: $content_type,
            versioned: false,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

static ASSETS: &[Asset] = &[
    vendored!("graphiql-3.9.0.min.js", JS, true),
    vendored!("graphiql-3.9.0.min.css", CSS, true),
    vendored!("react-18.3.1.production.min.js", JS, true),
    vendored!("react-dom-18.3.1.production.min.js", JS, true),
    vendored!("echarts-6.0.0.min.js", JS, true),
    // The licences' names carry no version: asked again, like our own files.
    vendored!("LICENSE.graphiql", TEXT, false),
    vendored!("LICENSE.react", TEXT, false),
    vendored!("LICENSE.react-dom", TEXT, false),
    vendored!("LICENSE.echarts", TEXT, false),
    vendored!("NOTICE.echarts", TEXT, false),
    vendored!("LICENSE-d3.echarts", TEXT, false),
    ours!("graphiql.js", JS),
    ours!("screen-core.js", JS),
    ours!("screen-map.js", JS),
    ours!("screen-panel.js", JS),
    ours!("screen-live.js", JS),
    ours!("screen-command.js", JS),
    ours!("screen.js", JS),
    ours!("screen.css", CSS),
];

/// The pages, which load only from [`ASSETS_PATH`]: GraphiQL, and the
/// command centre's screen (which signs in and asks the API like any
/// other client).
const GRAPHIQL_PAGE: &str = include_str!("../../assets/graphiql.html");
const SCREEN_PAGE: &str = include_str!("../../assets/screen.html");

/// Where the screen is served.
pub const SCREEN_PATH: &str = "/screen";

/// What a page of ours may load and talk to: this origin only (`'self'`
/// covers its own `ws:`/`wss:` in CSP 3 browsers). GraphiQL and the charts
/// set style attributes, so inline styles stay allowed; inline scripts do
/// not. GraphiQL's stylesheet carries its fonts and icons as `data:` URLs.
const PAGE_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// Each asset's `ETag`: a hash of its content, worked out once.
static TAGS: LazyLock<HashMap<&'static str, HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            let tag = format!("\"{}\"", hex(&digest[..12]));
            let value = HeaderValue::from_str(&tag).expect("a hex ETag is a valid header");
            (asset.name, value)
        })
        .collect()
});

/// GraphiQL, served where GraphQL is.
pub(super) fn graphiql_page() -> Response {
    page(GRAPHIQL_PAGE)
}

/// `GET /screen`.
pub(super) async fn screen_page() -> Response {
    page(SCREEN_PAGE)
}

fn page(html: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        html,
    )
        .into_response()
}

/// `GET /assets/{name}`: the asset, or 304 when the browser's copy is it.
pub(super) async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name) else {
        return problem(
            Media::Json,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such asset",
        );
    };
    let tag = TAGS[asset.name].clone();
    let cache = if asset.versioned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let common = [
        (header::ETAG, tag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if etag::already_held(&headers, tag.to_str().unwrap_or_default()) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        )],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    fn names_in(dir: &str) -> Vec<String> {
        std::fs::read_dir(dir)
            .expect("a folder of assets")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    /// Every file in `assets/vendor` is served, and fetched from its
    /// package by `fetch.sh` (which `--check` compares byte for byte).
    #[test]
    fn every_vendored_file_is_served_and_fetched() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/vendor");
        let fetch = std::fs::read_to_string(format!("{dir}/fetch.sh")).expect("fetch.sh");
        let files: Vec<String> = names_in(dir)
            .into_iter()
            .filter(|name| name != "fetch.sh")
            .collect();
        for file in &files {
            assert!(
                ASSETS.iter().any(|asset| asset.name == file),
                "{file} is not served"
            );
            assert!(
                fetch
                    .lines()
                    .any(|line| line.trim_end_matches('"').ends_with(&format!(" {file}"))),
                "{file} is not in fetch.sh"
            );
        }
        // Our own scripts and styles beside the pages are served too, and
        // nothing else is.
        let ours: Vec<String> = names_in(concat!(env!("CARGO_MANIFEST_DIR"), "/assets"))
            .into_iter()
            .filter(|name| name.ends_with(".js") || name.ends_with(".css"))
            .collect();
        for file in &ours {
            assert!(
                ASSETS.iter().any(|asset| asset.name == file),
                "{file} is not served"
            );
        }
        assert_eq!(ASSETS.len(), files.len() + ours.len());
    }
}
