//! Creation goes to a replica with room: a browser on a full replica (n1 at its
//! `MAX_SESSIONS`) creates a session, which another replica starts and runs; the browser
//! chats with it through n1 as with any other.

use crate::chat::{assert_answered, create, say};
use crate::harness::{Cluster, Options};
use crate::ws_client::connect;

#[actix_web::test]
async fn a_create_on_a_full_replica_is_placed_on_one_with_room() {
    let opts = Options {
        first_max_sessions: Some(1),
        ..Options::default()
    };
    let Some(c) = Cluster::start(opts).await else {
        return;
    };
    let n1 = &c.nodes[0];
    let mut on_n1 = connect(n1.addr).await;
    // The first fits on n1 itself.
    let here = create(&mut on_n1).await;
    assert_eq!(c.lease_holder(&here).await.as_deref(), Some(n1.id.as_str()));
    assert_answered(&say(&mut on_n1, &here, "first here", 1).await, "first here");

    // n1 is full: the next create through it runs on another replica.
    let placed = create(&mut on_n1).await;
    let holder = c.lease_holder(&placed).await;
    assert!(
        holder.as_deref().is_some_and(|h| h != n1.id),
        "the session was not placed elsewhere: lease {holder:?}\n{}",
        c.logs()
    );
    assert_eq!(c.clis_of(&placed).len(), 1, "{:?}", c.clis_of(&placed));
    assert!(
        c.clis_of(&placed)
            .iter()
            .all(|(node, _)| Some(node.as_str()) == holder.as_deref()),
        "{:?}",
        c.clis_of(&placed)
    );
    // And the browser on n1 talks to it through n1.
    assert_answered(
        &say(&mut on_n1, &placed, "placed elsewhere", 1).await,
        "placed elsewhere",
    );
    assert_eq!(c.lease_holder(&placed).await, holder);
}
