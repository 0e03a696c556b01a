//! `mcp.json`: Claude Code's `{"mcpServers": {...}}` format, validated before it reaches the
//! CLI. The CLI exits at start on `--mcp-config` text that is not JSON, and silently drops a
//! server it cannot use (a `url` without `type`, `args` that is not a list, …), so each
//! problem is found here and reported as a warning instead.

use serde::Serialize;
use serde_json::{Map, Value};

/// What the API shows of one MCP server: never the values of `env` or `headers`, which
/// commonly hold tokens, only their names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McpServerInfo {
    pub name: String,
    /// `stdio`, `http` or `sse`.
    pub transport: String,
    pub command: Option<String>,
    pub args: Vec<String>,
    /// The URL without user info, query or fragment (where tokens are sometimes put).
    pub url: Option<String>,
    pub env_keys: Vec<String>,
    pub header_keys: Vec<String>,
}

/// The result of reading an `mcp.json`.
pub(crate) struct McpConfig {
    /// `{"mcpServers":{...}}` with only the valid servers; `None` when there are none.
    pub(crate) cli_json: Option<String>,
    pub(crate) servers: Vec<McpServerInfo>,
    pub(crate) warnings: Vec<String>,
}

/// Validates `text` (the contents of the file called `file` in messages).
pub(crate) fn parse(file: &str, text: &str) -> McpConfig {
    let mut out = McpConfig {
        cli_json: None,
        servers: Vec::new(),
        warnings: Vec::new(),
    };
    // serde_json's syntax errors carry only a position, never the text around it.
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.warnings.push(format!(
                "{file} is not valid JSON ({e}); MCP servers not loaded"
            ));
            return out;
        }
    };
    let Some(servers) = root.get("mcpServers").and_then(Value::as_object) else {
        out.warnings.push(format!(
            "{file} must be an object with an \"mcpServers\" object; MCP servers not loaded"
        ));
        return out;
    };
    let mut names: Vec<&String> = servers.keys().collect();
    names.sort();
    let mut valid = Map::new();
    for name in names {
        let Some(entry) = servers.get(name) else {
            continue;
        };
        match check_server(name, entry) {
            Ok(info) => {
                valid.insert(name.clone(), entry.clone());
                out.servers.push(info);
            }
            Err(problem) => out
                .warnings
                .push(format!("{file}: MCP server \"{name}\" skipped: {problem}")),
        }
    }
    if !valid.is_empty() {
        let mut root = Map::new();
        root.insert("mcpServers".to_string(), Value::Object(valid));
        out.cli_json = Some(Value::Object(root).to_string());
    }
    out
}

/// Checks one server entry; the error names the field, never its value.
fn check_server(name: &str, entry: &Value) -> Result<McpServerInfo, String> {
    let obj = entry.as_object().ok_or("it is not an object")?;
    let string_field = |key: &str| -> Result<Option<String>, String> {
        match obj.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(format!("\"{key}\" must be a non-empty string")),
        }
    };
    let kind = string_field("type")?;
    let command = string_field("command")?;
    let url = string_field("url")?;
    let transport = match (kind.as_deref(), &command, &url) {
        (None | Some("stdio"), Some(_), _) => "stdio",
        (None, None, Some(_)) => {
            return Err("it has a \"url\" but no \"type\" (\"http\" or \"sse\")".to_string())
        }
        (None | Some("stdio"), None, _) => return Err("\"command\" is missing".to_string()),
        (Some(t @ ("http" | "sse")), _, Some(_)) => t,
        (Some("http" | "sse"), _, None) => return Err("\"url\" is missing".to_string()),
        (Some(_), _, _) => {
            return Err("\"type\" must be \"stdio\", \"http\" or \"sse\"".to_string())
        }
    };
    let args = match obj.get("args") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|a| a.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or("\"args\" must be a list of strings")?,
        Some(_) => return Err("\"args\" must be a list of strings".to_string()),
    };
    let env_keys = string_map_keys(obj, "env")?;
    let header_keys = string_map_keys(obj, "headers")?;
    let is_stdio = transport == "stdio";
    Ok(McpServerInfo {
        name: name.to_string(),
        transport: transport.to_string(),
        command: if is_stdio { command } else { None },
        args: if is_stdio { args } else { Vec::new() },
        url: if is_stdio {
            None
        } else {
            url.as_deref().map(display_url)
        },
        env_keys,
        header_keys,
    })
}

/// The sorted keys of an object of strings (`env`, `headers`).
fn string_map_keys(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match obj.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Object(map)) if map.values().all(Value::is_string) => {
            let mut keys: Vec<String> = map.keys().cloned().collect();
            keys.sort();
            Ok(keys)
        }
        Some(_) => Err(format!("\"{key}\" must be an object of strings")),
    }
}

/// `scheme://host/path`: user info, query and fragment removed.
fn display_url(url: &str) -> String {
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..cut];
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match scheme {
        Some(s) => format!("{s}://{host}{path}"),
        None => format!("{host}{path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_query_and_fragment() {
        assert_eq!(
            display_url("https://user:pw@example.com:8443/mcp?token=abc#x"),
            "https://example.com:8443/mcp"
        );
        assert_eq!(display_url("http://h/p"), "http://h/p");
        assert_eq!(display_url("h?x"), "h");
    }

    #[test]
    fn each_bad_entry_is_named_and_skipped() {
        let text = r#"{"mcpServers":{
            "no-type-url": {"url": "http://h/"},
            "bad-args": {"command": "x", "args": "a b"},
            "bad-env": {"command": "x", "env": {"K": 5}},
            "ws": {"type": "ws", "url": "ws://h/"},
            "http-no-url": {"type": "http"},
            "not-object": 3,
            "ok": {"type": "stdio", "command": "x", "timeout": 5}
        }}"#;
        let c = parse("mcp.json", text);
        assert_eq!(c.servers.len(), 1);
        assert_eq!(c.warnings.len(), 6, "{:?}", c.warnings);
        for w in &c.warnings {
            assert!(w.starts_with("mcp.json: MCP server \""), "{w}");
        }
        // Unknown fields of a valid server are passed on unchanged.
        let json: Value = serde_json::from_str(c.cli_json.as_deref().unwrap()).unwrap();
        assert_eq!(json["mcpServers"]["ok"]["timeout"], 5);
        assert_eq!(json["mcpServers"].as_object().unwrap().len(), 1);
    }

    #[test]
    fn wrong_shapes_load_nothing() {
        for text in ["[]", "{}", r#"{"mcpServers": []}"#, "{not json"] {
            let c = parse("mcp.json", text);
            assert!(c.cli_json.is_none());
            assert_eq!(c.warnings.len(), 1, "{text}");
        }
        let c = parse("mcp.json", r#"{"mcpServers": {}}"#);
        assert!(c.cli_json.is_none() && c.warnings.is_empty());
    }
}
