//! Create and chat through the balancer: browsers spread over the replicas by HAProxy create
//! sessions and talk to them, and later connections — on whichever replica the balancer
//! picks — continue those conversations with their whole history.

use std::collections::BTreeSet;

use crate::chat::{assert_answered, create, exchange, open, requests_for, say};
use crate::harness::{client, Cluster, Options};
use crate::helpers::{call, TEST_KEY};
use crate::ws_client::connect;

#[actix_web::test]
async fn sessions_are_created_and_continued_through_the_balancer() {
    let Some(c) = Cluster::start(Options::default()).await else {
        return;
    };
    let mut ids = Vec::new();
    for k in 1..=3 {
        let mut ws = connect(c.lb.addr).await;
        let id = create(&mut ws).await;
        let text = format!("hello from browser {k}");
        assert_answered(&say(&mut ws, &id, &text, 1).await, &text);
        ids.push(id);
    }

    // Each session is leased by a replica; round robin spread the creations.
    let mut owners = BTreeSet::new();
    for id in &ids {
        let owner = c.lease_holder(id).await;
        owners.insert(owner.unwrap_or_else(|| panic!("{id} has no lease")));
    }
    assert!(owners.len() >= 2, "all three sessions on {owners:?}");

    // One database: every replica lists every session.
    for node in &c.nodes {
        let (status, body) = call(
            client()
                .get(format!("http://{}/api/v1/sessions", node.addr))
                .insert_header(("X-API-Key", TEST_KEY)),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let listed: BTreeSet<&str> = body["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["session_id"].as_str())
            .collect();
        for id in &ids {
            assert!(
                listed.contains(id.as_str()),
                "{} does not list {id}",
                node.id
            );
        }
    }

    // New connections through the balancer (not necessarily on the owner) continue each
    // conversation: the history is there, the reply streams back, the model had it all.
    for (k, id) in ids.iter().enumerate() {
        let first = format!("hello from browser {}", k + 1);
        let mut ws = connect(c.lb.addr).await;
        let opened = open(&mut ws, id, 0).await;
        assert_eq!(
            opened.conversation(),
            exchange(&first),
            "{}",
            opened.history
        );
        let text = format!("and a second message in {id}");
        assert_answered(&say(&mut ws, id, &text, 2).await, &text);
        let asked = requests_for(&c.stub, &text);
        assert_eq!(asked.len(), 1, "the model was asked {} times", asked.len());
        assert!(asked[0].messages.to_string().contains(&first));
        assert_eq!(requests_for(&c.stub, &first).len(), 1);
    }
}
