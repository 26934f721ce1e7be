//! Reference data in the store: chains and links, divisions, indicators and the district boundary.
//! Chains are data (staff edit them), so they are read from the store, not from code.

use crate::error::{Result, StoreError};
use crate::sql;
use atlas_core::dataset::Reference;
use atlas_core::reference::{DivisionType, Seat};
use atlas_core::{
    Chain, ChainCatalog, ChainId, Crs, District, Division, Indicator, Link, LinkId, Measure,
    Position, TownCode,
};
use rusqlite::{params, Connection, OptionalExtension};

fn data<E: std::fmt::Display>(what: &str, id: &str) -> impl Fn(E) -> StoreError {
    let what = what.to_string();
    let id = id.to_string();
    move |e| StoreError::Data(format!("{what} '{id}': {e}"))
}

fn ord(v: i64, what: &str, id: &str) -> Result<u32> {
    u32::try_from(v).map_err(data(what, id))
}

fn measure_id(m: Measure) -> &'static str {
    match m {
        Measure::Count => "count",
        Measure::SumArea => "sum_area",
        Measure::None => "none",
    }
}

fn division_kind_id(k: DivisionType) -> &'static str {
    match k {
        DivisionType::Subdistrict => "subdistrict",
        DivisionType::Town => "town",
    }
}

/// Replaces all reference data on `conn` (a transaction). Fails, naming the first one, when a
/// chain, link or township still used by a site would disappear.
pub(crate) fn replace(conn: &Connection, r: &Reference) -> Result<()> {
    conn.execute_batch(sql::CLEAR_REFERENCE)?;
    insert_chains(conn, &r.chains)?;
    {
        let mut div = conn.prepare_cached(sql::INSERT_DIVISION)?;
        for (i, d) in r.divisions.iter().enumerate() {
            div.execute(params![
                d.code.as_str(),
                i as i64,
                d.name_zh,
                d.name_en,
                division_kind_id(d.kind),
                d.seat.as_ref().map(|s| s.position.lon.get()),
                d.seat.as_ref().map(|s| s.position.lat.get()),
                d.seat.as_ref().map(|s| s.crs.as_str()),
                d.seat.as_ref().map(|s| s.source.as_str()),
            ])?;
        }
    }
    insert_indicators(conn, &r.indicators)?;
    set_meta(conn, sql::META_BOUNDARY, &r.district.geojson)?;
    for (q, what) in [
        (sql::ORPHAN_CHAINS, "chain"),
        (sql::ORPHAN_LINKS, "link"),
        (sql::ORPHAN_TOWNS, "town"),
    ] {
        let orphan = conn
            .query_row(q, [], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .optional()?;
        if let Some((id, n)) = orphan {
            return Err(StoreError::ReferenceInUse {
                what,
                id,
                sites: u64::try_from(n).unwrap_or(0),
            });
        }
    }
    Ok(())
}

/// Inserts `list` in its order (into an emptied table, inside a transaction).
pub(crate) fn insert_indicators(conn: &Connection, list: &[Indicator]) -> Result<()> {
    let mut ind = conn.prepare_cached(sql::INSERT_INDICATOR)?;
    for (i, x) in list.iter().enumerate() {
        ind.execute(params![
            x.id,
            i as i64,
            x.name_zh,
            x.name_en,
            x.unit,
            x.baseline,
            x.baseline_year,
            x.target,
            x.target_op,
            x.target_year,
            measure_id(x.measure),
            x.count_filter,
            x.source,
            x.source_quote
        ])?;
    }
    Ok(())
}

/// Inserts the chains and links of `cat` (into emptied tables, inside a transaction).
pub(crate) fn insert_chains(conn: &Connection, cat: &ChainCatalog) -> Result<()> {
    let mut chain = conn.prepare_cached(sql::INSERT_CHAIN)?;
    let mut link = conn.prepare_cached(sql::INSERT_LINK)?;
    for c in &cat.chains {
        chain.execute(params![c.id.as_str(), c.order, c.name_zh, c.name_en])?;
        for l in &c.links {
            link.execute(params![
                l.id.as_str(),
                c.id.as_str(),
                l.order,
                l.name_zh,
                l.name_en,
                l.description_zh,
                l.source
            ])?;
        }
    }
    Ok(())
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(sql::META_SET)?
        .execute(params![key, value])?;
    Ok(())
}

pub(crate) fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(sql::META_GET)?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn chains(conn: &Connection) -> Result<ChainCatalog> {
    let mut cat = ChainCatalog::default();
    let mut st = conn.prepare_cached(sql::CHAINS)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        cat.chains.push(Chain {
            id: ChainId::new(id.as_str()).map_err(data("chain", &id))?,
            order: ord(r.get(1)?, "chain", &id)?,
            name_zh: r.get(2)?,
            name_en: r.get(3)?,
            links: Vec::new(),
        });
    }
    let mut st = conn.prepare_cached(sql::LINKS)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let link = Link {
            id: LinkId::new(id.as_str()).map_err(data("link", &id))?,
            order: ord(r.get(1)?, "link", &id)?,
            name_zh: r.get(2)?,
            name_en: r.get(3)?,
            description_zh: r.get(4)?,
            source: r.get(5)?,
        };
        let chain: String = r.get(6)?;
        match cat.chains.iter_mut().find(|c| c.id.as_str() == chain) {
            Some(c) => c.links.push(link),
            None => return Err(StoreError::Data(format!("link '{id}' has no chain"))),
        }
    }
    Ok(cat)
}

pub(crate) fn divisions(conn: &Connection) -> Result<Vec<Division>> {
    let mut st = conn.prepare_cached(sql::DIVISIONS)?;
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let code: String = r.get(0)?;
        let kind = match r.get::<_, String>(3)?.as_str() {
            "subdistrict" => DivisionType::Subdistrict,
            "town" => DivisionType::Town,
            k => return Err(StoreError::Data(format!("division '{code}': type '{k}'"))),
        };
        let seat = match (r.get::<_, Option<f64>>(4)?, r.get::<_, Option<f64>>(5)?) {
            (Some(lon), Some(lat)) => Some(Seat {
                position: Position::new(lon, lat).map_err(data("division", &code))?,
                crs: r
                    .get::<_, Option<String>>(6)?
                    .unwrap_or_default()
                    .parse::<Crs>()
                    .map_err(data("division", &code))?,
                source: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            }),
            _ => None,
        };
        out.push(Division {
            code: TownCode::new(code.as_str()).map_err(data("division", &code))?,
            name_zh: r.get(1)?,
            name_en: r.get(2)?,
            kind,
            seat,
        });
    }
    Ok(out)
}

pub(crate) fn indicators(conn: &Connection) -> Result<Vec<Indicator>> {
    let mut st = conn.prepare_cached(sql::INDICATORS)?;
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let measure = match r.get::<_, String>(9)?.as_str() {
            "count" => Measure::Count,
            "sum_area" => Measure::SumArea,
            "none" => Measure::None,
            m => return Err(StoreError::Data(format!("indicator '{id}': measure '{m}'"))),
        };
        let ind = Indicator {
            id: id.clone(),
            name_zh: r.get(1)?,
            name_en: r.get(2)?,
            unit: r.get(3)?,
            baseline: r.get(4)?,
            baseline_year: r.get(5)?,
            target: r.get(6)?,
            target_op: r.get(7)?,
            target_year: r.get(8)?,
            measure,
            count_filter: r.get(10)?,
            source: r.get(11)?,
            source_quote: r.get(12)?,
        };
        ind.filter().map_err(data("indicator", &id))?;
        out.push(ind);
    }
    Ok(out)
}

pub(crate) fn district(conn: &Connection) -> Result<District> {
    let geojson = meta(conn, sql::META_BOUNDARY)?.ok_or(StoreError::NoReference)?;
    District::from_geojson(&geojson)
        .map_err(|e| StoreError::Data(format!("district boundary: {e}")))
}

pub(crate) fn reference(conn: &Connection) -> Result<Reference> {
    Ok(Reference {
        chains: chains(conn)?,
        divisions: divisions(conn)?,
        district: district(conn)?,
        indicators: indicators(conn)?,
    })
}
