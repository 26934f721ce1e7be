//! Random query strings never produce a 5xx, and every 4xx is the JSON error body: made from
//! the filter's parameters and odd values, and from the inputs of the query parser's fuzz
//! target (`fuzz/corpus/query`, mutated as a fuzzer does), sent through the HTTP layer.

use crate::helpers::{error_of, spawn_app};
use atlas_core::filter::FILTER_PARAMS;
use atlas_core::matching::MATCH_PARAMS;

/// The store's deterministic generator, so a failure names a reproducible case.
use atlas_store::synth::Lcg;

/// One of `xs`, chosen by `g`.
fn pick<'a>(g: &mut Lcg, xs: &[&'a str]) -> &'a str {
    xs[g.below(xs.len())]
}

/// Parameters of other routes, and odd keys.
const ODD_KEYS: &[&str] = &[
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

/// Every parameter a site filter understands, then [`ODD_KEYS`].
fn keys() -> Vec<&'static str> {
    FILTER_PARAMS.iter().chain(ODD_KEYS).copied().collect()
}

const VALUES: &[&str] = &[
    "",
    // CQL2 (`filter`): valid, malformed, unsupported, out of range.
    "kind%20%3D%20'incubator'%20OR%20chain%20%3D%20'petrochemical'",
    "S_INTERSECTS(geometry%2CPOINT(1e999%201))",
    "S_INTERSECTS(geometry%2CPOLYGON((0%200%2C1%201%2C0%200)))",
    "%7B%22op%22%3A%22%3D%22%2C%22args%22%3A%5B%5D%7D",
    "((((((((",
    "name_zh%20LIKE%20'%5C'",
    "area_m2%20%3E%201e999",
    "T_BEFORE(updated_at%2C%20TIMESTAMP('x'))",
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

/// Every parameter of `/match`, then those of the chain routes and one of no route there.
fn match_keys() -> Vec<&'static str> {
    MATCH_PARAMS
        .iter()
        .chain(&["format", "weak_below", "bbox"])
        .copied()
        .collect()
}

/// Values of the matching and chain-analysis routes.
const MATCH_VALUES: &[&str] = &[
    "110.9,21.6",
    "110.9,21.6,1",
    "180,90",
    "-180,-90",
    "nan,nan",
    "inf,1",
    "1e400",
    "-0",
    "0.001",
    "5000",
    "json",
    "health.hospitals_research",
    "440902100,440902103",
];

fn random_query(g: &mut Lcg) -> String {
    random_query_with(g, &keys(), &[])
}

fn random_query_with(g: &mut Lcg, keys: &[&str], more_values: &[&str]) -> String {
    let n = g.below(5);
    let mut parts = Vec::new();
    for _ in 0..n {
        let k = pick(g, keys);
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
            3 | 4 if !more_values.is_empty() => pick(g, more_values).to_string(),
            _ => pick(g, VALUES).to_string(),
        };
        match g.below(8) {
            0 => parts.push(k.to_string()),
            _ => parts.push(format!("{k}={v}")),
        }
    }
    parts.join("&")
}

/// Checks a response to a random request: never a server error; a success arrives whole (an
/// export cut short would fail here) and parses when it says JSON; anything else is a JSON 400.
/// True for a success.
async fn answers_or_rejects(r: reqwest::Response, url: &str) -> bool {
    let status = r.status();
    assert!(!status.is_server_error(), "{url} → {status}");
    if !status.is_success() {
        let (status, code, _) = error_of(r).await;
        assert_eq!(status.as_u16(), 400, "{url}: {code}");
        return false;
    }
    let json = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    let body = r.bytes().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    if json {
        let _: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    true
}

/// Routes that take the site filter.
const FILTERED_ROUTES: &[&str] = &[
    "/api/v1/sites",
    "/api/v1/facets",
    "/api/v1/export",
    "/api/v1/chains",
    "/ogc/collections/sites/items",
];

/// Routes of the chains, matching and township counts, with their own parameters.
const CHAIN_ROUTES: &[&str] = &[
    "/api/v1/match",
    "/api/v1/divisions/counts",
    "/api/v1/chains/petrochemical/analysis",
    "/api/v1/chains/health/report",
    "/api/v1/indicators/export",
];

/// Sends `n` GETs of random query strings (made by `query`) to `routes` in turn and checks
/// each with [`answers_or_rejects`]; more than `min_each` of them must succeed and more than
/// `min_each` be rejected, so both outcomes are exercised.
async fn random_queries(
    routes: &[&str],
    n: usize,
    min_each: usize,
    mut query: impl FnMut() -> String,
) {
    let app = spawn_app().await;
    let (mut ok, mut rejected) = (0, 0);
    for i in 0..n {
        let url = format!("{}?{}", routes[i % routes.len()], query());
        if answers_or_rejects(app.get(&url).await, &url).await {
            ok += 1;
        } else {
            rejected += 1;
        }
    }
    assert!(
        ok > min_each && rejected > min_each,
        "both outcomes exercised: {ok} ok, {rejected} rejected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_random_query_strings_never_cause_a_server_error() {
    let mut g = Lcg::new(0x5eed_1234);
    random_queries(FILTERED_ROUTES, 400, 40, || random_query(&mut g)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_queries_to_the_chain_and_matching_routes_never_cause_a_server_error() {
    let mut g = Lcg::new(0x0c4a_1105);
    let keys = match_keys();
    random_queries(CHAIN_ROUTES, 250, 20, || {
        random_query_with(&mut g, &keys, MATCH_VALUES)
    })
    .await;
}

/// The query parser fuzz target's corpus: the inputs its coverage-guided runs start from.
fn fuzz_corpus() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/query");
    let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    inputs.sort();
    inputs
}

/// `input` changed the way a fuzzer changes its inputs: bytes replaced, removed or repeated,
/// and a piece of `other` spliced in.
fn mutate(g: &mut Lcg, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=g.below(4) {
        let at = g.below(out.len() + 1);
        match g.below(5) {
            0 if at < out.len() => out[at] = g.below(256) as u8,
            1 if at < out.len() => {
                out.remove(at);
            }
            2 => {
                let b = *out.get(at).unwrap_or(&b'&');
                out.splice(at..at, std::iter::repeat_n(b, g.below(64)));
            }
            3 => {
                let from = g.below(other.len() + 1);
                out.splice(at..at, other[from..].iter().copied());
            }
            _ => out.insert(at, b"&=,%+."[g.below(6)]),
        }
    }
    out
}

/// Bytes as a query string on the wire: printable ASCII as it is (`#` would end it), any other
/// byte percent-encoded.
fn as_query(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() && b != b'#' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_fuzz_targets_inputs_never_cause_a_server_error_over_http() {
    let corpus = fuzz_corpus();
    assert!(corpus.len() >= 5, "the query target's corpus is there");
    let routes = [
        FILTERED_ROUTES,
        &[
            "/ogc/collections/sites/items",
            "/tiles/sites/10/831/447.mvt",
            "/tiles/sites.json",
        ],
    ]
    .concat();
    let mut g = Lcg::new(0xf022_0001);
    let mut sent = 0;
    random_queries(&routes, 600, 40, || {
        sent += 1;
        // Each input as it is first, then mutated.
        let input = &corpus[sent % corpus.len()];
        if sent <= corpus.len() * routes.len() {
            return as_query(input);
        }
        let other = &corpus[g.below(corpus.len())];
        as_query(&mutate(&mut g, input, other))
    })
    .await;
}
