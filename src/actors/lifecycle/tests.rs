//! The lifecycle, tested by its table (`table.rs`), which covers every (phase, event) pair:
//! each sample phase meets each sample event, and exactly one row says what happens — the
//! next phase and the effects, or why the pair cannot happen (the machine then changes
//! nothing). The reachable rows are also the lifecycle table and diagram of
//! docs/architecture.md (regenerate with `UPDATE_DOCS=1 cargo test --lib actors::lifecycle`).

use std::collections::BTreeSet;
use std::time::Duration;

use super::machine::*;
use super::notices::Notice;
use super::phase::*;
use super::table::*;
use crate::actors::EngineError;
use crate::protocol::Source;

/// A lifecycle in `phase` with one completed turn on its process, nobody subscribed.
fn sample(phase: Phase) -> Lifecycle {
    Lifecycle::new(phase, LIMITS, t0()).with_completed_turn()
}

fn rows_for(phase: &str, event: &str) -> Vec<&'static Row> {
    ROWS.iter()
        .filter(|(ps, es, _)| ps.contains(&phase) && es.contains(&event))
        .collect()
}

#[test]
fn the_table_covers_every_phase_and_event_exactly_once() {
    let phase_names: BTreeSet<String> = phases().iter().map(phase_name).collect();
    let event_names: BTreeSet<&str> = events().iter().map(event_name).collect();
    assert_eq!(phase_names.len(), phases().len());
    assert_eq!(event_names.len(), events().len());
    for (ps, es, _) in ROWS {
        for p in *ps {
            assert!(phase_names.contains(*p), "unknown phase {p:?} in the table");
        }
        for e in *es {
            assert!(event_names.contains(e), "unknown event {e:?} in the table");
        }
    }
    let mut wrong = Vec::new();
    for p in &phase_names {
        for e in &event_names {
            let rows = rows_for(p, e);
            if rows.len() != 1 {
                wrong.push(format!("({p}, {e}) is covered by {} rows", rows.len()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_machine_does_what_the_table_says() {
    let mut wrong = Vec::new();
    for phase in phases() {
        for event in events() {
            let (p, e) = (phase_name(&phase), event_name(&event));
            let Some((_, _, expect)) = rows_for(&p, e).first().copied() else {
                continue; // reported by the coverage test
            };
            let mut life = sample(phase.clone());
            let effects: Vec<String> = life
                .step(event.clone(), now())
                .iter()
                .map(effect_name)
                .collect();
            let after = phase_name(life.phase());
            let (want_phase, want_fx, why): (String, Vec<String>, &str) = match *expect {
                To(to, fx) => (to.into(), fx.iter().map(|s| s.to_string()).collect(), ""),
                Same(fx) => (p.clone(), fx.iter().map(|s| s.to_string()).collect(), ""),
                Unreachable(why) => (p.clone(), vec![], why),
            };
            if (&after, &effects) != (&want_phase, &want_fx) {
                wrong.push(format!(
                    "({p}, {e}) {why}: got {after} {effects:?}, table says {want_phase} {want_fx:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn crashes_restart_within_the_budget_then_the_session_fails() {
    let ready = || Phase::Running {
        turn: TurnState::Idle { marked: false },
    };
    let mut life = Lifecycle::new(ready(), LIMITS, t0());
    let launched = Event::Launched {
        source: Source::Resumed,
        lost: false,
    };
    for i in 0..CRASH_BUDGET as u64 {
        let at = t0() + Duration::from_secs(i);
        assert!(life
            .step(Event::Crashed, at)
            .contains(&Effect::Launch(LaunchKind::Resume)));
        life.step(launched.clone(), at);
    }
    let at = t0() + Duration::from_secs(10);
    let fx = life.step(Event::Crashed, at);
    assert_eq!(
        life.phase(),
        &Phase::Stopping {
            reason: StopReason::Failed
        }
    );
    assert!(fx.contains(&Effect::SetStatus(crate::db::SessionStatus::Failed)));
    // Outside the window, the budget is back.
    let mut life = Lifecycle::new(ready(), LIMITS, t0());
    for i in 0..10u64 {
        let at = t0() + (CRASH_WINDOW + Duration::from_secs(1)) * i as u32;
        life.step(Event::Crashed, at);
        assert!(
            matches!(life.phase(), Phase::Restarting { .. }),
            "crash {i}"
        );
        life.step(launched.clone(), at);
    }
}

#[test]
fn a_memory_restart_needs_a_completed_turn_on_the_process() {
    let mut life = Lifecycle::new(
        Phase::Starting {
            from: Box::new(Phase::Absent),
        },
        LIMITS,
        t0(),
    );
    let launched = Event::Launched {
        source: Source::Cold,
        lost: false,
    };
    life.step(launched, t0());
    assert!(life.step(Event::MemoryExceeded, now()).is_empty());
    life.step(Event::Query, now());
    life.step(Event::TurnEnded, now());
    assert_eq!(
        life.step(Event::MemoryExceeded, now()),
        vec![
            Effect::Notify(Notice::Restarting(RestartReason::MemoryLimit)),
            Effect::Launch(LaunchKind::Resume)
        ]
    );
    // The replacement starts again from zero turns.
    life.step(
        Event::Launched {
            source: Source::Resumed,
            lost: false,
        },
        now(),
    );
    assert!(life.step(Event::MemoryExceeded, now()).is_empty());
}

#[test]
fn a_woken_session_is_held_from_the_budget_until_its_first_turn_or_the_hold_ends() {
    let launched = |source| Event::Launched {
        source,
        lost: false,
    };
    // Created: reclaimable as soon as it is idle (a new session nobody uses yet).
    let mut created = Lifecycle::new(Phase::Absent, LIMITS, t0());
    created.step(Event::Create, t0());
    created.step(launched(Source::Cold), t0());
    assert!(created.reclaimable(t0()));

    // Woken for a message: held until the message's turn has ended...
    let mut woken = Lifecycle::new(Phase::Suspended, LIMITS, t0());
    woken.step(Event::Wake, t0());
    woken.step(launched(Source::Resumed), t0());
    assert!(!woken.reclaimable(t0() + Duration::from_secs(1)));
    woken.step(Event::Query, t0() + Duration::from_secs(1));
    assert!(!woken.reclaimable(t0() + Duration::from_secs(2)));
    woken.step(Event::TurnEnded, t0() + Duration::from_secs(2));
    assert!(woken.reclaimable(t0() + Duration::from_secs(2)));

    // ...or, when no message comes (woken only to be viewed), for WAKE_HOLD.
    let mut viewed = Lifecycle::new(Phase::Suspended, LIMITS, t0());
    viewed.step(Event::Wake, t0());
    viewed.step(launched(Source::Resumed), t0());
    assert!(!viewed.reclaimable(t0() + WAKE_HOLD - Duration::from_secs(1)));
    assert!(viewed.reclaimable(t0() + WAKE_HOLD));
}

#[test]
fn idleness_marks_then_suspends_and_a_turn_counts_as_activity() {
    let ready = Phase::Running {
        turn: TurnState::Idle { marked: false },
    };
    let mut life = Lifecycle::new(ready, LIMITS, t0());
    assert!(life
        .step(Event::Tick, t0() + Duration::from_secs(9))
        .is_empty());
    assert_eq!(
        life.step(Event::Tick, t0() + Duration::from_secs(10)),
        vec![Effect::SetStatus(crate::db::SessionStatus::Idle)]
    );
    assert!(life
        .step(Event::Tick, t0() + Duration::from_secs(14))
        .is_empty());
    // A message wakes it; a long turn keeps it awake.
    life.step(Event::Query, t0() + Duration::from_secs(14));
    life.step(Event::Tick, t0() + Duration::from_secs(100));
    life.step(Event::TurnEnded, t0() + Duration::from_secs(101));
    assert!(life
        .step(Event::Tick, t0() + Duration::from_secs(110))
        .is_empty());
    let fx = life.step(Event::Tick, t0() + Duration::from_secs(116));
    assert!(fx.contains(&Effect::StopProcess), "{fx:?}");
}

#[test]
fn a_stale_drain_deadline_changes_nothing() {
    let mut life = Lifecycle::new(
        Phase::Running {
            turn: TurnState::Querying,
        },
        LIMITS,
        t0(),
    );
    life.step(Event::AgeLimit, t0());
    let Phase::Draining { deadline, .. } = life.phase().clone() else {
        panic!("{:?}", life.phase())
    };
    assert!(life
        .step(
            Event::DrainDeadline {
                deadline: deadline - Duration::from_secs(1)
            },
            now()
        )
        .is_empty());
    assert!(life
        .step(Event::DrainDeadline { deadline }, now())
        .contains(&Effect::StopProcess));
}

#[test]
fn the_shutdown_lets_a_turn_finish_then_cuts_it_at_its_deadline() {
    let mut life = Lifecycle::new(
        Phase::Running {
            turn: TurnState::Querying,
        },
        LIMITS,
        t0(),
    );
    let deadline = t0() + Duration::from_secs(25);
    assert_eq!(
        life.step(Event::Shutdown { deadline }, t0()),
        vec![Effect::ArmDrainDeadline { deadline }]
    );
    assert_eq!(
        life.step(Event::Query, t0()),
        vec![Effect::Refuse(EngineError::ShuttingDown)],
        "no new message while the server stops"
    );
    // A turn that ends in time: the session stops at once, suspended.
    let mut finished = life.clone();
    let fx = finished.step(Event::TurnEnded, t0() + Duration::from_secs(3));
    assert_eq!(
        fx,
        vec![
            Effect::SetStatus(crate::db::SessionStatus::Suspended),
            Effect::StopProcess
        ]
    );
    // A second signal moves the deadline earlier.
    let sooner = t0() + Duration::from_secs(1);
    assert_eq!(
        life.step(Event::Shutdown { deadline: sooner }, t0()),
        vec![Effect::ArmDrainDeadline { deadline: sooner }]
    );
    assert!(life
        .step(Event::DrainDeadline { deadline }, sooner)
        .is_empty());
    // At the deadline the turn is cut; its end (or the interrupt's deadline) stops it.
    let fx = life.step(Event::DrainDeadline { deadline: sooner }, sooner);
    let cut_by = sooner + INTERRUPT_WAIT;
    assert_eq!(
        fx,
        vec![
            Effect::CutTurn(Cut::Shutdown),
            Effect::ArmInterruptDeadline { deadline: cut_by }
        ]
    );
    let mut ended = life.clone();
    assert!(ended
        .step(Event::TurnEnded, sooner)
        .contains(&Effect::StopProcess));
    assert!(life
        .step(Event::InterruptDeadline { deadline: sooner }, cut_by)
        .is_empty());
    assert_eq!(
        life.step(Event::InterruptDeadline { deadline: cut_by }, cut_by),
        vec![
            Effect::AbandonTurn,
            Effect::SetStatus(crate::db::SessionStatus::Suspended),
            Effect::StopProcess
        ]
    );
}

#[test]
fn a_permission_waits_for_a_subscriber_and_times_out_only_alone() {
    let mut life = Lifecycle::new(
        Phase::Running {
            turn: TurnState::Querying,
        },
        LIMITS,
        t0(),
    );
    life.step(Event::Subscribed, t0());
    let open = |id: &str| Event::PermissionOpened {
        request_id: id.into(),
    };
    assert!(
        life.step(open("a"), t0()).is_empty(),
        "someone is there to answer"
    );
    assert_eq!(
        life.step(Event::Unsubscribed, t0()),
        vec![Effect::ArmPermissionTimer]
    );
    assert_eq!(
        life.step(Event::Subscribed, t0()),
        vec![Effect::CancelPermissionTimer]
    );
    assert_eq!(
        life.step(
            Event::PermissionAnswered {
                request_id: "b".into()
            },
            t0()
        ),
        vec![Effect::Refuse(EngineError::NoSuchPermission)]
    );
}

#[test]
fn a_lost_conversation_is_recorded_at_start_and_announced_at_a_restart() {
    let mut life = Lifecycle::new(
        Phase::Starting {
            from: Box::new(Phase::Suspended),
        },
        LIMITS,
        t0(),
    );
    let lost = Event::Launched {
        source: Source::Resumed,
        lost: true,
    };
    assert_eq!(
        life.step(lost.clone(), t0()),
        vec![
            Effect::RecordNotRestored,
            Effect::Notify(Notice::Ready(Source::Resumed))
        ]
    );
    life.step(Event::Crashed, t0());
    assert_eq!(
        life.step(lost, t0()),
        vec![
            Effect::SwapProcess,
            Effect::RecordNotRestored,
            Effect::Notify(Notice::NotRestored),
            Effect::SetStatus(crate::db::SessionStatus::Active),
            Effect::Notify(Notice::Ready(Source::Resumed)),
        ]
    );
}

// ---- docs/architecture.md ----

const DOC: &str = "docs/architecture.md";
const BEGIN: &str = "<!-- lifecycle:begin (generated by src/actors/lifecycle/tests.rs) -->";
const END: &str = "<!-- lifecycle:end -->";

/// The state in a diagram: the phase without its details.
fn state_of(name: &str) -> &'static str {
    let n = name.split(" (").next().unwrap_or(name);
    match n {
        "absent" => "Absent",
        "starting" => "Starting",
        "ready" | "ready, marked idle" => "Ready",
        "querying" | "waiting for permission" | "interrupting" => "Turn",
        "draining" => "Draining",
        "restarting" => "Restarting",
        "stopping" => "Stopping",
        "suspended" => "Suspended",
        "failed" => "Failed",
        "ended" => "Ended",
        other => panic!("no diagram state for {other}"),
    }
}

/// The lifecycle section of the architecture document, from the table.
fn lifecycle_doc() -> String {
    let mut edges: std::collections::BTreeMap<(&str, &str), BTreeSet<&str>> = Default::default();
    let mut table = String::from("| phase | event | next phase | effects |\n|---|---|---|---|\n");
    for phase in phases() {
        let p = phase_name(&phase);
        for event in events() {
            let e = event_name(&event);
            let Some((_, _, expect)) = rows_for(&p, e).first().copied() else {
                continue;
            };
            let (to, fx) = match *expect {
                To(to, fx) => (to.to_string(), fx),
                Same(fx) if !fx.is_empty() => (p.clone(), fx),
                _ => continue,
            };
            let (a, b) = (state_of(&p), state_of(&to));
            if a != b {
                edges.entry((a, b)).or_default().insert(e);
            }
            let fx = if fx.is_empty() {
                "–".to_string()
            } else {
                fx.join(", ")
            };
            let to = if to == p { "(same)".to_string() } else { to };
            table.push_str(&format!("| {p} | {e} | {to} | {fx} |\n"));
        }
    }
    let mut diagram = String::from("```mermaid\nstateDiagram-v2\n");
    for ((a, b), events) in &edges {
        let label: Vec<&str> = events.iter().copied().collect();
        diagram.push_str(&format!("    {a} --> {b}: {}\n", label.join(", ")));
    }
    diagram.push_str("```\n");
    format!("{BEGIN}\n{diagram}\n{table}{END}")
}

#[test]
fn the_architecture_doc_shows_this_lifecycle() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    let text = std::fs::read_to_string(&path).unwrap();
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        panic!("{DOC} has no generated lifecycle section ({BEGIN} … {END})");
    };
    let current = &text[start..end + END.len()];
    let wanted = lifecycle_doc();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, text.replace(current, &wanted)).unwrap();
        return;
    }
    assert!(
        current == wanted,
        "{DOC}'s lifecycle section is stale: regenerate it with \
         `UPDATE_DOCS=1 cargo test --lib actors::lifecycle`"
    );
}

#[test]
fn a_message_that_meets_a_suspending_session_waits_for_the_stop_and_wakes_it() {
    // Found by the soak: a message racing the memory budget's (or the idle timeout's)
    // suspend was refused ("session has just ended") or woke a process its sender did not
    // see. It is deferred instead: asked again once the session is suspended, it wakes it.
    for (event, reason) in [
        (Event::Reclaim, StopReason::MemoryBudget),
        (Event::Tick, StopReason::Idle),
    ] {
        let mut life = sample(Phase::Running {
            turn: TurnState::Idle { marked: true },
        });
        life.step(event, now());
        assert_eq!(life.phase(), &Phase::Stopping { reason });
        assert_eq!(life.step(Event::Query, now()), vec![Effect::Defer]);
        assert_eq!(life.step(Event::Stopped, now()), vec![]);
        assert_eq!(life.phase(), &Phase::Suspended);
        assert_eq!(
            life.step(Event::Wake, now()),
            vec![Effect::Launch(LaunchKind::Resume)]
        );
    }
    // A session that is ending for good still refuses it.
    let mut life = sample(Phase::Stopping {
        reason: StopReason::Destroyed,
    });
    assert_eq!(
        life.step(Event::Query, now()),
        vec![Effect::Refuse(EngineError::Ended)]
    );
}
