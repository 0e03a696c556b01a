//! The slash commands a session's CLI offers (issue 15): built-in commands that work in
//! this mode, the workspace's `commands/` and its skills, from the CLI's `initialize`
//! answer, as `session_ready.commands` carries them for the composer's palette.

use serde::Serialize;
use serde_json::Value;

/// Commands a web session cannot use: terminal-only ones (the CLI lists them in
/// `system/init.terminal_slash_commands`) and `/clear`, which starts a conversation under a
/// new id the server does not follow (cli-research §3.2).
pub const HIDDEN_COMMANDS: [&str; 6] = [
    "doctor",
    "color",
    "focus",
    "reload-plugins",
    "heapdump",
    "clear",
];

/// One entry of the palette.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SlashCommand {
    /// Without the slash, e.g. `compact`, `mycmd`, `sub:nested`.
    pub name: String,
    /// The CLI's description (workspace ones end in "(project)").
    pub description: String,
    /// What the arguments are, e.g. `<thing>`; empty when it takes none.
    pub argument_hint: String,
}

/// The palette's commands from the CLI's `initialize` answer (its `commands` list), in the
/// CLI's order (workspace commands first), without internal (`__`) and hidden ones.
pub fn from_initialize(raw: &Value) -> Vec<SlashCommand> {
    let text = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    raw.get("commands")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| SlashCommand {
                    name: text(c, "name"),
                    description: text(c, "description"),
                    argument_hint: text(c, "argumentHint"),
                })
                .filter(|c| {
                    !c.name.is_empty()
                        && !c.name.starts_with("__")
                        && !HIDDEN_COMMANDS.contains(&c.name.as_str())
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_palette_keeps_what_works_here() {
        let raw = serde_json::json!({"commands": [
            {"name": "mycmd", "description": "Mine (project)", "argumentHint": "<thing>"},
            {"name": "compact", "description": "Free up context", "argumentHint": "<optional>", "builtin": true},
            {"name": "__remote-workflow", "description": "internal"},
            {"name": "clear", "description": "Clear", "builtin": true},
            {"name": "doctor", "description": "Check", "builtin": true},
            {"name": "usage", "description": "Cost", "aliases": ["cost"]}
        ]});
        let names: Vec<String> = from_initialize(&raw).into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["mycmd", "compact", "usage"]);
        assert_eq!(from_initialize(&raw)[0].argument_hint, "<thing>");
        assert!(from_initialize(&serde_json::json!({})).is_empty());
    }
}
