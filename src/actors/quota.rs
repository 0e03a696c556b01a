//! Each user's quotas (docs/operations.md, "Quotas"): live sessions at once
//! (`MAX_SESSIONS_PER_USER`, checked by the supervisor when a session would take a slot) and
//! spend per UTC day (`DAILY_SPEND_LIMIT_USD`, checked before a session is created and
//! before a message starts a turn). An admin's per-user override replaces the server's
//! setting. A turn already running when the limit is passed finishes.

use std::fmt;

use chrono::{Days, NaiveDate};

use super::EngineError;
use crate::db::{models::now, Db};

/// A quota that refused a request: which one, and when it frees up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// The user holds `max` live sessions.
    Sessions { max: usize },
    /// The user's spend on `day` (UTC) reached the limit, in millionths of a dollar.
    DailySpend { limit_micros: u64, day: NaiveDate },
}

/// `$5.00`, `$0.50`, `$0.000001`: at least two decimals, at most six.
fn dollars(micros: u64) -> String {
    let whole = micros / 1_000_000;
    let fraction = format!("{:06}", micros % 1_000_000);
    let fraction = fraction.trim_end_matches('0');
    format!("${whole}.{fraction:0<2}")
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quota::Sessions { max } => write!(
                f,
                "You already have {max} live sessions, the most one user may have. The limit \
                 frees up as soon as one of them ends or is suspended: end one you no longer \
                 need, then try again."
            ),
            Quota::DailySpend { limit_micros, day } => {
                let next = day.checked_add_days(Days::new(1)).unwrap_or(*day);
                write!(
                    f,
                    "You have reached your daily spending limit of {}. It resets at midnight \
                     UTC ({}T00:00:00Z).",
                    dollars(*limit_micros),
                    next.format("%Y-%m-%d")
                )
            }
        }
    }
}

/// One user's effective limits, and what they spent today.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserQuota {
    pub max_sessions: Option<usize>,
    pub daily_spend_limit_usd: Option<f64>,
    pub spent_today_usd: f64,
    pub today: NaiveDate,
}

impl UserQuota {
    /// Refuses when today's spend has reached the daily limit.
    pub fn check_spend(&self) -> Result<(), EngineError> {
        match self.daily_spend_limit_usd {
            Some(limit) if self.spent_today_usd >= limit => {
                Err(EngineError::QuotaExceeded(Quota::DailySpend {
                    limit_micros: (limit * 1e6).round() as u64,
                    day: self.today,
                }))
            }
            _ => Ok(()),
        }
    }
}

/// Reads users' quotas: their overrides, else the server's settings.
#[derive(Clone)]
pub struct Quotas {
    db: Db,
    defaults: crate::config::Quotas,
}

impl Quotas {
    pub fn new(db: Db, defaults: crate::config::Quotas) -> Quotas {
        Quotas { db, defaults }
    }

    /// `user_id`'s limits and today's spend (a user the store does not know gets the
    /// server's settings).
    pub async fn of(&self, user_id: &str) -> Result<UserQuota, EngineError> {
        let today = now().date();
        let user = self
            .db
            .user(user_id)
            .await
            .map_err(|_| EngineError::StoreFailed)?;
        let max_sessions = user
            .as_ref()
            .and_then(|u| u.max_sessions)
            .map(|m| usize::try_from(m).unwrap_or(0))
            .or(self.defaults.max_sessions_per_user);
        let daily_spend_limit_usd = user
            .as_ref()
            .and_then(|u| u.daily_spend_limit_usd)
            .or(self.defaults.daily_spend_limit_usd);
        let spent_today_usd = match daily_spend_limit_usd {
            Some(_) => self
                .db
                .spend_on(user_id, today)
                .await
                .map_err(|_| EngineError::StoreFailed)?,
            None => 0.0,
        };
        Ok(UserQuota {
            max_sessions,
            daily_spend_limit_usd,
            spent_today_usd,
            today,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
    }

    #[test]
    fn the_messages_say_which_limit_and_when_it_resets() {
        let spend = Quota::DailySpend {
            limit_micros: 5_000_000,
            day: day(),
        };
        assert_eq!(
            spend.to_string(),
            "You have reached your daily spending limit of $5.00. It resets at midnight UTC \
             (2027-01-01T00:00:00Z)."
        );
        assert!(Quota::Sessions { max: 2 }
            .to_string()
            .starts_with("You already have 2 live sessions"));
        assert_eq!(dollars(500_000), "$0.50");
        assert_eq!(dollars(1), "$0.000001");
        assert_eq!(dollars(12_345_678), "$12.345678");
    }

    #[test]
    fn spend_is_refused_at_the_limit_not_before() {
        let mut q = UserQuota {
            max_sessions: None,
            daily_spend_limit_usd: Some(1.0),
            spent_today_usd: 0.99,
            today: day(),
        };
        assert_eq!(q.check_spend(), Ok(()));
        q.spent_today_usd = 1.0;
        assert!(matches!(
            q.check_spend(),
            Err(EngineError::QuotaExceeded(Quota::DailySpend { .. }))
        ));
        q.daily_spend_limit_usd = None;
        assert_eq!(q.check_spend(), Ok(()));
    }
}
