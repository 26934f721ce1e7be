//! CQL2 filters (`filter=`, OGC API – Features Part 3) on random catalogues: each expression of
//! the table means what its hand-written predicate says (`SiteFilter::matches`), and every read
//! path of the store (list, page, count, stream, facets; alone or with the other parameters,
//! which send it through the R*Tree, the ordered walk or a scan) returns exactly those sites.
//! Malformed and unsupported expressions are errors with their own codes, never a panic.
#![allow(clippy::unwrap_used)]

mod common;

use atlas_core::{Category, ChainId, Kind, Labelled, LinkId, LocationPrecision, Site, SiteFilter};
use atlas_store::synth::Lcg;
use common::*;

type Meaning = fn(&Site) -> bool;

const TOWN_A: &str = "440902100";
const TOWN_B: &str = "440902103";

fn chain(s: &Site, c: &str) -> bool {
    s.on_chain(&ChainId::new(c).unwrap())
}

fn link(s: &Site, l: &str) -> bool {
    s.on_link(&LinkId::new(l).unwrap())
}

fn town(s: &Site) -> Option<&str> {
    s.town_code.as_ref().map(|t| t.as_str())
}

/// Meets the box (edges included): a point inside it, or a park outline overlapping it (the
/// synthetic catalogue's outlines are axis-aligned rectangles, so their bounds are exact).
fn in_box(s: &Site, b: [f64; 4]) -> bool {
    s.location.bbox().is_some_and(|r| {
        r.min_lon <= b[2] && r.max_lon >= b[0] && r.min_lat <= b[3] && r.max_lat >= b[1]
    })
}

const BOX: [f64; 4] = [110.85, 21.62, 110.95, 21.72];

/// Expressions and what they mean, written out independently of the translation.
fn table() -> Vec<(String, Meaning)> {
    let t = |s: &str, m: Meaning| (s.to_string(), m);
    vec![
        t("chain = 'petrochemical' AND status = 'operating'", |s| {
            chain(s, "petrochemical") && s.status.id() == "operating"
        }),
        t(
            "category = 'key_enterprise' AND chain = 'petrochemical' AND (town = '440902100' OR town = '440902103')",
            |s| {
                s.category == Category::KeyEnterprise
                    && chain(s, "petrochemical")
                    && matches!(town(s), Some(TOWN_A | TOWN_B))
            },
        ),
        t("category = '重点企业'", |s| s.category == Category::KeyEnterprise),
        t("NOT (chain = 'petrochemical')", |s| !chain(s, "petrochemical")),
        t("chain <> 'petrochemical'", |s| !chain(s, "petrochemical")),
        t("link = 'petrochemical.refining' OR kind = 'incubator'", |s| {
            link(s, "petrochemical.refining") || s.kind == Kind::Incubator
        }),
        t("chains = 'health' OR chains = 'petrochemical.refining'", |s| {
            chain(s, "health") || link(s, "petrochemical.refining")
        }),
        t("chain IS NULL", |s| s.chains.is_empty()),
        t("link IS NULL AND NOT chain IS NULL", |s| {
            !s.chains.is_empty() && s.chains.iter().all(|c| c.link.is_none())
        }),
        t("name_zh LIKE '%园%'", |s| s.name_zh.contains('园')),
        t("name_zh NOT LIKE '茂名%'", |s| !s.name_zh.starts_with("茂名")),
        t("name_en LIKE '_o%'", |s| {
            s.name_en.as_deref().is_some_and(|n| n.chars().nth(1) == Some('o'))
        }),
        t("name_en IS NULL", |s| s.name_en.is_none()),
        t("name_zh >= '园'", |s| s.name_zh.as_str() >= "园"),
        t("town <> '440902100'", |s| town(s).is_some_and(|t| t != TOWN_A)),
        t("NOT (town = '440902100')", |s| town(s) != Some(TOWN_A)),
        t("town_code IS NULL OR town_code IN ('440902103')", |s| {
            matches!(town(s), None | Some(TOWN_B))
        }),
        t("area_m2 > 5000", |s| s.area_m2.is_some_and(|a| a.get() > 5000.0)),
        t("area_m2 BETWEEN 1000 AND 20000", |s| {
            s.area_m2.is_some_and(|a| (1000.0..=20000.0).contains(&a.get()))
        }),
        t("established < 2000 OR established IS NULL", |s| {
            s.established.is_none_or(|y| y < 2000)
        }),
        t("level IN ('provincial', 'national')", |s| {
            matches!(s.level.id(), "provincial" | "national")
        }),
        t("status <> 'planned' AND scope = 'local'", |s| {
            s.status.id() != "planned" && s.scope.id() == "local"
        }),
        t("kind LIKE 'incu%'", |s| s.kind.id().starts_with("incu")),
        t("NOT (kind = 'incubator' OR level = 'national') AND scope = 'local'", |s| {
            !(s.kind == Kind::Incubator || s.level.id() == "national") && s.scope.id() == "local"
        }),
        t(
            "S_INTERSECTS(geometry, BBOX(110.85, 21.62, 110.95, 21.72))",
            |s| in_box(s, BOX),
        ),
        t(
            "S_INTERSECTS(geometry, POLYGON((110.85 21.62, 110.95 21.62, 110.95 21.72, 110.85 21.72, 110.85 21.62))) OR chain = 'health'",
            |s| in_box(s, BOX) || chain(s, "health"),
        ),
        t("geometry IS NULL", |s| s.location.geometry.is_none()),
        t("precision = 'town' OR location_precision = 'district'", |s| {
            matches!(
                s.location.precision,
                LocationPrecision::Town | LocationPrecision::District
            )
        }),
        t(
            r#"{"op":"and","args":[{"op":"=","args":[{"property":"chain"},"petrochemical"]},{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[110.85,21.62,110.95,21.72]}]}]}"#,
            |s| chain(s, "petrochemical") && in_box(s, BOX),
        ),
        t(
            r#"{"op":"or","args":[{"op":"like","args":[{"property":"name_zh"},"%中心%"]},{"op":"isNull","args":[{"property":"address"}]}]}"#,
            |s| s.name_zh.contains("中心") || s.address.is_none(),
        ),
        t("true", |_| true),
    ]
}

/// Other parameters mixed in, so the filter goes through every read path.
const EXTRAS: &[&str] = &[
    "",
    "chain=petrochemical",
    "kind=incubator,maker_space&status=operating",
    "bbox=110.8,21.55,111.0,21.8",
    "bbox=110.89,21.66,110.91,21.68",
    "q=园区",
    "located=true",
];

fn with_filter(cql: &str, extra: &str) -> SiteFilter {
    let mut f = SiteFilter::parse_query(extra).unwrap();
    assert!(f.apply("filter", cql).unwrap(), "{cql}");
    f
}

#[test]
fn every_expression_means_what_it_says_on_every_read_path() {
    let (store, sites) = synth_store(3000, 41);
    let mut g = Lcg::new(9);
    for (cql, meaning) in table() {
        let f = with_filter(&cql, "");
        let n = sites.iter().filter(|s| meaning(s)).count();
        for s in &sites {
            assert_eq!(f.matches(s), meaning(s), "{cql} on {}", s.id);
        }
        assert!(
            n > 0 || cql.contains("IS NULL"),
            "{cql} matches nothing: a weak test"
        );
        for extra in EXTRAS {
            let mut f = with_filter(&cql, extra);
            assert_equivalent(&store, &sites, &f);
            assert_eq!(store.facets(&f).unwrap().total, store.count(&f).unwrap());
            f.limit = Some(1 + g.below(40) as u64);
            f.offset = g.below(30) as u64;
            assert_equivalent(&store, &sites, &f);
        }
    }
}

#[test]
fn a_filter_round_trips_through_its_query_pairs() {
    for (cql, _) in table() {
        let f = with_filter(&cql, "chain=health");
        let qs: Vec<String> = f
            .to_pairs()
            .iter()
            .map(|(k, v)| format!("{k}={}", percent(v)))
            .collect();
        let qs = qs.join("&");
        assert_eq!(SiteFilter::parse_query(&qs).unwrap(), f, "{cql}");
    }
}

/// Every byte but ASCII letters and digits percent-encoded.
fn percent(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[test]
fn malformed_and_unsupported_filters_have_their_codes() {
    let deep = format!("{}kind = 'incubator'{}", "(".repeat(60), ")".repeat(60));
    for (cql, code) in [
        ("chain = ", "invalid_filter"),
        ("colour = 'red'", "invalid_filter"),
        ("'a' = 'a'", "invalid_filter"),
        ("area_m2 > 'big'", "invalid_filter"),
        ("name_zh LIKE 'abc\\'", "invalid_filter"),
        ("{\"op\": \"=\"", "invalid_filter"),
        (deep.as_str(), "invalid_filter"),
        ("kind = 'factory'", "unknown_value"),
        ("chain = 'Bad Chain'", "invalid_id"),
        ("chain < 'x'", "unsupported_filter"),
        (
            "S_WITHIN(geometry, POINT(110.9 21.7))",
            "unsupported_filter",
        ),
        ("CASEI(name_zh) = 'x'", "unsupported_filter"),
        ("area_m2 + 1 > 5", "unsupported_filter"),
        (
            "T_BEFORE(updated_at, TIMESTAMP('2020-01-01T00:00:00Z'))",
            "unsupported_filter",
        ),
        ("name_zh = area_m2", "unsupported_filter"),
    ] {
        let e = SiteFilter::default().apply("filter", cql).expect_err(cql);
        assert_eq!(e.code, code, "{cql}: {e}");
        assert_eq!(e.param, "filter");
    }
    let e = SiteFilter::default()
        .apply("filter", "S_WITHIN(geometry, POINT(110.9 21.7))")
        .unwrap_err();
    assert!(e.message.contains("s_within"), "{e}");
}
