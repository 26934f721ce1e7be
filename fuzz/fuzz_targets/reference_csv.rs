//! The reference-data CSV readers (`import-chains`, `import-indicators`, the townships): any
//! text gives the data or an error, never a panic. The first byte picks the reader.
#![no_main]

use atlas_core::reference::{parse_divisions, parse_indicators, ChainCatalog};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 3 {
        0 => drop(ChainCatalog::parse_csv(text)),
        1 => drop(parse_indicators(text)),
        _ => drop(parse_divisions(text)),
    }
});
