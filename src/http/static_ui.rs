//! The web UI: the Vite build in `web/dist`, served at `/` by the default handler (every
//! path the REST API does not claim).
//!
//! - `/assets/…` are Vite's content-hashed files: cached for a year, `immutable`.
//! - Any other existing file (favicon, …) is served with `no-cache` (revalidated by ETag).
//! - Any other GET path is a client-side route: `index.html`, `no-cache`, so a deploy is
//!   picked up on the next load (SPA fallback).
//! - `/api/…`, `/ws/…` and `/internal/…` never fall back: an unknown endpoint is the JSON 404.
//! - Paths are decoded and checked segment by segment, and the resolved file must lie inside
//!   the dist directory (links included), so nothing outside it can be read.
//! - Without a build, every UI path answers a page saying how to build it (the API works).
//! - Precompressed variants written by the build (`x.js.br`, `x.js.gz`) are sent instead of
//!   `x.js` to a client that accepts them (`Content-Encoding`), brotli first; every file
//!   that has a variant is sent with `Vary: Accept-Encoding`, so a cache keeps them apart.
//!   A range request gets the plain file (a range of compressed bytes would be wrong).

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{
    ContentEncoding, HeaderValue, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_TYPE, RANGE, VARY,
};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use super::AppState;

/// Where the build is looked for, relative to the project root.
pub const DIST_RELATIVE: &str = "web/dist";

/// Hashed assets: a new build gives them new names, so they never change.
pub const ASSET_CACHE: &str = "public, max-age=31536000, immutable";
/// `index.html` and unhashed files: always revalidate.
pub const PAGE_CACHE: &str = "no-cache";

/// The built UI's directory, if there is one (resolved once at start).
#[derive(Debug, Clone, Default)]
pub struct StaticUi {
    /// Canonical path of a directory that has an `index.html`.
    dist: Option<PathBuf>,
}

impl StaticUi {
    /// Uses `dir` if it holds a build (`index.html`); otherwise there is no UI.
    pub fn at(dir: &Path) -> StaticUi {
        let dist = std::fs::canonicalize(dir)
            .ok()
            .filter(|d| d.join("index.html").is_file());
        StaticUi { dist }
    }

    /// `web/dist` under the current directory or an ancestor of the executable (as the CLI
    /// install is found: `make run` starts the binary from the project root, and
    /// `target/release/…` finds its own project).
    pub fn locate() -> StaticUi {
        crate::config::CliSearch::from_process()
            .roots
            .iter()
            .map(|root| StaticUi::at(&root.join(DIST_RELATIVE)))
            .find(|ui| ui.dist.is_some())
            .unwrap_or_default()
    }

    pub fn dist(&self) -> Option<&Path> {
        self.dist.as_deref()
    }
}

/// The default handler: the UI for GET/HEAD outside the API, the JSON 404 otherwise.
pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let path = req.path();
    let is_api = ["/api", "/ws", "/internal"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if is_api || !(req.method() == Method::GET || req.method() == Method::HEAD) {
        return super::not_found();
    }
    let Some(dist) = state.web.dist() else {
        return not_built();
    };
    let Some(relative) = safe_relative(path) else {
        return super::not_found();
    };
    let is_asset = relative.starts_with("assets/");
    if !relative.as_os_str().is_empty() {
        if let Ok(file) = tokio::fs::canonicalize(dist.join(&relative)).await {
            if file.starts_with(dist) && file.is_file() {
                let cache = if is_asset { ASSET_CACHE } else { PAGE_CACHE };
                return send_file(&req, dist, &file, cache).await;
            }
        }
    }
    if is_asset {
        // A missing hashed asset is a stale page asking for an old build: no fallback.
        return super::not_found();
    }
    send_file(&req, dist, &dist.join("index.html"), PAGE_CACHE).await
}

/// The precompressed variants the build writes, in the order they are preferred.
const VARIANTS: [(&str, ContentEncoding); 2] = [
    ("br", ContentEncoding::Brotli),
    ("gzip", ContentEncoding::Gzip),
];

/// Sends `file` (inside `dist`), or its precompressed variant when the client takes it.
async fn send_file(
    req: &HttpRequest,
    dist: &Path,
    file: &Path,
    cache: &'static str,
) -> HttpResponse {
    let accept = req
        .headers()
        .get(ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut has_variant = false;
    let mut chosen = None;
    for (coding, encoding) in VARIANTS {
        let Some(variant) = variant_of(dist, file, coding).await else {
            continue;
        };
        has_variant = true;
        if chosen.is_none() && accepts(accept, coding) && !req.headers().contains_key(RANGE) {
            chosen = Some((variant, encoding));
        }
    }
    let opened = match &chosen {
        Some((variant, encoding)) => NamedFile::open_async(variant).await.map(|named| {
            let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
            named
                .set_content_type(actix_files::file_extension_to_mime(ext))
                .set_content_encoding(*encoding)
        }),
        None => NamedFile::open_async(file).await,
    };
    match opened {
        Ok(named) => {
            let mut res = named.disable_content_disposition().into_response(req);
            let headers = res.headers_mut();
            headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
            if has_variant {
                headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
            }
            res
        }
        Err(_) => super::not_found(),
    }
}

/// `file.br` / `file.gz` when it exists as a regular file inside `dist` (links included).
async fn variant_of(dist: &Path, file: &Path, coding: &str) -> Option<PathBuf> {
    let suffix = if coding == "gzip" { "gz" } else { coding };
    let mut name = file.file_name()?.to_os_string();
    name.push(format!(".{suffix}"));
    let variant = tokio::fs::canonicalize(file.with_file_name(name))
        .await
        .ok()?;
    (variant.starts_with(dist) && variant.is_file()).then_some(variant)
}

/// Whether an `Accept-Encoding` value takes `coding` (listed, or `*`, with a q above 0).
fn accepts(header: &str, coding: &str) -> bool {
    let mut named = None;
    let mut star = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            named = Some(q > 0.0);
        } else if name == "*" {
            star = Some(q > 0.0);
        }
    }
    named.or(star).unwrap_or(false)
}

/// The request path as a relative path of plain segments (percent-decoded); `None` when a
/// segment is `.`/`..` or would smuggle a separator or NUL.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let segment = percent_decode(raw)?;
        if segment == "." || segment == ".." || segment.contains(['/', '\\', '\0']) {
            return None;
        }
        out.push(segment);
    }
    Some(out)
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What `/` shows when `web/dist` does not exist.
const NOT_BUILT_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>claude-sdk-pattern: web UI not built</title></head>
<body>
<h1>The web UI has not been built</h1>
<p>The server is running, but it found no <code>web/dist</code> to serve (it looks in the
current directory and beside the server binary).</p>
<p>Build it with <code>make run</code>, which builds the UI and starts the server, then
reload this page.</p>
<p>The API works meanwhile at <code>/api/v1</code> (send your key in the
<code>X-API-Key</code> header; <code>/api/v1/openapi.json</code> describes it).</p>
</body>
</html>
"#;

fn not_built() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(NOT_BUILT_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read_with_its_q_values() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip, deflate, br, zstd", "gzip"));
        assert!(accepts("GZIP", "gzip"));
        assert!(!accepts("gzip", "br"));
        assert!(!accepts("", "gzip"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(accepts("br;q=0.5", "br"));
        assert!(accepts("*", "br"));
        assert!(!accepts("*, br;q=0", "br"));
        assert!(!accepts("identity", "gzip"));
    }

    #[test]
    fn paths_are_plain_segments() {
        assert_eq!(safe_relative("/").unwrap(), PathBuf::new());
        assert_eq!(
            safe_relative("/assets/app-abc.js").unwrap(),
            PathBuf::from("assets/app-abc.js")
        );
        assert_eq!(safe_relative("/a%20b//c").unwrap(), PathBuf::from("a b/c"));
        for bad in [
            "/../x",
            "/assets/../../x",
            "/%2e%2e/x",
            "/%2E%2E%2Fx",
            "/a%2fb",
            "/a%5cb",
            "/a%00",
            "/%zz",
            "/%ff",
            "/./x",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }
}
