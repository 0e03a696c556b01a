//! The permission rules a session granted with "Allow for this session" (`session_rules`),
//! so that every later process of the session starts with them (restart, wake, server
//! restart) and the person is not asked again for the same thing.

use diesel::prelude::*;

use super::backend::StoreConn;
use super::models::now;
use super::repo::{db_run, Db, DbError};
use super::schema::session_rules;

impl Db {
    /// The rules `session_id` has granted are now `rules` (new ones after the others).
    /// Returns false when the session does not exist.
    pub async fn set_session_rules(
        &self,
        session_id: &str,
        rules: Vec<String>,
    ) -> Result<bool, DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                let exists: i64 = super::schema::sessions::table
                    .find(&id)
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    return Ok(false);
                }
                // Those still granted keep their row (and their place in the order).
                diesel::delete(
                    session_rules::table
                        .filter(session_rules::session_id.eq(&id))
                        .filter(session_rules::rule.ne_all(&rules)),
                )
                .execute(conn)?;
                let at = now();
                for rule in &rules {
                    diesel::insert_into(session_rules::table)
                        .values((
                            session_rules::session_id.eq(&id),
                            session_rules::rule.eq(rule),
                            session_rules::created_at.eq(at),
                        ))
                        .on_conflict_do_nothing()
                        .execute(conn)?;
                }
                Ok(true)
            })
        })
        .await
    }

    /// The rules `session_id` has granted, oldest first.
    pub async fn session_rules(&self, session_id: &str) -> Result<Vec<String>, DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            Ok(session_rules::table
                .filter(session_rules::session_id.eq(id))
                .order((session_rules::created_at, session_rules::rule))
                .select(session_rules::rule)
                .load(conn)?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_backends::backend_tests;
    use super::super::{Scope, Session, BOOTSTRAP_USER_ID};
    use super::*;

    const ID: &str = "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f";

    backend_tests! {
    async fn rules_are_kept_in_order_replaced_and_go_with_the_session(db: Db) {
        assert!(!db.set_session_rules(ID, vec!["Edit".into()]).await.unwrap());
        db.save(&Session::new(ID, BOOTSTRAP_USER_ID)).await.unwrap();
        assert!(db.session_rules(ID).await.unwrap().is_empty());

        let rules = vec!["Bash(npm run *)".to_string(), "Edit".to_string()];
        assert!(db.set_session_rules(ID, rules.clone()).await.unwrap());
        assert_eq!(db.session_rules(ID).await.unwrap(), rules);
        // One revoked, one added: the kept one stays first.
        let now_granted = vec!["Edit".to_string(), "Read(src/**)".to_string()];
        db.set_session_rules(ID, now_granted.clone()).await.unwrap();
        assert_eq!(db.session_rules(ID).await.unwrap(), now_granted);

        assert!(db.delete_session(&Scope::all(), ID).await.unwrap());
        assert!(db.session_rules(ID).await.unwrap().is_empty());
    }
    }
}
