//! One error type for everything a client can be told, with stable snake_case codes
//! (DESIGN §6). The HTTP status of each code is decided here and nowhere else; the body is
//! always `{"error": <code>, "message": <text for a person>}`. Causes (library errors, CLI
//! text) are logged by the caller, never put in the message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// A stable error code, as sent to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    UnknownType,
    ValidationError,
    SessionNotFound,
    QueryInProgress,
    CapacityExceeded,
    SessionOpenedElsewhere,
    NotResumable,
    RateLimited,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::ValidationError => "validation_error",
            ErrorCode::SessionNotFound => "session_not_found",
            ErrorCode::QueryInProgress => "query_in_progress",
            ErrorCode::CapacityExceeded => "capacity_exceeded",
            ErrorCode::SessionOpenedElsewhere => "session_opened_elsewhere",
            ErrorCode::NotResumable => "not_resumable",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidJson | ErrorCode::UnknownType | ErrorCode::ValidationError => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::SessionNotFound | ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::QueryInProgress
            | ErrorCode::SessionOpenedElsewhere
            | ErrorCode::NotResumable => StatusCode::CONFLICT,
            ErrorCode::CapacityExceeded => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error for a client: a code and a message written for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

/// The JSON body of an error.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'static str,
    pub message: &'a str,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> AppError {
        AppError::new(ErrorCode::Unauthorized, "Invalid API key")
    }

    pub fn not_found() -> AppError {
        AppError::new(
            ErrorCode::NotFound,
            "No such endpoint. The API lives under /api/v1 (see /api/v1/openapi.json).",
        )
    }

    /// Something failed inside the server; the cause is logged, the client is told to retry.
    pub fn internal() -> AppError {
        AppError::new(
            ErrorCode::Internal,
            "Something went wrong on the server. Please try again; if it keeps happening, check the server logs.",
        )
    }

    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            error: self.code.as_str(),
            message: &self.message,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn unauthorized_body_is_exact() {
        let resp = AppError::unauthorized().error_response();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let bytes = resp.into_body().try_into_bytes().unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            serde_json::json!({"error": "unauthorized", "message": "Invalid API key"})
        );
    }

    #[test]
    fn codes_serialize_as_their_names() {
        for code in [
            ErrorCode::InvalidJson,
            ErrorCode::CapacityExceeded,
            ErrorCode::SessionOpenedElsewhere,
            ErrorCode::Internal,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_string())
            );
        }
    }
}
