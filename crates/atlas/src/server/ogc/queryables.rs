//! `/ogc/collections/{id}/queryables` (OGC API – Features Part 3): a JSON Schema of the
//! properties a CQL2 `filter` may name (`atlas_core::filter::cql::QUERYABLES`), with zh/en
//! titles and the allowed values of the vocabularies, chains, links and townships.

use super::Coll;
use atlas_core::dataset::Reference;
use atlas_core::filter::cql::{Queryable, QUERYABLES};
use atlas_core::filter::expr::NumberField;
use atlas_core::{Category, Kind, Labelled, Level, LocationPrecision, Scope, Status};
use serde_json::{json, Map, Value};

/// The media type of the document.
pub const SCHEMA_JSON: &str = "application/schema+json";
/// The link relation of a collection's queryables.
pub const REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";

fn ids<T: Labelled>() -> Vec<String> {
    T::ALL.iter().map(|v| v.id().to_string()).collect()
}

/// The JSON Schema of one queryable.
fn schema(q: Queryable, reference: &Reference) -> Value {
    let chains = || -> Vec<String> {
        reference
            .chains
            .chains
            .iter()
            .map(|c| c.id.to_string())
            .collect()
    };
    let links = || -> Vec<String> { reference.chains.links().map(|l| l.id.to_string()).collect() };
    let text = |values: Vec<String>| json!({ "type": "string", "enum": values });
    match q {
        Queryable::Category => text(ids::<Category>()),
        Queryable::Kind => text(ids::<Kind>()),
        Queryable::Level => text(ids::<Level>()),
        Queryable::Status => text(ids::<Status>()),
        Queryable::Scope => text(ids::<Scope>()),
        Queryable::Precision => text(ids::<LocationPrecision>()),
        Queryable::Chain => text(chains()),
        Queryable::Link => text(links()),
        Queryable::Chains => text(chains().into_iter().chain(links()).collect()),
        Queryable::Text(atlas_core::filter::expr::TextField::Town) => text(
            reference
                .divisions
                .iter()
                .map(|d| d.code.to_string())
                .collect(),
        ),
        Queryable::Text(_) => json!({ "type": "string" }),
        Queryable::Number(NumberField::Established) => json!({ "type": "integer" }),
        Queryable::Number(_) => json!({ "type": "number", "minimum": 0 }),
        Queryable::Geometry => json!({ "format": "geometry-any" }),
    }
}

/// A short note on what `=` means, for the properties where it is not plain equality.
fn note(q: Queryable) -> Option<&'static str> {
    match q {
        Queryable::Chain => Some("在该产业链上 / on this chain (membership)"),
        Queryable::Link => Some("在该环节上 / on this link (membership)"),
        Queryable::Chains => Some(
            "在该链或环节上（含“.”为环节）/ on this chain, or link when it has a '.' (membership)",
        ),
        Queryable::Text(atlas_core::filter::expr::TextField::Town) => {
            Some("镇街代码 / township code")
        }
        _ => None,
    }
}

/// The queryables of collection `c` (all of them but `category` in a category's collection),
/// `base` being `…/ogc`.
pub fn document(base: &str, c: Coll, reference: &Reference) -> Value {
    let mut properties = Map::new();
    let mut draft = Vec::new();
    for d in QUERYABLES {
        if c != Coll::All && d.of == Queryable::Category {
            continue;
        }
        let mut s = schema(d.of, reference);
        s["title"] = json!(format!("{} {}", d.zh, d.en));
        s["title_zh"] = json!(d.zh);
        s["title_en"] = json!(d.en);
        if let Some(n) = note(d.of) {
            s["description"] = json!(n);
        }
        draft.push(json!({ "id": d.name, "title": s["title"] }));
        properties.insert(d.name.to_string(), s);
    }
    let id = c.id();
    json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": format!("{base}/collections/{id}/queryables"),
        "type": "object",
        "title": format!("{} {} — 可查询属性 queryables", c.title_zh(), c.title_en()),
        "properties": properties,
        "additionalProperties": false,
        // The draft's form of the same list, which GDAL up to 3.6 reads to decide which
        // properties it may send in a filter (an annotation to JSON Schema).
        "queryables": draft,
    })
}
