//! Who may write: users with a role and the hash of their token. The store keeps what it is
//! given (a hash; making and checking hashes is the caller's business) and never returns a
//! hash except through [`Store::user_credentials`].

use crate::error::{Result, StoreError};
use crate::{sql, Store};
use rusqlite::OptionalExtension;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Creates, changes, deletes, restores, reverts, verifies and imports sites.
    Editor,
    /// An editor who also manages users and chains.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// True when this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(StoreError::InvalidUser(format!(
                "unknown role '{}'; allowed: editor, admin",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }
}

/// A user as listed (never with the hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Name: 1–40 ASCII letters, digits, `_` or `-` (it is the first part of the token).
    pub name: String,
    /// Role.
    pub role: Role,
    /// When added (RFC 3339, UTC).
    pub created_at: String,
    /// When the token was revoked (RFC 3339, UTC), if it was.
    pub revoked_at: Option<String>,
}

/// Longest user name.
pub const MAX_NAME: usize = 40;

/// Checks a user name: 1–[`MAX_NAME`] ASCII letters, digits, `_` or `-`.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidUser(format!(
            "user name '{}' is not allowed: use 1–{MAX_NAME} ASCII letters, digits, '_' or '-' \
             (e.g. zhang_san)",
            name.chars().take(60).collect::<String>()
        )))
    }
}

/// An instant as users' times are stored (RFC 3339, whole seconds, UTC).
fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn user_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, String, Option<String>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn user(raw: (String, String, String, Option<String>)) -> Result<User> {
    let (name, role, created_at, revoked_at) = raw;
    let role = role
        .parse()
        .map_err(|_| StoreError::Data(format!("user '{name}' has the unknown role '{role}'")))?;
    Ok(User {
        name,
        role,
        created_at,
        revoked_at,
    })
}

impl Store {
    /// Adds a user with the hash of their token. Fails with [`StoreError::UserExists`] when the
    /// name is taken (also by a revoked user) and [`StoreError::InvalidUser`] for a name
    /// [`check_name`] refuses.
    pub fn add_user(&mut self, name: &str, role: Role, token_hash: &str) -> Result<User> {
        check_name(name)?;
        let created_at = stamp(self.clock.now());
        let tx = self.conn.transaction()?;
        let exists = tx
            .prepare_cached(sql::USER)?
            .query_row([name], |_| Ok(()))
            .optional()?
            .is_some();
        if exists {
            return Err(StoreError::UserExists(name.to_string()));
        }
        tx.prepare_cached(sql::INSERT_USER)?.execute([
            name,
            role.as_str(),
            token_hash,
            created_at.as_str(),
        ])?;
        tx.commit()?;
        Ok(User {
            name: name.to_string(),
            role,
            created_at,
            revoked_at: None,
        })
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        let mut st = self.conn.prepare_cached(sql::USERS)?;
        let rows = st.query_map([], user_from_row)?;
        rows.map(|r| user(r?)).collect()
    }

    /// A user and the hash of their token (to check a token against).
    pub fn user_credentials(&self, name: &str) -> Result<Option<(User, String)>> {
        let raw = self
            .conn
            .prepare_cached(sql::USER)?
            .query_row([name], |r| Ok((user_from_row(r)?, r.get::<_, String>(4)?)))
            .optional()?;
        raw.map(|(u, hash)| Ok((user(u)?, hash))).transpose()
    }

    /// Revokes a user's token (at once: the next request with it is refused). Revoking a
    /// revoked user changes nothing. Fails with [`StoreError::NoSuchUser`].
    pub fn revoke_user(&mut self, name: &str) -> Result<User> {
        let at = stamp(self.clock.now());
        let tx = self.conn.transaction()?;
        tx.prepare_cached(sql::REVOKE_USER)?
            .execute([name, at.as_str()])?;
        let u = tx
            .prepare_cached(sql::USER)?
            .query_row([name], user_from_row)
            .optional()?
            .ok_or_else(|| StoreError::NoSuchUser(name.to_string()))?;
        tx.commit()?;
        user(u)
    }
}
