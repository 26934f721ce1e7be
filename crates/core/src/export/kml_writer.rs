//! KML 2.2: one Placemark per site, every column in ExtendedData.

use super::*;

/// Drops characters XML 1.0 does not allow (control characters other than tab, LF, CR).
fn xml_text(s: &str) -> Cow<'_, str> {
    let ok = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if s.chars().all(ok) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| ok(*c)).collect())
    }
}

fn kml_coords<'c>(coords: impl Iterator<Item = &'c geo::Coord<f64>>) -> String {
    coords
        .map(|c| format!("{},{}", c.x, c.y))
        .collect::<Vec<_>>()
        .join(" ")
}

/// KML 2.2 writer: a Document with the title and a description of the filter and time, one
/// Placemark per site (name = Chinese name; description = English name and category; every
/// column in ExtendedData with its Chinese header as displayName; Point or Polygon).
pub struct KmlSiteWriter<'a, W: Write> {
    xml: quick_xml::Writer<BufWriter<W>>,
    ctx: Context<'a>,
    lang: HeaderLang,
    rows: u64,
}

impl<'a, W: Write> KmlSiteWriter<'a, W> {
    /// Writes the XML declaration and the Document's name and description.
    pub fn new(
        out: W,
        ctx: &Context<'a>,
        lang: HeaderLang,
        meta: &ExportMeta,
    ) -> Result<Self, ExportError> {
        use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};
        let mut xml = quick_xml::Writer::new_with_indent(BufWriter::new(out), b' ', 1);
        xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        xml.write_event(Event::Start(
            BytesStart::new("kml").with_attributes([("xmlns", "http://www.opengis.net/kml/2.2")]),
        ))?;
        xml.write_event(Event::Start(BytesStart::new("Document")))?;
        xml.create_element("name")
            .write_text_content(BytesText::new(&xml_text(&meta.title)))?;
        let mut desc = vec![format!(
            "生成时间 generated at: {}",
            meta.generated_at_text()
        )];
        if let Some(n) = meta.row_count {
            desc.push(format!("记录数 rows: {n}"));
        }
        for (k, v) in describe_filter(&meta.filter_description, ctx) {
            desc.push(format!("{k}: {v}"));
        }
        desc.push(format!("数据来源 data source: {}", meta.data_source));
        desc.push(format!("坐标系 CRS: {CRS_NOTE}"));
        xml.create_element("description")
            .write_text_content(BytesText::new(&xml_text(&desc.join("\n"))))?;
        Ok(Self {
            xml,
            ctx: *ctx,
            lang,
            rows: 0,
        })
    }

    /// Writes one Placemark.
    pub fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
        let x = &mut self.xml;
        x.write_event(Event::Start(BytesStart::new("Placemark")))?;
        x.create_element("name")
            .write_text_content(BytesText::new(&xml_text(&site.name_zh)))?;
        let category = format!("{} {}", site.category.zh(), site.category.en());
        let desc = match &site.name_en {
            Some(en) => format!("{en} · {category}"),
            None => category,
        };
        x.create_element("description")
            .write_text_content(BytesText::new(&xml_text(&desc)))?;
        x.write_event(Event::Start(BytesStart::new("ExtendedData")))?;
        for c in Column::ALL {
            let value = cell(site, c, &self.ctx, self.lang).to_text();
            x.create_element("Data")
                .with_attribute(("name", c.key()))
                .write_inner_content(|w| {
                    w.create_element("displayName")
                        .write_text_content(BytesText::new(c.zh()))?;
                    w.create_element("value")
                        .write_text_content(BytesText::new(&xml_text(&value)))?;
                    Ok::<(), std::io::Error>(())
                })?;
        }
        x.write_event(Event::End(BytesEnd::new("ExtendedData")))?;
        match &site.location.geometry {
            // A site without location: the Placemark has no geometry (listed, not drawn).
            None => {}
            Some(SiteGeometry::Point(p)) => {
                x.create_element("Point").write_inner_content(|w| {
                    w.create_element("coordinates")
                        .write_text_content(BytesText::new(&format!(
                            "{},{}",
                            p.lon.get(),
                            p.lat.get()
                        )))?;
                    Ok::<(), std::io::Error>(())
                })?;
            }
            Some(SiteGeometry::Polygon { polygon, .. }) => {
                x.create_element("Polygon").write_inner_content(|w| {
                    let boundary = |w: &mut quick_xml::Writer<_>,
                                    tag: &str,
                                    r: &geo::LineString<f64>|
                     -> std::io::Result<()> {
                        w.create_element(tag).write_inner_content(|w| {
                            w.create_element("LinearRing").write_inner_content(|w| {
                                w.create_element("coordinates")
                                    .write_text_content(BytesText::new(&kml_coords(r.coords())))?;
                                Ok::<(), std::io::Error>(())
                            })?;
                            Ok::<(), std::io::Error>(())
                        })?;
                        Ok(())
                    };
                    boundary(w, "outerBoundaryIs", polygon.exterior())?;
                    for r in polygon.interiors() {
                        boundary(w, "innerBoundaryIs", r)?;
                    }
                    Ok::<(), std::io::Error>(())
                })?;
            }
        }
        x.write_event(Event::End(BytesEnd::new("Placemark")))?;
        self.rows += 1;
        Ok(())
    }

    /// Closes the Document and returns the output.
    pub fn finish(mut self) -> Result<W, ExportError> {
        use quick_xml::events::{BytesEnd, Event};
        self.xml
            .write_event(Event::End(BytesEnd::new("Document")))?;
        self.xml.write_event(Event::End(BytesEnd::new("kml")))?;
        let mut out = self.xml.into_inner();
        out.write_all(b"\n")?;
        out.into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))
    }
}

site_writer!(KmlSiteWriter);
