use super::*;

fn img(media_type: &str, bytes: &[u8]) -> Attachment {
    Attachment::Image {
        media_type: media_type.into(),
        data_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        name: None,
    }
}

fn text(name: &str, body: &str) -> Attachment {
    Attachment::Text {
        name: name.into(),
        text: body.into(),
    }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nrest";

fn check(a: &[Attachment]) -> Result<(), String> {
    validate(a, &AttachmentLimits::default())
}

#[test]
fn accepts_the_four_types_and_refuses_the_rest() {
    check(&[img("image/png", PNG)]).unwrap();
    check(&[img("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0])]).unwrap();
    check(&[img("image/gif", b"GIF89a..")]).unwrap();
    check(&[img("image/webp", b"RIFF\0\0\0\0WEBPVP8 ")]).unwrap();
    let e = check(&[img("image/svg+xml", b"<svg/>")]).unwrap_err();
    assert!(e.contains("not supported"), "{e}");
    let e = check(&[img("image/png", b"hello")]).unwrap_err();
    assert!(e.contains("not a PNG"), "{e}");
    let e = check(&[img("image/jpeg", PNG)]).unwrap_err();
    assert!(e.contains("image/png, not image/jpeg"), "{e}");
}

#[test]
fn refuses_broken_base64_too_big_and_too_many() {
    let limits = AttachmentLimits::default();
    let broken = Attachment::Image {
        media_type: "image/png".into(),
        data_base64: "!!!notbase64@@".into(),
        name: Some("shot.png".into()),
    };
    let e = check(&[broken]).unwrap_err();
    assert_eq!(e, "Attachment 1 (shot.png): the data is not valid base64.");
    let mut big = PNG.to_vec();
    big.resize(limits.max_image_bytes + 1, 0);
    let e = check(&[img("image/png", &big)]).unwrap_err();
    assert!(
        e.contains("larger than 5 MB, the limit for an image"),
        "{e}"
    );
    let mut four = PNG.to_vec();
    four.resize(4 * 1024 * 1024, 0);
    let three = vec![img("image/png", &four); 3];
    let e = check(&three).unwrap_err();
    assert!(
        e.contains("total 12 MB; the limit is 10 MB per message"),
        "{e}"
    );
    let six = vec![img("image/png", PNG); 6];
    let e = check(&six).unwrap_err();
    assert!(
        e.contains("6 files attached; the limit is 5 per message"),
        "{e}"
    );
}

#[test]
fn text_files_are_checked_for_size_name_and_text() {
    check(&[
        text("notes.md", "# Notes\n\tline\r\n"),
        img("image/png", PNG),
    ])
    .unwrap();
    let e = check(&[text("big.log", &"x".repeat(256 * 1024 + 1))]).unwrap_err();
    assert_eq!(
        e,
        "Attachment 1 (big.log) is 257 KB; the limit for a text file is 256 KB."
    );
    let e = check(&[text("a.bin", "ab\0cd")]).unwrap_err();
    assert!(e.contains("not a text file"), "{e}");
    let e = check(&[text(" ", "x")]).unwrap_err();
    assert!(e.contains("needs a name"), "{e}");
    let e = check(&[text(&"n".repeat(MAX_NAME_CHARS + 1), "x")]).unwrap_err();
    assert!(e.contains("longer than 255 characters"), "{e}");
    let small = AttachmentLimits {
        max_text_bytes: 10,
        ..AttachmentLimits::default()
    };
    let e = validate(&[text("a.txt", "eleven char")], &small).unwrap_err();
    assert!(e.contains("the limit for a text file is 10 bytes"), "{e}");
}

#[test]
fn the_kind_is_the_tag_on_the_wire() {
    let t: Attachment =
        serde_json::from_str(r#"{"kind":"text","name":"a.rs","text":"fn main() {}"}"#).unwrap();
    assert_eq!(t, text("a.rs", "fn main() {}"));
    let e = serde_json::from_str::<Attachment>(r#"{"kind":"pdf","name":"a"}"#).unwrap_err();
    assert!(e.to_string().contains("unknown variant `pdf`"), "{e}");
}

#[test]
fn the_frame_limit_fits_the_largest_message_and_follows_the_limits() {
    let d = AttachmentLimits::default();
    // The default limits keep the frame limit under 15 MiB.
    assert!(
        d.max_frame_bytes() < 15 * 1024 * 1024,
        "{}",
        d.max_frame_bytes()
    );
    // Ten MiB of images alone is 13.3 MiB of base64: it fits.
    assert!(d.max_frame_bytes() > d.max_total_bytes / 3 * 4);
    let small = AttachmentLimits {
        max_count: 1,
        max_image_bytes: 1024,
        max_text_bytes: 1024,
        max_total_bytes: 1024,
    };
    assert!(small.max_frame_bytes() < 300 * 1024);
}
