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
            "A query parameter is malformed (after_seq and limit are whole numbers ≥ 0, purge and force are true or false).",
        )
        .into()
    })
}

/// A JSON request body that must be an object, as the OpenAPI document says. (A derived
/// `Deserialize` for a struct also takes an array of its fields in order: `[null, null]`
/// would have been read as "reset both quotas".) Errors as [`json_config`]'s.
pub struct JsonObject<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let body =
            web::Json::<serde_json::Map<String, serde_json::Value>>::from_request(req, payload);
        Box::pin(async move {
            let object = body.await?.into_inner();
            serde_json::from_value(serde_json::Value::Object(object))
                .map(JsonObject)
                .map_err(|_| {
                    ApiError::new(
                        ErrorCode::InvalidJson,
                        "The request body is not valid JSON for this endpoint.",
                    )
                    .into()
                })
        })
    }
}

/// An optional JSON object body: nothing and `null` are `None`. (A body of only
/// whitespace is not JSON, as the OpenAPI document says: `invalid_json`.)
pub fn optional_object<T: serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<Option<T>, serde_json::Error> {
    if body.is_empty() {
        return Ok(None);
    }
    match serde_json::from_slice::<Option<serde_json::Map<String, serde_json::Value>>>(body)? {
        None => Ok(None),
        Some(object) => serde_json::from_value(serde_json::Value::Object(object)).map(Some),
    }
}
