//! The CLI's stdout as the server reads it: line framing with a per-line cap
//! ([`LineReader`]), one line → one frame ([`parse_line`]), frames → events ([`Translator`]),
//! control requests → permission events, as `claude::reader` dispatches them.
//! Seeds: the stdout of every recorded transcript (scripts/fuzz.sh).
#![no_main]

use claude_sdk_pattern::claude::events::{permission_request, CliEvent, Translator};
use claude_sdk_pattern::claude::frames::{parse_line, Frame};
use claude_sdk_pattern::claude::lines::{Line, LineReader};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

mod alloc_cap;

#[global_allocator]
static ALLOC: alloc_cap::CappedAlloc = alloc_cap::CappedAlloc;

/// Small enough that the fuzzer reaches the oversized-line path with its inputs.
const MAX_LINE: usize = 4096;

/// One runtime for all inputs: building one per input cost more than the parsing.
static RUNTIME: OnceLock<Option<Runtime>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(rt) = RUNTIME.get_or_init(|| Builder::new_current_thread().build().ok()) else {
        return;
    };
    rt.block_on(async {
        let mut lines = LineReader::new(data, MAX_LINE);
        let mut translator = Translator::new();
        let mut events = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            let Line::Complete(bytes) = line else {
                continue;
            };
            assert!(bytes.len() <= MAX_LINE, "a line over the cap came through");
            let Ok(frame) = parse_line(&bytes) else {
                continue;
            };
            let _ = frame.shows_progress();
            match frame {
                Frame::ControlRequest {
                    request_id,
                    subtype,
                    request,
                } if subtype == "can_use_tool" => events.push(CliEvent::PermissionRequest(
                    permission_request(&request_id, &request),
                )),
                Frame::ControlCancel { request_id } => {
                    events.push(CliEvent::PermissionCancelled { request_id })
                }
                Frame::ControlRequest { .. } | Frame::ControlResponse { .. } => {}
                frame => translator.translate(frame, &mut events),
            }
            // Events are consumed as the reader does: formatted and dropped per line.
            for event in events.drain(..) {
                let _ = format!("{event:?}");
            }
        }
    });
});
