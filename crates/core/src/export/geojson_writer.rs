//! GeoJSON (RFC 7946): one feature per site, written as text or as `geojson` values.

use super::*;

fn json_number(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// A ring's positions, (lon, lat) or, when `lat_lon`, (lat, lon).
fn ring(r: &geo::LineString<f64>, lat_lon: bool) -> Vec<geojson::Position> {
    r.coords()
        .map(|c| geojson::Position::from(if lat_lon { [c.y, c.x] } else { [c.x, c.y] }))
        .collect()
}

/// A site as a GeoJSON Feature (RFC 7946, WGS84).
///
/// - `id`: the site id. Geometry: a Point, or the Polygon for polygon sites (whose marker is in
///   the `lon`/`lat` properties).
/// - Properties keyed by [`Column::key`] for every column except `polygon_wkt` (the geometry
///   holds it): numbers as JSON numbers, vocabulary values as ids, `chains` as `a;b.c`,
///   `town_name` in Chinese, `outside_district` as a boolean, empty values as `null`.
/// - Plus `category_zh`, `kind_zh`, `level_zh`, `status_zh`, `scope_zh`,
///   `location_precision_zh` (Chinese labels for GIS users) and `approximate` (true when the
///   point stands for a township or the district).
pub fn site_to_feature(site: &Site, ctx: &Context<'_>) -> geojson::Feature {
    use serde_json::Value;
    let mut props = geojson::JsonObject::new();
    feature_properties(site, ctx, |key, v| {
        let v = match v {
            Prop::Text(s) => Value::String(s.into_owned()),
            Prop::Label(s) => Value::String(s.to_string()),
            Prop::Number(n) => json_number(n),
            Prop::Bool(b) => Value::Bool(b),
            Prop::Null => Value::Null,
        };
        props.insert(key.to_string(), v);
    });
    geojson::Feature {
        bbox: None,
        geometry: feature_geometry(site),
        id: Some(geojson::feature::Id::String(site.id.to_string())),
        properties: Some(props),
        foreign_members: None,
    }
}

/// Appends `site` as a GeoJSON Feature to `out`: the same members and values as
/// [`site_to_feature`] (properties in column order, which `site_to_feature`'s map keeps too
/// while serde_json preserves insertion order, as the workspace has it), written straight to
/// JSON without building the feature first (what an API page of many sites does).
pub fn write_feature(out: &mut Vec<u8>, site: &Site, ctx: &Context<'_>) {
    write_feature_axes(out, site, ctx, false);
}

/// [`write_feature`] with the geometry's coordinates as (lat, lon) when `lat_lon` (what
/// EPSG:4326 and EPSG:4490 order them as; OGC API – Features Part 2); the properties are the
/// same.
pub fn write_feature_axes(out: &mut Vec<u8>, site: &Site, ctx: &Context<'_>, lat_lon: bool) {
    out.extend_from_slice(br#"{"type":"Feature","id":"#);
    json_str(out, site.id.as_str());
    out.extend_from_slice(br#","geometry":"#);
    match &site.location.geometry {
        None => out.extend_from_slice(b"null"),
        Some(SiteGeometry::Point(p)) => {
            let (x, y) = if lat_lon {
                (p.lat.get(), p.lon.get())
            } else {
                (p.lon.get(), p.lat.get())
            };
            out.extend_from_slice(br#"{"type":"Point","coordinates":["#);
            json_num(out, x);
            out.push(b',');
            json_num(out, y);
            out.extend_from_slice(b"]}");
        }
        Some(SiteGeometry::Polygon { .. }) => {
            // Serialising a geometry we built cannot fail: no map keys, no non-finite numbers.
            let _ = serde_json::to_writer(&mut *out, &feature_geometry_axes(site, lat_lon));
        }
    }
    out.extend_from_slice(br#","properties":{"#);
    let mut first = true;
    feature_properties(site, ctx, |key, v| {
        if !first {
            out.push(b',');
        }
        first = false;
        json_str(out, key);
        out.push(b':');
        match v {
            Prop::Text(s) => json_str(out, &s),
            Prop::Label(s) => json_str(out, s),
            Prop::Number(n) => json_num(out, n),
            Prop::Bool(true) => out.extend_from_slice(b"true"),
            Prop::Bool(false) => out.extend_from_slice(b"false"),
            Prop::Null => out.extend_from_slice(b"null"),
        }
    });
    out.extend_from_slice(b"}}");
}

/// A JSON string (escaped by serde_json).
fn json_str(out: &mut Vec<u8>, s: &str) {
    // Writing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A JSON number as [`json_number`] writes it.
fn json_num(out: &mut Vec<u8>, v: f64) {
    let _ = serde_json::to_writer(&mut *out, &json_number(v));
}

/// A property value of a feature.
enum Prop<'a> {
    Text(Cow<'a, str>),
    Label(&'static str),
    Number(f64),
    Bool(bool),
    Null,
}

/// The properties of a site's feature, in column order, then the Chinese labels and
/// `approximate`: the one definition behind [`site_to_feature`] and [`write_feature`].
fn feature_properties<'a>(
    site: &'a Site,
    ctx: &Context<'a>,
    mut emit: impl FnMut(&'static str, Prop<'a>),
) {
    for c in Column::ALL {
        if c == Column::PolygonWkt {
            continue;
        }
        let lang = if c == Column::TownName {
            HeaderLang::Zh
        } else {
            HeaderLang::En
        };
        let v = match c {
            Column::OutsideDistrict => Prop::Bool(site.outside_district),
            _ => match cell_ref(site, c, ctx, lang) {
                CellRef::Text(s) => Prop::Text(s),
                CellRef::Number(n) => Prop::Number(n),
                CellRef::Empty => Prop::Null,
            },
        };
        emit(c.key(), v);
    }
    emit("category_zh", Prop::Label(site.category.zh()));
    emit("kind_zh", Prop::Label(site.kind.zh()));
    emit("level_zh", Prop::Label(site.level.zh()));
    emit("status_zh", Prop::Label(site.status.zh()));
    emit("scope_zh", Prop::Label(site.scope.zh()));
    emit(
        "location_precision_zh",
        Prop::Label(site.location.precision.zh()),
    );
    emit(
        "approximate",
        Prop::Bool(site.location.precision.is_approximate()),
    );
}

/// The feature geometry of a site: its point, or its polygon; `None` (GeoJSON `null`) for a
/// site without location.
fn feature_geometry(site: &Site) -> Option<geojson::Geometry> {
    feature_geometry_axes(site, false)
}

/// [`feature_geometry`] with (lat, lon) coordinates when `lat_lon`.
fn feature_geometry_axes(site: &Site, lat_lon: bool) -> Option<geojson::Geometry> {
    Some(match site.location.geometry.as_ref()? {
        SiteGeometry::Point(p) if lat_lon => {
            geojson::Geometry::new_point([p.lat.get(), p.lon.get()])
        }
        SiteGeometry::Point(p) => geojson::Geometry::new_point([p.lon.get(), p.lat.get()]),
        SiteGeometry::Polygon { polygon, .. } => {
            let mut rings = vec![ring(polygon.exterior(), lat_lon)];
            rings.extend(polygon.interiors().iter().map(|r| ring(r, lat_lon)));
            geojson::Geometry::new(geojson::GeometryValue::Polygon { coordinates: rings })
        }
    })
}

/// Streaming GeoJSON FeatureCollection writer: the opening with `name` and `metadata`, one
/// feature per line, then `numberReturned` and the closing.
pub struct GeoJsonSiteWriter<'a, W: Write> {
    out: BufWriter<W>,
    ctx: Context<'a>,
    rows: u64,
    /// The feature being written (reused).
    buf: Vec<u8>,
}

impl<'a, W: Write> GeoJsonSiteWriter<'a, W> {
    /// Writes the opening of the collection. `lang` is not used: properties are keyed by
    /// column key, with `*_zh` label properties alongside.
    pub fn new(
        out: W,
        ctx: &Context<'a>,
        _lang: HeaderLang,
        meta: &ExportMeta,
    ) -> Result<Self, ExportError> {
        let mut out = BufWriter::new(out);
        let filter: serde_json::Map<String, serde_json::Value> = meta
            .filter_description
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let cgcs2000 = ctx.crs == crate::crs::Crs::Cgcs2000;
        let metadata = serde_json::json!({
            "title": meta.title,
            "generated_at": meta.generated_at.to_rfc3339(),
            "filter": filter,
            "data_source": meta.data_source,
            "crs": if cgcs2000 {
                "CGCS2000 (EPSG:4490), lon/lat; the same numbers as WGS84"
            } else {
                "WGS84 (EPSG:4326, RFC 7946)"
            },
        });
        // CGCS2000 named the way GDAL and QGIS read it (the 2008 GeoJSON `crs` member; RFC
        // 7946 files are WGS84 and carry none). Coordinates stay (lon, lat).
        let crs_member = if cgcs2000 {
            r#""crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"#
        } else {
            ""
        };
        write!(
            out,
            "{{\"type\":\"FeatureCollection\",\"name\":{},{crs_member}\"metadata\":{},\"features\":[",
            serde_json::to_string(&meta.title)?,
            serde_json::to_string(&metadata)?
        )?;
        Ok(Self {
            out,
            ctx: *ctx,
            rows: 0,
            buf: Vec::with_capacity(2048),
        })
    }

    /// Writes one feature.
    pub fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        self.buf.clear();
        write_feature(&mut self.buf, site, &self.ctx);
        self.out
            .write_all(if self.rows == 0 { b"\n" } else { b",\n" })?;
        self.out.write_all(&self.buf)?;
        self.rows += 1;
        Ok(())
    }

    /// Writes the closing and returns the output.
    pub fn finish(mut self) -> Result<W, ExportError> {
        write!(self.out, "\n],\"numberReturned\":{}}}\n", self.rows)?;
        self.out
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))
    }
}

site_writer!(GeoJsonSiteWriter);
