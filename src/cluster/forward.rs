//! The client side of replica-to-replica traffic: the internal WebSocket a browser's
//! connection opens to a session's owner ([`open_link`]), forwarded REST calls
//! ([`send_rest`]), and the wait for a session to leave a replica that is going away
//! ([`wait_for_handover`]). The server side (the `/internal/v1/*` routes) is
//! `src/http/internal.rs`; the browser connection's use of a link is `src/http/ws_forward.rs`.
//!
//! Every request is signed for the user it acts as (`auth.rs`); the owner loads that user and
//! runs its usual checks, so forwarding grants nothing the user could not do on the owner.
//! Uses `awc` (actix's client, `!Send`): one client per thread, on the actors' runtime.

use std::time::{Duration, Instant};

use actix::Recipient;
use actix_web::web::Bytes;
use awc::ws;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::{auth, Cluster, Remote};
use crate::session_id::SessionId;

/// The owner's WebSocket for a forwarding replica (same frames as `/ws/v1/chat`).
pub const INTERNAL_WS: &str = "/internal/v1/ws";
/// The REST mirror: `/internal/v1/rest/sessions…` answers as `/api/v1/sessions…`.
pub const INTERNAL_REST: &str = "/internal/v1/rest";
/// How long a connect to another replica may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A forwarded REST call may start a CLI (resume, create): as long as a cold start.
const REST_TIMEOUT: Duration = Duration::from_secs(120);
/// The owner's frames can be large (a `session_history` of a long conversation); the peer
/// is trusted, this only bounds a broken one.
const MAX_OWNER_FRAME: usize = 256 * 1024 * 1024;
/// How often the owner of a session being handed over is looked up.
const HANDOVER_POLL: Duration = Duration::from_millis(250);

thread_local! {
    static CLIENT: awc::Client = awc::Client::builder()
        .timeout(REST_TIMEOUT)
        .disable_redirects()
        .finish();
}

fn client() -> awc::Client {
    CLIENT.with(Clone::clone)
}

/// Why a call to another replica failed before it answered.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("replica mode is off")]
    NotClustered,
    #[error("could not reach replica {node}: {why}")]
    Unreachable { node: String, why: String },
}

/// The signed headers of a request this replica sends for `user_id`.
fn signed(
    cluster: &Cluster,
    method: &str,
    target: &str,
    user_id: &str,
) -> Result<[(&'static str, String); 4], ForwardError> {
    let (Some(secret), Some(node)) = (cluster.secret(), cluster.node_id()) else {
        return Err(ForwardError::NotClustered);
    };
    Ok(auth::headers(
        secret,
        method,
        target,
        node,
        user_id,
        auth::now(),
    ))
}

/// What a link tells the connection that opened it.
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct LinkEvent {
    pub node_id: String,
    /// Which link of that node (a connection may open a second after the first closed).
    pub link_id: u64,
    pub body: LinkBody,
}

#[derive(Debug)]
pub enum LinkBody {
    /// A frame from the owner, verbatim.
    Text(String),
    /// The link is gone (never connected, refused, or lost). `unsent`: frames that never
    /// left this replica, in order — safe to send again elsewhere.
    Closed { unsent: Vec<String>, why: String },
}

/// The sending half of a link: frames queue here in order while it connects.
pub struct Link {
    pub link_id: u64,
    tx: mpsc::UnboundedSender<String>,
}

impl Link {
    /// Queues a frame for the owner; false when the link has already ended (its
    /// [`LinkBody::Closed`] is on its way).
    pub fn send(&self, text: String) -> bool {
        self.tx.send(text).is_ok()
    }
}

/// Opens an internal WebSocket to `remote` acting as `user_id`. Frames sent before it is
/// connected wait; everything it hears goes to `to` as [`LinkEvent`]s, the last being
/// `Closed`. Dropping the [`Link`] closes it.
pub fn open_link(
    cluster: &Cluster,
    remote: &Remote,
    user_id: &str,
    link_id: u64,
    to: Recipient<LinkEvent>,
) -> Link {
    let (tx, rx) = mpsc::unbounded_channel();
    let node_id = remote.node_id.clone();
    let url = format!("{}{INTERNAL_WS}", remote.url.trim_end_matches('/'));
    let headers = signed(cluster, "GET", INTERNAL_WS, user_id);
    actix::spawn(async move {
        let tell = |body| {
            to.do_send(LinkEvent {
                node_id: node_id.clone(),
                link_id,
                body,
            })
        };
        let why = run_link(url, headers, rx, &tell).await;
        tell(LinkBody::Closed {
            unsent: why.1,
            why: why.0,
        });
    });
    Link { link_id, tx }
}

/// Runs one link to its end: (why it ended, the frames never sent).
async fn run_link(
    url: String,
    headers: Result<[(&'static str, String); 4], ForwardError>,
    mut rx: mpsc::UnboundedReceiver<String>,
    tell: &impl Fn(LinkBody),
) -> (String, Vec<String>) {
    let drain = |rx: &mut mpsc::UnboundedReceiver<String>| {
        let mut unsent = Vec::new();
        rx.close();
        while let Ok(text) = rx.try_recv() {
            unsent.push(text);
        }
        unsent
    };
    let headers = match headers {
        Ok(h) => h,
        Err(e) => return (e.to_string(), drain(&mut rx)),
    };
    let mut request = client().ws(url).max_frame_size(MAX_OWNER_FRAME);
    for (name, value) in headers {
        request = request.set_header(name, value);
    }
    let framed = match tokio::time::timeout(CONNECT_TIMEOUT, request.connect()).await {
        Ok(Ok((_, framed))) => framed,
        Ok(Err(e)) => return (format!("connect: {e}"), drain(&mut rx)),
        Err(_) => return ("connect: timed out".into(), drain(&mut rx)),
    };
    let (mut sink, mut stream) = framed.split();
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(text) => {
                    if let Err(e) = sink.send(ws::Message::Text(text.into())).await {
                        return (format!("send: {e}"), drain(&mut rx));
                    }
                }
                None => {
                    // The connection dropped its Link: close politely.
                    let _ = sink.send(ws::Message::Close(None)).await;
                    return ("closed by this replica".into(), Vec::new());
                }
            },
            frame = stream.next() => match frame {
                Some(Ok(ws::Frame::Text(bytes))) => match String::from_utf8(bytes.to_vec()) {
                    Ok(text) => tell(LinkBody::Text(text)),
                    Err(_) => return ("the owner sent invalid UTF-8".into(), drain(&mut rx)),
                },
                Some(Ok(ws::Frame::Ping(bytes))) => {
                    // The owner closes a link that is silent for 10 s: pongs keep it open.
                    if let Err(e) = sink.send(ws::Message::Pong(bytes)).await {
                        return (format!("send: {e}"), drain(&mut rx));
                    }
                }
                Some(Ok(ws::Frame::Close(reason))) => {
                    return (format!("closed by the owner: {reason:?}"), drain(&mut rx));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return (format!("receive: {e}"), drain(&mut rx)),
                None => return ("the owner went away".into(), drain(&mut rx)),
            },
        }
    }
}

/// An answer from the owner to a forwarded REST call.
pub struct RestAnswer {
    pub status: actix_web::http::StatusCode,
    pub content_type: Option<String>,
    pub body: Bytes,
}

/// Sends `method path_and_query` (an `/api/v1/…` target) to `remote`'s REST mirror as
/// `user_id`, with `body`.
pub async fn send_rest(
    cluster: &Cluster,
    remote: &Remote,
    user_id: &str,
    method: &actix_web::http::Method,
    api_target: &str,
    body: Bytes,
) -> Result<RestAnswer, ForwardError> {
    let rest = api_target
        .strip_prefix(crate::http::API_PREFIX)
        .unwrap_or(api_target);
    let target = format!("{INTERNAL_REST}{rest}");
    let headers = signed(cluster, method.as_str(), &target, user_id)?;
    let url = format!("{}{target}", remote.url.trim_end_matches('/'));
    let mut request = client().request(method.clone(), url);
    for (name, value) in headers {
        request = request.insert_header((name, value));
    }
    if !body.is_empty() {
        request = request.insert_header(("content-type", "application/json"));
    }
    let unreachable = |why: String| ForwardError::Unreachable {
        node: remote.node_id.clone(),
        why,
    };
    let mut response = request
        .send_body(body)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let body = response
        .body()
        .limit(MAX_OWNER_FRAME)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok(RestAnswer {
        status: response.status(),
        content_type,
        body,
    })
}

/// Waits, at most `bound`, until `from` no longer holds `session_id` (its lease deleted as
/// it handed its sessions over, or expired after it died). True when it let go.
pub async fn wait_for_handover(
    cluster: &Cluster,
    session_id: &SessionId,
    from: &str,
    bound: Duration,
) -> bool {
    let until = Instant::now() + bound;
    loop {
        match cluster.owner(session_id).await {
            Some(owner) if owner.node_id == from => {}
            _ => return true,
        }
        if Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(HANDOVER_POLL).await;
    }
}

/// Until when a session of a replica going away may still be held by it: its drain
/// (`SHUTDOWN_GRACE_SECONDS`) plus a lease, for the lease of a replica that died to expire
/// and be swept, and a little slack.
pub fn handover_bound(shutdown_grace: Duration, lease: Duration) -> Duration {
    shutdown_grace + lease * 2 + Duration::from_secs(5)
}

/// [`Cluster::route`] for a frame that may start the session's process, waiting out (at
/// most `bound`) a lease whose holder died and has not expired yet; a frame that needs no
/// process only asks who runs the session ([`Cluster::owner`]), so it never takes a lease.
pub async fn route_for(
    cluster: &Cluster,
    session_id: &SessionId,
    launches: bool,
    bound: Duration,
) -> Result<super::Route, crate::actors::EngineError> {
    if !launches {
        return Ok(match cluster.owner(session_id).await {
            Some(remote) => super::Route::Remote(remote),
            None => super::Route::Local,
        });
    }
    let until = Instant::now() + bound;
    loop {
        match cluster.route(session_id).await {
            Err(crate::actors::EngineError::Restarting) if Instant::now() < until => {
                tokio::time::sleep(HANDOVER_POLL * 2).await;
            }
            other => return other,
        }
    }
}
