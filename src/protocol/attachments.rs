//! Image attachments of a `user_message` (docs/protocol.md, "Attachments"): checked here,
//! before anything is stored or sent, because the CLI does not refuse a bad image — it
//! replaces broken base64 by a text note and the turn still succeeds. Each image is decoded,
//! its type sniffed from its first bytes (PNG, JPEG, GIF or WebP; the declared `media_type`
//! must match), and the limits below enforced. A refusal is a `validation_error` naming the
//! image and the problem.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The most images one message may carry.
pub const MAX_ATTACHMENTS: usize = 5;
/// The largest image accepted, decoded (5 MiB).
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// The most image bytes one message may carry, decoded (10 MiB). With base64's 4/3 and the
/// text this bounds a `user_message` frame below the WebSocket frame limit.
pub const MAX_MESSAGE_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// The image types the model accepts.
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// One image as the client sends it and as history keeps it (the data stays base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Always "image" (text files are not taken yet).
    pub kind: String,
    pub media_type: String,
    pub data_base64: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
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

/// Checks every attachment; the message for a person on the first problem.
pub fn validate(attachments: &[Attachment]) -> Result<(), String> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(format!(
            "{} images attached; the limit is {MAX_ATTACHMENTS} per message.",
            attachments.len()
        ));
    }
    let mut total = 0usize;
    for (i, a) in attachments.iter().enumerate() {
        let label = match &a.name {
            Some(n) if !n.is_empty() => format!("Attachment {} ({n})", i + 1),
            _ => format!("Attachment {}", i + 1),
        };
        if a.kind != "image" {
            return Err(format!(
                "{label}: kind \"{}\" is not supported; only images can be attached.",
                a.kind
            ));
        }
        if !IMAGE_TYPES.contains(&a.media_type.as_str()) {
            return Err(format!(
                "{label}: type {} is not supported; attach a PNG, JPEG, GIF or WebP image.",
                a.media_type
            ));
        }
        // Reject before decoding what is clearly too big (base64 is 4 chars per 3 bytes).
        if a.data_base64.len() / 4 * 3 > MAX_IMAGE_BYTES + 3 {
            return Err(too_big(&label));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(a.data_base64.as_bytes())
            .map_err(|_| format!("{label}: the data is not valid base64."))?;
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(too_big(&label));
        }
        match sniff(&bytes) {
            None => {
                return Err(format!(
                    "{label}: the data is not a PNG, JPEG, GIF or WebP image."
                ))
            }
            Some(t) if t != a.media_type => {
                return Err(format!(
                    "{label}: the data is {t}, not {} as declared.",
                    a.media_type
                ))
            }
            Some(_) => {}
        }
        total += bytes.len();
    }
    if total > MAX_MESSAGE_IMAGE_BYTES {
        return Err(format!(
            "The images total {:.1} MB; the limit is {} MB per message.",
            total as f64 / 1_048_576.0,
            MAX_MESSAGE_IMAGE_BYTES / 1_048_576
        ));
    }
    Ok(())
}

fn too_big(label: &str) -> String {
    format!(
        "{label} is larger than {} MB; attach a smaller image.",
        MAX_IMAGE_BYTES / 1_048_576
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(media_type: &str, bytes: &[u8]) -> Attachment {
        Attachment {
            kind: "image".into(),
            media_type: media_type.into(),
            data_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            name: None,
        }
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\nrest";

    #[test]
    fn accepts_the_four_types_and_refuses_the_rest() {
        validate(&[img("image/png", PNG)]).unwrap();
        validate(&[img("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0])]).unwrap();
        validate(&[img("image/gif", b"GIF89a..")]).unwrap();
        validate(&[img("image/webp", b"RIFF\0\0\0\0WEBPVP8 ")]).unwrap();
        let e = validate(&[img("image/svg+xml", b"<svg/>")]).unwrap_err();
        assert!(e.contains("not supported"), "{e}");
        let e = validate(&[img("image/png", b"hello")]).unwrap_err();
        assert!(e.contains("not a PNG"), "{e}");
        let e = validate(&[img("image/jpeg", PNG)]).unwrap_err();
        assert!(e.contains("image/png, not image/jpeg"), "{e}");
    }

    #[test]
    fn refuses_broken_base64_too_big_and_too_many() {
        let mut broken = img("image/png", PNG);
        broken.data_base64 = "!!!notbase64@@".into();
        assert!(validate(&[broken])
            .unwrap_err()
            .contains("not valid base64"));
        let mut big = PNG.to_vec();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert!(validate(&[img("image/png", &big)])
            .unwrap_err()
            .contains("larger than 5 MB"));
        let mut four = PNG.to_vec();
        four.resize(4 * 1024 * 1024, 0);
        let three = vec![img("image/png", &four); 3];
        assert!(validate(&three).unwrap_err().contains("limit is 10 MB"));
        let six = vec![img("image/png", PNG); 6];
        assert!(validate(&six)
            .unwrap_err()
            .contains("limit is 5 per message"));
    }
}
