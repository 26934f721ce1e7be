//! Random query strings never produce a 5xx, and every 4xx is the JSON error body.

use crate::helpers::{error_of, spawn_app};

/// The store's deterministic generator, so a failure names a reproducible case.
use atlas_store::synth::Lcg;

/// One of `xs`, chosen by `g`.
fn pick<'a>(g: &mut Lcg, xs: &[&'a str]) -> &'a str {
    xs[g.below(xs.len())]
}

const KEYS: &[&str] = &[
    "category",
    "kind",
    "chain",
    "link",
    "level",
    "status",
    "scope",
    "town",
    "bbox",
    "q",
    "limit",
    "offset",
    "format",
    "lang",
    "f",
    "",
    "%",
    "k%20y",
    "%E7%9F%B3",
    "limit[]",
    "q.q",
    "__proto__",
];

const VALUES: &[&str] = &[
    "",
    "incubator",
    "carrier_platform,key_enterprise",
    "petrochemical",
    "petrochemical.fine_chemicals",
    "health.nope",
    "440902002",
    "440902999",
    "110.85,21.6,110.95,21.7",
    "-180,-90,180,90",
    "1,2",
    "nan,nan,nan,nan",
    "inf,-inf,1,2",
    "1e308,1e308,1e308,1e308",
    "%E7%9F%B3%E5%8C%96",
    "%E5%9B%AD",
    "%",
    "%E7%9F",
    "%FF%FE%00",
    "%00",
    "0",
    "-1",
    "1",
    "10000",
    "10001",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "1.5",
    "csv",
    "xlsx",
    "kml",
    "geojson",
    "pdf",
    "zh",
    "en",
    "national",
    "planned",
    "partner",
    "%2C%2C%2C",
    "a+b+c",
    "%F0%9F%98%80",
    "%EF%BC%8C", // full-width comma
    "'%20OR%201=1--",
    "<script>",
];

fn random_query(g: &mut Lcg) -> String {
    let n = g.below(5);
    let mut parts = Vec::new();
    for _ in 0..n {
        let k = pick(g, KEYS);
        let v = match g.below(10) {
            0 => {
                // Random bytes, percent-encoded or raw ASCII.
                (0..g.below(12))
                    .map(|_| {
                        let b = g.below(256) as u8;
                        if b.is_ascii_alphanumeric() {
                            (b as char).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect()
            }
            1 => "字".repeat(g.below(300)),
            2 => format!("{}", u64::from(g.next_u32()) << 20),
            _ => pick(g, VALUES).to_string(),
        };
        match g.below(8) {
            0 => parts.push(k.to_string()),
            _ => parts.push(format!("{k}={v}")),
        }
    }
    parts.join("&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_random_query_strings_never_cause_a_server_error() {
    let app = spawn_app().await;
    let mut g = Lcg::new(0x5eed_1234);
    let routes = [
        "/api/v1/sites",
        "/api/v1/facets",
        "/api/v1/export",
        "/api/v1/chains",
    ];
    let mut ok = 0;
    let mut rejected = 0;
    for i in 0..400 {
        let route = routes[i % routes.len()];
        let qs = random_query(&mut g);
        let url = format!("{route}?{qs}");
        let r = app.get(&url).await;
        let status = r.status();
        assert!(!status.is_server_error(), "{url} → {status}");
        if status.is_success() {
            // The whole body arrives (an export cut short would fail here).
            let body = r.bytes().await.unwrap_or_else(|e| panic!("{url}: {e}"));
            if route != "/api/v1/export" {
                let _: serde_json::Value =
                    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{url}: {e}"));
            }
            ok += 1;
        } else {
            let (status, code, _) = error_of(r).await;
            assert_eq!(status.as_u16(), 400, "{url}: {code}");
            rejected += 1;
        }
    }
    assert!(
        ok > 40 && rejected > 40,
        "both outcomes exercised: {ok} ok, {rejected} rejected"
    );
}
