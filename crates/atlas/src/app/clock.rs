//! The process's clock: [`atlas_core::clock::Clock`] read from the system, or fixed by the
//! environment variable `ATLAS_NOW` (an RFC 3339 instant) so that tests of the whole binary
//! control "today" without sleeping. Nothing else in the binary reads the time.

pub use atlas_core::clock::Clock;

/// The environment variable that fixes the clock (`2026-12-02T08:00:00+08:00`).
pub const ENV: &str = "ATLAS_NOW";

/// The clock of this process: fixed when `ATLAS_NOW` holds an RFC 3339 instant, else the
/// system's. An `ATLAS_NOW` that is not an instant is ignored (the system clock is used).
pub fn current() -> Clock {
    std::env::var(ENV)
        .ok()
        .and_then(|v| Clock::parse_fixed(&v))
        .unwrap_or_default()
}
