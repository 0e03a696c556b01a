//! The small part of YAML front matter that skills and commands use: `key: value` lines
//! between two `---` lines at the top of a Markdown file.
//!
//! Claude Code parses this as YAML; a full YAML parser is not worth a dependency for the
//! three keys we read (`name`, `description`, `argument-hint`). Indented continuation lines
//! and `|`/`>` block scalars are folded into one line, as the CLI shows them; quotes are
//! stripped. Anything else is ignored.

/// A Markdown file split into its front matter fields and its body.
pub(crate) struct Document<'a> {
    /// `None` when the file does not start with a `---` line closed by another one.
    fields: Option<Vec<(String, String)>>,
    body: &'a str,
}

impl<'a> Document<'a> {
    pub(crate) fn parse(text: &'a str) -> Document<'a> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(rest) = strip_delimiter_line(text) else {
            return Document {
                fields: None,
                body: text,
            };
        };
        let mut offset = 0;
        for line in rest.split_inclusive('\n') {
            if line.trim_end() == "---" {
                return Document {
                    fields: Some(parse_fields(&rest[..offset])),
                    body: &rest[offset + line.len()..],
                };
            }
            offset += line.len();
        }
        // Never closed: not front matter.
        Document {
            fields: None,
            body: text,
        }
    }

    pub(crate) fn has_front_matter(&self) -> bool {
        self.fields.is_some()
    }

    /// A non-empty field value.
    pub(crate) fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .as_ref()?
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// The first non-empty line of the body without Markdown heading marks: what the CLI
    /// shows when there is no `description:`.
    pub(crate) fn first_line(&self) -> Option<&str> {
        self.body
            .lines()
            .map(|l| l.trim().trim_start_matches('#').trim())
            .find(|l| !l.is_empty())
    }
}

/// The text after a first line that is exactly `---`.
fn strip_delimiter_line(text: &str) -> Option<&str> {
    let (first, rest) = match text.find('\n') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    };
    (first.trim_end() == "---").then_some(rest)
}

fn parse_fields(block: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        if indented {
            // A continuation of the previous value (plain multi-line or block scalar).
            if let Some((_, value)) = fields.last_mut() {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(trimmed);
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            let value = value.trim();
            let value = if matches!(value, "|" | ">" | "|-" | ">-" | "|+" | ">+") {
                ""
            } else {
                unquote(value)
            };
            fields.push((key.trim().to_string(), value.to_string()));
        }
    }
    fields
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_simple_quoted_and_folded_values() {
        let d = Document::parse(
            "---\nname: my-skill\ndescription: \"Quoted: yes\"\nargument-hint: '<file>'\nlong: first\n  second\nblock: >\n  a\n  b\n---\n# Title\n",
        );
        assert!(d.has_front_matter());
        assert_eq!(d.field("name"), Some("my-skill"));
        assert_eq!(d.field("description"), Some("Quoted: yes"));
        assert_eq!(d.field("argument-hint"), Some("<file>"));
        assert_eq!(d.field("long"), Some("first second"));
        assert_eq!(d.field("block"), Some("a b"));
        assert_eq!(d.field("missing"), None);
        assert_eq!(d.first_line(), Some("Title"));
    }

    #[test]
    fn no_or_unclosed_front_matter_is_all_body() {
        let d = Document::parse("\n\n## Do the thing\nmore\n");
        assert!(!d.has_front_matter());
        assert_eq!(d.first_line(), Some("Do the thing"));
        let d = Document::parse("---\nname: x\nnever closed\n");
        assert!(!d.has_front_matter());
        assert_eq!(d.field("name"), None);
        let d = Document::parse("\u{feff}---\r\nname: x\r\n---\r\nbody\r\n");
        assert_eq!(d.field("name"), Some("x"));
        assert_eq!(d.first_line(), Some("body"));
        assert_eq!(Document::parse("").first_line(), None);
    }
}
