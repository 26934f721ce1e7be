// Shared by the targets (included with `include!`): the embedded reference data and the date
// the contexts are made for, built once.

use atlas_core::dataset::Reference;
use std::sync::OnceLock;

#[allow(dead_code)]
fn reference() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| Reference::embedded().expect("the embedded reference data parses"))
}

#[allow(dead_code)]
fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("a valid date")
}

/// A site of the default dataset, to apply partial Features onto.
#[allow(dead_code)]
fn default_site() -> &'static atlas_core::Site {
    static S: OnceLock<atlas_core::Site> = OnceLock::new();
    S.get_or_init(|| {
        let ctx = reference().context(today());
        let parsed = atlas_core::import::parse_sites(
            atlas_core::dataset::SITES_CSV.as_bytes(),
            atlas_core::import::FileFormat::Csv,
            &ctx,
            None,
        )
        .expect("the default dataset parses");
        parsed.sites.into_iter().next().expect("a default site").1
    })
}

/// libfuzzer-sys aborts on every panic, also one the code under test catches on purpose (the
/// XLSX reader catches calamine's with `catch_unwind`); this puts the default hook back, so
/// that only a panic that escapes the code under test is a crash.
#[allow(dead_code)]
fn count_only_uncaught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| drop(std::panic::take_hook()));
}
