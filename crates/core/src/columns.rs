//! The columns of a site record: one list, used for CSV/XLSX headers, GeoJSON/KML property
//! names and import header matching. Property names are defined here and nowhere else.

/// One column of the flat site record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// `id`
    Id,
    /// `name_zh`
    NameZh,
    /// `name_en`
    NameEn,
    /// `category`
    Category,
    /// `kind`
    Kind,
    /// `level`
    Level,
    /// `status`
    Status,
    /// `scope`
    Scope,
    /// `chains`
    Chains,
    /// `town_code`
    TownCode,
    /// `town_name` (derived from the code on export; used to find the code on import when the code is empty)
    TownName,
    /// `address`
    Address,
    /// `lon`
    Lon,
    /// `lat`
    Lat,
    /// `crs`
    Crs,
    /// `location_precision`
    LocationPrecision,
    /// `location_source`
    LocationSource,
    /// `polygon_wkt`
    PolygonWkt,
    /// `area_m2`
    AreaM2,
    /// `available_area_m2`
    AvailableAreaM2,
    /// `established`
    Established,
    /// `website`
    Website,
    /// `phone`
    Phone,
    /// `contact`
    Contact,
    /// `source`
    Source,
    /// `source_quote`
    SourceQuote,
    /// `notes`
    Notes,
    /// `original_crs`
    OriginalCrs,
    /// `original_lon`
    OriginalLon,
    /// `original_lat`
    OriginalLat,
    /// `outside_district` (derived; ignored on import)
    OutsideDistrict,
    /// `updated_at`
    UpdatedAt,
    /// `verified_at`
    VerifiedAt,
}

impl Column {
    /// Every column, in export order.
    pub const ALL: [Column; 33] = [
        Column::Id,
        Column::NameZh,
        Column::NameEn,
        Column::Category,
        Column::Kind,
        Column::Level,
        Column::Status,
        Column::Scope,
        Column::Chains,
        Column::TownCode,
        Column::TownName,
        Column::Address,
        Column::Lon,
        Column::Lat,
        Column::Crs,
        Column::LocationPrecision,
        Column::LocationSource,
        Column::PolygonWkt,
        Column::AreaM2,
        Column::AvailableAreaM2,
        Column::Established,
        Column::Website,
        Column::Phone,
        Column::Contact,
        Column::Source,
        Column::SourceQuote,
        Column::Notes,
        Column::OriginalCrs,
        Column::OriginalLon,
        Column::OriginalLat,
        Column::OutsideDistrict,
        Column::UpdatedAt,
        Column::VerifiedAt,
    ];

    /// Columns an import must have.
    pub const REQUIRED: [Column; 5] = [
        Column::Id,
        Column::NameZh,
        Column::Category,
        Column::Kind,
        Column::Source,
    ];

    /// The English key: CSV header, GeoJSON property, API field.
    pub fn key(self) -> &'static str {
        self.names().0
    }

    /// The Chinese header.
    pub fn zh(self) -> &'static str {
        self.names().1
    }

    /// What the column holds in a file with typed columns (a GeoPackage): the values export
    /// writes as numbers ([`crate::record::cell_ref`] gives `Number` for these and nothing
    /// else), with the year whole.
    pub fn value_type(self) -> ValueType {
        match self {
            Column::Established => ValueType::Integer,
            Column::Lon
            | Column::Lat
            | Column::AreaM2
            | Column::AvailableAreaM2
            | Column::OriginalLon
            | Column::OriginalLat => ValueType::Real,
            _ => ValueType::Text,
        }
    }

    /// Derived on export and not read back as data.
    pub fn is_derived(self) -> bool {
        matches!(self, Column::OutsideDistrict)
    }

    fn names(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            Column::Id => ("id", "编号", &["ID", "序号编号"]),
            Column::NameZh => ("name_zh", "名称", &["中文名称", "单位名称", "name"]),
            Column::NameEn => ("name_en", "英文名称", &[]),
            Column::Category => ("category", "类别", &["分类"]),
            Column::Kind => ("kind", "类型", &[]),
            Column::Level => ("level", "级别", &[]),
            Column::Status => ("status", "状态", &[]),
            Column::Scope => ("scope", "范围", &[]),
            Column::Chains => ("chains", "产业链", &["产业链环节", "chain"]),
            Column::TownCode => ("town_code", "镇街代码", &["区划代码"]),
            Column::TownName => ("town_name", "镇街", &["镇/街道", "所属镇街"]),
            Column::Address => ("address", "地址", &["详细地址"]),
            Column::Lon => ("lon", "经度", &["lng", "longitude", "x"]),
            Column::Lat => ("lat", "纬度", &["latitude", "y"]),
            Column::Crs => ("crs", "坐标系", &[]),
            Column::LocationPrecision => ("location_precision", "定位精度", &["precision"]),
            Column::LocationSource => ("location_source", "位置来源", &["坐标来源"]),
            Column::PolygonWkt => ("polygon_wkt", "边界WKT", &["边界"]),
            Column::AreaM2 => (
                "area_m2",
                "面积（平方米）",
                &["面积", "面积(平方米)", "area"],
            ),
            Column::AvailableAreaM2 => (
                "available_area_m2",
                "可用面积（平方米）",
                &["可用面积", "可用面积(平方米)"],
            ),
            Column::Established => ("established", "成立年份", &["成立时间"]),
            Column::Website => ("website", "网址", &["网站"]),
            Column::Phone => ("phone", "电话", &["联系电话"]),
            Column::Contact => ("contact", "联系人", &[]),
            Column::Source => ("source", "数据来源", &["来源"]),
            Column::SourceQuote => ("source_quote", "原文摘录", &[]),
            Column::Notes => ("notes", "备注", &[]),
            Column::OriginalCrs => ("original_crs", "原始坐标系", &[]),
            Column::OriginalLon => ("original_lon", "原始经度", &[]),
            Column::OriginalLat => ("original_lat", "原始纬度", &[]),
            Column::OutsideDistrict => ("outside_district", "是否区外", &[]),
            Column::UpdatedAt => ("updated_at", "更新日期", &["更新时间"]),
            Column::VerifiedAt => ("verified_at", "核实日期", &["核实时间"]),
        }
    }

    /// Finds the column a header names: its key, its Chinese header or a common alias.
    /// Matching ignores case, surrounding spaces, a BOM and full-width/half-width brackets.
    pub fn from_header(h: &str) -> Option<Column> {
        fn norm(s: &str) -> String {
            s.trim_start_matches('\u{feff}')
                .trim()
                .replace(['（', '('], "(")
                .replace(['）', ')'], ")")
                .to_lowercase()
        }
        // Every accepted name, normalised once, in column order (first match wins).
        static NAMES: std::sync::OnceLock<Vec<(String, Column)>> = std::sync::OnceLock::new();
        let names = NAMES.get_or_init(|| {
            Column::ALL
                .into_iter()
                .flat_map(|c| {
                    let (k, zh, aliases) = c.names();
                    [k, zh]
                        .into_iter()
                        .chain(aliases.iter().copied())
                        .map(move |n| (norm(n), c))
                })
                .collect()
        });
        let h = norm(h);
        names.iter().find(|(n, _)| *n == h).map(|(_, c)| *c)
    }
}

/// The type of a column's values in a file with typed columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Text (codes, labels, dates, phone numbers).
    Text,
    /// A whole number (the year of establishment).
    Integer,
    /// A number.
    Real,
}

/// Header language of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderLang {
    /// Chinese headers and Chinese labels for vocabulary values (for people).
    #[default]
    Zh,
    /// English keys and identifiers (for scripts; the format of `data/sites.csv`).
    En,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_in_chinese_english_and_aliases() {
        assert_eq!(Column::from_header("名称"), Some(Column::NameZh));
        assert_eq!(Column::from_header(" NAME_ZH "), Some(Column::NameZh));
        assert_eq!(Column::from_header("面积(平方米)"), Some(Column::AreaM2));
        assert_eq!(Column::from_header("\u{feff}编号"), Some(Column::Id));
        assert_eq!(Column::from_header("lng"), Some(Column::Lon));
        assert_eq!(Column::from_header("nonsense"), None);
    }

    #[test]
    fn keys_and_chinese_headers_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Column::ALL {
            assert!(seen.insert(c.key()));
            assert!(seen.insert(c.zh()));
        }
    }
}
