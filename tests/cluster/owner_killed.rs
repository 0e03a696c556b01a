//! `kill -9` of the replica that owns a session, in the middle of a reply (its CLIs die with
//! it: the host is lost). Once its lease has expired a live replica marks the session
//! `suspended`; the next message resumes it on a live replica — whose CLI never saw it, so
//! the history comes from the transcript stored in the database — and nothing is run twice.

use std::time::Instant;

use crate::chat::{assert_answered, create, exchange, open, requests_for, say, user_message};
use crate::harness::{until, Cluster, Options, CLUSTER_WAIT};
use crate::ws_client::connect;

#[actix_web::test]
async fn the_owner_killed_mid_reply_its_session_resumes_elsewhere_with_its_history() {
    let opts = Options::default();
    let Some(mut c) = Cluster::start(opts).await else {
        return;
    };
    let (a, b, cc) = (0, 1, 2);
    let mut on_b = connect(c.nodes[b].addr).await;
    let id = create(&mut on_b).await;
    let first = "the password is swordfish";
    assert_answered(&say(&mut on_b, &id, first, 1).await, first);
    drop(on_b);
    // The turn's end stores the transcript (soon after the client heard it).
    let stored = until(
        CLUSTER_WAIT,
        || async {
            let chunks = c
                .strings(
                    "SELECT count(*)::text AS v FROM session_transcripts WHERE session_id = $1",
                    Some(&id),
                )
                .await;
            if chunks.first().is_some_and(|n| n != "0") {
                Ok(())
            } else {
                Err(chunks)
            }
        },
        |_| (),
    )
    .await;
    assert!(
        stored.is_some(),
        "no transcript stored after a complete turn"
    );

    // A browser on A; the reply to its next message is being written on B when B dies.
    let mut on_a = connect(c.nodes[a].addr).await;
    open(&mut on_a, &id, 0).await;
    let cut = "slow 300: a very long answer";
    on_a.send(user_message(&id, cut, 2)).await;
    let mut received = false;
    loop {
        let f = on_a.frame().await;
        assert_ne!(f["type"], "error", "{f}");
        received |= f["type"] == "message_received" && f["seq"] == 2;
        if received && f["type"] == "stream_delta" {
            break;
        }
    }
    let b_id = c.nodes[b].id.clone();
    c.kill9(b);
    let killed = Instant::now();

    // After the lease a live replica takes it back: suspended, no lease.
    let mut last = (String::new(), None);
    let swept = until(
        CLUSTER_WAIT,
        || async {
            let state = (c.status(&id).await, c.lease_holder(&id).await);
            if state.0 == "suspended" && state.1.is_none() {
                Ok(())
            } else {
                Err(state)
            }
        },
        |s| last = s,
    )
    .await;
    assert!(
        swept.is_some(),
        "not suspended within {CLUSTER_WAIT:?} of the kill (status, lease): {last:?}"
    );
    eprintln!(
        "suspended {:?} after the kill (LEASE_SECONDS={})",
        killed.elapsed(),
        opts.lease_seconds
    );

    // The next message, from a browser on C: resumed on a live replica with its history.
    let mut on_c = connect(c.nodes[cc].addr).await;
    let opened = open(&mut on_c, &id, 0).await;
    let kept = opened.conversation();
    assert!(kept.len() >= 2, "{kept:?}");
    assert_eq!(kept[..2], exchange(first), "{}", opened.history);
    let third = "what was the password?";
    assert_answered(&say(&mut on_c, &id, third, 3).await, third);
    let asked = requests_for(&c.stub, third);
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].messages.to_string().contains("swordfish"),
        "resumed without its history: {}",
        asked[0].messages
    );
    let owner = c.lease_holder(&id).await;
    assert!(
        owner.as_deref().is_some_and(|o| o != b_id),
        "owner after the take-over: {owner:?}"
    );

    // Nothing ran twice: each message reached the model once (the cut one is not replayed).
    assert_eq!(requests_for(&c.stub, first).len(), 1);
    assert_eq!(requests_for(&c.stub, cut).len(), 1);
    assert_eq!(c.clis_of(&id).len(), 1, "{:?}", c.clis_of(&id));

    // The browser that saw the kill (still on A) carries on too.
    let fourth = "and once more from the first browser";
    assert_answered(&say(&mut on_a, &id, fourth, 4).await, fourth);
    assert_eq!(requests_for(&c.stub, fourth).len(), 1);
}
