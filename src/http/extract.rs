//! Request parsing with the API's error bodies: actix's own extractor errors (plain text)
//! are replaced by `invalid_json` / `validation_error`, and session ids are checked to be
//! UUIDs before anything looks them up.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};

use crate::error::{AppError, ErrorCode};

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
        AppError::new(ErrorCode::InvalidJson, message).into()
    })
}

/// A path segment that does not parse → 400 `validation_error`.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_err: PathError, _req: &HttpRequest| {
        AppError::new(
            ErrorCode::ValidationError,
            "A part of the URL is malformed.",
        )
        .into()
    })
}

/// A query parameter that does not parse → 400 `validation_error`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|_err: QueryPayloadError, _req: &HttpRequest| {
        AppError::new(
            ErrorCode::ValidationError,
            "A query parameter is malformed (after_seq must be a whole number ≥ 0).",
        )
        .into()
    })
}

/// The `{id}` of a session route, checked to be a UUID and normalised to the lowercase
/// hyphenated form session ids are stored in.
pub fn session_id(raw: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(raw)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| {
            AppError::new(
                ErrorCode::ValidationError,
                "The session id must be a UUID such as 3f1c2a9e-8d4b-4c1e-9a57-2b7d1e0f6c3a.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_must_be_uuids() {
        let id = uuid::Uuid::new_v4();
        assert_eq!(session_id(&id.to_string()).unwrap(), id.to_string());
        assert_eq!(
            session_id(&id.to_string().to_uppercase()).unwrap(),
            id.to_string()
        );
        for bad in ["", "abc", "../etc", "123e4567-e89b-12d3-a456-42661417400"] {
            assert_eq!(
                session_id(bad).unwrap_err().code,
                ErrorCode::ValidationError
            );
        }
    }
}
