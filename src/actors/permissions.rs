//! "Allow for this session": which rule an approval would remember, the rules a session has
//! granted, and how they are given to the CLI (docs/protocol.md, "Allow for this session").
//!
//! Granting goes through the CLI's own permission-update answer: the allow carries
//! `updatedPermissions: [{type: addRules, rules, behavior: allow, destination: session}]`,
//! so the CLI does not ask again for that tool or Bash command prefix (nothing is written to
//! a settings file). The CLI has no control request to drop a session rule, so revoking puts
//! the rule on the host-owned `ask` list (`apply_flag_settings {permissions: {ask: […]}}`),
//! which outranks a session allow; granting it again takes it off that list.
//!
//! The granted rules are stored with the session (`session_rules`), and every later process
//! of the session — a restart (memory, age, crash), a wake from suspension, a resume after
//! the server restarted — is started with them as `--allowedTools`, so the person is not
//! asked again. The `ask` list goes with the old process: a revoked rule is simply no
//! longer granted to the new one.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::claude::PermissionRequest;

/// One permission rule: a tool, optionally narrowed (`npm run *` for Bash, a path glob for
/// Read, `domain:x` for WebFetch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub tool_name: String,
    pub rule_content: Option<String>,
}

impl Rule {
    /// How the CLI writes it, and how clients see and name it: `Bash(npm run *)`, `Edit`.
    pub fn text(&self) -> String {
        match &self.rule_content {
            Some(c) => format!("{}({c})", self.tool_name),
            None => self.tool_name.clone(),
        }
    }

    fn json(&self) -> Value {
        match &self.rule_content {
            Some(c) => json!({"toolName": self.tool_name, "ruleContent": c}),
            None => json!({"toolName": self.tool_name}),
        }
    }

    /// Reads a rule as [`Rule::text`] writes it.
    fn parse(text: &str) -> Option<Rule> {
        let text = text.trim();
        match text.split_once('(') {
            None if !text.is_empty() => Some(Rule {
                tool_name: text.to_string(),
                rule_content: None,
            }),
            None => None,
            Some((tool, rest)) => Some(Rule {
                tool_name: tool.to_string(),
                rule_content: Some(rest.strip_suffix(')')?.to_string()),
            }),
        }
    }

    fn from_json(v: &Value) -> Option<Rule> {
        Some(Rule {
            tool_name: v.get("toolName")?.as_str()?.to_string(),
            rule_content: v
                .get("ruleContent")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    /// Whether this rule covers a Bash `command` (`x *` is the prefix `x`).
    fn covers_command(&self, command: &str) -> bool {
        match self.rule_content.as_deref() {
            None => true,
            Some(c) => match c.strip_suffix(" *") {
                Some(prefix) => command == prefix || command.starts_with(&format!("{prefix} ")),
                None => command == c,
            },
        }
    }
}

/// Tools whose approval is a one-off question, never a rule.
const NEVER_REMEMBERED: &[&str] = &["ExitPlanMode", "AskUserQuestion"];

/// The session's remembered approvals.
#[derive(Debug, Default)]
pub struct SessionPermissions {
    granted: Vec<Rule>,
    /// Granted, then revoked: on the `ask` list of the flag layer.
    revoked: Vec<Rule>,
    /// What "Allow for this session" would grant, per open request.
    offers: HashMap<String, Vec<Rule>>,
}

/// What granting needs sent to the CLI.
#[derive(Debug, PartialEq)]
pub struct Grant {
    /// The `updatedPermissions` of the allow answer.
    pub updated_permissions: Vec<Value>,
    /// `apply_flag_settings` settings to send first, when a revoked rule comes back.
    pub flag_settings: Option<Value>,
}

impl SessionPermissions {
    /// The rules "Allow for this session" would grant for `req` (kept until it is answered);
    /// empty when it cannot be remembered. From the CLI's `addRules` suggestions (their
    /// destination becomes `session`); a tool it suggests no rule for (Edit, Write: it
    /// offers a mode instead) is allowed as a whole; a Bash command it gives no suggestion
    /// for (a revoked rule asks without one) gets back the revoked rule that covers it.
    pub fn offer(&mut self, req: &PermissionRequest) -> Vec<Rule> {
        if NEVER_REMEMBERED.contains(&req.tool_name.as_str()) || req.tool_name.is_empty() {
            return Vec::new();
        }
        let mut rules: Vec<Rule> = req
            .suggestions
            .iter()
            .filter(|s| {
                s.get("type").and_then(Value::as_str) == Some("addRules")
                    && s.get("behavior").and_then(Value::as_str) == Some("allow")
            })
            .filter_map(|s| s.get("rules").and_then(Value::as_array))
            .flatten()
            .filter_map(Rule::from_json)
            .collect();
        if rules.is_empty() {
            if req.tool_name == "Bash" {
                let command = req.input.get("command").and_then(Value::as_str);
                rules.extend(
                    self.revoked
                        .iter()
                        .filter(|r| r.tool_name == "Bash")
                        .filter(|r| command.is_some_and(|c| r.covers_command(c)))
                        .take(1)
                        .cloned(),
                );
            } else {
                rules.push(Rule {
                    tool_name: req.tool_name.clone(),
                    rule_content: None,
                });
            }
        }
        if !rules.is_empty() {
            self.offers.insert(req.request_id.clone(), rules.clone());
        }
        rules
    }

    /// The request was answered or withdrawn: its offer is gone.
    pub fn close(&mut self, request_id: &str) -> Option<Vec<Rule>> {
        self.offers.remove(request_id)
    }

    /// Remembers the offer of `request_id`; `None` when it had none.
    pub fn grant(&mut self, request_id: &str) -> Option<Grant> {
        let rules = self.close(request_id)?;
        let before = self.revoked.len();
        self.revoked.retain(|r| !rules.contains(r));
        let flag_settings = (self.revoked.len() != before).then(|| self.ask_settings());
        for r in &rules {
            if !self.granted.contains(r) {
                self.granted.push(r.clone());
            }
        }
        Some(Grant {
            updated_permissions: vec![json!({
                "type": "addRules",
                "rules": rules.iter().map(Rule::json).collect::<Vec<_>>(),
                "behavior": "allow",
                "destination": "session",
            })],
            flag_settings,
        })
    }

    /// Revokes the granted rule written `text`; the `apply_flag_settings` settings to send,
    /// or `None` when no such rule is granted.
    pub fn revoke(&mut self, text: &str) -> Option<Value> {
        let i = self.granted.iter().position(|r| r.text() == text)?;
        let rule = self.granted.remove(i);
        if !self.revoked.contains(&rule) {
            self.revoked.push(rule);
        }
        Some(self.ask_settings())
    }

    /// A new process of the session started, allowed `rules` (the granted rules as they
    /// were stored or held): they stay granted; the old process's `ask` list and open
    /// requests are gone with it.
    pub fn relaunched(&mut self, rules: Vec<String>) {
        *self = SessionPermissions {
            granted: rules.iter().filter_map(|t| Rule::parse(t)).collect(),
            ..SessionPermissions::default()
        };
    }

    /// The granted rules, as clients see them.
    pub fn granted(&self) -> Vec<String> {
        self.granted.iter().map(Rule::text).collect()
    }

    fn ask_settings(&self) -> Value {
        let ask: Vec<String> = self.revoked.iter().map(Rule::text).collect();
        json!({"permissions": {"ask": ask}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: &str, tool: &str, input: Value, suggestions: Value) -> PermissionRequest {
        PermissionRequest {
            request_id: id.into(),
            tool_name: tool.into(),
            tool_use_id: Some("toolu_1".into()),
            input,
            reason: String::new(),
            description: None,
            suggestions: suggestions.as_array().cloned().unwrap_or_default(),
        }
    }

    fn npm() -> Value {
        json!([{"type":"addRules","rules":[{"toolName":"Bash","ruleContent":"npm run *"}],
                "behavior":"allow","destination":"localSettings"}])
    }

    #[test]
    fn a_bash_suggestion_becomes_a_session_rule() {
        let mut p = SessionPermissions::default();
        let offered = p.offer(&req(
            "r1",
            "Bash",
            json!({"command": "npm run build"}),
            npm(),
        ));
        assert_eq!(offered[0].text(), "Bash(npm run *)");
        let g = p.grant("r1").unwrap();
        assert_eq!(
            g.updated_permissions[0],
            json!({"type":"addRules","rules":[{"toolName":"Bash","ruleContent":"npm run *"}],
                   "behavior":"allow","destination":"session"})
        );
        assert_eq!(g.flag_settings, None);
        assert_eq!(p.granted(), vec!["Bash(npm run *)"]);
        assert!(p.grant("r1").is_none(), "an offer is used once");
    }

    #[test]
    fn edit_without_a_rule_suggestion_is_allowed_as_a_tool_and_plan_approval_never() {
        let mut p = SessionPermissions::default();
        let mode = json!([{"type":"setMode","mode":"acceptEdits","destination":"session"}]);
        let offered = p.offer(&req("r1", "Edit", json!({}), mode));
        assert_eq!(offered[0].text(), "Edit");
        assert!(p
            .offer(&req("r2", "ExitPlanMode", json!({}), json!([])))
            .is_empty());
    }

    #[test]
    fn revoking_asks_again_and_granting_again_takes_it_off_the_ask_list() {
        let mut p = SessionPermissions::default();
        p.offer(&req(
            "r1",
            "Bash",
            json!({"command": "npm run build"}),
            npm(),
        ));
        p.grant("r1").unwrap();
        assert_eq!(p.revoke("Bash(nope)"), None);
        assert_eq!(
            p.revoke("Bash(npm run *)"),
            Some(json!({"permissions": {"ask": ["Bash(npm run *)"]}}))
        );
        assert!(p.granted().is_empty());
        // Asked again without suggestions (an ask rule): the revoked rule is offered back.
        let offered = p.offer(&req(
            "r2",
            "Bash",
            json!({"command": "npm run test"}),
            json!([]),
        ));
        assert_eq!(offered[0].text(), "Bash(npm run *)");
        assert!(p
            .offer(&req(
                "r3",
                "Bash",
                json!({"command": "npm runx"}),
                json!([])
            ))
            .is_empty());
        let g = p.grant("r2").unwrap();
        assert_eq!(g.flag_settings, Some(json!({"permissions": {"ask": []}})));
        assert_eq!(p.granted(), vec!["Bash(npm run *)"]);
    }

    #[test]
    fn a_new_process_keeps_the_granted_rules_and_not_the_ask_list() {
        let mut p = SessionPermissions::default();
        p.offer(&req(
            "r1",
            "Bash",
            json!({"command": "npm run build"}),
            npm(),
        ));
        p.grant("r1").unwrap();
        p.offer(&req("r2", "Edit", json!({}), json!([])));
        p.grant("r2").unwrap();
        p.revoke("Edit").unwrap();
        p.relaunched(p.granted());
        assert_eq!(p.granted(), vec!["Bash(npm run *)"]);
        assert_eq!(p.ask_settings(), json!({"permissions": {"ask": []}}));
        // Stored text reads back as the same rules.
        p.relaunched(vec![
            "Bash(git log *)".into(),
            "Edit".into(),
            "WebFetch(domain:x.org)".into(),
            "".into(),
        ]);
        assert_eq!(
            p.granted(),
            vec!["Bash(git log *)", "Edit", "WebFetch(domain:x.org)"]
        );
        assert_eq!(
            Rule::parse("Bash(npm run *)")
                .unwrap()
                .rule_content
                .as_deref(),
            Some("npm run *")
        );
    }
}
