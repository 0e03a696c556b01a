//! Request parsing with the API's error bodies: actix's own extractor errors (plain text)
//! are replaced by `invalid_json` / `validation_error`. (Session ids in paths are parsed
//! into [`crate::SessionId`]s by each handler.)

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};

use super::error::ApiError;
use crate::protocol::ErrorCode;

/// A body that is not JSON, or not the JSON the endpoint takes → 400 `invalid_json`.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().error_handler(|err: JsonPayloadError, _req: &HttpRequest| {
        let message = match err {
            JsonPayloadError::ContentType => {
                "Send the body as JSON with Content-Type: application/json."
            }
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                "The request body is too large."
            }
            _ => "The request body is not valid JSON for this endpoint.",
        };
        ApiError::new(ErrorCode::InvalidJson, message).into()
    })
}

/// A path segment that does not parse → 400 `validation_error`.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_err: PathError, _req: &HttpRequest| {
        ApiError::new(
            ErrorCode::ValidationError,
            "A part of the URL is malformed.",
        )
        .into()
    })
}

/// A query parameter that does not parse → 400 `validation_error`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|_err: QueryPayloadError, _req: &HttpRequest| {
        ApiError::new(
            ErrorCode::ValidationError,
            "A query parameter is malformed (after_seq and limit are whole numbers ≥ 0, purge is true or false).",
        )
        .into()
    })
}
