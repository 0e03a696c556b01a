//! A session owned by replica B, opened by a browser on replica A: the reply streams through
//! A; the browser's connection drops mid-reply and it reconnects to replica C with
//! `after_seq`: the rest of the reply arrives, each token exactly once, and the session never
//! left B.

use crate::chat::{
    assert_answered, create, exchange, expected_reply, last_event_seq, open, requests_for, say,
    user_message,
};
use crate::harness::{Cluster, Options};
use crate::ws_client::{connect, deltas};

#[actix_web::test]
async fn a_session_owned_by_b_streams_through_a_and_survives_a_reconnect_to_c() {
    let Some(c) = Cluster::start(Options::default()).await else {
        return;
    };
    let (a, b, cc) = (&c.nodes[0], &c.nodes[1], &c.nodes[2]);
    let mut on_b = connect(b.addr).await;
    let id = create(&mut on_b).await;
    assert_eq!(c.lease_holder(&id).await.as_deref(), Some(b.id.as_str()));
    let first = "remember the number 4711";
    assert_answered(&say(&mut on_b, &id, first, 1).await, first);
    drop(on_b);

    // Opened on A: the history, then a reply streaming through A.
    let mut on_a = connect(a.addr).await;
    let opened = open(&mut on_a, &id, 0).await;
    assert_eq!(opened.conversation(), exchange(first), "{}", opened.history);
    let story = "slow 40: tell me a story";
    on_a.send(user_message(&id, story, 2)).await;
    let mut got: Vec<serde_json::Value> = Vec::new();
    while got.iter().filter(|f| f["type"] == "stream_delta").count() < 5 {
        let f = on_a.frame().await;
        assert_ne!(f["type"], "error", "{f}");
        assert_ne!(
            f["type"], "response_complete",
            "the reply ended too soon: {got:?}"
        );
        got.push(f);
    }
    assert!(got
        .iter()
        .any(|f| f["type"] == "message_received" && f["seq"] == 2));
    let after = last_event_seq(&got);
    assert!(after > 0, "{got:?}");
    // The browser's connection to A drops mid-reply.
    drop(on_a);

    // It reconnects through C with after_seq: the owner's sequence, the rest of the turn.
    let mut on_c = connect(cc.addr).await;
    let opened = open(&mut on_c, &id, after).await;
    assert!(
        opened.history["last_event_seq"].as_u64().unwrap() >= after,
        "the owner's event_seq restarted: {}",
        opened.history
    );
    let mut rest = opened.replay.clone();
    if !opened.turn_ended() {
        rest.extend(on_c.turn().await);
    }
    assert_eq!(
        rest.last().unwrap()["type"],
        "response_complete",
        "{rest:?}"
    );
    assert_eq!(
        format!("{}{}", deltas(&got), deltas(&rest)),
        expected_reply(story),
        "each token exactly once"
    );

    // It ran once, on B, which still holds it.
    assert_eq!(requests_for(&c.stub, story).len(), 1);
    assert_eq!(c.lease_holder(&id).await.as_deref(), Some(b.id.as_str()));
    let clis = c.clis_of(&id);
    assert!(
        clis.iter().all(|(node, _)| *node == b.id),
        "the session's CLI runs on {clis:?}"
    );
    // And the conversation goes on through C.
    let next = "what number was it?";
    assert_answered(&say(&mut on_c, &id, next, 3).await, next);
}
