//! Bearer tokens, shared by the CLI (`atlas user add` makes them) and the server (checks them).
//!
//! - A token is `NAME.SECRET`: the user's name (ASCII letters, digits, `_`, `-`; see
//!   [`atlas_store::users::check_name`]), a dot, and 32 bytes from the operating system's
//!   random source, base64url without padding (43 characters). The name lets the server find
//!   the one user to check (one indexed lookup, one argon2 verification) instead of trying
//!   every user's hash.
//! - The store keeps only an argon2id hash of the secret (PHC string, random salt, the crate's
//!   default cost). The token is printed once and never stored or logged.
//! - Checking compares in constant time inside argon2's `verify_password`.
//! - [`fingerprint`] (SHA-256 of the whole token) is the key of the server's short-lived cache
//!   of successful checks, so the token itself is not kept in memory either.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::Engine as _;
use sha2::Digest as _;

/// Random bytes in a token's secret.
pub const SECRET_BYTES: usize = 32;

/// Making a token failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The operating system's random source failed.
    #[error("the system's random source failed: {0}")]
    Random(String),
    /// Hashing failed.
    #[error("hashing the token failed: {0}")]
    Hash(String),
}

/// A new token for `name` and the hash the store keeps: `(token, hash)`.
pub fn new_token(name: &str) -> Result<(String, String), TokenError> {
    let mut bytes = [0_u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = Argon2::default()
        .hash_password(secret.as_bytes())
        .map_err(|e| TokenError::Hash(e.to_string()))?
        .to_string();
    Ok((format!("{name}.{secret}"), hash))
}

/// `(name, secret)` of a token of the right shape, `None` otherwise.
pub fn split(token: &str) -> Option<(&str, &str)> {
    let (name, secret) = token.rsplit_once('.')?;
    let ok = atlas_store::users::check_name(name).is_ok()
        && !secret.is_empty()
        && secret.len() <= 128
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some((name, secret))
}

/// True when `secret` matches the stored `hash` (constant-time comparison inside argon2).
/// CPU-heavy (tens of milliseconds): call it off the async workers.
pub fn verify(secret: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(secret.as_bytes(), hash)
        .is_ok()
}

/// SHA-256 of a whole token: the key under which a server remembers a successful check.
pub fn fingerprint(token: &str) -> [u8; 32] {
    sha2::Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_user_and_only_its_secret_verifies() {
        let (token, hash) = new_token("zhang_san").unwrap();
        let (name, secret) = split(&token).unwrap();
        assert_eq!(name, "zhang_san");
        assert_eq!(secret.len(), 43);
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(secret));
        assert!(verify(secret, &hash));
        assert!(!verify("not-the-secret", &hash));
        assert!(!verify(secret, "garbage"));
        let (other, _) = new_token("zhang_san").unwrap();
        assert_ne!(token, other, "tokens are random");
        assert_ne!(fingerprint(&token), fingerprint(&other));
        for bad in [
            "",
            "nodot",
            ".secret",
            "name.",
            "na me.abc",
            "a.b c",
            "张三.abc",
        ] {
            assert_eq!(split(bad), None, "{bad:?}");
        }
    }
}
