//! Replica mode's store on both backends: the take-over race, expiry, renewal, the dead-node
//! sweep, per-node recovery and transcripts.

use chrono::TimeDelta;

use super::*;
use crate::db::models::now;
use crate::db::test_backends::backend_tests;
use crate::db::{Session, SessionStatus, BOOTSTRAP_USER_ID};

const ID: &str = "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f";
const OTHER: &str = "0d5a8a0e-1b2c-4d3e-8f40-5a6b7c8d9e0f";

async fn session(db: &Db, id: &str, status: SessionStatus) {
    let mut s = Session::new(id, BOOTSTRAP_USER_ID);
    s.status = status;
    db.save(&s).await.unwrap();
}

fn node(id: &str, heartbeat_at: NaiveDateTime) -> NodeRow {
    NodeRow {
        node_id: id.into(),
        url: format!("http://127.0.0.1:1/{id}"),
        started_at: heartbeat_at,
        heartbeat_at,
        draining: false,
        live_sessions: 0,
        max_sessions: 10,
        pool_ready: 1,
        workspace_nonce: "nonce".into(),
    }
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

backend_tests! {
    async fn eight_racing_takers_exactly_one_wins(db: Db) {
        session(&db, ID, SessionStatus::Suspended).await;
        let t = now();
        let takers = (0..8).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                db.take_lease(ID, &format!("n{i}"), t + secs(15), t).await.unwrap()
            })
        });
        let won: Vec<bool> = futures_util::future::join_all(takers)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
        let lease = db.lease(ID).await.unwrap().unwrap();
        let winner = won.iter().position(|w| *w).unwrap();
        assert_eq!(lease.node_id, format!("n{winner}"));
        assert_eq!(lease.epoch, 1);
    }

    async fn a_live_lease_cannot_be_taken_an_expired_one_can(db: Db) {
        session(&db, ID, SessionStatus::Idle).await;
        let t = now();
        assert!(db.take_lease(ID, "a", t + secs(15), t).await.unwrap());
        // Live: another node cannot; the holder renews.
        assert!(!db.take_lease(ID, "b", t + secs(20), t + secs(5)).await.unwrap());
        assert!(db.take_lease(ID, "a", t + secs(20), t + secs(5)).await.unwrap());
        let lease = db.lease(ID).await.unwrap().unwrap();
        assert_eq!((lease.node_id.as_str(), lease.epoch), ("a", 2));
        // Expired: taken over.
        assert!(!db.take_lease(ID, "b", t + secs(34), t + secs(19)).await.unwrap());
        assert!(db.take_lease(ID, "b", t + secs(35), t + secs(20)).await.unwrap());
        let lease = db.lease(ID).await.unwrap().unwrap();
        assert_eq!((lease.node_id.as_str(), lease.epoch), ("b", 3));
        // Releasing someone else's lease does nothing; one's own deletes it.
        assert!(!db.release_lease(ID, "a").await.unwrap());
        assert!(db.release_lease(ID, "b").await.unwrap());
        assert_eq!(db.lease(ID).await.unwrap(), None);
        // A lease needs its session.
        assert!(db.take_lease(OTHER, "a", t, t).await.is_err());
    }

    async fn racing_takers_of_an_expired_lease_exactly_one_wins(db: Db) {
        session(&db, ID, SessionStatus::Idle).await;
        let t = now();
        assert!(db.take_lease(ID, "dead", t - secs(1), t - secs(16)).await.unwrap());
        let takers = (0..8).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                db.take_lease(ID, &format!("n{i}"), t + secs(15), t).await.unwrap()
            })
        });
        let won = futures_util::future::join_all(takers)
            .await
            .into_iter()
            .filter(|w| *w.as_ref().unwrap())
            .count();
        assert_eq!(won, 1);
    }

    async fn renewal_extends_only_ones_own_leases_and_deleting_the_session_drops_them(db: Db) {
        session(&db, ID, SessionStatus::Idle).await;
        session(&db, OTHER, SessionStatus::Idle).await;
        let t = now();
        db.take_lease(ID, "a", t + secs(15), t).await.unwrap();
        db.take_lease(OTHER, "b", t + secs(15), t).await.unwrap();
        let held = db.renew_leases("a", t + secs(40)).await.unwrap();
        assert_eq!(held, vec![ID.to_string()]);
        assert_eq!(db.lease(ID).await.unwrap().unwrap().expires_at, t + secs(40));
        assert_eq!(db.lease(OTHER).await.unwrap().unwrap().expires_at, t + secs(15));
        assert!(db.delete_session(&crate::db::Scope::all(), ID).await.unwrap());
        assert_eq!(db.lease(ID).await.unwrap(), None);
        assert_eq!(db.release_all_leases("b").await.unwrap(), 1);
        assert_eq!(db.lease(OTHER).await.unwrap(), None);
    }

    async fn nodes_beat_drain_and_go(db: Db) {
        let t = now();
        db.upsert_node(&node("a", t)).await.unwrap();
        db.upsert_node(&node("b", t - secs(60))).await.unwrap();
        let load = NodeLoad { live_sessions: 3, max_sessions: 10, pool_ready: 2 };
        assert!(db.heartbeat("a", t + secs(5), load).await.unwrap());
        assert!(!db.heartbeat("gone", t, load).await.unwrap());
        let live = db.live_nodes(t - secs(15)).await.unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!((live[0].live_sessions, live[0].free()), (3, 7));
        db.set_node_draining("a").await.unwrap();
        assert!(db.node("a").await.unwrap().unwrap().draining);
        db.remove_node("a").await.unwrap();
        assert_eq!(db.node("a").await.unwrap(), None);
    }

    async fn a_dead_nodes_sessions_are_suspended_and_a_live_nodes_kept(db: Db) {
        let t = now();
        db.upsert_node(&node("dead", t - secs(60))).await.unwrap();
        db.upsert_node(&node("live", t)).await.unwrap();
        session(&db, ID, SessionStatus::Active).await;
        session(&db, OTHER, SessionStatus::Idle).await;
        db.take_lease(ID, "dead", t - secs(45), t - secs(60)).await.unwrap();
        // The live node's lease expired too (a late beat), but it is alive: kept.
        db.take_lease(OTHER, "live", t - secs(1), t - secs(16)).await.unwrap();
        let suspended = db.sweep_dead_nodes(t, t - secs(15)).await.unwrap();
        assert_eq!(suspended, vec![ID.to_string()]);
        let s = db.get(ID).await.unwrap().unwrap();
        assert_eq!(s.status, SessionStatus::Suspended);
        assert!(s.is_resumable);
        assert_eq!(db.lease(ID).await.unwrap(), None);
        assert_eq!(db.node("dead").await.unwrap(), None);
        assert_eq!(db.get(OTHER).await.unwrap().unwrap().status, SessionStatus::Idle);
        assert!(db.lease(OTHER).await.unwrap().is_some());
        assert!(db.node("live").await.unwrap().is_some());
    }

    async fn recovery_at_start_touches_only_this_nodes_or_expired_leases(db: Db) {
        let t = now();
        let third = "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b";
        session(&db, ID, SessionStatus::Active).await;
        session(&db, OTHER, SessionStatus::Idle).await;
        session(&db, third, SessionStatus::Idle).await;
        db.take_lease(ID, "me", t + secs(15), t).await.unwrap();
        db.take_lease(OTHER, "peer", t + secs(15), t).await.unwrap();
        db.take_lease(third, "peer", t - secs(1), t - secs(16)).await.unwrap();
        let stale = db.suspend_stale_of("me", t).await.unwrap();
        let mine: Vec<bool> = stale.iter().filter(|(s, _)| s.session_id == ID).map(|(_, m)| *m).collect();
        assert_eq!(mine, [true]);
        let mut ids: Vec<String> = stale.into_iter().map(|(s, _)| s.session_id).collect();
        ids.sort();
        let mut expected = vec![ID.to_string(), third.to_string()];
        expected.sort();
        assert_eq!(ids, expected);
        assert_eq!(db.get(OTHER).await.unwrap().unwrap().status, SessionStatus::Idle);
        assert_eq!(db.get(ID).await.unwrap().unwrap().status, SessionStatus::Suspended);
        assert_eq!(db.lease(ID).await.unwrap(), None);
        assert!(db.lease(OTHER).await.unwrap().is_some());
    }

    async fn transcripts_append_in_chunks_and_a_rewrite_replaces_them(db: Db) {
        session(&db, ID, SessionStatus::Idle).await;
        assert_eq!(db.transcript_len(ID).await.unwrap(), 0);
        assert_eq!(db.transcript(ID).await.unwrap(), b"");
        db.append_transcript(ID, 0, b"{\"a\":1}\n".to_vec()).await.unwrap();
        db.append_transcript(ID, 8, b"{\"b\":2}\n".to_vec()).await.unwrap();
        assert_eq!(db.transcript_len(ID).await.unwrap(), 16);
        assert_eq!(db.transcript(ID).await.unwrap(), b"{\"a\":1}\n{\"b\":2}\n");
        // Binary-safe.
        db.append_transcript(ID, 16, vec![0, 255, 10]).await.unwrap();
        assert_eq!(db.transcript(ID).await.unwrap()[16..], [0, 255, 10]);
        db.append_transcript(ID, 0, b"new\n".to_vec()).await.unwrap();
        assert_eq!(db.transcript(ID).await.unwrap(), b"new\n");
        assert_eq!(db.transcript_len(ID).await.unwrap(), 4);
        assert!(db.delete_session(&crate::db::Scope::all(), ID).await.unwrap());
        assert_eq!(db.transcript_len(ID).await.unwrap(), 0);
    }
}
