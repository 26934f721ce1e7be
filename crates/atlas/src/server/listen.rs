//! Accepting connections: the server's own accept loop (in place of `axum::serve`), with the
//! [`Limits`] that keep slow and hostile clients from holding it.
//!
//! - hyper's header read timeout closes a connection whose request headers do not arrive in
//!   time (also the wait for the next request of a kept-alive connection);
//! - [`idle`] closes a connection with no request in a handler that moved no byte for
//!   [`Limits::idle_timeout`] (what hyper's timer misses: a client that stopped reading a
//!   response, or a pause shorter than the header timeout);
//! - [`Registry::admit`] keeps at most [`Limits::max_connections`] open: past the cap it closes
//!   the quietest connection not in a handler, so half-sent requests can never lock a client
//!   out; only when every connection is busy does a new one get a short `503` ([`refuse`]).
//!
//! Each request's body is read through [`TimeoutBody`] ([`Limits::body_timeout`]); the
//! whole-request timeout is a layer of the router ([`super::app`]).

use super::config::Limits;
use super::error::ApiError;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tower_http::timeout::TimeoutBody;

/// Refused connections being answered at once, at most; past it a refused one is just closed.
const REFUSALS: usize = 64;
/// The longest a refused connection is given to take its `503`.
const REFUSAL_TIME: Duration = Duration::from_secs(2);

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let registry = Arc::new(Registry::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let refusals = Arc::new(Semaphore::new(REFUSALS));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        match registry.admit() {
            Some(conn) => {
                let task = Connection {
                    router: router.clone(),
                    registry: Arc::clone(&registry),
                    conn,
                    peer,
                    limits,
                };
                tokio::spawn(task.run(stream, graceful.watcher()));
            }
            None => refuse(stream, &refusals),
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// An error of `accept`: a connection that failed before it was accepted is nothing; anything
/// else (out of file descriptors) is logged and waited out briefly rather than retried at once.
async fn accept_error(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Answers a connection past the cap with `503 too_many_connections` and closes it, without
/// reading its request (what it sent is drained after the answer, so that the close does not
/// become a reset that loses the answer).
fn refuse(mut stream: TcpStream, refusals: &Arc<Semaphore>) {
    let Ok(permit) = Arc::clone(refusals).try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let answer = async {
            stream.write_all(too_many_connections().as_bytes()).await?;
            stream.shutdown().await?;
            let mut sink = [0u8; 1024];
            while stream.read(&mut sink).await? > 0 {}
            Ok::<_, io::Error>(())
        };
        let _ = tokio::time::timeout(REFUSAL_TIME, answer).await;
    });
}

/// The whole HTTP/1.1 response of a refused connection, with the security headers every
/// response of the router carries ([`super::headers`]; the strict policy: it is JSON).
fn too_many_connections() -> String {
    let body = ApiError::TooManyConnections.json_body();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\ncache-control: no-store\r\n\
         content-security-policy: {}\r\nx-content-type-options: nosniff\r\n\
         referrer-policy: no-referrer\r\nx-frame-options: DENY\r\nconnection: close\r\n\r\n{body}",
        body.len(),
        super::assets::STRICT_CSP
    )
}

/// One open connection as the registry sees it.
#[derive(Debug)]
struct Conn {
    id: u64,
    /// When it last moved a byte (or finished a handler), in ms since [`Registry::epoch`].
    last: AtomicU64,
    /// Its requests in a handler now.
    busy: AtomicUsize,
    /// Closes it (to admit a new connection).
    close: Notify,
}

/// The open connections.
#[derive(Debug)]
struct Registry {
    epoch: Instant,
    max: usize,
    next: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn new(max: usize) -> Self {
        Self {
            epoch: Instant::now(),
            max: max.max(1),
            next: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A new connection, or `None` when the cap is reached and every connection is in a
    /// handler. At the cap, the connection not in a handler that moved no byte for longest
    /// is closed to make room.
    fn admit(&self) -> Option<Arc<Conn>> {
        let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        if conns.len() >= self.max {
            let quietest = conns
                .values()
                .filter(|c| c.busy.load(Ordering::Acquire) == 0)
                .min_by_key(|c| c.last.load(Ordering::Acquire))
                .map(|c| c.id);
            let evicted = conns.remove(&quietest?)?;
            evicted.close.notify_one();
        }
        let conn = Arc::new(Conn {
            id: self.next.fetch_add(1, Ordering::Relaxed),
            last: AtomicU64::new(self.now()),
            busy: AtomicUsize::new(0),
            close: Notify::new(),
        });
        conns.insert(conn.id, Arc::clone(&conn));
        Some(conn)
    }

    fn remove(&self, id: u64) {
        self.conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    fn touch(&self, conn: &Conn) {
        conn.last.store(self.now(), Ordering::Release);
    }
}

/// The task of one accepted connection.
struct Connection {
    router: Router,
    registry: Arc<Registry>,
    conn: Arc<Conn>,
    peer: SocketAddr,
    limits: Limits,
}

impl Connection {
    /// Serves HTTP/1 on `stream` until the client closes it, a limit closes it, or the server
    /// shuts down (`watcher`).
    async fn run(self, stream: TcpStream, watcher: hyper_util::server::graceful::Watcher) {
        let io = TokioIo::new(Tracked {
            io: stream,
            conn: Arc::clone(&self.conn),
            registry: Arc::clone(&self.registry),
        });
        let (router, peer) = (self.router.clone(), self.peer);
        let body_timeout = self.limits.body_timeout;
        let (conn, registry) = (Arc::clone(&self.conn), Arc::clone(&self.registry));
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            // A body that stalls for `body_timeout` fails its reader (the handler writes nothing).
            let mut req = req.map(|b| axum::body::Body::new(TimeoutBody::new(body_timeout, b)));
            // The peer address reaches handlers (failed authentications are counted per address).
            req.extensions_mut().insert(ConnectInfo(peer));
            let in_handler = InHandler::enter(&conn, &registry);
            let mut router = router.clone();
            async move {
                let res = tower::Service::call(&mut router, req).await;
                drop(in_handler);
                res
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout)
            .serve_connection(io, service);
        tokio::select! {
            done = watcher.watch(connection) => {
                if let Err(e) = done {
                    tracing::debug!(peer = %self.peer, error = %e, "connection ended");
                }
            }
            () = self.conn.close.notified() => {
                tracing::debug!(peer = %self.peer, "connection closed to admit a new one");
            }
            () = idle(&self.conn, &self.registry, self.limits.idle_timeout) => {
                tracing::debug!(peer = %self.peer, "idle connection closed");
            }
        }
        self.registry.remove(self.conn.id);
    }
}

/// Resolves once `conn` has no request in a handler and moved no byte for `limit`.
async fn idle(conn: &Conn, registry: &Registry, limit: Duration) {
    loop {
        let quiet = Duration::from_millis(
            registry
                .now()
                .saturating_sub(conn.last.load(Ordering::Acquire)),
        );
        let busy = conn.busy.load(Ordering::Acquire) > 0;
        if !busy && quiet >= limit {
            return;
        }
        tokio::time::sleep(if busy { limit } else { limit - quiet }).await;
    }
}

/// A request of a connection in a handler, from the call to its response's head.
struct InHandler {
    conn: Arc<Conn>,
    registry: Arc<Registry>,
}

impl InHandler {
    fn enter(conn: &Arc<Conn>, registry: &Arc<Registry>) -> Self {
        conn.busy.fetch_add(1, Ordering::AcqRel);
        Self {
            conn: Arc::clone(conn),
            registry: Arc::clone(registry),
        }
    }
}

impl Drop for InHandler {
    fn drop(&mut self) {
        self.registry.touch(&self.conn);
        self.conn.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A socket that notes when it last moved a byte.
struct Tracked {
    io: TcpStream,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
}

impl Tracked {
    fn moved<T>(
        &self,
        polled: Poll<io::Result<T>>,
        bytes: impl Fn(&T) -> bool,
    ) -> Poll<io::Result<T>> {
        if let Poll::Ready(Ok(v)) = &polled {
            if bytes(v) {
                self.registry.touch(&self.conn);
            }
        }
        polled
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        let grew = buf.filled().len() > before;
        this.moved(polled, |()| grew)
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.moved(polled, |n| *n > 0)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.moved(polled, |n| *n > 0)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
