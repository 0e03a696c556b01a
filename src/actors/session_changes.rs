//! A session and its directory (issue 17): the `changes_updated` frame after a turn that
//! ran a file-editing or shell tool, and the refusal of a message whose @-mentions lead out
//! of the directory (the CLI would read those files without asking).

use actix::prelude::*;
use slog::{debug, warn};

use super::session::SessionActor;
use super::EngineError;
use crate::changes::{diff, files, git::GitError, mentions};
use crate::protocol::EventBody;

impl SessionActor {
    /// Refuses `text` when one of its @-mentions leads out of the session's directory.
    pub(super) fn check_mentions(&self, text: &str) -> Result<(), EngineError> {
        match mentions::first_escape(text, &self.changes_at.0) {
            None => Ok(()),
            Some(m) => {
                warn!(self.log, "message refused: an @-mention leads outside the session's directory";
                      "mention" => m);
                Err(EngineError::MentionOutside)
            }
        }
    }

    /// Recounts the diff (off the actor) and tells the subscriber its new totals; the
    /// @-mention file list of the directory is walked again on its next use.
    pub(super) fn refresh_changes(&mut self, ctx: &mut Context<Self>) {
        let (dir, base) = self.changes_at.clone();
        files::invalidate(&dir);
        ctx.spawn(
            async move { diff::summary(&dir, base.as_deref()).await }
                .into_actor(self)
                .map(|result, act, _ctx| match result {
                    Ok(t) => act.emit(EventBody::ChangesUpdated {
                        files: t.files,
                        additions: t.additions,
                        deletions: t.deletions,
                    }),
                    Err(GitError::NotARepository) => {
                        debug!(
                            act.log,
                            "no diff: the session's directory is not a git repository"
                        );
                    }
                    Err(GitError::Failed(e)) => {
                        warn!(act.log, "could not count the changes"; "error" => e)
                    }
                }),
        );
    }
}
