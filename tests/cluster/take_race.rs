//! Two replicas racing to take the same free session: its owner stopped (drained: the
//! session is suspended, its lease released), then browsers on two other replicas send it a
//! message at the same moment, so each replica tries to take it. Exactly one wins: one lease,
//! one CLI — never one on each replica, sampled all along — and one conversation at the
//! model. The other replica forwards to the winner: its browser's message is answered,
//! refused with `query_in_progress` while the first one runs, or — the other browser having
//! opened the session meanwhile (`session_opened_elsewhere`, as on one machine) — read back
//! from the store.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::future::join3;
use serde_json::Value;

use crate::chat::{assert_answered, create, requests_for, said, say, user_message};
use crate::harness::client;
use crate::harness::{until, Cluster, Options, CLUSTER_WAIT};
use crate::helpers::{call, TEST_KEY};
use crate::ws_client::{connect, Next, Ws};

/// How a browser's message fared, as far as that browser can tell.
#[derive(Debug)]
enum Outcome {
    /// Acknowledged and answered: the frames of its turn.
    Answered(Vec<Value>),
    /// The other browser opened the session (`session_opened_elsewhere`): this one hears no
    /// more of it, as on one machine; the message's fate is read from the store.
    Displaced,
    Refused(Value),
}

async fn outcome(ws: &mut Ws, id: &str, text: &str) -> Outcome {
    let mut turn = Vec::new();
    loop {
        let f = match ws.next().await {
            Next::Frame(f) => f,
            Next::Closed(code) => panic!("closed ({code:?}); seen {:?}", ws.seen),
        };
        let acked = !turn.is_empty();
        match f["type"].as_str() {
            Some("message_received") if f["session_id"] == id && f["text"] == text => turn.push(f),
            Some("session_opened_elsewhere") => return Outcome::Displaced,
            Some("error") if f["code"] == "session_opened_elsewhere" => return Outcome::Displaced,
            Some("error") if !acked => return Outcome::Refused(f),
            Some("response_complete" | "stream_error" | "stream_interrupted") if acked => {
                turn.push(f);
                return Outcome::Answered(turn);
            }
            _ if acked => turn.push(f),
            _ => {}
        }
    }
}

#[actix_web::test]
async fn two_replicas_racing_to_take_one_session_exactly_one_wins() {
    let opts = Options::default();
    let Some(mut c) = Cluster::start(opts).await else {
        return;
    };
    let mut on_1 = connect(c.nodes[0].addr).await;
    let id = create(&mut on_1).await;
    let first = "the first message";
    assert_answered(&say(&mut on_1, &id, first, 1).await, first);
    drop(on_1);
    let status = c
        .stop(0, Duration::from_secs(opts.grace_seconds.into()))
        .await;
    assert!(status.success(), "n1 exited with {status}");
    assert_eq!(c.status(&id).await, "suspended");
    assert_eq!(c.lease_holder(&id).await, None);

    let (n2, n3) = (c.nodes[1].id.clone(), c.nodes[2].id.clone());
    let mut on_2 = connect(c.nodes[1].addr).await;
    let mut on_3 = connect(c.nodes[2].addr).await;
    let (m2, m3) = ("a message through n2", "a message through n3");
    on_2.send(user_message(&id, m2, 2)).await;
    on_3.send(user_message(&id, m3, 3)).await;
    // Where the session's CLIs run, sampled while both answers come in.
    let placements = RefCell::new(Vec::<BTreeSet<String>>::new());
    let done = RefCell::new(0);
    let sample = async {
        while *done.borrow() < 2 {
            let nodes = c.clis_of(&id).into_iter().map(|(n, _)| n).collect();
            placements.borrow_mut().push(nodes);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let two = async {
        let o = outcome(&mut on_2, &id, m2).await;
        *done.borrow_mut() += 1;
        o
    };
    let three = async {
        let o = outcome(&mut on_3, &id, m3).await;
        *done.borrow_mut() += 1;
        o
    };
    let ((), o2, o3) = join3(sample, two, three).await;
    eprintln!("n2's browser: {o2:?}\nn3's browser: {o3:?}");

    // One winner holds the lease, and the session's CLI ran only there, all along.
    let winner = c.lease_holder(&id).await.expect("nobody holds the lease");
    assert!(winner == n2 || winner == n3, "{winner}");
    for seen in placements.borrow().iter() {
        assert!(seen.len() <= 1, "the session ran on {seen:?} at once");
        assert!(
            seen.iter().all(|n| *n == winner),
            "a CLI on {seen:?}, lease on {winner}"
        );
    }
    assert_eq!(c.clis_of(&id).len(), 1, "{:?}", c.clis_of(&id));

    // The messages the session took are in its history (the others were refused); each
    // reached the model once, with the history, in one conversation.
    let mut refused = Vec::new();
    for (o, text) in [(&o2, m2), (&o3, m3)] {
        match o {
            Outcome::Answered(turn) => assert_answered(turn, text),
            Outcome::Refused(f) => {
                assert_eq!(f["code"], "query_in_progress", "{f}");
                refused.push(text);
            }
            Outcome::Displaced => {}
        }
    }
    // Bounded: a displaced browser's message may still be on its way to the model.
    let mut last = Vec::new();
    let accepted = until(
        CLUSTER_WAIT,
        || async {
            let (status, body) = call(
                client()
                    .get(format!(
                        "http://{}/api/v1/sessions/{id}/messages",
                        c.nodes[1].addr
                    ))
                    .insert_header(("X-API-Key", TEST_KEY)),
                None,
            )
            .await;
            let stored: Vec<String> = said(&body["messages"])
                .into_iter()
                .filter(|(kind, text)| kind == "user" && text != first)
                .map(|(_, text)| text)
                .collect();
            let answered = stored.iter().all(|t| !requests_for(&c.stub, t).is_empty());
            if status == 200 && !stored.is_empty() && answered {
                Ok(stored)
            } else {
                Err((status, stored))
            }
        },
        |got| last = vec![got],
    )
    .await
    .unwrap_or_else(|| panic!("no message taken and answered: {last:?}; {o2:?} {o3:?}"));
    for text in &accepted {
        assert!(
            !refused.contains(&text.as_str()),
            "{text:?} refused yet stored"
        );
        let asked = requests_for(&c.stub, text);
        assert_eq!(
            asked.len(),
            1,
            "{text:?} reached the model {} times",
            asked.len()
        );
        assert!(
            asked[0].messages.to_string().contains(first),
            "without its history"
        );
    }
    if let [a, b] = &accepted[..] {
        let (ra, rb) = (
            requests_for(&c.stub, a).remove(0),
            requests_for(&c.stub, b).remove(0),
        );
        let (earlier, later) = if ra.messages.to_string().len() < rb.messages.to_string().len() {
            (a, rb)
        } else {
            (b, ra)
        };
        assert!(
            later.messages.to_string().contains(earlier.as_str()),
            "two conversations: {a:?} and {b:?} were answered apart"
        );
    }
}
