//! What one message may attach (`ATTACHMENT_*`).

use super::{err, number, ConfigError, RawSettings};

/// `ATTACHMENT_MAX_COUNT` (default 5, up to 20), `ATTACHMENT_MAX_IMAGE_KB` (5120, up to
/// 20480), `ATTACHMENT_MAX_TEXT_KB` (256, up to 1024), `ATTACHMENT_MAX_TOTAL_KB` (10240, up to
/// 30720; at least the largest single image or text file). The WebSocket frame limit follows
/// them ([`crate::protocol::attachments::AttachmentLimits::max_frame_bytes`]).
pub(super) fn attachment_limits(
    raw: &RawSettings,
) -> Result<crate::protocol::attachments::AttachmentLimits, ConfigError> {
    let d = crate::protocol::attachments::AttachmentLimits::default();
    let max_count = number(
        "ATTACHMENT_MAX_COUNT",
        &raw.attachment_max_count,
        d.max_count,
        0,
        20,
    )?;
    let kb = |var, value, default: usize, max| -> Result<usize, ConfigError> {
        Ok(number(var, value, default / 1024, 1, max)? * 1024)
    };
    let max_image_bytes = kb(
        "ATTACHMENT_MAX_IMAGE_KB",
        &raw.attachment_max_image_kb,
        d.max_image_bytes,
        20_480,
    )?;
    let max_text_bytes = kb(
        "ATTACHMENT_MAX_TEXT_KB",
        &raw.attachment_max_text_kb,
        d.max_text_bytes,
        1_024,
    )?;
    let max_total_bytes = kb(
        "ATTACHMENT_MAX_TOTAL_KB",
        &raw.attachment_max_total_kb,
        d.max_total_bytes,
        30_720,
    )?;
    if max_total_bytes < max_image_bytes.max(max_text_bytes) {
        return Err(err(
            "ATTACHMENT_MAX_TOTAL_KB",
            "at least ATTACHMENT_MAX_IMAGE_KB and ATTACHMENT_MAX_TEXT_KB",
        ));
    }
    Ok(crate::protocol::attachments::AttachmentLimits {
        max_count,
        max_image_bytes,
        max_text_bytes,
        max_total_bytes,
    })
}
