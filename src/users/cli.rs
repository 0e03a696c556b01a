//! The operator's command line, working on the database directly (a server need not run;
//! if one does, it notices a revoked key or a disabled user within a second):
//!
//! ```text
//! claude-sdk-pattern users add NAME [--admin]   prints the new user's key (once)
//! claude-sdk-pattern users list
//! claude-sdk-pattern users disable NAME
//! claude-sdk-pattern keys create NAME           prints the new key (once)
//! claude-sdk-pattern keys revoke PREFIX
//! ```
//!
//! The database is `DATABASE_URL`, read as the server reads it. A new key is the only thing
//! printed on stdout (so `KEY=$(claude-sdk-pattern keys create alice)` works); what happened
//! goes to stderr.

use std::process::ExitCode;

use super::{add_key, add_user, disable_user, Role, UserError};
use crate::db::{models::now, Db};

/// Exit code for a command line that cannot be used (as for a bad configuration).
const EXIT_USAGE: u8 = 2;

pub const USAGE: &str = "\
claude-sdk-pattern users add NAME [--admin]   add a user (a member unless --admin); prints its key
claude-sdk-pattern users list                 list users with their keys' prefixes
claude-sdk-pattern users disable NAME         disable a user: its keys and connections stop working
claude-sdk-pattern keys create NAME           make another key for a user; prints it
claude-sdk-pattern keys revoke PREFIX         revoke a key (PREFIX as `users list` shows it)";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    AddUser { name: String, admin: bool },
    ListUsers,
    DisableUser { name: String },
    CreateKey { name: String },
    RevokeKey { prefix: String },
}

fn parse(group: &str, args: &[String]) -> Result<Command, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match (group, words.as_slice()) {
        ("users", ["add", name]) => Ok(Command::AddUser {
            name: name.to_string(),
            admin: false,
        }),
        ("users", ["add", name, "--admin"]) | ("users", ["add", "--admin", name]) => {
            Ok(Command::AddUser {
                name: name.to_string(),
                admin: true,
            })
        }
        ("users", ["list"]) => Ok(Command::ListUsers),
        ("users", ["disable", name]) => Ok(Command::DisableUser {
            name: name.to_string(),
        }),
        ("keys", ["create", name]) => Ok(Command::CreateKey {
            name: name.to_string(),
        }),
        ("keys", ["revoke", prefix]) => Ok(Command::RevokeKey {
            prefix: prefix.to_string(),
        }),
        _ => Err(format!(
            "claude-sdk-pattern {group}: expected one of:\n{USAGE}"
        )),
    }
}

/// Runs `claude-sdk-pattern <group> <args…>` (`group` is `users` or `keys`).
pub fn run(group: &str, args: &[String]) -> ExitCode {
    let command = match parse(group, args) {
        Ok(c) => c,
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let location = match crate::config::database_from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("claude-sdk-pattern: configuration error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("claude-sdk-pattern: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let db = match Db::connect(&location).await {
            Ok(db) => db,
            Err(e) => {
                eprintln!(
                    "claude-sdk-pattern: cannot open the database {}: {e}",
                    location.redacted()
                );
                return ExitCode::FAILURE;
            }
        };
        match execute(&db, command).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("claude-sdk-pattern: {message}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn user_id_of(db: &Db, name: &str) -> Result<String, String> {
    match db.user_by_name(name).await {
        Ok(Some(user)) => Ok(user.user_id),
        Ok(None) => Err(format!("no user called {name:?} (see `users list`)")),
        Err(e) => Err(e.to_string()),
    }
}

fn described(e: UserError) -> String {
    match e {
        UserError::NoSuchUser => "no such user, or the user is disabled".to_string(),
        other => other.to_string(),
    }
}

async fn execute(db: &Db, command: Command) -> Result<(), String> {
    match command {
        Command::AddUser { name, admin } => {
            let role = if admin { Role::Admin } else { Role::Member };
            let (user, key, row) = add_user(db, &name, role).await.map_err(described)?;
            eprintln!(
                "Added {} ({}). Its key {} is printed below, once: store it now.",
                user.name,
                user.role.as_str(),
                row.prefix
            );
            println!("{}", key.expose());
        }
        Command::ListUsers => {
            let users = db.users().await.map_err(|e| e.to_string())?;
            let keys = db.keys().await.map_err(|e| e.to_string())?;
            println!(
                "{:<24} {:<7} {:<9} {:<20} keys",
                "name", "role", "status", "created"
            );
            for user in users {
                let prefixes: Vec<String> = keys
                    .iter()
                    .filter(|k| k.user_id == user.user_id)
                    .map(|k| match k.revoked_at {
                        Some(_) => format!("{} (revoked)", k.prefix),
                        None => k.prefix.clone(),
                    })
                    .collect();
                let prefixes = if user.user_id == crate::db::BOOTSTRAP_USER_ID {
                    let mut p = vec!["CLAUDE_SDK_PATTERN_API_KEY".to_string()];
                    p.extend(prefixes);
                    p
                } else {
                    prefixes
                };
                println!(
                    "{:<24} {:<7} {:<9} {:<20} {}",
                    user.name,
                    user.role.as_str(),
                    if user.disabled { "disabled" } else { "enabled" },
                    user.created_at.format("%Y-%m-%d %H:%M:%S"),
                    prefixes.join(", ")
                );
            }
        }
        Command::DisableUser { name } => {
            let id = user_id_of(db, &name).await?;
            disable_user(db, &id).await.map_err(described)?;
            eprintln!("Disabled {name}: its keys no longer work, and a running server closes its connections.");
        }
        Command::CreateKey { name } => {
            let id = user_id_of(db, &name).await?;
            let (key, row) = add_key(db, &id).await.map_err(described)?;
            eprintln!(
                "Made key {} for {name}. It is printed below, once: store it now.",
                row.prefix
            );
            println!("{}", key.expose());
        }
        Command::RevokeKey { prefix } => {
            let revoked = db
                .revoke_key(&prefix, true, now())
                .await
                .map_err(|e| e.to_string())?;
            match revoked {
                Some(key) => eprintln!("Revoked key {}.", key.prefix),
                None => return Err(format!("no key with prefix {prefix:?} (see `users list`)")),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn commands_parse_and_anything_else_is_usage() {
        assert_eq!(
            parse("users", &args(&["add", "alice", "--admin"])),
            Ok(Command::AddUser {
                name: "alice".into(),
                admin: true
            })
        );
        assert_eq!(
            parse("users", &args(&["add", "bob"])),
            Ok(Command::AddUser {
                name: "bob".into(),
                admin: false
            })
        );
        assert_eq!(parse("users", &args(&["list"])), Ok(Command::ListUsers));
        assert_eq!(
            parse("keys", &args(&["revoke", "csp_12345678"])),
            Ok(Command::RevokeKey {
                prefix: "csp_12345678".into()
            })
        );
        for bad in [&["add"][..], &["list", "x"], &["remove", "a"], &[]] {
            assert!(parse("users", &args(bad)).is_err(), "{bad:?}");
        }
        assert!(parse("keys", &args(&["create"])).is_err());
    }
}
