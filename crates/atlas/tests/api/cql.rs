//! `/api/v1/sites?filter=…`: the CQL2 filters of `/ogc` on the page's API, on a synthetic
//! catalogue, against `SiteFilter::matches`; bad filters are 400 with their code.

use crate::helpers::*;

/// Percent-encodes a query value (everything but ASCII letters and digits).
fn pct(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn sites_filtered_by_cql2_are_exactly_the_matching_ones() {
    let app = spawn_app_with_synthetic(1500).await;
    for (cql, extra) in [
        ("chain = 'petrochemical' AND status = 'operating'", ""),
        (
            "category = 'key_enterprise' AND chain = 'petrochemical' AND (town = '440902100' OR town = '440902103')",
            "",
        ),
        ("NOT (kind = 'incubator') AND name_zh LIKE '%园%'", "scope=local"),
        ("area_m2 BETWEEN 1000 AND 50000 OR established < 1990", "q=园区"),
        ("S_INTERSECTS(geometry, BBOX(110.85, 21.6, 110.95, 21.7))", "chain=health"),
        // The location path (`precision`; `located=false` would list in the worklist's order).
        ("town IS NULL", "precision=unknown,district,town"),
    ] {
        let qs = format!("filter={}{}{extra}", pct(cql), if extra.is_empty() { "" } else { "&" });
        let want = app.expected_ids(&qs).await;
        assert!(!want.is_empty(), "{cql} {extra}: a weak case");
        assert_eq!(app.site_ids(&qs).await, want, "{cql} {extra}");
    }
}

#[tokio::test]
async fn bad_filters_are_400_with_a_code_naming_the_problem() {
    let app = spawn_app().await;
    app.assert_bad_requests(&format!(
        "
        /api/v1/sites?filter={} invalid_filter cql2-text
        /api/v1/sites?filter={} unsupported_filter s_touches
        /api/v1/sites?filter={} unknown_value factory
        /api/v1/sites?filter-lang=fes&filter=x invalid_parameter filter-lang
        /api/v1/facets?filter={} invalid_filter colour
        ",
        pct("kind = "),
        pct("S_TOUCHES(geometry, POINT(110.9 21.7))"),
        pct("kind = 'factory'"),
        pct("colour = 'red'"),
    ))
    .await;
}
