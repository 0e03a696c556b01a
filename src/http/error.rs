//! The edge's error: a stable code and a message for a person, mapped here (and nowhere
//! else) to an HTTP status; the body is always `{"error": <code>, "message": <text>}`.
//! Engine failures ([`EngineError`]) and malformed client frames ([`FrameError`]) become one
//! of these; a WebSocket `error` frame carries the same code and message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::actors::EngineError;
use crate::protocol::{ErrorCode, FrameError};
use crate::session_id::InvalidSessionId;

/// An error for a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

/// The JSON body of an error.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'static str,
    pub message: &'a str,
}

/// The HTTP status of each code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidJson
        | ErrorCode::UnknownType
        | ErrorCode::ValidationError
        | ErrorCode::InvalidProject => StatusCode::BAD_REQUEST,
        ErrorCode::ProjectNotFound => StatusCode::NOT_FOUND,
        ErrorCode::SessionNotFound
        | ErrorCode::NotFound
        | ErrorCode::UserNotFound
        | ErrorCode::KeyNotFound => StatusCode::NOT_FOUND,
        ErrorCode::QueryInProgress
        | ErrorCode::SessionOpenedElsewhere
        | ErrorCode::NotResumable
        | ErrorCode::SessionLive => StatusCode::CONFLICT,
        ErrorCode::CapacityExceeded | ErrorCode::ServerShuttingDown => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ErrorCode::RateLimited | ErrorCode::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unauthorized | ErrorCode::ClusterAuthFailed => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::NotAGitRepository => StatusCode::CONFLICT,
        ErrorCode::MentionOutsideWorkspace => StatusCode::BAD_REQUEST,
        ErrorCode::WorktreeNotFound => StatusCode::NOT_FOUND,
        ErrorCode::WorktreeDirty => StatusCode::CONFLICT,
    }
}

/// The code of each engine failure.
pub fn code_of(e: EngineError) -> ErrorCode {
    match e {
        EngineError::NotFound | EngineError::NotLive | EngineError::Ended => {
            ErrorCode::SessionNotFound
        }
        EngineError::NotRunning | EngineError::NotResumable => ErrorCode::NotResumable,
        EngineError::QueryInProgress | EngineError::Restarting => ErrorCode::QueryInProgress,
        EngineError::NoSuchPermission | EngineError::OptionRefused => ErrorCode::ValidationError,
        EngineError::StillLive => ErrorCode::SessionLive,
        EngineError::AtCapacity { .. } | EngineError::OverMemoryBudget { .. } => {
            ErrorCode::CapacityExceeded
        }
        EngineError::ShuttingDown => ErrorCode::ServerShuttingDown,
        EngineError::NotGitRepository => ErrorCode::NotAGitRepository,
        EngineError::QuotaExceeded(_) => ErrorCode::QuotaExceeded,
        EngineError::MentionOutside => ErrorCode::MentionOutsideWorkspace,
        EngineError::StartFailed | EngineError::StoreFailed | EngineError::Unavailable => {
            ErrorCode::Internal
        }
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(ErrorCode::Unauthorized, "Invalid API key")
    }

    pub fn not_found() -> ApiError {
        ApiError::new(
            ErrorCode::NotFound,
            "No such endpoint. The API lives under /api/v1 (see /api/v1/openapi.json).",
        )
    }

    /// Something failed inside the server; the cause is logged, the client is told to retry.
    pub fn internal() -> ApiError {
        EngineError::StoreFailed.into()
    }

    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            error: self.code.as_str(),
            message: &self.message,
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        ApiError::new(code_of(e), e.to_string())
    }
}

impl From<FrameError> for ApiError {
    fn from(e: FrameError) -> ApiError {
        ApiError::new(e.code, e.message)
    }
}

impl From<InvalidSessionId> for ApiError {
    fn from(e: InvalidSessionId) -> ApiError {
        ApiError::new(ErrorCode::ValidationError, e.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(self.code)
    }

    fn error_response(&self) -> HttpResponse {
        crate::metrics::metrics().error(self.code.as_str());
        HttpResponse::build(self.status_code()).json(self.body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn unauthorized_body_is_exact() {
        let resp = ApiError::unauthorized().error_response();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let bytes = resp.into_body().try_into_bytes().unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            serde_json::json!({"error": "unauthorized", "message": "Invalid API key"})
        );
    }

    #[test]
    fn engine_errors_keep_their_codes_and_the_pinned_wording() {
        let e = ApiError::from(EngineError::NotResumable);
        assert_eq!(e.code, ErrorCode::NotResumable);
        assert_eq!(e.message, "Session not found or not resumable");
        assert_eq!(status_of(e.code), StatusCode::CONFLICT);
        assert_eq!(
            ApiError::from(EngineError::AtCapacity { max: 3 }).message,
            "All 3 session slots are in use. Close a session you no longer need, or try again later."
        );
        let e = ApiError::from(EngineError::ShuttingDown);
        assert_eq!(e.code.as_str(), "server_shutting_down");
        assert_eq!(status_of(e.code), StatusCode::SERVICE_UNAVAILABLE);
    }
}
