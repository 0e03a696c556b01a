//! Attachments of a `user_message` (docs/protocol.md, "Attachments"): images and text files,
//! checked here before anything is stored or sent, because the CLI does not refuse a bad
//! image — it replaces broken base64 by a text note and the turn still succeeds. Each image is
//! decoded and its type sniffed from its first bytes (PNG, JPEG, GIF or WebP; the declared
//! `media_type` must match); a text file must be text (no NUL or other control characters
//! but tab, line feed, carriage return and form feed). The limits ([`AttachmentLimits`]) come
//! from the configuration. A refusal is a `validation_error` naming the attachment, the
//! problem and the limit.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::client::MAX_TEXT_CHARS;

/// The image types the model accepts.
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/// The longest attachment name (characters).
pub const MAX_NAME_CHARS: usize = 255;

/// One attachment as the client sends it and as history keeps it (image data stays base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attachment {
    Image {
        media_type: String,
        data_base64: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A text or code file: sent to the model as a `document` block titled with its name.
    Text { name: String, text: String },
}

/// How much one message may carry (`ATTACHMENT_*` settings, docs/operations.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// Attachments per message, images and text files together.
    pub max_count: usize,
    /// The largest image, decoded.
    pub max_image_bytes: usize,
    /// The largest text file (UTF-8 bytes).
    pub max_text_bytes: usize,
    /// All attachments of one message together (decoded images plus text bytes).
    pub max_total_bytes: usize,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits {
            max_count: 5,
            max_image_bytes: 5 * 1024 * 1024,
            max_text_bytes: 256 * 1024,
            max_total_bytes: 10 * 1024 * 1024,
        }
    }
}

impl AttachmentLimits {
    /// The largest `user_message` frame these limits allow, so the WebSocket frame limit
    /// fits it and no more: base64 makes 4 bytes of 3 (image), JSON escaping at most 2 of 1
    /// (text files hold no control characters but tab, LF, CR, FF), the message text at most
    /// 6 bytes a character (`\uXXXX`), names likewise, and 4 KiB for the rest of the frame.
    pub fn max_frame_bytes(&self) -> usize {
        let text_files = (self.max_count * self.max_text_bytes).min(self.max_total_bytes);
        let images = self.max_total_bytes - text_files;
        let per_attachment = 64 + 6 * MAX_NAME_CHARS + 4;
        2 * text_files
            + images.div_ceil(3) * 4
            + self.max_count * per_attachment
            + 6 * MAX_TEXT_CHARS
            + 4096
    }
}

/// The image type of `bytes`, from its signature.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A size for a person: "5 MB", "256 KB", "1.5 MB", "300 bytes".
pub fn human_size(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB {
        let mb = bytes as f64 / MB as f64;
        if bytes % MB == 0 {
            format!("{} MB", bytes / MB)
        } else {
            format!("{mb:.1} MB")
        }
    } else if bytes >= 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// Checks every attachment against `limits`; the message for a person on the first problem.
pub fn validate(attachments: &[Attachment], limits: &AttachmentLimits) -> Result<(), String> {
    if attachments.len() > limits.max_count {
        return Err(format!(
            "{} files attached; the limit is {} per message.",
            attachments.len(),
            limits.max_count
        ));
    }
    let mut total = 0usize;
    for (i, a) in attachments.iter().enumerate() {
        total += match a {
            Attachment::Image {
                media_type,
                data_base64,
                name,
            } => {
                let label = label(i, name.as_deref());
                if let Some(n) = name {
                    check_name(&label, n)?;
                }
                check_image(&label, media_type, data_base64, limits)?
            }
            Attachment::Text { name, text } => check_text(i, name, text, limits)?,
        };
    }
    if total > limits.max_total_bytes {
        return Err(format!(
            "The attachments total {}; the limit is {} per message.",
            human_size(total),
            human_size(limits.max_total_bytes)
        ));
    }
    Ok(())
}

fn label(i: usize, name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("Attachment {} ({})", i + 1, clip(n)),
        _ => format!("Attachment {}", i + 1),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

fn check_name(label: &str, name: &str) -> Result<(), String> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "{label}: the name is longer than {MAX_NAME_CHARS} characters."
        ));
    }
    Ok(())
}

/// The decoded size of a valid image.
fn check_image(
    label: &str,
    media_type: &str,
    data_base64: &str,
    limits: &AttachmentLimits,
) -> Result<usize, String> {
    if !IMAGE_TYPES.contains(&media_type) {
        return Err(format!(
            "{label}: type {} is not supported; attach a PNG, JPEG, GIF or WebP image, or a text file.",
            clip(media_type)
        ));
    }
    let too_big = || {
        format!(
            "{label} is larger than {}, the limit for an image; attach a smaller image.",
            human_size(limits.max_image_bytes)
        )
    };
    // Reject before decoding what is clearly too big (base64 is 4 chars per 3 bytes).
    if data_base64.len() / 4 * 3 > limits.max_image_bytes + 3 {
        return Err(too_big());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_base64.as_bytes())
        .map_err(|_| format!("{label}: the data is not valid base64."))?;
    if bytes.len() > limits.max_image_bytes {
        return Err(too_big());
    }
    match sniff(&bytes) {
        None => Err(format!(
            "{label}: the data is not a PNG, JPEG, GIF or WebP image."
        )),
        Some(t) if t != media_type => Err(format!(
            "{label}: the data is {t}, not {media_type} as declared."
        )),
        Some(_) => Ok(bytes.len()),
    }
}

/// The size of a valid text file.
fn check_text(
    i: usize,
    name: &str,
    text: &str,
    limits: &AttachmentLimits,
) -> Result<usize, String> {
    let label = label(i, Some(name));
    if name.trim().is_empty() {
        return Err(format!("{label}: a text file needs a name."));
    }
    check_name(&label, name)?;
    if text.trim().is_empty() {
        return Err(format!("{label} is empty."));
    }
    if text.len() > limits.max_text_bytes {
        return Err(format!(
            "{label} is {}; the limit for a text file is {}.",
            human_size(text.len()),
            human_size(limits.max_text_bytes)
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    {
        return Err(format!(
            "{label} is not a text file (it holds control characters); attach text or code."
        ));
    }
    Ok(text.len())
}

#[cfg(test)]
#[path = "attachments_tests.rs"]
mod tests;
