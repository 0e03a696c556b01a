//! What `GET /api/v1/projects` reads from the store: each project's session count, and the
//! ended worktree sessions whose worktree may have been kept (issue 17).

use std::collections::HashMap;

use diesel::prelude::*;

use super::listing::Scope;
use super::repo::{db_run, Db, DbError};
use super::schema::sessions;
use super::SessionStatus;

/// An ended worktree session: `(project, session_id, branch, workdir)`.
pub type EndedWorktree = (String, String, Option<String>, String);

/// The same as stored (project and workdir may be null).
type StoredWorktree = (Option<String>, String, Option<String>, Option<String>);

impl Db {
    /// Sessions per project name in `scope` (rows from before projects count under
    /// `default_name`).
    pub async fn project_counts(
        &self,
        scope: &Scope,
        default_name: &str,
    ) -> Result<HashMap<String, i64>, DbError> {
        let owner = scope.owner().map(str::to_string);
        let default_name = default_name.to_string();
        db_run!(self, move |conn| {
            let mut q = sessions::table
                .group_by(sessions::project)
                .select((sessions::project, diesel::dsl::count_star()))
                .into_boxed();
            if let Some(owner) = owner {
                q = q.filter(sessions::user_id.eq(owner));
            }
            let rows: Vec<(Option<String>, i64)> = q.load(conn)?;
            let mut out = HashMap::new();
            for (project, n) in rows {
                *out.entry(project.unwrap_or_else(|| default_name.clone()))
                    .or_insert(0) += n;
            }
            Ok(out)
        })
        .await
    }

    /// The terminated worktree sessions in `scope` (whether each worktree is still there is
    /// for the caller to check).
    pub async fn ended_worktrees(&self, scope: &Scope) -> Result<Vec<EndedWorktree>, DbError> {
        let owner = scope.owner().map(str::to_string);
        db_run!(self, move |conn| {
            let mut q = sessions::table
                .filter(sessions::isolation.eq("worktree"))
                .filter(sessions::status.eq(SessionStatus::Terminated.as_str()))
                .select((
                    sessions::project,
                    sessions::session_id,
                    sessions::branch,
                    sessions::workdir,
                ))
                .into_boxed();
            if let Some(owner) = owner {
                q = q.filter(sessions::user_id.eq(owner));
            }
            let rows: Vec<StoredWorktree> = q.load(conn)?;
            Ok(rows
                .into_iter()
                .filter_map(|(p, id, b, w)| Some((p?, id, b, w?)))
                .collect())
        })
        .await
    }
}
