//! Two replicas racing to take the same free session: its owner stopped (drained: the
//! session is suspended, its lease released), then browsers on two other replicas send it a
//! message at the same moment, so each replica tries to take it. Exactly one wins: one lease,
//! one CLI — never one on each replica, sampled all along — and one conversation at the
//! model; the other replica forwards to the winner (or its browser hears `query_in_progress`
//! while the winner answers the first message).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::future::join3;
use serde_json::Value;

use crate::chat::{assert_answered, create, requests_for, say, user_message};
use crate::harness::{Cluster, Options};
use crate::ws_client::{connect, Next, Ws};

/// How a browser's message fared.
#[derive(Debug)]
enum Outcome {
    /// Acknowledged; the frames of its turn (to its end, or to the session being opened by
    /// the other browser).
    Accepted(Vec<Value>),
    Refused(Value),
}

async fn outcome(ws: &mut Ws, id: &str, seq: u64) -> Outcome {
    let mut turn = Vec::new();
    loop {
        let f = match ws.next().await {
            Next::Frame(f) => f,
            Next::Closed(code) => panic!("closed ({code:?}); seen {:?}", ws.seen),
        };
        let acked = !turn.is_empty();
        match f["type"].as_str() {
            Some("message_received") if f["session_id"] == id && f["seq"] == seq => turn.push(f),
            Some("error") if !acked && f["code"] != "session_opened_elsewhere" => {
                return Outcome::Refused(f)
            }
            Some("response_complete" | "stream_error" | "stream_interrupted") if acked => {
                turn.push(f);
                return Outcome::Accepted(turn);
            }
            Some("session_opened_elsewhere") if acked => return Outcome::Accepted(turn),
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
    on_3.send(user_message(&id, m3, 2)).await;
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
        let o = outcome(&mut on_2, &id, 2).await;
        *done.borrow_mut() += 1;
        o
    };
    let three = async {
        let o = outcome(&mut on_3, &id, 2).await;
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

    // Each accepted message reached the model once, in one conversation.
    let mut accepted = Vec::new();
    for (o, text) in [(&o2, m2), (&o3, m3)] {
        match o {
            Outcome::Accepted(turn) => {
                if turn
                    .last()
                    .is_some_and(|f| f["type"] == "response_complete")
                {
                    assert_answered(turn, text);
                }
                accepted.push(text)
            }
            Outcome::Refused(f) => assert_eq!(f["code"], "query_in_progress", "{f}"),
        }
    }
    assert!(!accepted.is_empty(), "both refused: {o2:?} {o3:?}");
    for text in &accepted {
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
    if let [a, b] = accepted[..] {
        let later = [a, b]
            .into_iter()
            .map(|t| (t, requests_for(&c.stub, t).remove(0)))
            .max_by_key(|(_, r)| r.messages.as_array().map_or(0, Vec::len))
            .unwrap();
        let earlier = if later.0 == a { b } else { a };
        assert!(
            later.1.messages.to_string().contains(earlier),
            "two conversations: {a:?} and {b:?} were answered apart"
        );
    }
}
