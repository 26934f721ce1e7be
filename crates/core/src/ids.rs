//! Identifiers: validated newtypes so that no invalid id travels through the system.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An identifier that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} '{given}': {rule}")]
pub struct InvalidId {
    /// Which identifier (`site id`, `chain id`, …).
    pub what: &'static str,
    /// The value given.
    pub given: String,
    /// The rule it broke.
    pub rule: &'static str,
}

fn slug_ok(s: &str, extra: &[char]) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || extra.contains(&c))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $what:literal, $rule:literal, $check:expr) => {
        $(#[$m])*
        #[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        // By hand so that `clone_from` reuses the text's buffer (readers refill records).
        impl Clone for $name {
            fn clone(&self) -> Self {
                Self(self.0.clone())
            }
            fn clone_from(&mut self, source: &Self) {
                self.0.clone_from(&source.0);
            }
        }

        impl $name {
            /// Validates and wraps an identifier.
            pub fn new(s: impl Into<String>) -> Result<Self, InvalidId> {
                let s: String = s.into();
                let t = s.trim();
                let check: fn(&str) -> bool = $check;
                if check(t) {
                    Ok(Self(t.to_string()))
                } else {
                    Err(InvalidId { what: $what, given: s, rule: $rule })
                }
            }
            /// Validates `s` as [`Self::new`] does and, when it is valid, makes it this
            /// identifier's value, reusing its buffer; unchanged when it is not.
            pub fn assign(&mut self, s: &str) -> Result<(), InvalidId> {
                let t = s.trim();
                let check: fn(&str) -> bool = $check;
                if check(t) {
                    self.0.clear();
                    self.0.push_str(t);
                    Ok(())
                } else {
                    Err(InvalidId { what: $what, given: s.to_string(), rule: $rule })
                }
            }
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A site's stable, URL-safe identifier: lowercase ASCII letters, digits, `-` and `_`.
    SiteId, "site id", "use 1-80 characters a-z, 0-9, '-' or '_', starting with a letter or digit",
    |s| slug_ok(s, &['-'])
);

id_type!(
    /// An industry chain's identifier, e.g. `petrochemical`.
    ChainId, "chain id", "use 1-80 characters a-z, 0-9 or '_'",
    |s| slug_ok(s, &[])
);

id_type!(
    /// A chain link's identifier, `chain.link`, e.g. `petrochemical.refining`.
    LinkId, "link id", "write it as chain.link, e.g. petrochemical.refining",
    |s| match s.split_once('.') {
        Some((c, l)) => slug_ok(c, &[]) && slug_ok(l, &[]),
        None => false,
    }
);

id_type!(
    /// A township's 9-digit statistical division code, e.g. `440902100`.
    TownCode, "town code", "use the 9-digit township code, e.g. 440902100",
    |s| s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit())
);

impl LinkId {
    /// The chain this link belongs to.
    pub fn chain(&self) -> ChainId {
        let c = self.0.split('.').next().unwrap_or_default();
        ChainId(c.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_ids_are_url_safe() {
        assert!(SiteId::new("gdupt").is_ok());
        assert!(SiteId::new("maonan-park_2").is_ok());
        assert!(SiteId::new("Bad Id").is_err());
        assert!(SiteId::new("").is_err());
        assert!(SiteId::new("-x").is_err());
        assert!(SiteId::new("石化").is_err());
    }

    #[test]
    fn link_ids_name_their_chain() {
        let l = LinkId::new("petrochemical.refining").unwrap();
        assert_eq!(l.chain().as_str(), "petrochemical");
        assert!(LinkId::new("petrochemical").is_err());
        assert!(LinkId::new("a.b.c").is_err());
    }

    #[test]
    fn town_codes_have_nine_digits() {
        assert!(TownCode::new("440902100").is_ok());
        assert!(TownCode::new("44090210").is_err());
        assert!(TownCode::new("44090210x").is_err());
    }
}
