//! A WebSocket text frame from a browser, as the server parses and validates it
//! ([`protocol::client::parse`], plus the `type` sniffing used for error replies).
//! Seeds: the generated client frame fixtures (web/src/types/fixtures/).
#![no_main]

use claude_sdk_pattern::protocol::client::{frame_type, parse};
use libfuzzer_sys::fuzz_target;

mod alloc_cap;

#[global_allocator]
static ALLOC: alloc_cap::CappedAlloc = alloc_cap::CappedAlloc;

fuzz_target!(|data: &[u8]| {
    // Text frames are UTF-8 by the WebSocket protocol (actix-ws rejects others).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = frame_type(text);
    match parse(text) {
        Ok(frame) => {
            let _ = frame.kind();
        }
        Err(e) => {
            let _ = format!("{e:?}");
        }
    }
});
