//! Who is writing: `Authorization: Bearer NAME.SECRET` on every write (reading stays public).
//!
//! Checking a token ([`Guard::authenticate`]):
//! 1. An address with [`MAX_FAILURES`] failed attempts within [`FAILURE_WINDOW`] gets `429
//!    too_many_attempts` (with `Retry-After`) without any check, whatever it sends.
//! 2. The token's name part finds the user (one indexed read on every request, so a revoked
//!    token is refused at once, also when `atlas user revoke` ran in another process).
//! 3. The secret is checked with argon2 (constant-time), on a blocking thread — unless the
//!    same token (by its SHA-256, [`crate::app::tokens::fingerprint`]) passed against the same stored
//!    hash within [`VERIFIED_FOR`]: a busy editor pays argon2's ~50 ms once per
//!    [`VERIFIED_FOR`], not per request. Only successes are remembered; the memory is bounded.
//! 4. A missing header is `401` without counting as a failure; a malformed, unknown, revoked
//!    or wrong token is `401` (with `WWW-Authenticate: Bearer`) and counts.
//!
//! Tokens are read from the `Authorization` header only — never from a query string (an
//! unknown query key is refused anyway) — and never logged: the request log has the method,
//! the path and the status, and a failed check logs the address and the user name only.
//!
//! The client address is the TCP peer's. Behind a reverse proxy every client shares the
//! proxy's address (and its limit): `X-Forwarded-For` is not trusted.

use super::error::{ApiError, ApiResult};
use super::AppState;
use atlas_store::Role;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed authentications allowed from one address within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: usize = 10;
/// The window of [`MAX_FAILURES`].
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// How long a successful check of a token is remembered.
pub const VERIFIED_FOR: Duration = Duration::from_secs(600);
/// Remembered successful checks at most (the oldest are forgotten first).
const MAX_REMEMBERED: usize = 1024;
/// Addresses whose failures are tracked at most (expired ones are forgotten first).
const MAX_TRACKED: usize = 10_000;

/// The caller of a write: a user and their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// User name (recorded in revisions as `who`).
    pub name: String,
    /// Role.
    pub role: Role,
}

/// A remembered successful check.
#[derive(Debug)]
struct Verified {
    /// The stored hash the token matched (a re-issued or changed user does not match).
    hash: String,
    until: Instant,
}

/// The server's authentication state: remembered checks and failures per address.
#[derive(Debug, Default)]
pub struct Guard {
    verified: Mutex<HashMap<[u8; 32], Verified>>,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Guard {
    /// A new guard (nothing remembered).
    pub fn new() -> Self {
        Self::default()
    }

    /// `Some(seconds)` when `ip` has used up its failures.
    fn blocked(&self, ip: IpAddr, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().ok()?;
        let list = map.get_mut(&ip)?;
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
        {
            list.pop_front();
        }
        if list.len() < MAX_FAILURES {
            return None;
        }
        let oldest = *list.front()?;
        let wait = FAILURE_WINDOW.saturating_sub(now.duration_since(oldest));
        Some(wait.as_secs().max(1))
    }

    fn failed(&self, ip: IpAddr, now: Instant) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() >= MAX_TRACKED && !map.contains_key(&ip) {
                map.retain(|_, l| {
                    l.back()
                        .is_some_and(|t| now.duration_since(*t) < FAILURE_WINDOW)
                });
                if map.len() >= MAX_TRACKED {
                    return;
                }
            }
            let list = map.entry(ip).or_default();
            list.push_back(now);
            while list.len() > MAX_FAILURES {
                list.pop_front();
            }
        }
    }

    fn remembered(&self, key: &[u8; 32], hash: &str, now: Instant) -> bool {
        self.verified
            .lock()
            .ok()
            .and_then(|m| m.get(key).map(|v| v.hash == hash && v.until > now))
            .unwrap_or(false)
    }

    fn remember(&self, key: [u8; 32], hash: String, now: Instant) {
        if let Ok(mut m) = self.verified.lock() {
            if m.len() >= MAX_REMEMBERED {
                m.retain(|_, v| v.until > now);
                if m.len() >= MAX_REMEMBERED {
                    m.clear();
                }
            }
            m.insert(
                key,
                Verified {
                    hash,
                    until: now + VERIFIED_FOR,
                },
            );
        }
    }

    /// Forgets every remembered check (e.g. after users changed through the API).
    pub fn forget(&self) {
        if let Ok(mut m) = self.verified.lock() {
            m.clear();
        }
    }

    /// The caller of a request with `authorization` from `ip` (see the module documentation).
    pub async fn authenticate(
        &self,
        state: &AppState,
        authorization: Option<&str>,
        ip: IpAddr,
    ) -> ApiResult<Caller> {
        let now = Instant::now();
        let Some(header) = authorization else {
            return Err(ApiError::Unauthorized(
                "this route changes data: send your token as 'Authorization: Bearer TOKEN' \
                 (an administrator makes one with `atlas user add NAME --role editor`)"
                    .into(),
            ));
        };
        if let Some(retry_after) = self.blocked(ip, now) {
            return Err(ApiError::TooManyAttempts { retry_after });
        }
        let refuse = |why: &str, user: Option<&str>| {
            self.failed(ip, now);
            tracing::warn!(%ip, user = user.unwrap_or("-"), why, "authentication failed");
            ApiError::Unauthorized(format!("{why}; send 'Authorization: Bearer TOKEN'"))
        };
        let token = match header.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => {
                return Err(refuse(
                    "the Authorization header is not a bearer token",
                    None,
                ))
            }
        };
        let Some((name, secret)) = crate::app::tokens::split(token) else {
            return Err(refuse("the token is malformed", None));
        };
        let name = name.to_string();
        let lookup = name.clone();
        // On the writer's connection, which every route needing a token goes on to use: the
        // readers' pool may have a queue of map requests in front of it.
        let creds = state
            .db
            .write(move |s| Ok(s.user_credentials(&lookup)?))
            .await?;
        let (user, hash) = match creds {
            Some((u, _)) if u.revoked_at.is_some() => {
                return Err(refuse("the token is revoked", Some(&name)))
            }
            Some(c) => c,
            None => return Err(refuse("the token is not valid", Some(&name))),
        };
        let key = crate::app::tokens::fingerprint(token);
        if !self.remembered(&key, &hash, now) {
            let secret = secret.to_string();
            let stored = hash.clone();
            let ok =
                tokio::task::spawn_blocking(move || crate::app::tokens::verify(&secret, &stored))
                    .await
                    .map_err(|e| ApiError::internal(format!("token check failed: {e}")))?;
            if !ok {
                return Err(refuse("the token is not valid", Some(&name)));
            }
            self.remember(key, hash, now);
        }
        Ok(Caller {
            name: user.name,
            role: user.role,
        })
    }
}

/// The caller, for any valid token (`GET /auth/me`).
#[derive(Debug)]
pub struct Authenticated(pub Caller);

/// A caller who may edit sites (editor or admin).
#[derive(Debug)]
pub struct Editor(pub Caller);

/// A caller who may manage users and chains.
#[derive(Debug)]
pub struct Admin(pub Caller);

async fn caller(parts: &Parts, state: &AppState, needed: Option<Role>) -> ApiResult<Caller> {
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let header = match parts.headers.get(AUTHORIZATION) {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::Unauthorized("the Authorization header is not readable text".into())
        })?),
    };
    let c = state.auth.authenticate(state, header, ip).await?;
    match needed {
        Some(role) if !c.role.allows(role) => Err(ApiError::Forbidden(format!(
            "user '{}' is an {} and this route needs an {role}",
            c.name, c.role
        ))),
        _ => Ok(c),
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        caller(parts, state, None).await.map(Self)
    }
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        caller(parts, state, Some(Role::Editor)).await.map(Self)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        caller(parts, state, Some(Role::Admin)).await.map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_its_failures_and_freed_by_the_window() {
        let g = Guard::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(g.blocked(ip, t0), None, "after {i} failures");
            g.failed(ip, t0);
        }
        let wait = g.blocked(ip, t0).unwrap();
        assert!((1..=60).contains(&wait));
        assert_eq!(g.blocked(other, t0), None);
        assert_eq!(g.blocked(ip, t0 + FAILURE_WINDOW), None);
    }

    #[test]
    fn a_remembered_check_needs_the_same_stored_hash_and_expires() {
        let g = Guard::new();
        let t0 = Instant::now();
        let key = crate::app::tokens::fingerprint("a.b");
        assert!(!g.remembered(&key, "h", t0));
        g.remember(key, "h".into(), t0);
        assert!(g.remembered(&key, "h", t0));
        assert!(!g.remembered(&key, "other", t0));
        assert!(!g.remembered(&key, "h", t0 + VERIFIED_FOR));
        g.forget();
        assert!(!g.remembered(&key, "h", t0));
    }
}
