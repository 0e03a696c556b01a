//! What users spend: each turn's cost is added to its user's total of the UTC day the turn
//! ended on (`daily_spend`), in the same transaction as the session's own figures, so the
//! daily spending limit reads one row.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::backend::StoreConn;
use super::repo::{db_run, Db, DbError};
use super::schema::{daily_spend, sessions};

/// How a day is stored in `daily_spend.day`.
pub fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

impl Db {
    /// A turn of `session_id` (owned by `user_id`) ended at `at`: its activity and the
    /// session's cumulative cost are recorded, and `turn_cost_usd` is added to the user's
    /// spend of that UTC day. Returns false when the session does not exist.
    pub async fn record_turn(
        &self,
        session_id: &str,
        user_id: &str,
        at: NaiveDateTime,
        total_cost_usd: f64,
        turn_cost_usd: f64,
    ) -> Result<bool, DbError> {
        let (id, user) = (session_id.to_string(), user_id.to_string());
        let day = day_key(at.date());
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                let n = diesel::update(sessions::table.find(&id))
                    .set((
                        sessions::last_active_at.eq(at),
                        sessions::total_cost_usd.eq(total_cost_usd),
                    ))
                    .execute(conn)?;
                if n == 0 {
                    return Ok(false);
                }
                let cost = turn_cost_usd.max(0.0);
                diesel::insert_into(daily_spend::table)
                    .values((
                        daily_spend::user_id.eq(&user),
                        daily_spend::day.eq(&day),
                        daily_spend::cost_usd.eq(cost),
                    ))
                    .on_conflict((daily_spend::user_id, daily_spend::day))
                    .do_update()
                    .set(daily_spend::cost_usd.eq(daily_spend::cost_usd + cost))
                    .execute(conn)?;
                Ok(true)
            })
        })
        .await
    }

    /// What `user_id` spent on `day` (UTC).
    pub async fn spend_on(&self, user_id: &str, day: NaiveDate) -> Result<f64, DbError> {
        let (user, day) = (user_id.to_string(), day_key(day));
        db_run!(self, move |conn| {
            Ok(daily_spend::table
                .find((user, day))
                .select(daily_spend::cost_usd)
                .first(conn)
                .optional()?
                .unwrap_or(0.0))
        })
        .await
    }

    /// Every user's spend on `day` (UTC); users who spent nothing are absent.
    pub async fn spend_by_user_on(&self, day: NaiveDate) -> Result<HashMap<String, f64>, DbError> {
        let day = day_key(day);
        db_run!(self, move |conn| {
            let rows: Vec<(String, f64)> = daily_spend::table
                .filter(daily_spend::day.eq(day))
                .select((daily_spend::user_id, daily_spend::cost_usd))
                .load(conn)?;
            Ok(rows.into_iter().collect())
        })
        .await
    }

    /// The sum of each user's sessions' `total_cost_usd`.
    pub async fn total_cost_by_user(&self) -> Result<HashMap<String, f64>, DbError> {
        db_run!(self, |conn| {
            let rows: Vec<(String, Option<f64>)> = sessions::table
                .group_by(sessions::user_id)
                .select((
                    sessions::user_id,
                    diesel::dsl::sum(sessions::total_cost_usd),
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(user, total)| (user, total.unwrap_or(0.0)))
                .collect())
        })
        .await
    }
}
