//! The PATCH / POST Feature readers: any JSON, as a whole Feature and as a partial one onto a
//! site of the default dataset, gives a site or field errors, never a panic.
#![no_main]

use atlas_core::edit::{apply_patch, site_from_feature};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let ctx = reference().context(today());
    let _ = site_from_feature(&v, &ctx);
    let _ = apply_patch(default_site(), &v, &ctx, "fuzz");
});
