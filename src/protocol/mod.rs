//! The wire contract with clients, in one module (docs/protocol.md is its prose): every
//! client → server frame ([`client`]), every server → client frame ([`events`] for a
//! session's events, [`server`] for the rest), what they say about a session ([`session`])
//! and the stable error codes ([`codes`]). Nothing sends a frame that is not one of these
//! types; `fixtures` writes one of each for the web's schema tests.

pub mod attachments;
pub mod client;
pub mod codes;
pub mod commands;
pub mod events;
#[cfg(test)]
mod fixtures;
pub mod live_state;
pub mod options;
pub mod server;
pub mod session;

pub use attachments::Attachment;
pub use client::{ClientFrame, FrameError, MAX_TEXT_CHARS};
pub use codes::{ErrorCode, SuggestedAction};
pub use commands::SlashCommand;
pub use events::{EventBody, SessionEvent};
pub use live_state::{LiveState, PendingPermission, SessionStateUpdate};
pub use options::{OptionsChange, SessionOptions};
pub use server::{
    shutting_down_message, ControlFrame, ServerFrame, KEY_REVOKED_REASON, USER_DISABLED_REASON,
};
pub mod placement;
pub use placement::PlacementRequest;
pub use session::{HistoryMessage, ListedSession, SessionSummary, Source};
